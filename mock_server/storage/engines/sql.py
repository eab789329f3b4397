"""One SQL engine for any kind, on SQLite and PostgreSQL (a dialect holds what differs).

Tables are generated from the kinds (:func:`table_schema`): per kind the key columns, one
indexed column per unique, lookup and partition attribute, per listing order a column holding
the order's value (computed in Python by the kind, e.g. the case-folded name) indexed with the
partition and the key, the searchable text columns, and ``body``: the entity as the codec's
compact JSON, the only column read back. ``store_meta`` holds, per kind, a version of its table
definition (a hash of the generated DDL and of what it was generated from), so a file written
with another definition is refused at open with both versions named. ``store_sequences`` holds
the id sequences. A kind not named when the engine is opened gets its table on first use.

Concurrency (see :class:`PostgresDialect` for what PostgreSQL does instead of SQLite's lock):

* every thread gets its own connection, opened lazily and reopened after a ``fork``;
* :meth:`SqlEngine.transaction` starts the dialect's write transaction on the outermost call
  (SQLite: ``BEGIN IMMEDIATE``, which holds the single write lock from the first read, so a
  read-modify-write is atomic against other threads and processes); nested calls join it;
* a write outside a transaction is a transaction of its own, durable when it returns;
* a read of several statements (a page: total and rows) runs in one read snapshot.

An in-memory SQLite database (``":memory:"``) lives in one connection: it is shared by all
threads, each use of it under one re-entrant lock.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import sqlite3
import threading
import typing
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from ...domain.store import (
    AllOf,
    AnyOf,
    Between,
    Condition,
    Conflict,
    Contains,
    Kind,
    OneOf,
    SchemaMismatch,
    check_equals,
    check_storable,
)
from ...domain.text import is_unicode_text
from .. import codec

E = TypeVar("E")

Row = Sequence[Any]


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def close(self) -> None: ...


class Dialect(Protocol):
    """What differs between databases; the engine writes all SQL in terms of these."""

    @property
    def where(self) -> str:
        """Names the database in messages (e.g. the file)."""
        ...

    @property
    def shared(self) -> bool:
        """One connection shared by every thread (an in-memory database), used under a lock."""
        ...

    placeholder: str
    integrity_errors: tuple[type[Exception], ...]
    #: Whether per-partition listing totals are kept by triggers (else counted).
    counts_by_trigger: bool
    #: Whether a failed statement aborts the transaction, so writes need a savepoint.
    savepoints: bool

    def connect(self) -> Connection: ...
    def column_type(self, python_type: type) -> str: ...

    #: How a string is kept in a text column (``None``: as it is), and read back.
    text_in: Callable[[str], str] | None
    text_out: Callable[[str], str] | None

    def begin_write(self, connection: Connection) -> None: ...
    def begin_read(self, connection: Connection) -> None: ...
    def contains(self, column: str) -> str:
        """SQL true when the placeholder's text occurs in ``column``."""
        ...

    #: The type of the searchable text columns, and how a text (or a needle) is stored in one.
    search_column_type: str

    def search_value(self, text: str) -> Any: ...

    def count_triggers(self, table: str, partition: str, counts: str) -> list[str]: ...


@dataclass
class SqliteDialect:
    """SQLite: a file in WAL mode (many threads and processes), or ``":memory:"``."""

    path: str
    busy_timeout_ms: int = 30_000
    synchronous: str = "NORMAL"
    cache_kib: int = 8_192
    mmap_bytes: int = 256 * 1024 * 1024
    placeholder: str = "?"
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    counts_by_trigger: bool = True
    savepoints: bool = False
    text_in: Callable[[str], str] | None = None
    text_out: Callable[[str], str] | None = None

    @property
    def where(self) -> str:
        return self.path

    @property
    def shared(self) -> bool:
        return self.path == ":memory:"

    def connect(self) -> Connection:
        # isolation_level=None: no implicit transactions; the engine issues BEGIN/COMMIT.
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        if not self.shared:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            connection.execute(f"PRAGMA mmap_size = {int(self.mmap_bytes)}")
        connection.execute(f"PRAGMA cache_size = -{int(self.cache_kib)}")
        return connection

    def column_type(self, python_type: type) -> str:
        if python_type is str:
            return "TEXT"
        if python_type is float:
            return "REAL"
        return "INTEGER"  # int, bool, datetime (UTC microseconds)

    def begin_write(self, connection: Connection) -> None:
        # IMMEDIATE takes the write lock now, so no other writer can slip in between the
        # reads and the writes of a read-modify-write.
        connection.execute("BEGIN IMMEDIATE")

    def begin_read(self, connection: Connection) -> None:
        connection.execute("BEGIN DEFERRED")

    search_column_type: str = "TEXT NOT NULL"

    def contains(self, column: str) -> str:
        return f"instr({column}, ?) > 0"

    def search_value(self, text: str) -> Any:
        return text

    def count_triggers(self, table: str, partition: str, counts: str) -> list[str]:
        bump = "ON CONFLICT (part) DO UPDATE SET n = n + 1"
        return [
            f"CREATE TRIGGER {table}__counted_insert AFTER INSERT ON {table}"
            f" WHEN NEW.listed = 1 BEGIN"
            f" INSERT INTO {counts} (part, n) VALUES (NEW.{partition}, 1) {bump}; END",
            f"CREATE TRIGGER {table}__counted_delete AFTER DELETE ON {table}"
            f" WHEN OLD.listed = 1 BEGIN"
            f" UPDATE {counts} SET n = n - 1 WHERE part = OLD.{partition}; END",
            f"CREATE TRIGGER {table}__counted_update AFTER UPDATE OF {partition}, listed"
            f" ON {table} BEGIN"
            f" UPDATE {counts} SET n = n - 1 WHERE part = OLD.{partition} AND OLD.listed = 1;"
            f" INSERT INTO {counts} (part, n) SELECT NEW.{partition}, 1 WHERE NEW.listed = 1"
            f" {bump}; END",
        ]


#: Any constant: the key of the advisory lock that every write transaction takes.
ADVISORY_LOCK_KEY = 0x5253_7061_6365  # "RSpace"


@dataclass
class PostgresDialect:
    """PostgreSQL through psycopg 3: many threads, processes and hosts on one database.

    A write transaction starts by taking one transaction-scoped advisory lock
    (``pg_advisory_xact_lock``), so read-modify-writes are serialised by the database itself,
    across processes and hosts, as ``BEGIN IMMEDIATE`` serialises them on SQLite; the lock
    goes with the transaction (commit, rollback or a lost connection). Reads take no lock: a
    read of several statements runs in one ``REPEATABLE READ`` snapshot. Text columns use the
    ``"C"`` collation, which orders by code point as Python does.
    """

    dsn: str
    #: The schema whose tables the engine uses (``search_path``); the server's default if
    #: ``None``. The test suite gives each server a throw-away one.
    schema: str | None = None
    placeholder: str = "%s"
    counts_by_trigger: bool = True
    savepoints: bool = True
    shared: bool = False
    integrity_errors: tuple[type[Exception], ...] = field(default_factory=tuple)
    #: PostgreSQL text cannot hold NUL: strings are kept with NUL and U+0001 escaped, in a
    #: code that keeps equality and order (see :func:`escape_nul`).
    text_in: Callable[[str], str] | None = field(default=None)
    text_out: Callable[[str], str] | None = field(default=None)

    def __post_init__(self) -> None:
        import psycopg  # the optional extra "postgres"

        self.integrity_errors = (psycopg.IntegrityError,)
        self.text_in, self.text_out = escape_nul, unescape_nul

    @property
    def where(self) -> str:
        return redact_url(self.dsn)

    def connect(self) -> Connection:
        import psycopg

        # autocommit: no implicit transactions; the engine issues BEGIN/COMMIT itself.
        if self.schema is None:
            connection = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        else:
            connection = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=10,
                options=f"-c search_path={self.schema}",
            )
        return typing.cast(Connection, connection)

    def column_type(self, python_type: type) -> str:
        if python_type is str:
            return 'TEXT COLLATE "C"'
        if python_type is float:
            return "DOUBLE PRECISION"
        return "BIGINT"  # int, bool, datetime (UTC microseconds)

    def begin_write(self, connection: Connection) -> None:
        connection.execute("BEGIN")
        connection.execute(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")

    def begin_read(self, connection: Connection) -> None:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    #: Search text may hold any character, NUL too, which PostgreSQL
    #: text cannot: it is stored as UTF-8 bytes, where a substring of the bytes of valid text
    #: is exactly the bytes of a substring of the text.
    search_column_type: str = "BYTEA NOT NULL"

    def contains(self, column: str) -> str:
        return f"position(%s IN {column}) > 0"

    def search_value(self, text: str) -> Any:
        return text.encode("utf-8", "surrogatepass")

    def count_triggers(self, table: str, partition: str, counts: str) -> list[str]:
        function = f"{table}__count"
        return [
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN"
            " IF TG_OP IN ('UPDATE', 'DELETE') THEN"
            f"  IF OLD.listed = 1 THEN"
            f"   UPDATE {counts} SET n = n - 1 WHERE part = OLD.{partition};"
            "  END IF;"
            " END IF;"
            " IF TG_OP IN ('INSERT', 'UPDATE') THEN"
            "  IF NEW.listed = 1 THEN"
            f"   INSERT INTO {counts} (part, n) VALUES (NEW.{partition}, 1)"
            f"    ON CONFLICT (part) DO UPDATE SET n = {counts}.n + 1;"
            "  END IF;"
            " END IF;"
            " RETURN NULL;"
            " END $$",
            f"CREATE TRIGGER {table}__counted AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]


#: A meta key written since :meth:`SqlEngine.request_view` took its snapshot: read afresh.
_UNSEEN: Any = object()


def redact_url(url: str) -> str:
    """A database URL with its password hidden, to name the database in messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "the database URL given"
    if password is None:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _hints(kind: Kind[Any]) -> dict[str, Any]:
    return typing.get_type_hints(kind.type)


def _plain(hint: Any) -> type:
    """The column's Python type for an attribute hint (``X | None`` -> ``X``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if args else hint
    if base not in (bool, int, float, str, datetime):
        raise TypeError(f"an indexed attribute must be a plain value, not {hint!r}")
    return typing.cast(type, base)


def escape_nul(text: str) -> str:
    """``text`` without NUL, for a database whose text cannot hold one: NUL becomes U+0001
    U+0001 and U+0001 becomes U+0001 U+0002. The code is prefix-free and keeps code point
    order (U+0001 U+0001 < U+0001 U+0002 < U+0002), so equalities and orders of escaped
    strings are those of the strings."""
    if "\x00" not in text and "\x01" not in text:
        return text
    return text.replace("\x01", "\x01\x02").replace("\x00", "\x01\x01")


def unescape_nul(text: str) -> str:
    if "\x01" not in text:
        return text
    return text.replace("\x01\x01", "\x00").replace("\x01\x02", "\x01")


def _column_encoder(python_type: type, dialect: Dialect) -> Callable[[Any], Any] | None:
    if python_type is str and dialect.text_in is not None:
        text_in = dialect.text_in
        return lambda v: None if v is None else text_in(v)
    if python_type is datetime:
        return lambda v: None if v is None else codec.to_micros(v)
    if python_type is bool:
        return lambda v: None if v is None else int(v)
    return None


@dataclass(frozen=True)
class TableSchema:
    """The generated table of one kind, and how entity values become its columns."""

    table: str
    counts: str | None
    statements: tuple[str, ...]
    version: str
    key_columns: tuple[str, ...]
    #: indexed attribute -> its column
    columns: Mapping[str, str]
    #: every written column, in order, and how each is computed from an entity
    write_columns: tuple[str, ...]
    values: Callable[[Any], tuple[Any, ...]]
    #: indexed attribute -> how a value compared with its column is encoded
    encoders: Mapping[str, Callable[[Any], Any] | None]
    text_columns: Mapping[str, str]


def table_schema(kind: Kind[Any], dialect: Dialect, *, with_body: bool = True) -> TableSchema:
    """The table of ``kind``; without ``body`` for a table that only answers searches."""
    hints = _hints(kind)
    table = f"k_{kind.name}"
    column_types: dict[str, str] = {}
    columns: dict[str, str] = {}
    encoders: dict[str, Callable[[Any], Any] | None] = {}
    getters: list[Callable[[Any], Any]] = []
    for name in kind.indexed:
        python_type = _plain(hints[name])
        column = f"c_{name}"
        columns[name] = column
        column_types[column] = dialect.column_type(python_type)
        encode = _column_encoder(python_type, dialect)
        encoders[name] = encode
        getters.append(
            (lambda n, f: lambda e: f(getattr(e, n)))(name, encode)
            if encode
            else (lambda n: lambda e: getattr(e, n))(name)
        )
    if kind.orders:
        listed = kind.listed
        column_types["listed"] = dialect.column_type(int) + " NOT NULL"
        getters.append(lambda e: 1 if listed is None or listed(e) else 0)
        for order in kind.orders:
            column_types[f"o_{order.name}"] = dialect.column_type(order.type) + " NOT NULL"
            encode = _column_encoder(order.type, dialect)
            value = order.value
            getters.append(
                (lambda v, f: lambda e: f(v(e)))(value, encode)
                if encode
                else (lambda v: lambda e: v(e))(value)
            )
    text_columns: dict[str, str] = {}
    text = kind.text
    if text is not None:
        for name in text.columns:
            text_columns[name] = f"t_{name}"
            column_types[f"t_{name}"] = dialect.search_column_type
    if with_body:
        column_types["body"] = dialect.column_type(str) + " NOT NULL"
    key_columns = tuple(columns[n] for n in kind.key)
    for column in key_columns:
        column_types[column] += " NOT NULL"
    definition = ", ".join(f"{c} {t}" for c, t in column_types.items())
    statements = [
        f"CREATE TABLE {table} ({definition}, PRIMARY KEY ({', '.join(key_columns)}))",
        *(f"CREATE UNIQUE INDEX {table}__u_{n} ON {table} ({columns[n]})" for n in kind.unique),
        *(
            f"CREATE INDEX {table}__l_{n} ON {table} ({columns[n]})"
            for n in dict.fromkeys([*kind.lookups, *filter(None, [kind.partition])])
            # The primary key serves its first column, the order indexes their partition.
            if columns[n] != key_columns[0] and not (n == kind.partition and kind.orders)
        ),
    ]
    counts = None
    if kind.orders:
        partition = columns[kind.partition or ""]
        statements += [
            f"CREATE INDEX {table}__o_{o.name} ON {table}"
            f" ({partition}, listed, o_{o.name}, {', '.join(key_columns)})"
            for o in kind.orders
        ]
        if dialect.counts_by_trigger:
            counts = f"{table}__counts"
            part_type = column_types[partition].split()[0]
            statements.append(
                f"CREATE TABLE {counts} (part {part_type} PRIMARY KEY, n INTEGER NOT NULL)"
            )
            statements += dialect.count_triggers(table, partition, counts)
    # What the table was generated from besides the DDL: the entity's attributes (the body)
    # and the versions of functions the DDL cannot show (order values, listed, text).
    origin = [
        *statements,
        repr([(n, str(h)) for n, h in hints.items()]),
        repr([(o.name, o.version) for o in kind.orders]),
        repr((kind.version, text.version if text else None)),
    ]
    version = hashlib.sha256("\n".join(origin).encode()).hexdigest()[:12]
    head = tuple(getters)
    dumps = codec.dumps if with_body else None
    text_values = text.values if text is not None else None
    stored = dialect.search_value

    def values(entity: Any) -> tuple[Any, ...]:
        row = [g(entity) for g in head]
        if text_values is not None:
            row.extend(stored(t) for t in text_values(entity))
        if dumps is not None:
            row.append(dumps(entity))
        return tuple(row)

    return TableSchema(
        table=table,
        counts=counts,
        statements=tuple(statements),
        version=version,
        key_columns=key_columns,
        columns=columns,
        write_columns=tuple(column_types),
        values=values,
        encoders=encoders,
        text_columns=text_columns,
    )


def condition_sql(
    condition: Condition, kind: Kind[Any], schema: TableSchema, dialect: Dialect
) -> tuple[str, list[Any]]:
    """SQL that holds for a row exactly when ``condition`` holds for its entity, and its
    parameters. Conditions are built by the domain and shallow; their parts are walked with
    an explicit stack all the same."""
    p = dialect.placeholder
    # Post-order over the tree: each finished node leaves (sql, parameters) on ``done``.
    done: list[tuple[str, list[Any]]] = []
    pending: list[tuple[Condition, bool]] = [(condition, False)]
    while pending:
        node, expanded = pending.pop()
        if isinstance(node, (AllOf, AnyOf)):
            if not expanded:
                pending.append((node, True))
                pending.extend((part, False) for part in reversed(node.parts))
                continue
            count = len(node.parts)
            parts = done[len(done) - count :] if count else []
            del done[len(done) - count :]
            if not parts:
                done.append(("1 = 1" if isinstance(node, AllOf) else "1 = 0", []))
                continue
            joiner = " AND " if isinstance(node, AllOf) else " OR "
            done.append(
                (joiner.join(f"({sql})" for sql, _ in parts), [v for _, vs in parts for v in vs])
            )
        elif isinstance(node, Contains):
            column = _text_column(kind, schema, node.column)
            if not is_unicode_text(node.text):
                done.append(("1 = 0", []))  # no stored text holds what is not text
            else:
                done.append((dialect.contains(column), [dialect.search_value(node.text)]))
        elif isinstance(node, Between):
            column = _text_column(kind, schema, node.column)
            if not all(is_unicode_text(b) for b in (node.low, node.high) if b is not None):
                done.append(("1 = 0", []))  # bounds no stored text can be compared with
                continue
            tests, values = [], []
            if node.low is not None:
                tests.append(f"{column} >= {p}")
                values.append(dialect.search_value(node.low))
            if node.high is not None:
                tests.append(f"{column} <= {p}")
                values.append(dialect.search_value(node.high))
            done.append((" AND ".join(tests) or "1 = 1", values))
        elif isinstance(node, OneOf):
            indexed = schema.columns.get(node.attribute)
            if indexed is None:
                raise ValueError(f"kind {kind.name!r} has no index on {node.attribute!r}")
            encode = schema.encoders[node.attribute]
            wanted = [
                encode(v) if encode else v
                for v in node.values
                if v is not None and (not isinstance(v, str) or is_unicode_text(v))
            ]
            if not wanted:
                done.append(("1 = 0", []))
            else:
                done.append((f"{indexed} IN ({', '.join(p for _ in wanted)})", wanted))
        else:
            raise TypeError(f"not a search condition: {node!r}")
    return done[0]


def _text_column(kind: Kind[Any], schema: TableSchema, name: str) -> str:
    column = schema.text_columns.get(name)
    if column is None:
        raise ValueError(f"kind {kind.name!r} has no text column {name!r}")
    return column


def listing_sql(
    schema: TableSchema, placeholder: str, where: str, order: str, ascending: bool, select: str
) -> tuple[str, str]:
    """The count and the page (``LIMIT``, ``OFFSET`` parameters last) of a listing."""
    direction = "ASC" if ascending else "DESC"
    ordering = ", ".join(f"{c} {direction}" for c in (f"o_{order}", *schema.key_columns))
    count = f"SELECT count(*) FROM {schema.table} WHERE {where}"
    rows = (
        f"SELECT {select} FROM {schema.table} WHERE {where}"
        f" ORDER BY {ordering} LIMIT {placeholder} OFFSET {placeholder}"
    )
    return count, rows


@dataclass(eq=False)
class _ThreadState:
    """One thread's connection and how deep it is in a transaction (see ``sqlite.py``)."""

    pid: int
    connection: Connection
    depth: int = 0
    reading: bool = False
    closer: weakref.finalize[Any, Any] | None = field(default=None, repr=False)


def _close_in_owner(pid: int, connection: Connection) -> None:
    """Close a connection only in the process that opened it: one inherited through ``fork``
    must never be touched (closing it would drop the child's own locks)."""
    if os.getpid() == pid:
        with contextlib.suppress(Exception):
            connection.close()


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class SqlCollection(Generic[E]):
    def __init__(self, engine: SqlEngine, kind: Kind[E], schema: TableSchema) -> None:
        self.kind = kind
        self._engine = engine
        self._schema = schema
        self._decode = codec.decoder(kind.type)
        p = engine.dialect.placeholder
        self._p = p
        table = schema.table
        key_match = " AND ".join(f"{c} = {p}" for c in schema.key_columns)
        self._key_order = ", ".join(schema.key_columns)
        self._sql_get = f"SELECT body FROM {table} WHERE {key_match}"
        self._sql_delete = f"DELETE FROM {table} WHERE {key_match}"
        self._sql_find = {
            n: f"SELECT body FROM {table} WHERE {schema.columns[n]} = {p}" for n in kind.unique
        }
        columns = ", ".join(schema.write_columns)
        marks = ", ".join(p for _ in schema.write_columns)
        self._sql_insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        updates = ", ".join(
            f"{c} = excluded.{c}" for c in schema.write_columns if c not in schema.key_columns
        )
        self._sql_put = (
            f"{self._sql_insert} ON CONFLICT ({self._key_order}) DO UPDATE SET {updates}"
        )

    # reads

    def get(self, *key: Any) -> E | None:
        encoders = self._schema.encoders
        values = [
            (f(v) if (f := encoders[n]) else v) for n, v in zip(self.kind.key, key, strict=True)
        ]
        with self._engine.connection() as db:
            row = db.execute(self._sql_get, values).fetchone()
        return self._decode(json.loads(row[0])) if row else None

    def find(self, unique: str, value: object) -> E | None:
        sql = self._sql_find.get(unique)
        if sql is None:
            raise ValueError(f"kind {self.kind.name!r} has no unique {unique!r}")
        if value is None:
            return None
        encode = self._schema.encoders[unique]
        with self._engine.connection() as db:
            row = db.execute(sql, (encode(value) if encode else value,)).fetchone()
        return self._decode(json.loads(row[0])) if row else None

    def _conditions(self, equals: Mapping[str, object]) -> tuple[list[str], list[Any]] | None:
        """SQL conditions for equalities on indexed attributes; ``None`` if one is on None."""
        check_equals(self.kind, equals)
        if any(v is None for v in equals.values()):
            return None
        schema = self._schema
        conditions = [f"{schema.columns[n]} = {self._p}" for n in equals]
        values = [(f(v) if (f := schema.encoders[n]) else v) for n, v in equals.items()]
        return conditions, values

    @staticmethod
    def _where(conditions: list[str]) -> str:
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def select(self, **equals: object) -> list[E]:
        found = self._conditions(equals)
        if found is None:
            return []
        conditions, values = found
        sql = (
            f"SELECT body FROM {self._schema.table}{self._where(conditions)}"
            f" ORDER BY {self._key_order}"
        )
        with self._engine.connection() as db:
            rows = db.execute(sql, values).fetchall()
        return self._decoded(rows)

    def count(self, **equals: object) -> int:
        found = self._conditions(equals)
        if found is None:
            return 0
        conditions, values = found
        sql = f"SELECT count(*) FROM {self._schema.table}{self._where(conditions)}"
        with self._engine.connection() as db:
            return int(db.execute(sql, values).fetchone()[0])

    # writes

    def insert(self, entity: E) -> None:
        self._write(self._sql_insert, entity, inserting=True)

    def put(self, entity: E) -> None:
        self._write(self._sql_put, entity, inserting=False)

    def _write(self, sql: str, entity: E, *, inserting: bool) -> None:
        check_storable(entity)
        values = self._schema.values(entity)
        engine = self._engine
        dialect = engine.dialect
        # Where a failed statement spoils the whole transaction (PostgreSQL), a write inside
        # the caller's transaction runs under a savepoint, so that the transaction stays
        # usable after a conflict, as it is on SQLite. A write that is a transaction of its
        # own needs none: what it collided with is looked up after the rollback.
        guarded = dialect.savepoints and engine.in_transaction()
        try:
            with engine.transaction(), engine.connection() as db:
                if guarded:
                    db.execute("SAVEPOINT store_write")
                try:
                    db.execute(sql, values)
                except dialect.integrity_errors:
                    if guarded:
                        db.execute("ROLLBACK TO SAVEPOINT store_write")
                    raise
                if guarded:
                    db.execute("RELEASE SAVEPOINT store_write")
        except dialect.integrity_errors:
            raise self._conflict(entity, inserting) from None

    def _conflict(self, entity: E, inserting: bool) -> Conflict:
        """What a refused write collided with, named as the memory engine names it."""
        kind = self.kind
        key = kind.key_of(entity)
        if inserting and self.get(*key) is not None:
            return Conflict(kind.name, "key", key)
        for name in kind.unique:
            value = getattr(entity, name)
            holder = self.find(name, value)
            if holder is not None and kind.key_of(holder) != key:
                return Conflict(kind.name, name, value)
        return Conflict(kind.name, "key", key)

    def delete(self, *key: Any) -> bool:
        encoders = self._schema.encoders
        values = [
            (f(v) if (f := encoders[n]) else v) for n, v in zip(self.kind.key, key, strict=True)
        ]
        with self._engine.transaction(), self._engine.connection() as db:
            return db.execute(self._sql_delete, values).rowcount > 0

    def delete_where(self, **equals: object) -> int:
        found = self._conditions(equals)
        if found is None:
            return 0
        conditions, values = found
        sql = f"DELETE FROM {self._schema.table}{self._where(conditions)}"
        with self._engine.transaction(), self._engine.connection() as db:
            return int(db.execute(sql, values).rowcount)

    # listings

    def _listing(
        self, partition: object, order: str, where: Mapping[str, object] | None
    ) -> tuple[list[str], list[Any]] | None:
        kind = self.kind
        kind.order(order)  # an unknown order is refused
        found = self._conditions({kind.partition or "": partition, **(where or {})})
        if found is None:
            return None
        conditions, values = found
        conditions.insert(1, "listed = 1")
        return conditions, values

    def _decoded(self, rows: list[Any]) -> list[E]:
        decode = self._decode
        return [decode(json.loads(r[0])) for r in rows]

    def page(
        self,
        partition: object,
        order: str,
        *,
        ascending: bool = True,
        offset: int = 0,
        limit: int = 20,
        where: Mapping[str, object] | None = None,
    ) -> tuple[int, list[E]]:
        found = self._listing(partition, order, where)
        if found is None:
            return 0, []
        conditions, values = found
        schema = self._schema
        count, rows = listing_sql(
            schema, self._p, " AND ".join(conditions), order, ascending, "body"
        )
        with self._engine.snapshot() as db:
            if schema.counts is not None and not where:
                row = db.execute(
                    f"SELECT n FROM {schema.counts} WHERE part = {self._p}", values[:1]
                ).fetchone()
                total = int(row[0]) if row else 0
            else:
                total = int(db.execute(count, values).fetchone()[0])
            if total == 0 or offset >= total:
                return total, []
            # Walks the (partition, listed, order, key) index: the cost grows with the page
            # and the offset, not with the partition.
            return total, self._decoded(db.execute(rows, [*values, limit, offset]).fetchall())

    def search(
        self,
        partition: object,
        condition: Condition,
        order: str,
        *,
        ascending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[int, list[E]]:
        found = self._listing(partition, order, None)
        if found is None:
            return 0, []
        conditions, values = found
        dialect = self._engine.dialect
        sql, parameters = condition_sql(condition, self.kind, self._schema, dialect)
        conditions.append(f"({sql})")
        values.extend(parameters)
        count, rows = listing_sql(
            self._schema, self._p, " AND ".join(conditions), order, ascending, "body"
        )
        with self._engine.snapshot() as db:
            total = int(db.execute(count, values).fetchone()[0])
            if total == 0 or offset >= total:
                return total, []
            found_rows = db.execute(rows, [*values, limit, offset]).fetchall()
        return total, self._decoded(found_rows)


class SqlEngine:
    """Any declared kinds in one SQL database; safe for many threads and processes at once."""

    def __init__(
        self,
        dialect: Dialect,
        kinds: Sequence[Kind[Any]],
        first_ids: Mapping[str, int] | None = None,
    ) -> None:
        self.dialect = dialect
        self._first_ids = dict(first_ids or {})
        self._schemas = {kind.name: table_schema(kind, dialect) for kind in kinds}
        self._collections: dict[str, SqlCollection[Any]] = {
            kind.name: SqlCollection(self, kind, self._schemas[kind.name]) for kind in kinds
        }
        self._local = threading.local()
        self._states: weakref.WeakSet[_ThreadState] = weakref.WeakSet()
        self._states_lock = threading.Lock()
        self._shared_lock: threading.RLock | None = threading.RLock() if dialect.shared else None
        self._shared_state: _ThreadState | None = None
        self._exclusive: contextlib.AbstractContextManager[Any] = self._shared_lock or _NoLock()
        self._closed = False
        #: The meta snapshot of :meth:`request_view`, per task.
        self._meta_view: contextvars.ContextVar[dict[str, str | None] | None] = (
            contextvars.ContextVar(f"store_meta_view_{id(self)}", default=None)
        )
        p = dialect.placeholder
        self._sql_next_id = (
            f"INSERT INTO store_sequences (name, last_value) VALUES ({p}, {p})"
            " ON CONFLICT (name) DO UPDATE SET last_value = store_sequences.last_value + 1"
            " RETURNING last_value"
        )
        self._sql_get_meta = f"SELECT value FROM store_meta WHERE key = {p}"
        self._sql_set_meta = (
            f"INSERT INTO store_meta (key, value) VALUES ({p}, {p})"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        try:
            self._create_schema()
        except BaseException:
            self.close()
            raise

    # connections and transactions

    def _state(self) -> _ThreadState:
        if self._shared_lock is not None:
            state = self._shared_state
        else:
            state = getattr(self._local, "state", None)
        # A connection must never cross a fork: the child opens its own.
        if state is None or state.pid != os.getpid():
            if self._closed:
                raise RuntimeError("store is closed")
            state = _ThreadState(pid=os.getpid(), connection=self.dialect.connect())
            state.closer = weakref.finalize(state, _close_in_owner, state.pid, state.connection)
            with self._states_lock:
                self._states.add(state)
            if self._shared_lock is not None:
                self._shared_state = state
            else:
                self._local.state = state
        return state

    def in_transaction(self) -> bool:
        """Whether this thread is inside :meth:`transaction`."""
        with self._exclusive:
            return self._state().depth > 0

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """This thread's connection, for one statement (or inside a transaction)."""
        with self._exclusive:
            yield self._state().connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic across threads and processes; re-entrant on one thread."""
        with self._exclusive:
            state = self._state()
            if state.reading:
                raise RuntimeError("cannot start a write transaction inside a read snapshot")
            if state.depth:
                state.depth += 1
                try:
                    yield
                finally:
                    state.depth -= 1
                return
            connection = state.connection
            self.dialect.begin_write(connection)
            state.depth = 1
            try:
                yield
            except BaseException:
                state.depth = 0
                connection.execute("ROLLBACK")
                raise
            state.depth = 0
            try:
                connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A consistent view for a read of several statements (joins an open transaction)."""
        with self._exclusive:
            state = self._state()
            if state.depth or state.reading:
                yield state.connection
                return
            self.dialect.begin_read(state.connection)
            state.reading = True
            try:
                yield state.connection
            finally:
                state.reading = False
                state.connection.execute("COMMIT")

    def _create_schema(self) -> None:
        with self.transaction(), self.connection() as db:
            text = self.dialect.column_type(str)
            number = self.dialect.column_type(int)
            db.execute(
                f"CREATE TABLE IF NOT EXISTS store_meta"
                f" (key {text} PRIMARY KEY, value {text} NOT NULL)"
            )
            db.execute(
                f"CREATE TABLE IF NOT EXISTS store_sequences"
                f" (name {text} PRIMARY KEY, last_value {number} NOT NULL)"
            )
            for name, schema in self._schemas.items():
                self._create_table(db, name, schema)

    def _create_table(self, db: Connection, name: str, schema: TableSchema) -> None:
        """The table of a kind, unless it is there; refused if it is there in another
        definition. Call in a write transaction (the database's lock makes it happen once)."""
        row = db.execute(self._sql_get_meta, (f"schema:{name}",)).fetchone()
        if row is None:
            for statement in schema.statements:
                db.execute(statement)
            db.execute(self._sql_set_meta, (f"schema:{name}", schema.version))
        elif row[0] != schema.version:
            raise SchemaMismatch(
                f"{self.dialect.where}: the table of {name!r} has schema version"
                f" {row[0]}, this server declares version {schema.version}; start with"
                " a new state, or open it with the version of rspace-mock that wrote it"
            )

    def _declare(self, kind: Kind[E]) -> SqlCollection[E]:
        """A kind not named when the engine was opened: its table is made on first use. No
        Python lock is held meanwhile (only the database's), so this never deadlocks with a
        transaction of another thread; two threads doing it at once make one table."""
        schema = table_schema(kind, self.dialect)
        with self.transaction(), self.connection() as db:
            self._create_table(db, kind.name, schema)
        with self._states_lock:
            self._schemas.setdefault(kind.name, schema)
            found = self._collections.setdefault(kind.name, SqlCollection(self, kind, schema))
        return found

    # the port

    def collection(self, kind: Kind[E]) -> SqlCollection[E]:
        found = self._collections.get(kind.name)
        if found is None:
            found = self._declare(kind)
        if found.kind is not kind:
            raise ValueError(f"another kind is already named {kind.name!r}")
        return found

    def next_id(self, sequence: str) -> int:
        first = self._first_ids.get(sequence, 1)
        with self.transaction(), self.connection() as db:
            return int(db.execute(self._sql_next_id, (sequence, first)).fetchone()[0])

    @property
    def process_local(self) -> bool:
        return self.dialect.shared  # an in-memory database lives in this process only

    def set_sequence(self, sequence: str, next_value: int) -> None:
        """Make ``next_id(sequence)`` answer ``next_value`` next."""
        p = self.dialect.placeholder
        with self.transaction(), self.connection() as db:
            db.execute(
                f"INSERT INTO store_sequences (name, last_value) VALUES ({p}, {p})"
                " ON CONFLICT (name) DO UPDATE SET last_value = excluded.last_value",
                (sequence, next_value - 1),
            )

    @staticmethod
    def describe_url(url: str) -> str:
        return redact_url(url)

    @contextmanager
    def request_view(self) -> Iterator[None]:
        if self._meta_view.get() is not None:
            yield
            return
        text_out = self.dialect.text_out
        with self.connection() as db:
            rows = db.execute("SELECT key, value FROM store_meta").fetchall()
        view: dict[str, str | None] = {
            (text_out(k) if text_out else k): (text_out(v) if text_out else v) for k, v in rows
        }
        token = self._meta_view.set(view)
        try:
            yield
        finally:
            self._meta_view.reset(token)

    def get_meta(self, key: str) -> str | None:
        view = self._meta_view.get()
        if view is not None and not self.in_transaction():
            value = view.get(key)  # absent from the snapshot: there was none
            if value is not _UNSEEN:
                return value
        text_in, text_out = self.dialect.text_in, self.dialect.text_out
        with self.connection() as db:
            row = db.execute(self._sql_get_meta, (text_in(key) if text_in else key,)).fetchone()
        if row is None:
            return None
        return text_out(row[0]) if text_out else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        check_storable(key, value)
        text_in = self.dialect.text_in
        if text_in is not None:
            key, value = text_in(key), text_in(value)
        view = self._meta_view.get()
        if view is not None:
            # Read afresh from now on in this view (the write may yet be rolled back).
            view[key] = _UNSEEN
        with self.transaction(), self.connection() as db:
            db.execute(self._sql_set_meta, (key, value))

    def clear(self) -> None:
        """Forget every entity, sequence and meta value (the schema versions stay)."""
        with self.transaction(), self.connection() as db:
            for schema in list(self._schemas.values()):
                db.execute(f"DELETE FROM {schema.table}")
                if schema.counts is not None:
                    db.execute(f"DELETE FROM {schema.counts}")
            db.execute("DELETE FROM store_sequences")
            db.execute("DELETE FROM store_meta WHERE key NOT LIKE 'schema:%'")

    def close(self) -> None:
        """Close every connection this process opened (call when no request is running)."""
        self._closed = True
        with self._states_lock:
            states = list(self._states)
        for state in states:
            if state.closer is not None:
                state.closer()
        self._local = threading.local()
        self._shared_state = None


def open_postgres(
    dsn: str, kinds: Sequence[Kind[Any]], first_ids: Mapping[str, int] | None = None
) -> SqlEngine:
    """A PostgreSQL engine on the database a ``postgresql://`` DSN names."""
    return SqlEngine(PostgresDialect(dsn), kinds, first_ids)


def open_sqlite(
    path: str | os.PathLike[str],
    kinds: Sequence[Kind[Any]],
    first_ids: Mapping[str, int] | None = None,
    **dialect_options: Any,
) -> SqlEngine:
    """A SQLite engine on a file (WAL) or on ``":memory:"``."""
    location = str(path) if str(path) == ":memory:" else str(Path(path))
    return SqlEngine(SqliteDialect(location, **dialect_options), kinds, first_ids)


def open_scratch_postgres(
    dsn: str, kinds: Sequence[Kind[Any]], first_ids: Mapping[str, int] | None = None
) -> SqlEngine:
    """An engine on a new, empty schema of the database ``dsn`` names, dropped when the engine
    is closed or collected (each test server gets its own: isolated, and made in milliseconds
    where a database takes a second)."""
    import secrets

    import psycopg

    schema = f"rspace_mock_{secrets.token_hex(6)}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    engine = SqlEngine(PostgresDialect(dsn, schema=schema), kinds, first_ids)
    weakref.finalize(engine, _drop_schema, os.getpid(), dsn, schema)
    return engine


def _drop_schema(pid: int, dsn: str, schema: str) -> None:
    if os.getpid() != pid:
        return
    import psycopg

    with contextlib.suppress(Exception), psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
