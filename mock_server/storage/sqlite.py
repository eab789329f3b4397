"""A durable store: one SQLite file in WAL mode, shared safely by threads and processes.

Same contract as :class:`~mock_server.storage.memory.MemoryStore` (objects are copied in and
out; the same query gives the same page in the same order), plus what a file gives: the state
survives a restart, and several server processes can work on it at once.

Concurrency model:

* every thread gets its own connection (opened lazily, reopened after a ``fork``);
* :meth:`SqliteStore.transaction` starts ``BEGIN IMMEDIATE`` on the outermost call, so a
  read-modify-write holds SQLite's single write lock from its first read and is atomic against
  other threads *and* other processes; nested calls on the same thread join it;
* a write method called outside a transaction is a transaction of its own and is committed
  (durable) when it returns.

Durability: WAL with ``synchronous=NORMAL`` by default. A committed write survives a crash or
``kill -9`` of the process (it is in the WAL, in the OS page cache); only an OS crash or power
loss can drop the last commits. Pass ``synchronous="FULL"`` to fsync every commit as well.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..domain.document_query import DocumentQuery, matches, search_text, sort_key
from ..domain.forms import form_by_id
from ..domain.models import Document, Field, OAuthApp, SystemSwitches, TokenRow, User
from .base import check_storable
from .sql_search import SEARCH_COLUMNS, can_bind, search_page, search_values, to_micros

#: Bumped whenever the schema changes; stored in ``PRAGMA user_version``. Version 2 added the
#: search columns (:data:`SEARCH_COLUMNS`); a version 1 file gains them when it is opened.
SCHEMA_VERSION = 2

_FIRST_IDS = {"user": 1, "record": 100, "field": 1000}

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE sequences (
    kind       TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
);
CREATE TABLE switches (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    api_enabled   INTEGER NOT NULL,
    oauth_enabled INTEGER NOT NULL
);
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    email               TEXT NOT NULL,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    api_key_hash        TEXT,
    account_locked      INTEGER NOT NULL,
    api_access          INTEGER NOT NULL,
    home_folder_id      INTEGER NOT NULL,
    api_inbox_folder_id INTEGER NOT NULL,
    has_pi_role         INTEGER NOT NULL,
    has_sysadmin_role   INTEGER NOT NULL
);
CREATE INDEX users_by_api_key_hash ON users (api_key_hash);
CREATE TABLE apps (
    client_id          TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    owner_id           INTEGER NOT NULL,
    client_secret_hash TEXT NOT NULL
);
CREATE TABLE tokens (
    client_id          TEXT NOT NULL,
    user_id            INTEGER NOT NULL,
    refresh_token_hash TEXT NOT NULL,
    access_token_hash  TEXT,
    expiry             INTEGER,
    scope              TEXT NOT NULL,
    PRIMARY KEY (client_id, user_id)
);
CREATE INDEX tokens_by_access_hash ON tokens (access_token_hash);
CREATE UNIQUE INDEX tokens_by_refresh_hash ON tokens (refresh_token_hash);
CREATE TABLE documents (
    id               INTEGER PRIMARY KEY,
    owner_id         INTEGER NOT NULL,
    name             TEXT NOT NULL,
    -- Python's str.lower() of name: SQLite's lower() folds ASCII only
    name_lower       TEXT NOT NULL,
    form_id          INTEGER NOT NULL,
    created          INTEGER NOT NULL,
    last_modified    INTEGER NOT NULL,
    parent_folder_id INTEGER NOT NULL,
    grand_parent_id  INTEGER,
    tags             TEXT,
    tag_meta_data    TEXT,
    version          INTEGER NOT NULL,
    signed           INTEGER NOT NULL,
    deleted          INTEGER NOT NULL,
    fields           TEXT NOT NULL,
    -- What searches read (SearchText), so that a search is one SQL scan (sql_search.py).
    tag_list          TEXT NOT NULL DEFAULT '',
    field_text        TEXT NOT NULL DEFAULT '',
    global_text       TEXT NOT NULL DEFAULT '',
    created_day       TEXT NOT NULL DEFAULT '',
    last_modified_day TEXT NOT NULL DEFAULT ''
);
-- One index per listing order, so that a page of a plain listing reads only that page.
CREATE INDEX documents_by_name ON documents (owner_id, deleted, name_lower, id);
CREATE INDEX documents_by_created ON documents (owner_id, deleted, created, id);
CREATE INDEX documents_by_last_modified ON documents (owner_id, deleted, last_modified, id);
-- Live (not deleted) documents per owner, kept by triggers: the total of a plain listing
-- without counting the owner's rows.
CREATE TABLE live_document_counts (
    owner_id INTEGER PRIMARY KEY,
    live     INTEGER NOT NULL
);
CREATE TRIGGER documents_count_insert AFTER INSERT ON documents WHEN NEW.deleted = 0
BEGIN
    INSERT INTO live_document_counts (owner_id, live) VALUES (NEW.owner_id, 1)
        ON CONFLICT (owner_id) DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER documents_count_delete AFTER DELETE ON documents WHEN OLD.deleted = 0
BEGIN
    UPDATE live_document_counts SET live = live - 1 WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER documents_count_update AFTER UPDATE OF owner_id, deleted ON documents
BEGIN
    UPDATE live_document_counts SET live = live - 1
        WHERE owner_id = OLD.owner_id AND OLD.deleted = 0;
    INSERT INTO live_document_counts (owner_id, live)
        SELECT NEW.owner_id, 1 WHERE NEW.deleted = 0
        ON CONFLICT (owner_id) DO UPDATE SET live = live + 1;
END;
"""

_TABLES = ("meta", "sequences", "switches", "users", "apps", "tokens", "documents")

#: order field -> (column, the index that serves a plain listing in that order)
_ORDERS = {
    "name": ("name_lower", "documents_by_name"),
    "created": ("created", "documents_by_created"),
    "lastModified": ("last_modified", "documents_by_last_modified"),
}

_USER_COLUMNS = (
    "id, username, password_hash, email, first_name, last_name, api_key_hash, account_locked,"
    " api_access, home_folder_id, api_inbox_folder_id, has_pi_role, has_sysadmin_role"
)
_APP_COLUMNS = "client_id, name, owner_id, client_secret_hash"
_TOKEN_COLUMNS = "client_id, user_id, refresh_token_hash, access_token_hash, expiry, scope"
_DOCUMENT_COLUMNS = (
    "id, owner_id, name, form_id, created, last_modified, parent_folder_id, grand_parent_id,"
    " tags, tag_meta_data, version, signed, deleted, fields"
)


#: What a write sets: the columns read back, plus what only searches and listings read.
_DOCUMENT_WRITE_COLUMNS = ", ".join(
    [_DOCUMENT_COLUMNS.replace("name,", "name, name_lower,", 1), *SEARCH_COLUMNS]
)
#: The same columns with an empty field list in place of the fields (no JSON to decode).
_DOCUMENT_COLUMNS_NO_FIELDS = _DOCUMENT_COLUMNS.replace(", fields", ", '[]'")
#: Search term kinds that never read field contents (``document_query.term_matches``).
_TERMS_WITHOUT_FIELDS = frozenset(
    {"name", "tag", "created", "lastModified", "form", "owner", "records", "attachment"}
)


class StateFileError(RuntimeError):
    """The state file cannot be used: not ours, written by a newer schema, damaged, or not
    writable. The message names the file, the problem and what to do."""


#: SQLite's primary result codes (``sqlite3.SQLITE_*`` only exist from Python 3.11).
_SQLITE_READONLY = 8
_SQLITE_CORRUPT = 11
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

#: Before Python 3.11 an error carries no code, only SQLite's message for it.
_CODE_BY_MESSAGE = {
    "attempt to write a readonly database": _SQLITE_READONLY,
    "database disk image is malformed": _SQLITE_CORRUPT,
    "unable to open database file": _SQLITE_CANTOPEN,
    "file is not a database": _SQLITE_NOTADB,
}


def _result_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF  # the extended codes carry the primary one in the low byte
    return _CODE_BY_MESSAGE.get(str(exc))


def _on_read_only_file_system(folder: Path) -> bool:
    statvfs = getattr(os, "statvfs", None)  # POSIX only
    if statvfs is None:
        return False
    try:
        return bool(statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _why_not_writable(path: Path) -> tuple[str, str]:
    """What keeps SQLite from writing ``path`` (or from creating its -wal and -shm files next
    to it), and what to do about it."""
    folder = path.parent
    companions = f"{path.name}-wal and {path.name}-shm"
    copy = "pass a copy in a writable folder to --state"
    if _on_read_only_file_system(folder):
        return f"it is on a read-only file system, where SQLite cannot create {companions}", copy
    if path.exists() and not os.access(path, os.W_OK):
        return (
            "the file is read-only (its permissions, or an immutable attribute)",
            f"make it writable or {copy}",
        )
    if not os.access(folder, os.W_OK):
        return (
            f"its folder {folder} is not writable, and SQLite must create {companions} there",
            f"make the folder writable or {copy}",
        )
    return "SQLite cannot write to it", copy


def _quick_check_problems(db: sqlite3.Connection) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` (every page and record, not the indexes' contents):
    nothing when the file is sound. Damage deep in a page may raise instead of being listed."""
    try:
        rows = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        if _result_code(exc) != _SQLITE_CORRUPT:
            raise
        return [str(exc)]
    lines = [line for row in rows for line in row.splitlines()]
    return [line for line in lines if line != "ok" and not line.startswith("*** in database")]


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _fields_to_json(fields: Sequence[Field]) -> str:
    return json.dumps(
        [
            {
                "id": f.id,
                "name": f.name,
                "type": f.type,
                "content": f.content,
                "lastModified": to_micros(f.last_modified),
                "columnIndex": f.column_index,
            }
            for f in fields
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _fields_from_json(text: str) -> list[Field]:
    return [
        Field(
            id=f["id"],
            name=f["name"],
            type=f["type"],
            content=f["content"],
            last_modified=_from_micros(f["lastModified"]),
            column_index=f["columnIndex"],
        )
        for f in json.loads(text)
    ]


def _user_from_row(row: Sequence[Any]) -> User:
    return User(
        id=row[0],
        username=row[1],
        password_hash=row[2],
        email=row[3],
        first_name=row[4],
        last_name=row[5],
        api_key_hash=row[6],
        account_locked=bool(row[7]),
        api_access=bool(row[8]),
        home_folder_id=row[9],
        api_inbox_folder_id=row[10],
        has_pi_role=bool(row[11]),
        has_sysadmin_role=bool(row[12]),
    )


def _user_values(user: User) -> tuple[Any, ...]:
    return (
        user.id,
        user.username,
        user.password_hash,
        user.email,
        user.first_name,
        user.last_name,
        user.api_key_hash,
        int(user.account_locked),
        int(user.api_access),
        user.home_folder_id,
        user.api_inbox_folder_id,
        int(user.has_pi_role),
        int(user.has_sysadmin_role),
    )


def _token_from_row(row: Sequence[Any]) -> TokenRow:
    return TokenRow(
        client_id=row[0],
        user_id=row[1],
        refresh_token_hash=row[2],
        access_token_hash=row[3],
        expiry=_from_micros(row[4]) if row[4] is not None else None,
        scope=row[5],
    )


def _document_from_row(row: Sequence[Any]) -> Document:
    return Document(
        id=row[0],
        owner_id=row[1],
        name=row[2],
        form_id=row[3],
        created=_from_micros(row[4]),
        last_modified=_from_micros(row[5]),
        parent_folder_id=row[6],
        grand_parent_id=row[7],
        tags=row[8],
        tag_meta_data=row[9],
        version=row[10],
        signed=bool(row[11]),
        deleted=bool(row[12]),
        fields=_fields_from_json(row[13]),
    )


def _document_values(document: Document) -> tuple[Any, ...]:
    return (
        document.id,
        document.owner_id,
        document.name,
        document.name.lower(),
        document.form_id,
        to_micros(document.created),
        to_micros(document.last_modified),
        document.parent_folder_id,
        document.grand_parent_id,
        document.tags,
        document.tag_meta_data,
        document.version,
        int(document.signed),
        int(document.deleted),
        _fields_to_json(document.fields),
        *search_values(search_text(document)),
    )


@dataclass(eq=False)
class _ThreadState:
    """One thread's connection and how deep it is in :meth:`SqliteStore.transaction`.

    When the thread ends, its thread-local state is dropped and :attr:`closer` closes the
    connection (the server's thread pool retires idle threads, so this happens all the time).
    """

    pid: int
    connection: sqlite3.Connection
    depth: int = 0
    #: Set while an internal read snapshot (``BEGIN DEFERRED``) is open.
    reading: bool = False
    #: Sequence values handed out in the open write transaction, written back before COMMIT
    #: (the transaction holds the write lock, so no other process can move them meanwhile).
    sequences: dict[str, int] = field(default_factory=dict)
    closer: weakref.finalize[Any, Any] | None = field(default=None, repr=False)


def _close_in_owner(pid: int, connection: sqlite3.Connection) -> None:
    """Close a connection, but only in the process that opened it: a connection inherited
    through ``fork`` must never be touched (closing it would drop the child's own locks)."""
    if os.getpid() == pid:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


class SqliteStore:
    """State in one SQLite file; safe for many threads and many processes at once."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 30_000,
        synchronous: str = "NORMAL",
        cache_kib: int = 8_192,
        mmap_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown synchronous level {synchronous!r}")
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._synchronous = synchronous.upper()
        #: Page cache per connection; grows only as pages are read.
        self._cache_kib = cache_kib
        #: Reads through a shared memory map: a request served by a thread whose connection
        #: is new does not start from a cold private cache.
        self._mmap_bytes = mmap_bytes
        self._local = threading.local()
        #: Every thread's state that is still alive, to close them all in :meth:`close`.
        self._states: weakref.WeakSet[_ThreadState] = weakref.WeakSet()
        self._states_lock = threading.Lock()
        self._closed = False
        try:
            if self._create_schema():
                self._check_integrity()
        except sqlite3.Error as exc:
            self.close()
            raise StateFileError(self._explain(exc)) from None
        except StateFileError:
            self.close()
            raise

    def _explain(self, exc: sqlite3.Error) -> str:
        """One line for a state file that SQLite could not open, read or write at start."""
        code = _result_code(exc)
        if code == _SQLITE_READONLY:
            # Opening worked (SQLite falls back to read-only), so every write would fail.
            why, fix = _why_not_writable(self.path)
            return (
                f"{self.path}: the state file cannot be written: {why}; rspace-mock writes "
                f"every change to it, so {fix}"
            )
        if code == _SQLITE_CANTOPEN and self.path.exists():
            # An existing file that SQLite cannot open: in WAL mode even reading needs the
            # -shm file, which a read-only folder or mount may keep it from creating.
            why, fix = _why_not_writable(self.path)
            return f"{self.path}: cannot open the state file ({exc}): {why}; {fix}"
        if code == _SQLITE_CORRUPT:
            return self._damaged([str(exc)])
        if isinstance(exc, sqlite3.OperationalError):
            # e.g. a missing folder: "unable to open database file"
            return f"{self.path}: cannot open the state file ({exc})"
        # e.g. a fixtures JSON passed as --state by mistake: "file is not a database"
        return f"{self.path}: not an rspace-mock state file ({exc})"

    def _damaged(self, problems: list[str]) -> str:
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        return (
            f"{self.path}: the state file is damaged (SQLite's quick_check: {problems[0]}{more}); "
            f"restore it from a copy, or save what is left with `sqlite3 {self.path} .recover "
            "| sqlite3 NEW.sqlite` and pass --state NEW.sqlite, or start afresh with a new "
            "--state file"
        )

    def _check_integrity(self) -> None:
        """Damage inside a file that opens fine would otherwise show up later, as 500s on
        whichever requests touch the damaged pages (about 60 ms for 100,000 documents)."""
        with self._snapshot() as db:
            problems = _quick_check_problems(db)
        if problems:
            raise StateFileError(self._damaged(problems))

    # connections and transactions

    def _open_connection(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; this class issues BEGIN/COMMIT itself.
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {self._synchronous}")
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute(f"PRAGMA cache_size = -{int(self._cache_kib)}")
        connection.execute(f"PRAGMA mmap_size = {int(self._mmap_bytes)}")
        return connection

    def _state(self) -> _ThreadState:
        state: _ThreadState | None = getattr(self._local, "state", None)
        # A connection must never cross a fork: the child opens its own.
        if state is None or state.pid != os.getpid():
            if self._closed:
                raise RuntimeError("store is closed")
            state = _ThreadState(pid=os.getpid(), connection=self._open_connection())
            state.closer = weakref.finalize(state, _close_in_owner, state.pid, state.connection)
            with self._states_lock:
                self._states.add(state)
            self._local.state = state
        return state

    @property
    def _db(self) -> sqlite3.Connection:
        return self._state().connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic across threads and processes; re-entrant on one thread."""
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
        # IMMEDIATE takes the write lock now, so no other writer can slip in between the
        # reads and the writes of this read-modify-write.
        state.connection.execute("BEGIN IMMEDIATE")
        state.depth = 1
        state.sequences.clear()
        try:
            yield
            self._write_back_sequences(state)
        except BaseException:
            state.depth = 0
            state.sequences.clear()
            if state.connection.in_transaction:
                state.connection.execute("ROLLBACK")
            raise
        state.depth = 0
        try:
            state.connection.execute("COMMIT")
        except BaseException:
            if state.connection.in_transaction:
                state.connection.execute("ROLLBACK")
            raise

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A consistent view for a read of several statements (joins an open transaction)."""
        state = self._state()
        if state.depth or state.reading:
            yield state.connection
            return
        state.connection.execute("BEGIN DEFERRED")
        state.reading = True
        try:
            yield state.connection
        finally:
            state.reading = False
            state.connection.execute("COMMIT")

    def _create_schema(self) -> bool:
        """Create the tables in a new file; True if the file already held them."""
        with self.transaction():
            db = self._db
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                # A write that changes nothing: SQLite opens a file it cannot write read-only
                # without a word, so a read-only file, folder or mount would otherwise start
                # and then fail every write.
                db.execute("UPDATE meta SET value = value WHERE 0")
                return True
            if version > SCHEMA_VERSION:
                raise StateFileError(
                    f"{self.path}: state schema version {version} is newer than this server"
                    f" ({SCHEMA_VERSION}); upgrade rspace-mock or use another state file"
                )
            if version == 1:
                self._add_search_columns(db)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return True
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StateFileError(f"{self.path}: not an rspace-mock state file")
            for statement in _split_statements(_SCHEMA):
                db.execute(statement)
            self._reset_sequences(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return False

    @staticmethod
    def _add_search_columns(db: sqlite3.Connection) -> None:
        """Schema 1 to 2: the search columns, filled in from each document."""
        for column in SEARCH_COLUMNS:
            db.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
        rows = db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents").fetchall()
        db.executemany(
            f"UPDATE documents SET {', '.join(f'{c} = ?' for c in SEARCH_COLUMNS)} WHERE id = ?",
            [(*search_values(search_text(d)), d.id) for d in map(_document_from_row, rows)],
        )

    @staticmethod
    def _reset_sequences(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO sequences (kind, next_value) VALUES (?, ?)", list(_FIRST_IDS.items())
        )

    def clear(self) -> None:
        with self.transaction():
            db = self._db
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM live_document_counts")
            self._state().sequences.clear()
            self._reset_sequences(db)

    def close(self) -> None:
        """Close every connection this process opened (call when no request is running)."""
        self._closed = True
        with self._states_lock:
            states = list(self._states)
        for state in states:
            if state.closer is not None:
                state.closer()
        self._local = threading.local()

    def next_id(self, kind: str) -> int:
        with self.transaction():
            sequences = self._state().sequences
            value = sequences.get(kind)
            if value is None:
                row = self._db.execute(
                    "SELECT next_value FROM sequences WHERE kind = ?", (kind,)
                ).fetchone()
                value = int(row[0]) if row else 1
            sequences[kind] = value + 1
            return value

    @staticmethod
    def _write_back_sequences(state: _ThreadState) -> None:
        if state.sequences:
            state.connection.executemany(
                "INSERT INTO sequences (kind, next_value) VALUES (?, ?)"
                " ON CONFLICT (kind) DO UPDATE SET next_value = excluded.next_value",
                list(state.sequences.items()),
            )
            state.sequences.clear()

    # users

    def add_user(self, user: User) -> None:
        check_storable(user)
        with self.transaction():
            if self._db.execute(
                "SELECT 1 FROM users WHERE username = ?", (user.username,)
            ).fetchone():
                raise ValueError(f"user {user.username!r} already exists")
            self._put_user(user)

    def save_user(self, user: User) -> None:
        check_storable(user)
        with self.transaction():
            self._put_user(user)

    def _put_user(self, user: User) -> None:
        self._db.execute(
            f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (id) DO UPDATE SET username = excluded.username,"
            " password_hash = excluded.password_hash, email = excluded.email,"
            " first_name = excluded.first_name, last_name = excluded.last_name,"
            " api_key_hash = excluded.api_key_hash, account_locked = excluded.account_locked,"
            " api_access = excluded.api_access, home_folder_id = excluded.home_folder_id,"
            " api_inbox_folder_id = excluded.api_inbox_folder_id,"
            " has_pi_role = excluded.has_pi_role, has_sysadmin_role = excluded.has_sysadmin_role",
            _user_values(user),
        )

    def _one_user(self, where: str, value: object) -> User | None:
        row = self._db.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE {where} = ? ORDER BY id DESC LIMIT 1",
            (value,),
        ).fetchone()
        return _user_from_row(row) if row else None

    def get_user(self, user_id: int) -> User | None:
        return self._one_user("id", user_id)

    def find_user_by_username(self, username: str) -> User | None:
        return self._one_user("username", username)

    def find_user_by_api_key_hash(self, api_key_hash: str) -> User | None:
        return self._one_user("api_key_hash", api_key_hash)

    def list_users(self) -> list[User]:
        rows = self._db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id").fetchall()
        return [_user_from_row(r) for r in rows]

    # OAuth apps (listed in the order they were added, as the memory store does)

    def add_app(self, app: OAuthApp) -> None:
        check_storable(app)
        with self.transaction():
            try:
                self._db.execute(
                    f"INSERT INTO apps ({_APP_COLUMNS}) VALUES (?,?,?,?)",
                    (app.client_id, app.name, app.owner_id, app.client_secret_hash),
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"client id {app.client_id!r} already exists") from None

    def get_app(self, client_id: str) -> OAuthApp | None:
        row = self._db.execute(
            f"SELECT {_APP_COLUMNS} FROM apps WHERE client_id = ?", (client_id,)
        ).fetchone()
        return OAuthApp(*row) if row else None

    def delete_app(self, client_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM apps WHERE client_id = ?", (client_id,))

    def list_apps(self) -> list[OAuthApp]:
        rows = self._db.execute(f"SELECT {_APP_COLUMNS} FROM apps ORDER BY rowid").fetchall()
        return [OAuthApp(*r) for r in rows]

    # token rows

    def _one_token(self, where: str, values: tuple[object, ...]) -> TokenRow | None:
        row = self._db.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE {where} LIMIT 1", values
        ).fetchone()
        return _token_from_row(row) if row else None

    def get_token_row(self, client_id: str, user_id: int) -> TokenRow | None:
        return self._one_token("client_id = ? AND user_id = ?", (client_id, user_id))

    def find_token_by_access_hash(self, access_token_hash: str) -> TokenRow | None:
        return self._one_token("access_token_hash = ?", (access_token_hash,))

    def find_token_by_refresh_hash(self, refresh_token_hash: str) -> TokenRow | None:
        return self._one_token("refresh_token_hash = ?", (refresh_token_hash,))

    def save_token_row(self, row: TokenRow) -> None:
        check_storable(row)
        expiry = to_micros(row.expiry) if row.expiry is not None else None
        with self.transaction():
            self._db.execute(
                f"INSERT INTO tokens ({_TOKEN_COLUMNS}) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (client_id, user_id) DO UPDATE SET"
                " refresh_token_hash = excluded.refresh_token_hash,"
                " access_token_hash = excluded.access_token_hash,"
                " expiry = excluded.expiry, scope = excluded.scope",
                (
                    row.client_id,
                    row.user_id,
                    row.refresh_token_hash,
                    row.access_token_hash,
                    expiry,
                    row.scope,
                ),
            )

    def delete_token_row(self, client_id: str, user_id: int) -> bool:
        with self.transaction():
            cursor = self._db.execute(
                "DELETE FROM tokens WHERE client_id = ? AND user_id = ?", (client_id, user_id)
            )
            return cursor.rowcount > 0

    def delete_tokens_for_client(self, client_id: str) -> int:
        with self.transaction():
            cursor = self._db.execute("DELETE FROM tokens WHERE client_id = ?", (client_id,))
            return cursor.rowcount

    def list_token_rows(self) -> list[TokenRow]:
        rows = self._db.execute(f"SELECT {_TOKEN_COLUMNS} FROM tokens ORDER BY rowid").fetchall()
        return [_token_from_row(r) for r in rows]

    # documents

    def add_document(self, document: Document) -> None:
        check_storable(document)
        with self.transaction():
            values = _document_values(document)
            self._db.execute(
                f"INSERT OR REPLACE INTO documents ({_DOCUMENT_WRITE_COLUMNS})"
                f" VALUES ({', '.join('?' * len(values))})",
                values,
            )

    def save_document(self, document: Document) -> None:
        check_storable(document)
        values = _document_values(document)
        with self.transaction():
            cursor = self._db.execute(
                "UPDATE documents SET owner_id = ?, name = ?, name_lower = ?, form_id = ?,"
                " created = ?, last_modified = ?, parent_folder_id = ?, grand_parent_id = ?,"
                " tags = ?, tag_meta_data = ?, version = ?, signed = ?, deleted = ?, fields = ?,"
                f" {', '.join(f'{c} = ?' for c in SEARCH_COLUMNS)}"
                " WHERE id = ?",
                (*values[1:], document.id),
            )
            if cursor.rowcount == 0:
                raise KeyError(document.id)

    def get_document(self, document_id: int) -> Document | None:
        row = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return _document_from_row(row) if row else None

    def query_documents(self, query: DocumentQuery) -> tuple[int, list[Document]]:
        if query.filter is not None:
            return 0, []  # the fake has no favourites and shares nothing (see DocumentQuery)
        if query.terms:
            return self._search(query)
        if query.order_field not in _ORDERS:
            return self._query_in_python(query)
        column, index = _ORDERS[query.order_field]
        direction = "ASC" if query.ascending else "DESC"
        with self._snapshot() as db:
            count = db.execute(
                "SELECT live FROM live_document_counts WHERE owner_id = ?", (query.owner_id,)
            ).fetchone()
            total = int(count[0]) if count else 0
            if total == 0 or query.offset >= total:
                return total, []
            # Walks the (owner_id, deleted, <order>, id) index: cost grows with the page
            # (and the offset), not with the number of documents.
            rows = db.execute(
                f"SELECT {_DOCUMENT_COLUMNS} FROM documents INDEXED BY {index}"
                f" WHERE owner_id = ? AND deleted = 0"
                f" ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?",
                (query.owner_id, query.page_size, query.offset),
            ).fetchall()
        return total, [_document_from_row(r) for r in rows]

    def _search(self, query: DocumentQuery) -> tuple[int, list[Document]]:
        """One SQL scan of the search columns: SQLite runs it without holding the GIL."""
        with self._snapshot() as db:
            owner = db.execute(
                "SELECT username FROM users WHERE id = ?", (query.owner_id,)
            ).fetchone()
            found = search_page(db, "documents", query, owner[0] if owner else "")
            if found is None:
                return self._query_in_python(query)
            total, ids = found
            return total, [self._document_in(db, i) for i in ids]

    def _query_in_python(self, query: DocumentQuery) -> tuple[int, list[Document]]:
        """The owner's live documents, filtered with the reference ``matches``: for a search
        that ``search_page`` cannot state in SQL, and an order that has no index."""
        conditions = ["owner_id = ?", "deleted = 0"]
        parameters: list[object] = [query.owner_id]
        if query.operator == "and":
            # Narrow in SQL where a term means exactly a substring of the lower-cased name;
            # ``matches`` still checks every term on what is left.
            for term in query.terms:
                if term.query_type == "name" and can_bind(term.query):
                    conditions.append("instr(name_lower, ?) > 0")
                    parameters.append(term.query.lower())
        # Field contents are decoded only when a term reads them (or for the page itself).
        reads_fields = any(t.query_type not in _TERMS_WITHOUT_FIELDS for t in query.terms)
        columns = _DOCUMENT_COLUMNS if reads_fields else _DOCUMENT_COLUMNS_NO_FIELDS
        with self._snapshot() as db:
            rows = db.execute(
                f"SELECT {columns} FROM documents WHERE {' AND '.join(conditions)}",
                parameters,
            ).fetchall()
            owner = db.execute(
                "SELECT username FROM users WHERE id = ?", (query.owner_id,)
            ).fetchone()
            owner_username = owner[0] if owner else ""
            hits = [
                d
                for d in map(_document_from_row, rows)
                if matches(d, query, lambda _: owner_username, lambda f: form_by_id(f).name)
            ]
            hits.sort(key=sort_key(query.order_field), reverse=not query.ascending)
            page = hits[query.offset : query.offset + query.page_size]
            if not reads_fields:
                page = [self._document_in(db, d.id) for d in page]
        return len(hits), page

    @staticmethod
    def _document_in(db: sqlite3.Connection, document_id: int) -> Document:
        row = db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return _document_from_row(row)

    # settings and small values

    def get_switches(self) -> SystemSwitches:
        row = self._db.execute(
            "SELECT api_enabled, oauth_enabled FROM switches WHERE id = 1"
        ).fetchone()
        if row is None:
            return SystemSwitches()
        return SystemSwitches(api_enabled=bool(row[0]), oauth_enabled=bool(row[1]))

    def save_switches(self, switches: SystemSwitches) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO switches (id, api_enabled, oauth_enabled) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET api_enabled = excluded.api_enabled,"
                " oauth_enabled = excluded.oauth_enabled",
                (int(switches.api_enabled), int(switches.oauth_enabled)),
            )

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        check_storable(key, value)
        with self.transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _split_statements(script: str) -> list[str]:
    """The schema's statements, one by one (``executescript`` would commit the transaction)."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        candidate = "\n".join(current).strip()
        if candidate and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    return statements
