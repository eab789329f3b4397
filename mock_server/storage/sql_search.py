"""Document searches in SQL, for both stores.

A search reads every live document of its owner. Done in Python, that scan holds the GIL for
its whole length, so even in a worker thread it stalls the event loop, and with it every other
request; SQLite runs a query without the GIL. So both stores answer a search with the same SQL
over the same columns, each document's :class:`~mock_server.domain.document_query.SearchText`
worked out when it was written: the SQLite store keeps them in its ``documents`` table, the
memory store in a :class:`SearchTable`.

The SQL states :func:`~mock_server.domain.document_query.term_matches` exactly. Where it cannot
(a needle holding the field separator, or a string SQLite cannot take), :func:`search_page`
answers ``None`` and the store applies the reference meaning in Python instead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone

from ..domain.document_query import (
    TAG_SEPARATOR,
    UNIT_SEPARATOR,
    DocumentQuery,
    SearchTerm,
    SearchText,
    day_bounds,
    matches,
    search_text,
    sort_key,
)
from ..domain.forms import all_forms, form_by_id
from ..domain.models import Document
from ..domain.text import is_unicode_text

#: The columns a search reads besides ``id``, ``owner_id``, ``deleted``, ``form_id``,
#: ``name_lower`` and the order columns; see :class:`SearchText` for what each holds.
SEARCH_COLUMNS = ("tag_list", "field_text", "global_text", "created_day", "last_modified_day")

#: order field -> column (any other field orders by last modification, as ``sort_key`` does)
ORDER_COLUMNS = {"name": "name_lower", "created": "created", "lastModified": "last_modified"}

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_INT64 = range(-(2**63), 2**63)

Condition = tuple[str, list[object]]


def to_micros(value: datetime) -> int:
    """UTC microseconds since the epoch; naive values are taken as UTC (as :func:`clock.utc`)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - _EPOCH) // _MICROSECOND


def search_values(text: SearchText) -> tuple[str, ...]:
    """The values of :data:`SEARCH_COLUMNS`."""
    return (text.tag_list, text.fields, text.everything, text.created_day, text.last_modified_day)


def can_bind(text: str) -> bool:
    """SQLite takes UTF-8 only: a lone surrogate cannot be bound."""
    return is_unicode_text(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _units_hold(column: str, separator: str, needle: str) -> Condition | None:
    """``needle`` is in one of the units that ``column`` joins, each after ``separator``."""
    if separator in needle:
        return None
    if not needle:
        return f"{column} <> ''", []  # at least one unit
    return f"instr({column}, ?) > 0", [needle]


def _document_id(text: str) -> int | None:
    """The id that ``text`` writes exactly as ``str`` would (``term_matches`` compares
    strings, so ``+7``, ``07`` or ``٧`` name no document)."""
    try:
        number = int(text)
    except ValueError:
        return None
    return number if str(number) == text and number in _INT64 else None


def _ids_sql(ids: set[int | None]) -> str:
    return f"id IN ({','.join(str(i) for i in sorted(i for i in ids if i is not None))})"


def _term_condition(term: SearchTerm, owner_username: str) -> Condition | None:
    if not can_bind(term.query):
        return None
    needle = term.query.lower()
    kind = term.query_type
    if kind == "name":
        return "instr(name_lower, ?) > 0", [needle]
    if kind == "tag":
        if TAG_SEPARATOR in needle:
            return "0", []  # no tag holds one
        return _units_hold("tag_list", TAG_SEPARATOR, needle)
    if kind == "fullText":
        return _units_hold("field_text", UNIT_SEPARATOR, needle)
    if kind in ("created", "lastModified"):
        column = "created_day" if kind == "created" else "last_modified_day"
        start, end = day_bounds(term.query)
        bounds = [(f"{column} >= ?", start), (f"{column} <= ?", end)]
        used = [(sql, day) for sql, day in bounds if day]
        return " AND ".join(sql for sql, _ in used) or "1", [day for _, day in used]
    if kind == "form":
        form_ids = ",".join(str(f.id) for f in all_forms() if f.name.lower() == needle)
        return f"'fm' || form_id = ? OR form_id IN ({form_ids})", [needle]
    if kind == "owner":
        return ("1" if needle == owner_username.lower() else "0"), []
    if kind == "records":
        wanted = {g.strip().lower() for g in term.query.split(",")}
        named = {_document_id(w[2:] if w.startswith("sd") else w) for w in wanted}
        return _ids_sql(named), []
    if kind == "attachment":
        return "0", []
    # "global", and any other kind, as term_matches reads it
    if UNIT_SEPARATOR in needle:
        return None
    named = {_document_id(needle[2:])} if needle.startswith("sd") else set()
    return f"instr(global_text, ?) > 0 OR {_ids_sql(named)}", [needle]


def search_condition(query: DocumentQuery, owner_username: str) -> Condition | None:
    """The WHERE clause of the query owner's live documents that match its terms (the query
    owner's username is ``owner_username``), or ``None`` when SQL cannot state it exactly."""
    conditions, parameters = [], []
    for term in query.terms:
        condition = _term_condition(term, owner_username)
        if condition is None:
            return None
        conditions.append(f"({condition[0]})")
        parameters.extend(condition[1])
    joined = (" AND " if query.operator == "and" else " OR ").join(conditions) or "1"
    return f"owner_id = ? AND deleted = 0 AND ({joined})", [query.owner_id, *parameters]


def search_page(
    db: sqlite3.Connection, table: str, query: DocumentQuery, owner_username: str
) -> tuple[int, list[int]] | None:
    """``(total hits, ids of the requested page in order)``, by one scan of ``table``; or
    ``None`` when the query cannot be put in SQL exactly."""
    condition = search_condition(query, owner_username)
    if condition is None:
        return None
    where, parameters = condition
    column = ORDER_COLUMNS.get(query.order_field, "last_modified")
    direction = "ASC" if query.ascending else "DESC"
    rows = db.execute(
        f"SELECT id, count(*) OVER () FROM {table} WHERE {where}"
        f" ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?",
        (*parameters, query.page_size, query.offset),
    ).fetchall()
    if rows:
        return int(rows[0][1]), [int(r[0]) for r in rows]
    if query.offset == 0:
        return 0, []
    # A page past the end has no row to carry the total.
    count = db.execute(f"SELECT count(*) FROM {table} WHERE {where}", parameters).fetchone()
    return int(count[0]), []


def page_in_python(
    documents: Sequence[Document], query: DocumentQuery, owner_username: str
) -> tuple[int, list[Document]]:
    """What :func:`search_page` cannot put in SQL: the reference meaning, one document at a
    time (slow, but only for needles no client sends)."""
    hits = [
        d
        for d in documents
        if matches(d, query, lambda _: owner_username, lambda f: form_by_id(f).name)
    ]
    hits.sort(key=sort_key(query.order_field), reverse=not query.ascending)
    return len(hits), hits[query.offset : query.offset + query.page_size]


_TABLE_SCHEMA = f"""
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,
    form_id       INTEGER NOT NULL,
    name_lower    TEXT NOT NULL,
    created       INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    {", ".join(f"{c} TEXT NOT NULL" for c in SEARCH_COLUMNS)}
)
"""
_TABLE_COLUMNS = "id, owner_id, deleted, form_id, name_lower, created, last_modified, " + ", ".join(
    SEARCH_COLUMNS
)
_INSERT_ROW = (
    f"INSERT OR REPLACE INTO documents ({_TABLE_COLUMNS})"
    f" VALUES ({', '.join('?' * (7 + len(SEARCH_COLUMNS)))})"
)

#: A written document: its stored version (``None`` once deleted) and its row (``None`` when
#: it has none: deleted, or holding a string that SQLite cannot take).
_Change = tuple[Document | None, tuple[object, ...] | None]


class SearchTable:
    """The memory store's live documents as rows of an in-memory SQLite table, for searches.

    Two locks: the store's, which every write holds, and the table's, which a search holds
    while it runs. A write applies its change to the table at once when no search is running,
    else leaves it staged; it never waits for a search. A search takes the table's lock only
    at a moment it holds the store's (so it sees no write half done), takes what was staged,
    lets the store's lock go and runs. Whoever holds the table's lock never waits for the
    store's, so a search started inside a store transaction cannot deadlock with another.
    """

    def __init__(self, store_lock: AbstractContextManager[object]) -> None:
        self._store_lock = store_lock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._db.execute(_TABLE_SCHEMA)
        self._db.execute("CREATE INDEX documents_by_owner ON documents (owner_id, deleted)")
        #: document id -> its change, written while a search was running
        self._staged: dict[int, _Change] = {}
        #: The live documents, by id.
        self._documents: dict[int, Document] = {}
        #: Live documents with no row (id -> owner id): their owners' searches run in Python.
        self._outside_sql: dict[int, int] = {}

    def record(self, document: Document) -> None:
        """Take in the stored version of a written document; call with the store's lock held."""
        if document.deleted:
            self._staged[document.id] = (None, None)
        else:
            text = search_text(document)
            row = (
                document.id,
                document.owner_id,
                0,
                document.form_id,
                text.name,
                to_micros(document.created),
                to_micros(document.last_modified),
                *search_values(text),
            )
            # The other strings hold nothing that ``everything`` does not.
            self._staged[document.id] = (document, row if can_bind(text.everything) else None)
        if self._lock.acquire(blocking=False):
            try:
                self._apply_staged()
            finally:
                self._lock.release()

    def search(
        self, query: DocumentQuery, owner_username: Callable[[], str]
    ) -> tuple[int, list[Document]]:
        """``(total hits, the stored documents of the page)``; ``owner_username`` is called with
        the store's lock held."""
        while True:
            with self._store_lock:
                if self._lock.acquire(blocking=False):
                    staged, self._staged = self._staged, {}
                    username = owner_username()
                    break
            with self._lock:  # another search is running: wait for it, then try again
                pass
        try:
            self._apply(staged)
            found = None
            if query.owner_id not in self._outside_sql.values():
                found = search_page(self._db, "documents", query, username)
            if found is None:
                owned = [d for d in self._documents.values() if d.owner_id == query.owner_id]
                return page_in_python(owned, query, username)
            total, ids = found
            return total, [self._documents[i] for i in ids]
        finally:
            self._lock.release()

    def _apply_staged(self) -> None:
        staged, self._staged = self._staged, {}
        self._apply(staged)

    def _apply(self, changes: dict[int, _Change]) -> None:
        several = len(changes) > 1
        if several:
            self._db.execute("BEGIN")
        for document_id, (document, row) in changes.items():
            if row is None:
                self._db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            else:
                self._db.execute(_INSERT_ROW, row)
            if document is None:
                self._documents.pop(document_id, None)
            else:
                self._documents[document_id] = document
            if document is not None and row is None:
                self._outside_sql[document_id] = document.owner_id
            else:
                self._outside_sql.pop(document_id, None)
        if several:
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
