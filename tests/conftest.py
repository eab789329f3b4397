"""Shared fixtures for ``tests/``.

* ``fixtures_data``: the default fixture file (what ``serve`` loads without ``--fixtures``).
* ``grant_credentials``: ``client_id``, ``client_secret``, ``username`` and ``password`` for a
  password grant (the first fixture app and its owner).
* ``client``: the fake in-process, with fresh state, behind Starlette's ``TestClient``.
* ``live_server``: ``rspace-mock serve --port 0 --seed 1`` as a real subprocess; yields its base
  URL and, afterwards, checks that SIGTERM stops it with exit code 0.
* ``shared_live_server``: the same, started once per test module; state carries over between
  that module's tests (use it where a test does not care what others created).
* ``serve_mock``: a factory for served mocks with extra CLI flags (``serve_mock("--no-oauth")``);
  ``serve_mock_for_module`` keeps its servers for the whole module.
* ``run_rspace_mock``: run ``rspace-mock <args>`` to completion (``run_rspace_mock("--help")``).
* ``postgres_dsn``: a ``postgresql://`` DSN of a fresh, empty database of the test's own on the
  test PostgreSQL server, dropped afterwards; ``postgres_server_dsn`` is the server's own DSN
  (session-wide; its role may create databases). Without a server they skip the test on a
  developer's machine and fail it in CI or with ``RSPACE_MOCK_REQUIRE_POSTGRES=1``
  (``tests/postgres_helpers.py``).
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.settings import DEFAULT_FIXTURES
from tests import postgres_helpers

# The browser tests' fixtures (a headless Chromium, a page, its screenshots).
from tests.browser_helpers import chromium, page, steps  # noqa: E402, F401

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The file the server itself loads when no --fixtures is given.
DEFAULT_FIXTURES_PATH = DEFAULT_FIXTURES

#: The line ``rspace-mock serve`` prints once it listens: ``... at http://127.0.0.1:PORT``.
BANNER_URL = re.compile(r" at (http://\S+?)\s*$", re.MULTILINE)

SERVER_START_TIMEOUT = 20.0
SERVER_STOP_TIMEOUT = 10.0


def rspace_mock_command() -> list[str]:
    """The installed ``rspace-mock`` script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "rspace-mock"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "mock_server"]


#: Kept when starting a server: ``make test`` sets it to run every test on both storage backends.
PASSED_THROUGH = {"RSPACE_MOCK_BACKEND", "RSPACE_MOCK_SCRATCH_POSTGRES"}


def clean_environment() -> dict[str, str]:
    """The current environment without ``RSPACE_MOCK_*`` options (host, port, fixtures, ...)
    that would change what the tests expect; the storage backend choice passes through."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RSPACE_MOCK_") or k in PASSED_THROUGH
    }


class ServedMock:
    """One ``rspace-mock serve`` subprocess. Its output is drained in the background (uvicorn
    writes a line per request to stdout; an undrained pipe would stall the server)."""

    def __init__(self, *extra_args: str, start_timeout: float = SERVER_START_TIMEOUT) -> None:
        self.args = [*rspace_mock_command(), "serve", "--port", "0", *extra_args]
        self.process = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=clean_environment(),
            cwd=REPO_ROOT,
        )
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._terminated = False
        self._readers = [
            threading.Thread(target=self._drain, args=(self.process.stdout, self._stdout)),
            threading.Thread(target=self._drain, args=(self.process.stderr, self._stderr)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()
        self.url = self._wait_for_url(start_timeout)

    @staticmethod
    def _drain(stream: Any, sink: list[str]) -> None:
        for line in iter(stream.readline, ""):
            sink.append(line)
        stream.close()

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = BANNER_URL.search(self.stdout)
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.process.kill()
        self.process.wait()
        raise AssertionError(
            f"{' '.join(self.args)} did not print its URL (exit code {self.process.returncode})"
            f"\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )

    def terminate(self) -> None:
        """Send SIGTERM, once: a second one could land while the interpreter is finalising
        (default signal handlers again) and kill the process by the signal."""
        if not self._terminated and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self._terminated = True

    def stop(self) -> int:
        """SIGTERM, then wait; returns the exit code (kills it if it does not stop in time)."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"rspace-mock did not stop within {SERVER_STOP_TIMEOUT} s of SIGTERM"
                ) from None
        for reader in self._readers:
            reader.join(timeout=5)
        return self.process.returncode

    def stop_cleanly(self) -> None:
        """Stop with SIGTERM and check the stop was clean: exit code 0 and no traceback in
        the log (the fake logs one for every 500, so this also catches server errors that a
        test did not look at)."""
        code = self.stop()
        assert code == 0, f"rspace-mock exited with {code} after SIGTERM\n{self.stderr}"
        assert "Traceback" not in self.stderr, self.stderr


@pytest.fixture
def fixtures_data() -> dict[str, Any]:
    """The default fixture file as a dict (a fresh copy per test: change it freely)."""
    return copy.deepcopy(_default_fixtures())


_FIXTURE_CACHE: dict[str, Any] = {}


def _default_fixtures() -> dict[str, Any]:
    if not _FIXTURE_CACHE:
        _FIXTURE_CACHE.update(json.loads(DEFAULT_FIXTURES_PATH.read_text(encoding="utf-8")))
    return _FIXTURE_CACHE


@pytest.fixture
def grant_credentials(fixtures_data: dict[str, Any]) -> dict[str, str]:
    """What a password grant needs besides ``grant_type``: the first fixture app's client id
    and secret, and the username and password of the user who owns it."""
    app = fixtures_data["apps"][0]
    owner = next(u for u in fixtures_data["users"] if u["username"] == app["owner"])
    return {
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "username": owner["username"],
        "password": owner["password"],
    }


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The fake in-process with the default fixtures and fresh state."""
    with TestClient(create_app(Settings(random_seed=1))) as test_client:
        yield test_client


def _serve_mock_factory() -> Iterator[Callable[..., ServedMock]]:
    started: list[ServedMock] = []

    def start(*extra_args: str) -> ServedMock:
        server = ServedMock(*extra_args)
        started.append(server)
        return server

    yield start
    # Signal them all first, so they shut down together; then check each one's exit.
    for server in started:
        server.terminate()
    problems = []
    for server in started:
        try:
            server.stop_cleanly()
        except AssertionError as problem:
            problems.append(str(problem))
    assert not problems, "\n\n".join(problems)


@pytest.fixture
def serve_mock() -> Iterator[Callable[..., ServedMock]]:
    """Start ``rspace-mock serve --port 0 <flags>``; every server started is stopped with
    SIGTERM at the end of the test, and must exit with code 0."""
    yield from _serve_mock_factory()


@pytest.fixture(scope="module")
def serve_mock_for_module() -> Iterator[Callable[..., ServedMock]]:
    """Like ``serve_mock``, but the servers live until the end of the test module."""
    yield from _serve_mock_factory()


@pytest.fixture
def live_server(serve_mock: Callable[..., ServedMock]) -> str:
    """Base URL of a fresh ``rspace-mock serve --port 0 --seed 1`` (default fixtures)."""
    return serve_mock("--seed", "1").url


@pytest.fixture(scope="module")
def shared_live_server(serve_mock_for_module: Callable[..., ServedMock]) -> str:
    """Base URL of one ``rspace-mock serve --port 0 --seed 1`` shared by a module's tests."""
    return serve_mock_for_module("--seed", "1").url


@pytest.fixture
def run_rspace_mock() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``rspace-mock <args>`` to completion and return the finished process (text output)."""

    def run(
        *args: str, timeout: float = 30, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*rspace_mock_command(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**clean_environment(), **(env or {})},
            cwd=REPO_ROOT,
        )

    return run


@pytest.fixture(scope="session")
def postgres_server_dsn() -> str:
    """DSN of the test PostgreSQL server (``make test`` starts it), checked by connecting."""
    return postgres_helpers.server_dsn(os.environ)


@pytest.fixture
def postgres_dsn(postgres_server_dsn: str) -> Iterator[str]:
    """DSN of a new, empty database on the test server, for this test alone; dropped afterwards."""
    with postgres_helpers.fresh_database(postgres_server_dsn) as dsn:
        yield dsn
