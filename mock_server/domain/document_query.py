"""What a document listing asks for: owner, search terms, order and page. Plain values only.

Stores evaluate it (in SQL, see ``storage/sql_search.py``); :func:`matches` is the reference
meaning of each search term. A search reads every document its owner has, so stores keep each
document's :class:`SearchText` from when it was written, instead of lower-casing and stripping
the markup of every document on every search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from .models import Document

ORDER_FIELDS = ("name", "created", "lastModified")


@dataclass(frozen=True)
class SearchTerm:
    """One term of RSpace's advanced query (``queryType`` + ``query``)."""

    query_type: str
    query: str


@dataclass(frozen=True)
class DocumentQuery:
    owner_id: int
    #: ``name``, ``created`` or ``lastModified``.
    order_field: str = "lastModified"
    ascending: bool = False
    page_number: int = 0
    page_size: int = 20
    #: ``"and"`` or ``"or"`` over :attr:`terms`; no terms means every document.
    operator: str = "and"
    terms: tuple[SearchTerm, ...] = field(default_factory=tuple)
    #: ``favorites``/``sharedWithMe``: the fake has neither, so such a filter matches nothing.
    filter: str | None = None

    @property
    def offset(self) -> int:
        return self.page_number * self.page_size


_TAG_RE = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    return _TAG_RE.sub(" ", html)


def day_bounds(spec: str) -> tuple[str, str]:
    """RSpace date terms are ``from;to`` (either side may be empty), as ``yyyy-MM-dd`` or ISO:
    the first and last ``yyyy-MM-dd`` day, ``""`` for an open side."""
    start_text, _, end_text = spec.partition(";")
    return start_text.strip()[:10], end_text.strip()[:10]


def _in_date_range(value: datetime, spec: str) -> bool:
    start, end = day_bounds(spec)
    day = value.date().isoformat()
    return not (start and day < start) and not (end and day > end)


def term_matches(document: Document, term: SearchTerm, owner_username: str, form_name: str) -> bool:
    """Case-insensitive matching of one term; an approximation of RSpace's Lucene search."""
    needle = term.query.lower()
    kind = term.query_type
    if kind == "name":
        return needle in document.name.lower()
    if kind == "tag":
        tags = [t.strip().lower() for t in (document.tags or "").split(",")]
        return any(needle in t for t in tags if t)
    if kind == "fullText":
        return any(needle in plain_text(f.content).lower() for f in document.fields)
    if kind == "created":
        return _in_date_range(document.created, term.query)
    if kind == "lastModified":
        return _in_date_range(document.last_modified, term.query)
    if kind == "form":
        return needle in (f"fm{document.form_id}", form_name.lower())
    if kind == "owner":
        return needle == owner_username.lower()
    if kind == "records":
        wanted = {g.strip().lower() for g in term.query.split(",")}
        return document.global_id.lower() in wanted or str(document.id) in wanted
    if kind == "attachment":
        return False  # the fake stores no attachments
    # "global": name, tags, content or global id
    return (
        needle in document.name.lower()
        or needle in (document.tags or "").lower()
        or needle == document.global_id.lower()
        or any(needle in plain_text(f.content).lower() for f in document.fields)
    )


def matches(
    document: Document,
    query: DocumentQuery,
    owner_username: Callable[[int], str],
    form_name: Callable[[int], str],
) -> bool:
    if document.deleted or document.owner_id != query.owner_id:
        return False
    if query.filter is not None:
        return False
    if not query.terms:
        return True
    results = (
        term_matches(document, t, owner_username(document.owner_id), form_name(document.form_id))
        for t in query.terms
    )
    return all(results) if query.operator == "and" else any(results)


#: Comes before each unit of text in :attr:`SearchText.fields` and :attr:`SearchText.everything`:
#: a needle without it is in the joined text exactly when it is in one unit.
UNIT_SEPARATOR = "\x00"
#: Comes before each tag in :attr:`SearchText.tag_list`; no tag holds one, since the tag
#: string is split on it.
TAG_SEPARATOR = ","


class SearchText(NamedTuple):
    """What the search terms read of a document, lower-cased (with Python's ``str.lower``) and
    stripped of markup as :func:`term_matches` does it, joined so that one substring test
    answers a term."""

    name: str
    #: Each non-empty trimmed tag, after a :data:`TAG_SEPARATOR`: what tag terms read.
    tag_list: str
    #: Each field's plain text, after a :data:`UNIT_SEPARATOR`: what full-text terms read.
    fields: str
    #: The name, the tag string as stored and each field's text, each after a
    #: :data:`UNIT_SEPARATOR`: what global terms read (besides the global id).
    everything: str
    #: ``yyyy-MM-dd``, as date terms compare them.
    created_day: str
    last_modified_day: str


def search_text(document: Document) -> SearchText:
    name = document.name.lower()
    tags = (document.tags or "").lower()
    trimmed_tags = (t.strip().lower() for t in (document.tags or "").split(TAG_SEPARATOR))
    fields = "".join(UNIT_SEPARATOR + plain_text(f.content).lower() for f in document.fields)
    return SearchText(
        name=name,
        tag_list="".join(TAG_SEPARATOR + t for t in trimmed_tags if t),
        fields=fields,
        everything=f"{UNIT_SEPARATOR}{name}{UNIT_SEPARATOR}{tags}{fields}",
        created_day=document.created.date().isoformat(),
        last_modified_day=document.last_modified.date().isoformat(),
    )


def sort_key(order_field: str) -> Callable[[Document], tuple[Any, int]]:
    """Sort key with the id as tie-breaker, so that pages never overlap or skip."""
    if order_field == "name":
        return lambda d: (d.name.lower(), d.id)
    if order_field == "created":
        return lambda d: (d.created, d.id)
    return lambda d: (d.last_modified, d.id)
