"""Where the fake keeps its state: one engine per kind of storage, for every kind of entity.

:func:`open_state` picks the engine from a ``--state`` value: none keeps everything in memory
(:class:`~.engines.memory.MemoryEngine`, zero set-up); ``postgresql://user:pass@host/db`` keeps
it in that PostgreSQL database; anything else names a SQLite file. Every engine carries every
kind the domain declares (``domain/kinds.py``) through the port of ``domain/store.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..domain.kinds import ALL_KINDS, APPS, DOCUMENTS, FIRST_IDS, TOKENS, USERS
from ..domain.models import SystemSwitches
from ..domain.store import Kind, Store
from ..domain.system import save_switches
from .engines.memory import MemoryEngine
from .engines.sql import SqlEngine, open_postgres
from .engines.sqlite_file import LegacyState, StateFileError, open_state_file

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str) -> bool:
    return location.startswith(POSTGRES_SCHEMES)


def open_state(location: str | None, kinds: Sequence[Kind[Any]] = ALL_KINDS) -> Store:
    """The store for a ``--state`` value (see the module's docstring), for the domain's kinds
    and any others (the test instruments'); a state the server cannot use raises
    :class:`StateFileError` with a message that says why and what to do."""
    if location is None:
        return MemoryEngine(FIRST_IDS)
    if is_database_url(location):
        return _open_database(location, kinds)
    return open_state_file(location, kinds, FIRST_IDS, upgrade=_upgrade)


def _open_database(url: str, kinds: Sequence[Kind[Any]]) -> Store:
    try:
        import psycopg
    except ImportError:
        raise StateFileError(
            "--state postgresql://... needs the PostgreSQL driver:"
            " pip install 'rspace-mock[postgres]'"
        ) from None
    try:
        return open_postgres(url, kinds, FIRST_IDS)
    except psycopg.Error as exc:
        where = SqlEngine.describe_url(url)
        detail = " ".join(str(exc).split())
        raise StateFileError(f"{where}: cannot use the PostgreSQL database ({detail})") from None


def _upgrade(engine: SqlEngine, legacy: LegacyState) -> None:
    """A state file of rspace-mock 0.1.0, into today's kinds (in the engine's transaction)."""
    users, apps = engine.collection(USERS), engine.collection(APPS)
    tokens, documents = engine.collection(TOKENS), engine.collection(DOCUMENTS)
    for user in legacy.users:
        users.put(user)
    for app in legacy.apps:
        apps.put(app)
    for token in legacy.tokens:
        tokens.put(token)
    for document in legacy.documents:
        documents.put(document)
    for key, value in legacy.meta.items():
        engine.set_meta(key, value)
    if legacy.switches is not None:
        save_switches(engine, SystemSwitches(**legacy.switches))
    for sequence, next_value in legacy.next_values.items():
        engine.set_sequence(sequence, int(next_value))


__all__ = [
    "MemoryEngine",
    "StateFileError",
    "Store",
    "is_database_url",
    "open_state",
]
