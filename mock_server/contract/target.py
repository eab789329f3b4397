"""The server under test: a base URL, an HTTP session and the credentials to use on it.

Three kinds of target share one interface:

* ``in-process``: a fresh mock app per test (or per state-machine run), called through
  Starlette's ``TestClient``; nothing touches the network.
* ``served-mock``: ``rspace-mock serve`` started as a subprocess on a free loopback port.
* ``url``: any RSpace (or mock) at ``--rspace-url``; state is shared and cannot be reset.

A target may offer more than RSpace's API: the mock's admin API (``/_mock/``), found by
:attr:`Target.admin`. The suite uses it only for what a real server gives no means to do
(move the clock, remove a token row), and reports the rules that need it as not checked
on a target without it.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from ..settings import DEFAULT_FIXTURES

__all__ = ["DEFAULT_FIXTURES"]  # re-exported for the suite's modules

#: Prefix of every document the suite creates, so leftovers can be found and deleted.
DOCUMENT_NAME_PREFIX = "contract-test-"


@dataclass(frozen=True)
class UserCredentials:
    username: str
    password: str | None = None
    api_key: str | None = None


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str


@dataclass
class Credentials:
    """Who the suite may act as. Empty lists make the tests that need them skip."""

    users: list[UserCredentials] = field(default_factory=list)
    apps: list[AppCredentials] = field(default_factory=list)
    #: A user whose account is locked (only the mock's fixtures name one by default).
    locked_user: UserCredentials | None = None
    #: A user whose API access is switched off.
    api_disabled_user: UserCredentials | None = None

    @property
    def password_users(self) -> list[UserCredentials]:
        return [u for u in self.users if u.password]

    @property
    def api_key_users(self) -> list[UserCredentials]:
        return [u for u in self.users if u.api_key]


def credentials_from_fixtures(path: Path) -> Credentials:
    """The normal users, apps and special users of a mock fixtures file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    users: list[UserCredentials] = []
    locked = disabled = None
    for entry in data.get("users", []):
        user = UserCredentials(entry["username"], entry.get("password"), entry.get("apiKey"))
        if entry.get("accountLocked"):
            locked = locked or user
        elif entry.get("apiAccess") is False:
            disabled = disabled or user
        else:
            users.append(user)
    apps = [AppCredentials(a["clientId"], a["clientSecret"]) for a in data.get("apps", [])]
    return Credentials(users=users, apps=apps, locked_user=locked, api_disabled_user=disabled)


def credentials_from_options(values: dict[str, str | None]) -> Credentials:
    """Credentials from ``--rspace-*`` options or ``RSPACE_*`` variables (first, then ``_2``)."""
    users: list[UserCredentials] = []
    apps: list[AppCredentials] = []
    for suffix in ("", "_2"):
        username = values.get(f"username{suffix}")
        if username:
            users.append(
                UserCredentials(
                    username, values.get(f"password{suffix}"), values.get(f"api_key{suffix}")
                )
            )
        client_id, secret = values.get(f"client_id{suffix}"), values.get(f"client_secret{suffix}")
        if client_id and secret:
            apps.append(AppCredentials(client_id, secret))
    locked = values.get("locked_username")
    disabled = values.get("api_disabled_username")
    return Credentials(
        users=users,
        apps=apps,
        locked_user=UserCredentials(locked, values.get("locked_password")) if locked else None,
        api_disabled_user=(
            UserCredentials(
                disabled, values.get("api_disabled_password"), values.get("api_disabled_api_key")
            )
            if disabled
            else None
        ),
    )


class Target:
    """One server: send requests with :meth:`request`, which honours RSpace's rate limits."""

    def __init__(
        self,
        kind: str,
        base_url: str,
        client: httpx.Client,
        credentials: Credentials,
        *,
        fresh: bool,
        read_only: bool = False,
        honour_rate_limits: bool = False,
    ) -> None:
        self.kind = kind
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.credentials = credentials
        #: True when the server holds nothing but its fixtures (no earlier grants or documents).
        self.fresh = fresh
        self.read_only = read_only
        self.honour_rate_limits = honour_rate_limits
        #: A per-target random tag in every created document's name.
        self.run_tag = f"{DOCUMENT_NAME_PREFIX}{secrets.token_hex(4)}-"
        #: Ids of documents created here and not yet deleted: (id, api key of the owner).
        self.created_documents: dict[int, str] = {}
        #: username -> id of a document the suite created to tell whose a token is.
        self.marker_documents: dict[str, int] = {}
        #: Reached through Starlette's TestClient, not over a socket.
        self.in_process = False
        #: Where the credentials came from, for the report (options, fixtures).
        self.credentials_source = "the suite's options"
        self._on_close: list[Callable[[], None]] = []
        self._admin: AdminApi | None | bool = False  # False: not looked for yet

    @property
    def admin(self) -> AdminApi | None:
        """The mock's admin API, if this target has one and may be changed (not read-only)."""
        if self._admin is False:
            self._admin = None
            if not self.read_only:
                try:
                    response = self.client.get(self.url(ADMIN_PREFIX))
                    if response.status_code == 200 and response.json().get("service") == (
                        ADMIN_SERVICE
                    ):
                        self._admin = AdminApi(self)
                except (httpx.HTTPError, ValueError, AttributeError):
                    pass
        assert self._admin is not True
        return self._admin

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _attempt in range(6):
            response = self._send(method, path, kwargs)
            if not self.honour_rate_limits:
                return response
            wait_ms = _wait_millis(response)
            if response.status_code != 429:
                remaining = _float_header(response, "X-Rate-Limit-Remaining")
                if remaining is not None and remaining < 1 and wait_ms:
                    time.sleep(wait_ms / 1000)
                return response
            time.sleep(max(wait_ms or 1000, 100) / 1000)
        return response

    def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        try:
            return self.client.request(method, self.url(path), **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            # A kept-alive connection the server closed (as uvicorn does after a crash) fails
            # the next request on it; an idempotent one is sent again on a new connection.
            if method not in IDEMPOTENT_METHODS:
                raise
            return self.client.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def token(self, data: dict[str, str]) -> httpx.Response:
        """POST ``/oauth/token`` with form-urlencoded parameters, as RSpace's clients do."""
        return self.post("/oauth/token", data=data)

    def remember_document(self, document_id: int, api_key: str) -> None:
        self.created_documents[document_id] = api_key

    def forget_document(self, document_id: int) -> None:
        self.created_documents.pop(document_id, None)

    def on_close(self, callback: Callable[[], None]) -> None:
        self._on_close.append(callback)

    def delete_leftover_documents(self) -> None:
        for document_id, api_key in list(self.created_documents.items()):
            self.delete(f"/api/v1/documents/{document_id}", headers={"apiKey": api_key})
            self.forget_document(document_id)

    def close(self) -> None:
        try:
            if not self.fresh:
                self.delete_leftover_documents()
        finally:
            for callback in reversed(self._on_close):
                callback()
            self._on_close.clear()


IDEMPOTENT_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
ADMIN_PREFIX = "/_mock"
ADMIN_SERVICE = "rspace-mock admin API"


class AdminCallFailed(RuntimeError):
    pass


class AdminApi:
    """The few admin operations the suite uses (the mock's ``/_mock/`` API)."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def _call(self, method: str, path: str, body: object = None) -> dict[str, Any]:
        response = self.target.client.request(
            method, self.target.url(ADMIN_PREFIX + path), json=body
        )
        if response.status_code >= 300:
            raise AdminCallFailed(f"{method} {ADMIN_PREFIX}{path}: {response.status_code}")
        result: dict[str, Any] = response.json()
        return result

    def disconnect_app(self, username: str, client_id: str) -> None:
        """Remove the user's token row for the app, as if the user disconnected it."""
        self._call("DELETE", f"/users/{username}/apps/{client_id}")

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "/clock/advance", {"seconds": seconds})


def _float_header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def _wait_millis(response: httpx.Response) -> float | None:
    return _float_header(response, "X-Rate-Limit-WaitTimeMillis")


# --- building targets ------------------------------------------------------------------


AppFactory = Callable[[Path], Any]


def default_app_factory(fixtures: Path) -> Any:
    from ..settings import Settings
    from ..web.app import create_app

    return create_app(
        Settings(
            fixtures=fixtures,
            public_url=None,
            token_ttl_seconds=3600,
            oauth_enabled=True,
            random_seed=None,
        )
    )


def load_app_factory(spec: str | None) -> AppFactory:
    """``module:function`` or ``path/to/file.py:function``; ``None`` gives the real mock."""
    if not spec:
        return default_app_factory
    location, _, attribute = spec.rpartition(":")
    factory: AppFactory = getattr(_factory_module(location), attribute)
    return factory


@functools.cache
def _factory_module(location: str) -> Any:
    """Each module once: a factory module may keep state across the apps it builds."""
    if location.endswith(".py"):
        import importlib.util

        name = "_contract_app_factory_" + Path(location).stem
        module_spec = importlib.util.spec_from_file_location(name, location)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(location)
        module = importlib.util.module_from_spec(module_spec)
        # Registered before it runs, as an import would: dataclasses look their module up.
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
    else:
        import importlib

        module = importlib.import_module(location)
    return module


def in_process_target(app_factory: AppFactory, fixtures: Path) -> Target:
    """A fresh mock app behind a ``TestClient`` (lifespan started, closed by :meth:`close`)."""
    import warnings

    with warnings.catch_warnings():
        # Starlette >= 1.x asks for httpx2 for its test client; without it, httpx still works.
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    # A crash must reach the suite as the 500 a client would see, not as a Python exception.
    app = app_factory(fixtures)
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    client.__enter__()
    # httpx2's client (Starlette's, where installed) has httpx's interface.
    http = cast(httpx.Client, client)
    target = Target(
        "in-process", "http://testserver", http, credentials_from_fixtures(fixtures), fresh=True
    )
    target.in_process = True
    target.on_close(lambda: _close_in_process(client, app))
    return target


def _close_in_process(client: Any, app: Any) -> None:
    """The client, then the app's store: its database connections go now, not whenever the
    garbage collector gets round to the app (a suite's worth of apps would otherwise hold a
    PostgreSQL server's every connection slot)."""
    client.__exit__(None, None, None)
    mock = getattr(getattr(app, "state", None), "mock", None)
    if mock is not None:
        mock.store.close()


def fixture_credentials_accepted(base_url: str, fixtures: Path = DEFAULT_FIXTURES) -> bool:
    """Whether the server at ``base_url`` takes an API key of the mock's default fixtures,
    i.e. it is (a variant of) the mock serving them."""
    for user in credentials_from_fixtures(fixtures).api_key_users:
        try:
            response = httpx.get(
                base_url.rstrip("/") + "/api/v1/status",
                headers={"apiKey": user.api_key or ""},
                timeout=10.0,
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200
    return False


def remote_target(kind: str, base_url: str, credentials: Credentials, *, read_only: bool) -> Target:
    client = httpx.Client(timeout=30.0, follow_redirects=False)
    target = Target(
        kind,
        base_url,
        client,
        credentials,
        fresh=False,
        read_only=read_only,
        honour_rate_limits=True,
    )
    target.on_close(client.close)
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServedMock:
    """``rspace-mock serve`` on a free loopback port, stopped by :meth:`stop`."""

    def __init__(self, fixtures: Path, startup_timeout: float = 30.0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "mock_server",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--fixtures",
            str(fixtures),
        ]
        # The server's log goes to a file: an unread pipe would fill up and block the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            command,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._wait_until_ready(startup_timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                output = self.log.read().decode(errors="replace")
                self.log.close()
                raise RuntimeError(f"rspace-mock serve exited early:\n{output}")
            try:
                httpx.get(self.base_url + "/api/v1/status", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"rspace-mock serve did not answer on {self.base_url}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
