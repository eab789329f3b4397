"""The object the pytest fixtures hand to a test: the fake's URL, its seeded credentials and
Python helpers for the admin operations (clock, journal, faults, users, apps, documents,
settings), with assertions whose failures say what the client actually did."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..admin.control import MockControl, Seeded
from ..admin.faults import FaultRule
from ..admin.journal import JournalEntry
from ..clock import Clock
from ..domain.oauth import TokenRequest
from ..runtime import MockRSpace
from ..web.representations import token_response


class ClientBehaviourError(AssertionError):
    """The client did not do what RSpace needs; the message lists what it sent."""


def describe(entries: Iterable[JournalEntry], limit: int = 30) -> str:
    lines = [f"  {entry.summary()}" for entry in entries]
    if not lines:
        return "  (no requests)"
    if len(lines) > limit:
        lines = lines[:limit] + [f"  ... and {len(lines) - limit} more"]
    return "\n".join(lines)


class JournalHelper:
    def __init__(self, control: MockControl) -> None:
        self._control = control

    def requests(
        self,
        path: str | None = None,
        method: str | None = None,
        user: str | None = None,
        status: int | None = None,
        since: int | None = None,
    ) -> list[JournalEntry]:
        """Journal entries, oldest first; ``path`` may end in ``*`` for a prefix."""
        return self._control.journal(
            path=path, method=method, user=user, status=status, since_id=since
        )

    def token_requests(self, grant_type: str | None = None) -> list[JournalEntry]:
        entries = self.requests(path="/oauth/token")
        if grant_type is None:
            return entries
        return [e for e in entries if e.grant_type == grant_type]

    def api_requests(self) -> list[JournalEntry]:
        return self.requests(path="/api/*")

    def last_id(self) -> int:
        entries = self.requests()
        return entries[-1].id if entries else 0

    def clear(self) -> None:
        self._control.clear_journal()

    def describe(self, entries: Iterable[JournalEntry] | None = None) -> str:
        return describe(self.requests() if entries is None else entries)

    # -- assertions ---------------------------------------------------------------------

    def _fail(self, expectation: str, entries: list[JournalEntry] | None = None) -> None:
        raise ClientBehaviourError(
            f"{expectation}; the client sent:\n{describe(entries or self.requests())}"
        )

    def assert_count(self, expected: int, **filters: Any) -> list[JournalEntry]:
        entries = self.requests(**filters)
        if len(entries) != expected:
            shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "any request"
            self._fail(f"expected {expected} request(s) matching {shown}, got {len(entries)}")
        return entries

    def assert_refresh_before_api_call(self, since: int = 0) -> JournalEntry:
        """A refresh grant came after ``since`` and before the first later API call, and that
        API call succeeded."""
        later = self.requests(since=since)
        for entry in later:
            if entry.path == "/oauth/token" and entry.grant_type == "refresh_token":
                return entry
            if entry.path.startswith("/api/"):
                self._fail("expected a refresh grant before the first API call after expiry", later)
        self._fail("expected a refresh grant, saw none", later)
        raise AssertionError  # unreachable

    def assert_no_refresh_token_reuse(self) -> None:
        """No refresh grant got RSpace's 404 for a spent (rotated) refresh token."""
        bad = [e for e in self.token_requests("refresh_token") if e.status == 404]
        if bad:
            self._fail(
                f"the client reused a rotated or revoked refresh token ({len(bad)} refresh "
                "grant(s) got 404)"
            )

    def assert_credentials_in_form(self) -> None:
        """Every token request sent client_id/client_secret as parameters, never HTTP Basic
        (RSpace ignores Basic credentials)."""
        for entry in self.token_requests():
            if entry.request_headers.get("authorization", "").startswith("Basic"):
                self._fail(
                    "RSpace reads client_id and client_secret from the form only, but the "
                    f"client sent HTTP Basic credentials (request #{entry.id})"
                )
            if "client_id" not in entry.params:
                self._fail(f"token request #{entry.id} has no client_id parameter")

    def assert_no_request_after(self, status: int, path: str = "/api/*") -> None:
        """After a response with ``status``, the client made no further call to ``path``."""
        entries = self.requests(path=path)
        for index, entry in enumerate(entries):
            if entry.status == status and index + 1 < len(entries):
                self._fail(f"expected the client to stop after a {status}", entries)


class FaultHelper:
    def __init__(self, control: MockControl) -> None:
        self._control = control

    def add(
        self,
        path: str = "*",
        action: str = "error",
        *,
        status: int = 500,
        method: str | None = None,
        user: str | None = None,
        nth: int | None = None,
        probability: float | None = None,
        times: int | None = 1,
        delay: float | None = None,
        message: str | None = None,
    ) -> FaultRule:
        """``faults.add("/api/v1/documents", "error", status=503, times=2)``; actions:
        ``error``, ``delay`` (``delay=`` seconds), ``drop``, ``truncate``."""
        rule: dict[str, Any] = {"path": path, "action": action, "times": times}
        if action == "error":
            rule["status"] = status
        for key, value in (
            ("method", method),
            ("user", user),
            ("nth", nth),
            ("probability", probability),
            ("delay_seconds", delay),
            ("message", message),
        ):
            if value is not None:
                rule[key] = value
        return self._control.add_fault(rule)

    def error(self, path: str, status: int, **options: Any) -> FaultRule:
        return self.add(path, "error", status=status, **options)

    def throttle(self, path: str = "/api/*", **options: Any) -> FaultRule:
        """A 429 with RSpace's throttle message and ``X-Rate-Limit-*`` headers."""
        return self.add(path, "error", status=429, **options)

    def drop(self, path: str, **options: Any) -> FaultRule:
        return self.add(path, "drop", **options)

    def truncate(self, path: str, **options: Any) -> FaultRule:
        return self.add(path, "truncate", **options)

    def delay(self, path: str, seconds: float, **options: Any) -> FaultRule:
        return self.add(path, "delay", delay=seconds, **options)

    def rules(self) -> list[FaultRule]:
        return self._control.faults()

    def remove(self, rule: FaultRule | int) -> None:
        self._control.remove_fault(rule if isinstance(rule, int) else rule.id)

    def clear(self) -> None:
        self._control.clear_faults()


class UsersHelper:
    def __init__(self, control: MockControl) -> None:
        self._control = control

    def create(
        self, username: str, password: str, api_key: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"username": username, "password": password, **extra}
        if api_key is not None:
            data["apiKey"] = api_key
        return self._control.create_user(data)

    def list(self) -> list[dict[str, Any]]:
        return self._control.list_users()

    def lock(self, username: str, locked: bool = True) -> dict[str, Any]:
        return self._control.update_user(username, {"accountLocked": locked})

    def set_api_access(self, username: str, allowed: bool) -> dict[str, Any]:
        return self._control.update_user(username, {"apiAccess": allowed})

    def disconnect_app(self, username: str, client_id: str) -> dict[str, Any]:
        """RSpace's "disconnect app": revokes the user's token pair for the app."""
        return self._control.disconnect_app(username, client_id)


class AppsHelper:
    def __init__(self, control: MockControl) -> None:
        self._control = control

    def create(self, owner: str, name: str, **extra: Any) -> dict[str, Any]:
        """Returns ``{"appName", "clientId", "clientSecret", "owner"}``."""
        return self._control.create_app({"owner": owner, "name": name, **extra})

    def list(self) -> list[dict[str, Any]]:
        return self._control.list_apps()

    def delete(self, client_id: str) -> dict[str, Any]:
        return self._control.delete_app(client_id)


class DocumentsHelper:
    def __init__(self, control: MockControl) -> None:
        self._control = control

    def create(self, owner: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"owner": owner, **fields}
        if name is not None:
            data["name"] = name
        return self._control.create_document(data)


class SettingsHelper:
    def __init__(self, control: MockControl) -> None:
        self._control = control

    def get(self) -> dict[str, Any]:
        return self._control.get_settings()

    def update(self, **changes: Any) -> dict[str, Any]:
        """``settings.update(oauthEnabled=False, throttling=True)``."""
        return self._control.update_settings(changes)


class RSpaceMockHandle:
    """What the ``rspace_mock`` and ``rspace_mock_app`` fixtures give a test."""

    def __init__(self, mock: MockRSpace, base_url: str, app: Any = None) -> None:
        self.mock = mock
        self.base_url = base_url
        self.app = app
        self.control = MockControl(mock)
        self.journal = JournalHelper(self.control)
        self.faults = FaultHelper(self.control)
        self.users = UsersHelper(self.control)
        self.apps = AppsHelper(self.control)
        self.documents = DocumentsHelper(self.control)
        self.settings = SettingsHelper(self.control)

    @property
    def clock(self) -> Clock:
        """The one clock behind token expiry, JWT checks and timestamps:
        ``clock.freeze()``, ``clock.advance(3600)``, ``clock.set(dt)``, ``clock.unfreeze()``."""
        return self.mock.clock

    @property
    def seeded(self) -> Seeded:
        return self.control.seeded()

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth/token"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1"

    def url(self, path: str) -> str:
        return self.base_url + path

    def reset(self, fixtures: dict[str, Any] | None = None) -> None:
        """Back to the fixtures (or load ``fixtures``), clock running, empty journal, no faults."""
        if fixtures is not None:
            self.control.load_fixtures(fixtures)
        self.control.reset()

    def login(
        self, username: str = "alice", app: dict[str, Any] | None = None, is_jwt: bool = False
    ) -> dict[str, Any]:
        """A password grant made directly on the fake (no HTTP, so not in the journal), e.g.
        to play "another login elsewhere". Returns the token response's fields."""
        app = app or self.seeded.apps[0]
        password = self.seeded.user(username)["password"]
        issued = self.mock.tokens.grant(
            TokenRequest(
                grant_type="password",
                client_id=app["clientId"],
                client_secret=app["clientSecret"],
                username=username,
                password=password,
                is_jwt=is_jwt,
            ),
            self.mock.settings.public_url or self.base_url,
        )
        return token_response(issued, self.clock.now())

    def expire_tokens(self) -> None:
        """Move the clock past the access-token lifetime (and JWT skew)."""
        self.clock.advance(self.mock.tokens.token_ttl.total_seconds() + 181)

    def client(self) -> Any:
        """An httpx-based client for the in-process app (Starlette's ``TestClient``)."""
        from starlette.testclient import TestClient

        if self.app is None:
            raise RuntimeError("client() needs the in-process app (rspace_mock_app)")
        return TestClient(self.app, base_url=self.base_url)
