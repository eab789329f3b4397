"""Searches of the in-memory engine, run by SQLite so that they never hold the GIL.

A search reads every listed entity of a partition. Done in Python, that scan holds the GIL for
its whole length, so even in a worker thread it stalls the event loop, and with it every other
request; SQLite runs a query without the GIL. So, for a kind with search text, the memory engine
keeps its listed entities a second time, as rows of an in-memory SQLite table generated from the
kind exactly as the SQL engines generate theirs (:func:`~.sql.table_schema`, without the body),
and answers a search with the same SQL (:func:`~.sql.condition_sql`).

Two locks: the engine's, which every write holds, and the mirror's, which a search holds while
it runs. A write applies its change to the table at once when no search is running, else leaves
it staged; it never waits for a search. A search takes the mirror's lock only at a moment it
holds the engine's (so it sees no write half done), takes what was staged, lets the engine's
lock go and runs. Whoever holds the mirror's lock never waits for the engine's, so a search
started inside a transaction cannot deadlock with another.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from ...domain.store import Condition, Kind
from .sql import SqliteDialect, condition_sql, listing_sql, table_schema

E = TypeVar("E")

Key = tuple[Any, ...]

_DIALECT = SqliteDialect(":memory:", counts_by_trigger=False)


class SearchMirror(Generic[E]):
    """The listed entities of one kind, as rows for searches, and the entities themselves."""

    def __init__(self, kind: Kind[E], engine_lock: AbstractContextManager[object]) -> None:
        self.kind = kind
        self._engine_lock = engine_lock
        self._lock = threading.Lock()
        schema = table_schema(kind, _DIALECT, with_body=False)
        self._schema = schema
        self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        for statement in schema.statements:
            self._db.execute(statement)
        columns = ", ".join(schema.write_columns)
        marks = ", ".join("?" for _ in schema.write_columns)
        self._sql_put = f"INSERT OR REPLACE INTO {schema.table} ({columns}) VALUES ({marks})"
        key_match = " AND ".join(f"{c} = ?" for c in schema.key_columns)
        self._sql_delete = f"DELETE FROM {schema.table} WHERE {key_match}"
        self._key_encoders = [schema.encoders[n] for n in kind.key]
        #: key -> the entity written (``None``: gone or not listed) while a search was running
        self._staged: dict[Key, E | None] = {}
        #: The listed entities, by key: what the rows stand for.
        self._entities: dict[Key, E] = {}

    def record(self, key: Key, entity: E | None) -> None:
        """Take in the stored (never changed) version of an entity, ``None`` when it is gone
        or not listed; call with the engine's lock held."""
        self._staged[key] = entity
        if self._lock.acquire(blocking=False):
            try:
                staged, self._staged = self._staged, {}
                self._apply(staged)
            finally:
                self._lock.release()

    def search(
        self,
        partition: object,
        condition: Condition,
        order: str,
        ascending: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, list[E]]:
        """``(total, the stored entities of the page)``: the caller copies them."""
        kind = self.kind
        kind.order(order)  # an unknown order is refused
        if partition is None:
            return 0, []
        schema = self._schema
        partition_column = schema.columns[kind.partition or ""]
        encode = schema.encoders[kind.partition or ""]
        sql, parameters = condition_sql(condition, kind, schema, _DIALECT)
        where = f"{partition_column} = ? AND listed = 1 AND ({sql})"
        values = [encode(partition) if encode else partition, *parameters]
        count, rows = listing_sql(
            schema, "?", where, order, ascending, ", ".join(schema.key_columns)
        )
        while True:
            with self._engine_lock:
                if self._lock.acquire(blocking=False):
                    staged, self._staged = self._staged, {}
                    break
            with self._lock:  # another search is running: wait for it, then try again
                pass
        try:
            self._apply(staged)
            total = int(self._db.execute(count, values).fetchone()[0])
            if total == 0 or offset >= total:
                return total, []
            keys = self._db.execute(rows, [*values, limit, offset]).fetchall()
            entities = self._entities
            return total, [entities[self._key(row)] for row in keys]
        finally:
            self._lock.release()

    def _key(self, row: Any) -> Key:
        # Key columns of a searchable kind hold plain ints and strings (datetimes would need
        # decoding, and no kind has one in its key).
        return tuple(row)

    def _apply(self, changes: dict[Key, E | None]) -> None:
        if not changes:
            return
        db = self._db
        several = len(changes) > 1
        if several:
            db.execute("BEGIN")
        values = self._schema.values
        encoders = self._key_encoders
        for key, entity in changes.items():
            if entity is None:
                encoded = [f(v) if f else v for f, v in zip(encoders, key, strict=True)]
                db.execute(self._sql_delete, encoded)
                self._entities.pop(key, None)
            else:
                db.execute(self._sql_put, values(entity))
                self._entities[key] = entity
        if several:
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
