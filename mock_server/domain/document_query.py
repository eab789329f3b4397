"""What a document listing asks for: owner, search terms, order and page. Plain values only.

:func:`matches` is the reference meaning of each search term; :func:`search_condition` states
the same as a storage :class:`~.store.Condition` on each document's :class:`SearchText`, which
stores keep from when the document was written (a search reads every document its owner has, so
lower-casing and stripping the markup of every document on every search would cost too much).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from .forms import all_forms
from .models import Document
from .store import ALWAYS, NEVER, AllOf, AnyOf, Between, Condition, Contains, OneOf

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
    """Case-insensitive matching of one term; an approximation of RSpace's Lucene search.

    A full-text or global needle holding NUL matches nothing (stores join a document's units
    of text with NUL, so that one substring test reads them all)."""
    needle = term.query.lower()
    kind = term.query_type
    if UNIT_SEPARATOR in needle and kind not in (
        "name",
        "tag",
        "created",
        "lastModified",
        "form",
        "owner",
        "records",
        "attachment",
    ):
        return False
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


_INT64 = range(-(2**63), 2**63)


def _exact_id(text: str) -> int | None:
    """The id that ``text`` writes exactly as ``str`` would (:func:`term_matches` compares
    strings, so ``+7``, ``07`` or ``٧`` name no document)."""
    try:
        number = int(text)
    except ValueError:
        return None
    return number if str(number) == text and number in _INT64 else None


def _in_one_unit(column: str, separator: str, needle: str) -> Condition:
    """``needle`` is in one of the units that ``column`` joins, each after ``separator``."""
    if separator in needle:
        return NEVER
    # An empty needle is in any unit: there must be one.
    return Contains(column, needle or separator)


def term_condition(term: SearchTerm, owner_username: str) -> Condition:
    """:func:`term_matches` of one term, for a document of the user named ``owner_username``."""
    needle = term.query.lower()
    kind = term.query_type
    if kind == "name":
        return Contains("name", needle)
    if kind == "tag":
        return _in_one_unit("tag_list", TAG_SEPARATOR, needle)
    if kind == "fullText":
        return _in_one_unit("fields", UNIT_SEPARATOR, needle)
    if kind in ("created", "lastModified"):
        start, end = day_bounds(term.query)
        column = "created_day" if kind == "created" else "last_modified_day"
        return Between(column, start or None, end or None)
    if kind == "form":
        named = {f.id for f in all_forms() if f.name.lower() == needle}
        if needle.startswith("fm"):
            named.add(_exact_id(needle[2:]))  # type: ignore[arg-type]
        return OneOf("form_id", tuple(i for i in named if i is not None))
    if kind == "owner":
        return ALWAYS if needle == owner_username.lower() else NEVER
    if kind == "records":
        wanted = {g.strip().lower() for g in term.query.split(",")}
        ids = {_exact_id(w[2:] if w.startswith("sd") else w) for w in wanted}
        return OneOf("id", tuple(sorted(i for i in ids if i is not None)))
    if kind == "attachment":
        return NEVER  # the fake stores no attachments
    # "global", and any other kind, as term_matches reads it
    if UNIT_SEPARATOR in needle:
        return NEVER
    by_id = _exact_id(needle[2:]) if needle.startswith("sd") else None
    text = Contains("everything", needle)
    return AnyOf((text, OneOf("id", (by_id,)))) if by_id is not None else text


def search_condition(query: DocumentQuery, owner_username: str) -> Condition:
    """The documents of ``query.owner_id`` (named ``owner_username``) that its terms match."""
    parts = tuple(term_condition(t, owner_username) for t in query.terms)
    return AllOf(parts) if query.operator == "and" else AnyOf(parts)
