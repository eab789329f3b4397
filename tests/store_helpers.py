"""Opening a new, empty store on each engine, for the tests of the storage port.

``ENGINES`` names every engine a store test runs on; :func:`opened` gives a fresh store on one
of them (PostgreSQL: a database of the test's own, see ``tests/postgres_helpers.py``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mock_server.domain.kinds import ALL_KINDS, FIRST_IDS
from mock_server.domain.store import Store
from mock_server.storage.engines.memory import MemoryEngine
from mock_server.storage.engines.sql import open_postgres, open_sqlite
from tests import postgres_helpers

ENGINES = ["memory", "sqlite-file", "sqlite-memory", "postgresql"]


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on the test server (``make test`` starts one); without a server the
    test is skipped, or fails in CI (``tests/postgres_helpers.py``)."""
    with postgres_helpers.fresh_database(postgres_helpers.server_dsn(os.environ)) as dsn:
        yield dsn


@contextmanager
def opened(name: str, folder: Path) -> Iterator[Store]:
    """A new, empty store on the named engine, closed (and its database dropped) after."""
    with contextlib.ExitStack() as cleanup:
        engine: Store
        if name == "memory":
            engine = MemoryEngine(FIRST_IDS)
        elif name == "sqlite-memory":
            engine = open_sqlite(":memory:", ALL_KINDS, FIRST_IDS)
        elif name == "sqlite-file":
            engine = open_sqlite(folder / "state.sqlite", ALL_KINDS, FIRST_IDS)
        else:
            dsn = cleanup.enter_context(fresh_postgres_database())
            engine = open_postgres(dsn, ALL_KINDS, FIRST_IDS)
        cleanup.callback(engine.close)
        yield engine
