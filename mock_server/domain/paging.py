"""RSpace's pagination criteria (``DocumentApiPaginationCriteria``), shared by every listing:
documents, folder trees and files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from .errors import FieldError, IllegalArgument

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
DEFAULT_ORDER = "lastModified desc"
#: ``DocumentApiPaginationCriteria.VALID_SORTORDER_PATTERN``, spelled as RSpace spells it (its
#: text is in the 400's message).
ORDER_PATTERN = re.compile(
    "|".join(
        f"({field}\\s+{direction})"
        for field in ("name", "created", "lastModified")
        for direction in ("asc", "desc")
    )
)
JAVA_INT_MAX = 2**31 - 1


#: The orders of ``ApiSortEnum`` that folder trees and file listings name in their 422.
SORT_CHOICES = (
    "name desc",
    "name asc",
    "created desc",
    "created asc",
    "lastModified desc",
    "lastModified asc",
)


def check_sort(order_by: str) -> None:
    """``getSort()``: an ``orderBy`` the pattern let through (e.g. two spaces) but that is not
    one of the orders is RSpace's 422."""
    if order_by not in SORT_CHOICES:
        raise IllegalArgument(
            f"Problem parsing sort parameter: [{order_by}]. It must be one of "
            "name desc, name asc, created desc, created asc, lastModified desc, and "
            "lastModified asc."
        )


def epoch_millis(moment: datetime) -> int:
    """Java's ``Date.getTime()``: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def truncate_to_millis(moment: datetime) -> datetime:
    """RSpace keeps dates to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _parse_int(name: str, raw: str | None, default: int, errors: list[FieldError]) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
        if not -(2**31) <= value <= JAVA_INT_MAX:
            raise ValueError
        return value
    except ValueError:
        errors.append(
            FieldError(
                name,
                raw,
                "Failed to convert property value of type 'java.lang.String' to required type "
                f"'java.lang.Integer' for property '{name}'; For input string: \"{raw}\"",
                "documentApiPaginationCriteria",
            )
        )
        return default


def parse_paging(params: Mapping[str, str], errors: list[FieldError]) -> tuple[int, int, str]:
    """``pageNumber``, ``pageSize`` and ``orderBy`` of RSpace's pagination criteria (documents,
    folder trees, files), each failed constraint added to ``errors``."""
    page_number = _parse_int("pageNumber", params.get("pageNumber"), 0, errors)
    page_size = _parse_int("pageSize", params.get("pageSize"), DEFAULT_PAGE_SIZE, errors)
    if page_number < 0 and not errors:
        errors.append(
            FieldError(
                "pageNumber",
                page_number,
                "Page number must be 0 or greater.",
                "documentApiPaginationCriteria",
            )
        )
    if not 1 <= page_size <= MAX_PAGE_SIZE and not any(e.field == "pageSize" for e in errors):
        errors.append(
            FieldError(
                "pageSize",
                page_size,
                f"Page size must be between 1 and {MAX_PAGE_SIZE}.",
                "documentApiPaginationCriteria",
            )
        )
    order_by = params.get("orderBy") or DEFAULT_ORDER
    if not ORDER_PATTERN.fullmatch(order_by):
        errors.append(
            FieldError(
                "orderBy",
                order_by,
                f'must match "{ORDER_PATTERN.pattern}"',
                "documentApiPaginationCriteria",
            )
        )
    return page_number, page_size, order_by
