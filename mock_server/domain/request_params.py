"""How Spring binds request parameters to a criteria bean (``WebDataBinder``): text to Java
``Integer``, ``boolean`` and dates, each value that does not convert a ``typeMismatch`` field
error of the bean (a 400, 40002, once the bean's checks are in)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from .errors import FieldError

JAVA_INT_MIN, JAVA_INT_MAX = -(2**31), 2**31 - 1
_TRUE = ("true", "on", "yes", "1")
_FALSE = ("false", "off", "no", "0")


def conversion_error(
    name: str, raw: object, java_type: str, object_name: str, *, quoted: bool = True
) -> FieldError:
    """Spring's ``typeMismatch`` message; ``quoted=False`` as RSpace's message catalogue renders
    it where ``MessageFormat`` drops the apostrophes."""
    q = "'" if quoted else ""
    return FieldError(
        name,
        raw,
        f"Failed to convert property value of type {q}java.lang.String{q} to required type "
        f"{q}{java_type}{q} for property {q}{name}{q}",
        object_name,
    )


def int_param(
    params: Mapping[str, str],
    name: str,
    default: int,
    errors: list[FieldError],
    object_name: str,
    *,
    quoted: bool = True,
) -> int:
    """A Java ``Integer``: the default when absent or empty."""
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = JAVA_INT_MAX + 1
    if JAVA_INT_MIN <= value <= JAVA_INT_MAX:
        return value
    errors.append(conversion_error(name, raw, "java.lang.Integer", object_name, quoted=quoted))
    return default


def boolean_param(
    params: Mapping[str, str],
    name: str,
    default: bool,
    errors: list[FieldError],
    object_name: str,
) -> bool:
    """A Java ``boolean`` (``true``/``false``, ``on``/``off``, ``yes``/``no``, ``1``/``0``)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors.append(conversion_error(name, raw, "boolean", object_name))
    return default


def day_param(
    params: Mapping[str, str],
    name: str,
    errors: list[FieldError],
    object_name: str,
    *,
    java_type: str = "java.time.LocalDate",
    quoted: bool = True,
) -> date | None:
    """A ``yyyy-MM-dd`` date (``None`` when absent or empty). Java's calendar has a year 0,
    before anything the fake holds: it reads as Python's first day."""
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(part) for part in text.split("-"))
        try:
            # Year 0 is a leap year, as year 4 is.
            checked = date(year or 4, month, day)
            return checked if year else date.min
        except ValueError:
            pass
    errors.append(conversion_error(name, raw, java_type, object_name, quoted=quoted))
    return None
