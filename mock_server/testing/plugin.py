"""pytest plugin (entry point ``pytest11: rspace_mock``): fixtures for testing an RSpace client.

* ``rspace_mock``: the fake on a real loopback port (one server per session, reset before
  each test). ``rspace_mock.base_url``, ``.seeded``, ``.clock``, ``.journal``, ``.faults``,
  ``.users``, ``.apps``, ``.documents``, ``.settings``.
* ``rspace_mock_app``: the same helpers around an in-process ASGI app (``.app``), for httpx's
  ``ASGITransport`` or ``.client()``.
* ``rspace_mock_settings``: override (session scope) to change fixtures, token TTL, etc.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# pytest loads this plugin in every run of a venv that has rspace-mock, so it imports the fake
# only when a test asks for one of its fixtures.
if TYPE_CHECKING:
    from ..settings import Settings
    from .helpers import RSpaceMockHandle
    from .server import ThreadedServer

IN_PROCESS_BASE_URL = "http://rspace.test"


@pytest.fixture(scope="session")
def rspace_mock_settings() -> Settings:
    """Settings for the fakes the plugin starts. Override in your ``conftest.py``."""
    from ..settings import Settings

    return Settings(port=0, random_seed=None)


@pytest.fixture(scope="session")
def rspace_mock_server(rspace_mock_settings: Settings) -> Iterator[ThreadedServer]:
    from .server import ThreadedServer

    server = ThreadedServer(rspace_mock_settings).start()
    yield server
    server.stop()


def _fresh(handle: RSpaceMockHandle, session_fixtures: dict[str, Any]) -> RSpaceMockHandle:
    """Reset to the session's fixtures, even if an earlier test loaded others."""
    handle.mock.fixture_data = copy.deepcopy(session_fixtures)
    handle.reset()
    return handle


@pytest.fixture
def rspace_mock(rspace_mock_server: ThreadedServer) -> Iterator[RSpaceMockHandle]:
    """The fake RSpace on a real port, reset to its fixtures for this test."""
    from .helpers import RSpaceMockHandle

    handle = RSpaceMockHandle(
        rspace_mock_server.mock, rspace_mock_server.base_url, rspace_mock_server.app
    )
    yield _fresh(handle, rspace_mock_server.session_fixtures)
    handle.faults.clear()


@pytest.fixture(scope="session")
def _rspace_mock_in_process(
    rspace_mock_settings: Settings,
) -> tuple[RSpaceMockHandle, dict[str, Any]]:
    from ..runtime import build_mock
    from ..web.app import create_app
    from .helpers import RSpaceMockHandle

    mock = build_mock(rspace_mock_settings)
    app = create_app(rspace_mock_settings, mock=mock)
    return RSpaceMockHandle(mock, IN_PROCESS_BASE_URL, app), copy.deepcopy(mock.fixture_data)


@pytest.fixture
def rspace_mock_app(
    _rspace_mock_in_process: tuple[RSpaceMockHandle, dict[str, Any]],
) -> RSpaceMockHandle:
    """The fake RSpace as an in-process ASGI app (``.app``), reset for this test."""
    return _fresh(*_rspace_mock_in_process)
