"""An app that is no longer used is freed, and its store with it: a test suite builds
thousands, and each one kept alive would keep its memory and, on PostgreSQL, its
connections (FastAPI caches route endpoints process-wide, so an endpoint that closes over
the app would keep it forever)."""

from __future__ import annotations

import gc
import time
import weakref

from starlette.testclient import TestClient

from mock_server import Settings, create_app


def _used_app() -> tuple[weakref.ref[object], weakref.ref[object]]:
    app = create_app(Settings(random_seed=1))
    with TestClient(app) as client:
        for path in ("/docs", "/redoc", "/_mock/docs", "/login", "/_mock/ui", "/api/v1/status"):
            client.get(path)
    return weakref.ref(app), weakref.ref(app.state.mock)


def test_an_app_and_its_mock_are_freed_once_unused() -> None:
    app, mock = _used_app()
    # The test client's portal thread may still be finishing (its frames hold the app for a
    # moment); a leak never lets go.
    deadline = time.monotonic() + 5
    while (app() is not None or mock() is not None) and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.02)
    assert app() is None, "something still holds the app"
    assert mock() is None, "something still holds the app's mock (and its store)"
