"""Per-operation cost of each storage engine, all measured in the same run.

    .venv/bin/python benchmarks/store_engines.py [--sizes 1000,100000] [--repeat 5]
        [--postgres postgresql://user:password@host:5432/empty_database]

Rows: the grant path (find the user by username, get the app, get the token row, put the token
row), a document get, and the first page of 20 of the default listing (last modified, newest
first) of an owner with N documents. Each figure is the best of ``--repeat`` runs, in
microseconds per operation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from mock_server.domain.kinds import ALL_KINDS, APPS, DOCUMENTS, FIRST_IDS, TOKENS, USERS  # noqa: E402
from mock_server.domain.models import Document, Field, OAuthApp, TokenRow, User  # noqa: E402
from mock_server.storage.engines.memory import MemoryEngine  # noqa: E402
from mock_server.storage.engines.sql import open_postgres, open_sqlite  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
USER = User(1, "ana", "00$11", "ana@lab.example.org", "Ana", "Tester", "k" * 64)
APP = OAuthApp("client-1", "Notebook sync", 1, "s" * 64)
TOKEN = TokenRow("client-1", 1, "r" * 64, "a" * 64, T0 + timedelta(hours=1))


def document(i: int) -> Document:
    moment = T0 + timedelta(seconds=i)
    content = f"<p>Sample {i}: buffer pH 7.4, 25 mM Tris</p>"
    return Document(
        i,
        1,
        f"Experiment {i}",
        1,
        moment,
        moment,
        10,
        None,
        [Field(i, "Data", "text", content, moment, 0)],
    )


Operations = dict[str, Callable[[], Any]]


def new_store(store: Any, size: int) -> Operations:
    users, apps, tokens, documents = (store.collection(k) for k in (USERS, APPS, TOKENS, DOCUMENTS))
    users.insert(USER)
    apps.insert(APP)
    tokens.put(TOKEN)
    with store.transaction():
        for i in range(100, 100 + size):
            documents.insert(document(i))
    documents.page(1, "lastModified", ascending=False)

    def grant() -> None:
        users.find("username", "ana")
        apps.get("client-1")
        tokens.get("client-1", 1)
        tokens.put(TOKEN)

    return {
        "grant path": grant,
        "document get": lambda: documents.get(150),
        "page of 20": lambda: documents.page(1, "lastModified", ascending=False),
    }


class AnalyzedPostgres:
    """A PostgreSQL engine whose statistics are brought up to date after the bulk load (as
    autovacuum would soon do), so that the planner knows the table's size."""

    def __init__(self, dsn: str) -> None:
        self.engine = open_postgres(dsn, ALL_KINDS, FIRST_IDS)
        self.engine.clear()
        self.collection = self.engine.collection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.engine.transaction():
            yield
        with self.engine.connection() as db:
            db.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="DSN of a database the run may empty")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="store-engines-"))
    engines: dict[str, Callable[[int], Operations]] = {
        "memory engine": lambda n: new_store(MemoryEngine(FIRST_IDS), n),
        "SQL engine, SQLite :memory:": lambda n: new_store(
            open_sqlite(":memory:", ALL_KINDS, FIRST_IDS), n
        ),
        "SQL engine, SQLite file": lambda n: new_store(
            open_sqlite(folder / f"new{n}.db", ALL_KINDS, FIRST_IDS), n
        ),
    }
    if options.postgres:
        engines["SQL engine, PostgreSQL"] = lambda n: new_store(
            AnalyzedPostgres(options.postgres), n
        )
    sizes = [int(s) for s in options.sizes.split(",")]
    print(
        f"{'engine':30} {'documents':>9} {'grant path':>11} {'document get':>13} {'page of 20':>11}"
    )
    for size in sizes:
        for name, build in engines.items():
            operations = build(size)
            costs = []
            for operation in operations.values():
                number = 200
                best = min(timeit.repeat(operation, number=number, repeat=options.repeat))
                costs.append(best / number * 1e6)
            print(f"{name:30} {size:9} {costs[0]:9.1f}us {costs[1]:11.1f}us {costs[2]:9.1f}us")


if __name__ == "__main__":
    main()
