"""What a document listing asks for, and what its search terms mean. Plain values only.

A search term names a field of RSpace's index (``LuceneSearchTermListFactory``): ``name``,
``tag`` (``docTag``, the tags joined by commas), ``fullText`` (every field's content, and the
``fields_fieldData`` that holds the document's global id), ``form`` (its form's name, or
``FM<id>``), ``owner``, ``created``/``lastModified`` (instants) and ``global`` (content, tags,
name and form name). ``search.py`` says what a term means within a field. Terms combine as
``RSQueryBuilder`` combines them: a lone global term matches when any of its fields does; in a
query of several terms (``and``) every field of a global term must match; ``or`` needs one.
``records`` keeps only the listed documents and what the listed folders and notebooks hold, at
any depth, whatever the operator; ``attachment`` adds no condition.

:func:`matches` is the reference meaning; :func:`search_condition` is a storage
:class:`~.store.Condition` that every match satisfies (it may let more through), on the words
:func:`search_text` keeps of each document when it is written, so that a store narrows a search
before :func:`matches` decides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import cached_property
from typing import Any, NamedTuple

from .models import Document, Form
from .search import (
    NATIVE_PREFIX,
    TAG_PHRASE_SEPARATOR,
    Tokens,
    analyse,
    query_words,
    term_matches_field,
    words_of,
)
from .store import ALWAYS, NEVER, AllOf, AnyOf, Between, Condition, Contains, OneOf

ORDER_FIELDS = ("name", "created", "lastModified")
#: The index fields a global term searches (``LuceneSearchTermListFactory``), the cheapest to
#: analyse first.
GLOBAL_FIELDS = ("name", "docTag", "formName", "fieldData")
TEXT_KINDS = {"global", "fullText", "tag", "name", "form"}
DATE_KINDS = {"created", "lastModified"}
#: Lucene returns at most this many hits (``SearchConfig.maxResults``).
MAX_HITS = 1000
_FORM_ID = re.compile(r"FM\d+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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

    @cached_property
    def clauses(self) -> tuple[tuple[str, str], ...]:
        """The (index field, text) clauses of every term, built once per query."""
        return tuple(c for t in self.terms for c in _field_clauses(t))

    @cached_property
    def any_clause(self) -> bool:
        """A lone global term, or an ``or`` query: one clause is enough."""
        if len(self.terms) == 1:
            return self.terms[0].query_type == "global"
        return self.operator == "or"


# -- dates --------------------------------------------------------------------------------------


def api_date_spec(spec: str) -> str:
    """``ApiSearchTerm.updateTermToISO8601IfDateTerm``: ``yyyy-MM-dd`` parts become instants
    (the first the day's start, the second its last second, in UTC); a lone date runs from its
    day to now."""
    parts = spec.split(";")

    def converted(part: str, end: bool) -> str:
        if not _ISO_DAY.fullmatch(part):
            return part
        day = date.fromisoformat(part)
        moment = datetime.combine(day, time(23, 59, 59) if end else time(0, 0))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if end else "%Y-%m-%dT%H:%MZ")

    second = converted(parts[1], True) if len(parts) == 2 else ""
    return converted(parts[0], False) + ";" + second


#: How RSpace splits a list of dates or of records: a comma or a semicolon, spaces around it.
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")


def date_parts(spec: str) -> list[str]:
    return _LIST_SEPARATOR.split(spec)


def parse_offset_datetime(text: str) -> datetime | None:
    """Java's ``OffsetDateTime.parse``: an ISO date and time with an offset (``Z`` or
    ``+01:00``), seconds and fractions optional; ``None`` if it is not one."""
    match = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
        r"(Z|[+-]\d{2}:\d{2}(?::\d{2})?)",
        text,
    )
    if match is None:
        return None
    day, hours, minutes, seconds, fraction, offset = match.groups()
    iso = f"{day}T{hours}:{minutes}:{seconds or '00'}"
    if fraction:
        iso += "." + fraction[:6].ljust(6, "0")
    iso += "+00:00" if offset == "Z" else offset[:6]
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


def date_range(spec: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The inclusive range a (converted) date term names, or ``None`` if it names none."""
    parts = date_parts(spec)
    if len(parts) != 2:
        return None
    low_text, high_text = parts
    low = EPOCH if low_text in ("", "null") else parse_offset_datetime(low_text)
    high = now if high_text in ("", "null", "now") else parse_offset_datetime(high_text)
    if low is None or high is None:
        return None
    return low, high


def instant_text(moment: datetime) -> str:
    """A UTC instant as sortable text, to the microsecond."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


# -- the indexed values of a document ----------------------------------------------------------


class IndexedDocument:
    """What the index holds of a document, field by field (each a tuple of values), each field
    analysed when a term first reads it."""

    def __init__(self, document: Document, owner_username: str, form_name: str) -> None:
        self.document = document
        self.form_id = document.form_id
        self.owner_username = owner_username
        self.form_name = form_name
        self._fields: dict[str, tuple[Tokens, ...]] = {}

    def field(self, name: str) -> tuple[Tokens, ...]:
        found = self._fields.get(name)
        if found is None:
            found = self._fields[name] = self._analyse(name)
        return found

    def _analyse(self, name: str) -> tuple[Tokens, ...]:
        document = self.document
        if name == "name":
            return (analyse(document.name, markup=True),)
        if name == "docTag":
            return (analyse(document.tags or "", stop=False),)
        if name == "formName":
            return (analyse(self.form_name, markup=True),)
        # fields.fieldData, then fields_fieldData (the global id; documents have no
        # description here)
        return (
            *(analyse(f.content or "", markup=True) for f in document.fields),
            analyse(document.global_id),
        )


def indexed(document: Document, owner_username: str, form_name: str) -> IndexedDocument:
    return IndexedDocument(document, owner_username, form_name)


def _field_clauses(term: SearchTerm) -> list[tuple[str, str]]:
    """The index fields a term searches, with the text to search each for."""
    kind, text = term.query_type, term.query
    if kind == "global":
        clauses = [(name, text) for name in GLOBAL_FIELDS]
        if _FORM_ID.fullmatch(text):
            clauses.append(("formStableId", text))
        return clauses
    if kind == "fullText":
        return [("fieldData", text)]
    if kind == "tag":
        return [("docTag", text)]
    if kind == "name":
        return [("name", text)]
    if kind == "form":
        return [("formStableId" if _FORM_ID.fullmatch(text) else "formName", text)]
    if kind in DATE_KINDS or kind == "owner":
        return [(kind, text)]
    return []  # records, attachment: no index field


def same_form(forms: Mapping[int, Form], global_id: str) -> set[int]:
    """The ids of every version of the form ``FMn`` names (a form term finds documents made
    from any version of it: RSpace searches by its stable id)."""
    named = forms.get(int(global_id[2:]))
    if named is None:
        return set()
    return {f.id for f in forms.values() if f.stable_id == named.stable_id}


def _clause_matches(
    index: IndexedDocument,
    field_name: str,
    text: str,
    now: datetime,
    moments: tuple[datetime, ...],
    forms: Mapping[int, Form],
) -> bool:
    if field_name == "formStableId":
        return index.form_id in same_form(forms, text)
    if field_name == "owner":
        return index.owner_username.lower() in (name.lower() for name in text.split(","))
    if field_name in DATE_KINDS:
        bounds = date_range(text, now)
        moment = moments[0] if field_name == "created" else moments[1]
        return bounds is not None and bounds[0] <= moment <= bounds[1]
    return term_matches_field(index.field(field_name), text, is_tag=field_name == "docTag")


def record_ids(text: str) -> set[int]:
    """The ids a records term lists (``FL12``, ``NB3``, ``SD40``: the prefix is not checked)."""
    ids: set[int] = set()
    for record in _LIST_SEPARATOR.split(text.strip()):
        try:
            ids.add(int(record[2:]))
        except ValueError:
            continue
    return ids


def matches(
    document: Document,
    query: DocumentQuery,
    owner_username: Callable[[int], str],
    forms: Mapping[int, Form],
    *,
    now: datetime | None = None,
    ancestors: Callable[[Document], set[int]] | None = None,
) -> bool:
    """Whether ``document`` is a hit of ``query`` (``ancestors``: the ids of the folders and
    notebooks above a document, for records terms)."""
    if document.deleted or document.owner_id != query.owner_id:
        return False
    if query.filter is not None:
        return False
    if not query.terms:
        return True
    moment = now or datetime.now(timezone.utc)
    for term in query.terms:
        if term.query_type == "records":
            wanted = record_ids(term.query)
            above = ancestors(document) if ancestors is not None else set()
            if document.id not in wanted and not wanted & above:
                return False
    clauses = query.clauses
    if not clauses:
        return False  # RSpace cannot build a query of records or attachments alone
    form = forms.get(document.form_id)
    index = indexed(document, owner_username(document.owner_id), form.name if form else "")
    moments = (document.created, document.last_modified)
    results = (_clause_matches(index, f, text, moment, moments, forms) for f, text in clauses)
    return any(results) if query.any_clause else all(results)


# -- what stores keep and narrow by ----------------------------------------------------------------


class SearchText(NamedTuple):
    """The words of a document's index fields, each after a space and with a space at the end
    (so that ``" word "`` is in the column exactly when the field holds the word), and its
    instants as sortable text."""

    name: str
    tags: str
    content: str
    created: str
    last_modified: str


def _words_column(values: tuple[Tokens, ...]) -> str:
    words = sorted({w for v in values for w in v.words})
    return " " + " ".join(words) + " " if words else " "


def search_text(document: Document) -> SearchText:
    index = indexed(document, "", "")
    return SearchText(
        name=_words_column(index.field("name")),
        tags=_words_column(index.field("docTag")),
        content=_words_column(index.field("fieldData")),
        created=instant_text(document.created),
        last_modified=instant_text(document.last_modified),
    )


_COLUMNS = {"name": "name", "docTag": "tags", "fieldData": "content"}


def _words_condition(column: str, words: list[str]) -> Condition:
    return AllOf(tuple(Contains(column, f" {w} ") for w in words))


def _text_condition(column: str, text: str, is_tag: bool) -> Condition:
    """A condition every value ``term_matches_field`` accepts holds (it may let more through)."""
    partial = any(marker in text for marker in "*?~")
    if is_tag and not partial:
        phrases = [words_of(p) for p in text.split(TAG_PHRASE_SEPARATOR)]
        return AnyOf(tuple(_words_condition(column, p) for p in phrases if p))
    if text.startswith(NATIVE_PREFIX):
        return ALWAYS
    stop = not is_tag
    if text.endswith("~"):
        words = [w for _, w in query_words(text[:-1], stop)]
        return AnyOf(tuple(Contains(column, " " + w[0]) for w in words))
    if "*" in text or "?" in text:
        literal = re.split(r"[*?\\]", text.lower())[0]
        return Contains(column, " " + literal) if literal else ALWAYS
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        words = [w for _, w in query_words(text[1:-1], stop)]
        return _words_condition(column, words) if words else NEVER
    parts = text.split(",") if "," in text else text.split()
    if len(parts) <= 1:
        parts = [text]
    return AllOf(
        tuple(
            AnyOf(tuple(Contains(column, f" {w} ") for _, w in query_words(part.strip(), stop)))
            for part in parts
        )
    )


def _clause_condition(
    field_name: str, text: str, owner_username: str, forms: Mapping[int, Form]
) -> Condition:
    if field_name == "formStableId":
        return OneOf("form_id", tuple(sorted(same_form(forms, text))))
    if field_name == "formName":
        named = [
            f.id
            for f in forms.values()
            if term_matches_field((analyse(f.name, markup=True),), text)
        ]
        return OneOf("form_id", tuple(named))
    if field_name == "owner":
        names = {name.lower() for name in text.split(",")}
        return ALWAYS if owner_username.lower() in names else NEVER
    if field_name in DATE_KINDS:
        column = "created" if field_name == "created" else "last_modified"
        bounds = date_range(text, datetime.now(timezone.utc))
        if bounds is None:
            return NEVER
        # "now" moves on while the search runs: the upper side stays open here.
        return Between(column, instant_text(bounds[0]), None)
    return _text_condition(_COLUMNS[field_name], text, field_name == "docTag")


def search_condition(
    query: DocumentQuery, owner_username: str, forms: Mapping[int, Form]
) -> Condition:
    """A condition that holds for every document of ``query.owner_id`` that :func:`matches`."""
    if not query.clauses:
        return NEVER
    parts = tuple(_clause_condition(f, text, owner_username, forms) for f, text in query.clauses)
    return AnyOf(parts) if query.any_clause else AllOf(parts)


def sort_key(order_field: str) -> Callable[[Document], tuple[Any, int]]:
    """Sort key with the id as tie-breaker, so that pages never overlap or skip."""
    if order_field == "name":
        return lambda d: (d.name.lower(), d.id)
    if order_field == "created":
        return lambda d: (d.created, d.id)
    return lambda d: (d.last_modified, d.id)
