"""Start the fake on the SQLite store, for the bench, while ``rspace-mock serve`` has no
``--state`` flag. Mirrors ``mock_server.cli.serve`` (same app, same uvicorn settings).

    python benchmarks/serve_sqlite.py --state /tmp/state.db --port 8081 [--fixtures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

import uvicorn

from mock_server.runtime import build_mock
from mock_server.settings import DEFAULT_FIXTURES, Settings
from mock_server.storage.sqlite import SqliteStore
from mock_server.web.app import create_app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--no-fixtures", action="store_true")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        fixtures=None if args.no_fixtures else args.fixtures,
        log_level=args.log_level,
    )
    mock = build_mock(settings, store=SqliteStore(args.state))
    app = create_app(settings, mock=mock)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="off",
        server_header=False,
        date_header=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(uvicorn.Server(config).serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
