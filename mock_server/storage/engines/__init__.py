"""Engines implementing the storage port (``domain/store.py``) for any declared kind.

``memory.MemoryEngine`` (the default: zero set-up), ``sql.SqlEngine`` on SQLite (a file, or
``:memory:``) and on PostgreSQL; :func:`open_engine` picks one from a ``--state`` value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...domain.store import Kind, Store
from .memory import MemoryEngine
from .sql import open_postgres, open_sqlite


def open_engine(
    location: str | None, kinds: Sequence[Kind[Any]], first_ids: Mapping[str, int] | None = None
) -> Store:
    """``None``: in memory; ``postgresql://...``: that database; anything else: a SQLite file
    (or ``:memory:``)."""
    if location is None:
        return MemoryEngine(first_ids)
    if location.startswith(("postgresql://", "postgres://")):
        return open_postgres(location, kinds, first_ids)
    return open_sqlite(location, kinds, first_ids)


__all__ = ["MemoryEngine", "open_engine", "open_postgres", "open_sqlite"]
