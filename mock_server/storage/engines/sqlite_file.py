"""A ``--state`` SQLite file: the checks made when it is opened, and old files upgraded.

A file the server cannot use is refused at start with one line (:class:`StateFileError`) that
names the file, the problem and what to do: not an rspace-mock state file, damaged (SQLite's
``quick_check``), read-only, or on a read-only mount. A file written by rspace-mock 0.1.0 (its
own tables, SQLite ``user_version`` 1 or 2) is upgraded in place to the tables of
:mod:`.sql`, in one transaction, when it is first opened.

Durability: WAL with ``synchronous=NORMAL``. A committed write survives a crash or ``kill -9``
of the process (it is in the WAL, in the OS page cache); only an OS crash or power loss can
drop the last commits.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...domain.models import Document, Field, OAuthApp, TokenRow, User
from ...domain.store import Kind
from ..codec import from_micros
from .sql import SqlEngine, SqliteDialect

#: The ``user_version`` of the files rspace-mock 0.1.0 wrote (2 added search columns).
LEGACY_VERSIONS = (1, 2)
#: What a file gets once upgraded (the tables then carry their own versions, see ``sql.py``).
ENGINE_USER_VERSION = 3


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


def _explain(path: Path, exc: sqlite3.Error) -> str:
    """One line for a state file that SQLite could not open, read or write at start."""
    code = _result_code(exc)
    if code == _SQLITE_READONLY:
        # Opening worked (SQLite falls back to read-only), so every write would fail.
        why, fix = _why_not_writable(path)
        return (
            f"{path}: the state file cannot be written: {why}; rspace-mock writes "
            f"every change to it, so {fix}"
        )
    if code == _SQLITE_CANTOPEN and path.exists():
        # An existing file that SQLite cannot open: in WAL mode even reading needs the
        # -shm file, which a read-only folder or mount may keep it from creating.
        why, fix = _why_not_writable(path)
        return f"{path}: cannot open the state file ({exc}): {why}; {fix}"
    if code == _SQLITE_CORRUPT:
        return _damaged(path, [str(exc)])
    if isinstance(exc, sqlite3.OperationalError):
        # e.g. a missing folder: "unable to open database file"
        return f"{path}: cannot open the state file ({exc})"
    # e.g. a fixtures JSON passed as --state by mistake: "file is not a database"
    return f"{path}: not an rspace-mock state file ({exc})"


def _damaged(path: Path, problems: list[str]) -> str:
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return (
        f"{path}: the state file is damaged (SQLite's quick_check: {problems[0]}{more}); "
        f"restore it from a copy, or save what is left with `sqlite3 {path} .recover "
        "| sqlite3 NEW.sqlite` and pass --state NEW.sqlite, or start afresh with a new "
        "--state file"
    )


class LegacyState:
    """Everything a 0.1.0 state file holds, read into today's entities."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.users = [
            User(
                id=r[0],
                username=r[1],
                password_hash=r[2],
                email=r[3],
                first_name=r[4],
                last_name=r[5],
                api_key_hash=r[6],
                account_locked=bool(r[7]),
                api_access=bool(r[8]),
                home_folder_id=r[9],
                api_inbox_folder_id=r[10],
                has_pi_role=bool(r[11]),
                has_sysadmin_role=bool(r[12]),
            )
            for r in db.execute(
                "SELECT id, username, password_hash, email, first_name, last_name,"
                " api_key_hash, account_locked, api_access, home_folder_id,"
                " api_inbox_folder_id, has_pi_role, has_sysadmin_role FROM users"
            )
        ]
        self.apps = [
            OAuthApp(client_id=r[0], name=r[1], owner_id=r[2], client_secret_hash=r[3])
            for r in db.execute("SELECT client_id, name, owner_id, client_secret_hash FROM apps")
        ]
        self.tokens = [
            TokenRow(
                client_id=r[0],
                user_id=r[1],
                refresh_token_hash=r[2],
                access_token_hash=r[3],
                expiry=from_micros(r[4]) if r[4] is not None else None,
                scope=r[5],
            )
            for r in db.execute(
                "SELECT client_id, user_id, refresh_token_hash, access_token_hash, expiry,"
                " scope FROM tokens"
            )
        ]
        self.documents = [
            Document(
                id=r[0],
                owner_id=r[1],
                name=r[2],
                form_id=r[3],
                created=from_micros(r[4]),
                last_modified=from_micros(r[5]),
                parent_folder_id=r[6],
                grand_parent_id=r[7],
                tags=r[8],
                tag_meta_data=r[9],
                version=r[10],
                signed=bool(r[11]),
                deleted=bool(r[12]),
                fields=[
                    Field(
                        id=f["id"],
                        name=f["name"],
                        type=f["type"],
                        content=f["content"],
                        last_modified=from_micros(f["lastModified"]),
                        column_index=f["columnIndex"],
                    )
                    for f in json.loads(r[13])
                ],
            )
            for r in db.execute(
                "SELECT id, owner_id, name, form_id, created, last_modified, parent_folder_id,"
                " grand_parent_id, tags, tag_meta_data, version, signed, deleted, fields"
                " FROM documents"
            )
        ]
        #: sequence -> the next value it hands out
        self.next_values = dict(db.execute("SELECT kind, next_value FROM sequences"))
        self.meta: dict[str, str] = dict(db.execute("SELECT key, value FROM meta"))
        switches = db.execute(
            "SELECT api_enabled, oauth_enabled FROM switches WHERE id = 1"
        ).fetchone()
        self.switches = (
            None
            if switches is None
            else {"api_enabled": bool(switches[0]), "oauth_enabled": bool(switches[1])}
        )


#: The tables of a 0.1.0 file, dropped once their rows are in today's tables.
LEGACY_TABLES = (
    "meta",
    "sequences",
    "switches",
    "users",
    "apps",
    "tokens",
    "documents",
    "live_document_counts",
)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _refuse_foreign(path: Path, db: sqlite3.Connection) -> bool:
    """Whether the file is a 0.1.0 state file; refuses one that is neither that nor ours."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > ENGINE_USER_VERSION:
        raise StateFileError(
            f"{path}: state file format {version} is newer than this server's"
            f" ({ENGINE_USER_VERSION}); upgrade rspace-mock or use another state file"
        )
    tables = _tables(db)
    if not tables or "store_meta" in tables:
        return False
    if version in LEGACY_VERSIONS and {"meta", "users", "documents"} <= tables:
        return True
    raise StateFileError(f"{path}: not an rspace-mock state file")


def open_state_file(
    path: str | os.PathLike[str],
    kinds: Sequence[Kind[Any]],
    first_ids: Mapping[str, int],
    *,
    upgrade: Any = None,
    **dialect_options: Any,
) -> SqlEngine:
    """The engine on a ``--state`` file, checked, and upgraded if 0.1.0 wrote it.

    ``upgrade(engine, legacy)`` writes a :class:`LegacyState` into the engine's kinds (the
    domain knows what each kind is); it runs in the transaction that drops the old tables.

    Processes that open a new file at once race to make it a WAL database: a statement that
    meets another process's conversion can be refused as locked without waiting. Opening is
    then tried again, for as long as the busy timeout allows.
    """
    deadline = time.monotonic() + OPEN_RETRY_SECONDS
    pause = 0.01
    while True:
        try:
            return _open_state_file(Path(path), kinds, first_ids, upgrade, dialect_options)
        except _Locked:
            if time.monotonic() > deadline:
                raise StateFileError(
                    f"{path}: cannot open the state file (database is locked): another "
                    "process holds it"
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


#: How long a start keeps trying a state file that other processes are locking.
OPEN_RETRY_SECONDS = 30.0


class _Locked(Exception):
    """The file was locked by another process while it was being opened."""


def _open_state_file(
    path: Path,
    kinds: Sequence[Kind[Any]],
    first_ids: Mapping[str, int],
    upgrade: Any,
    dialect_options: dict[str, Any],
) -> SqlEngine:
    engine: SqlEngine | None = None
    try:
        probe = sqlite3.connect(path, isolation_level=None)
        try:
            probe.execute("PRAGMA busy_timeout = 30000")
            legacy = _refuse_foreign(path, probe)
            if not legacy:
                _check_quick(path, probe)
        finally:
            probe.close()
        engine = SqlEngine(SqliteDialect(str(path), **dialect_options), kinds, first_ids)
        with engine.transaction(), engine.connection() as connection:
            db = typing.cast(sqlite3.Connection, connection)
            # A write that changes nothing: SQLite opens a file it cannot write read-only
            # without a word, so a read-only file, folder or mount would otherwise start and
            # then fail every write.
            db.execute("UPDATE store_meta SET value = value WHERE 0")
            if legacy and "users" in _tables(db):  # not yet upgraded by another process
                state = LegacyState(db)
                if upgrade is not None:
                    upgrade(engine, state)
                for table in LEGACY_TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute(f"PRAGMA user_version = {ENGINE_USER_VERSION}")
        return engine
    except sqlite3.Error as exc:
        if engine is not None:
            engine.close()
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise _Locked() from None
        raise StateFileError(_explain(path, exc)) from None
    except BaseException:
        if engine is not None:
            engine.close()
        raise


def _check_quick(path: Path, db: sqlite3.Connection) -> None:
    """Damage inside a file that opens fine would otherwise show up later, as 500s on
    whichever requests touch the damaged pages (about 60 ms for 100,000 documents)."""
    problems = _quick_check_problems(db)
    if problems:
        raise StateFileError(_damaged(path, problems))
