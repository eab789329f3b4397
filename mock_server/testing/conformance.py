"""Client conformance scenarios: does *your* RSpace client behave correctly against RSpace?

Write a small adapter around your client (``login``, ``list_documents``, ``get_document``,
``create_document``) and subclass :class:`ClientConformance`::

    from mock_server.testing.conformance import ClientConformance, ClientSetup

    class TestMyClient(ClientConformance):
        def make_adapter(self, setup: ClientSetup) -> MyAdapter:
            return MyAdapter(setup.base_url, setup.client_id, ...)

pytest then runs every scenario below against your client, on the ``rspace_mock`` fixture.
A scenario whose capability the adapter lacks (``oauth``, ``jwt``) is skipped with the reason.
Every scenario records what the client sent (from the journal) as the test's
``client_did`` property, and a failure message lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pytest

from .helpers import ClientBehaviourError, FaultHelper, RSpaceMockHandle, describe

#: Capabilities an adapter may declare.
OAUTH, JWT, API_KEY = "oauth", "jwt", "api_key"


@dataclass(frozen=True)
class ClientSetup:
    """Everything a client needs to talk to the fake as one user."""

    base_url: str
    username: str
    password: str
    api_key: str | None
    client_id: str
    client_secret: str
    #: Ask for JWT access tokens (``is_jwt=true``).
    use_jwt: bool
    #: The fake's clock. A client that takes an injectable clock should use it, so that
    #: "the token is about to expire" agrees with the server's view.
    now: Callable[[], datetime]


class ClientAdapter(Protocol):
    """The client under test, reduced to the calls the scenarios make. Errors propagate as
    whatever the client raises."""

    #: Subset of {"oauth", "jwt", "api_key"}.
    capabilities: frozenset[str]

    def login(self) -> None: ...
    def list_documents(self) -> Any: ...
    def get_document(self, document_id: int) -> Any: ...
    def create_document(self, name: str) -> Any: ...
    def close(self) -> None: ...


class Scenario:
    """One scenario's view of the fake: makes clients, checks and reports the journal."""

    def __init__(
        self,
        mock: RSpaceMockHandle,
        factory: Callable[[ClientSetup], ClientAdapter],
        node: pytest.Item,
    ) -> None:
        self.mock = mock
        self.factory = factory
        self.node = node
        self.clients: list[ClientAdapter] = []
        seeded = mock.seeded
        self.username = "alice"
        self.user = seeded.user(self.username)
        self.app = seeded.apps[0]

    def setup(self, use_jwt: bool = False) -> ClientSetup:
        return ClientSetup(
            base_url=self.mock.base_url,
            username=self.username,
            password=self.user["password"],
            api_key=self.user.get("apiKey"),
            client_id=self.app["clientId"],
            client_secret=self.app["clientSecret"],
            use_jwt=use_jwt,
            now=self.mock.clock.now,
        )

    def client(self, *needs: str, use_jwt: bool = False) -> ClientAdapter:
        adapter = self.factory(self.setup(use_jwt))
        self.clients.append(adapter)
        missing = [need for need in needs if need not in adapter.capabilities]
        if missing:
            pytest.skip(
                f"not applicable: {type(adapter).__name__} declares no {', '.join(missing)} support"
            )
        return adapter

    def other_login(self) -> None:
        """Someone else (another process of the same app) logs in as the same user: RSpace
        keeps one token pair per user and app, so the client's tokens die."""
        self.mock.login(self.username, self.app)

    def mark(self) -> int:
        return self.mock.journal.last_id()

    def since(self, mark: int) -> list[Any]:
        return self.mock.journal.requests(since=mark)

    def fail(self, expectation: str, mark: int = 0) -> None:
        raise ClientBehaviourError(f"{expectation}; the client sent:\n{describe(self.since(mark))}")

    def check(self, condition: bool, expectation: str, mark: int = 0) -> None:
        if not condition:
            self.fail(expectation, mark)

    def call(self, action: Callable[[], Any], expectation: str, mark: int = 0) -> Any:
        """Run a client call that should succeed; a failure explains itself."""
        try:
            return action()
        except Exception as exc:
            self.fail(f"{expectation}, but the client raised {type(exc).__name__}: {exc}", mark)

    def expect_create_not_replayed(
        self, add_fault: Callable[[FaultHelper], Any], expectation: str
    ) -> None:
        """With a fault on ``POST /documents``, the create must fail after one attempt: the
        client cannot know whether the document was made, so posting again risks a copy."""
        client = self.client()
        self.call(client.login, "expected the login to work")
        add_fault(self.mock.faults)
        mark = self.mark()
        try:
            client.create_document("conformance: failed create")
        except Exception:
            pass
        else:
            self.fail(expectation, mark)
        posts = self.mock.journal.requests(path="/api/v1/documents", method="POST")
        self.check(len(posts) == 1, f"expected one POST, the client sent {len(posts)}", mark)

    def report(self) -> None:
        """Keep what the client sent with the test's result (``user_properties``, shown in
        JUnit XML) and in its captured output (``pytest -rP``)."""
        client_did = describe(self.mock.journal.requests())
        self.node.user_properties.append(("client_did", client_did))
        print(f"{self.node.name}: the client sent\n{client_did}")

    def close(self) -> None:
        for client in self.clients:
            client.close()


class ClientConformance:
    """Base class of the scenarios. Subclass as ``Test...`` and implement :meth:`make_adapter`."""

    #: ``True``: after expiry the client must refresh *before* its next call (it needs an
    #: injectable clock: ``ClientSetup.now``). ``False`` also accepts a client that reacts to
    #: the 401 with a refresh grant and a successful retry.
    require_proactive_refresh: bool = True

    def make_adapter(self, setup: ClientSetup) -> ClientAdapter:
        raise NotImplementedError("return an adapter around your client for this setup")

    @pytest.fixture
    def scenario(
        self, rspace_mock: RSpaceMockHandle, request: pytest.FixtureRequest
    ) -> Iterator[Scenario]:
        rspace_mock.clock.freeze()
        scenario = Scenario(rspace_mock, self.make_adapter, request.node)
        yield scenario
        scenario.report()
        scenario.close()

    # -- OAuth token life cycle ------------------------------------------------------------

    def test_token_invalidated_by_another_login(self, scenario: Scenario) -> None:
        """Another password grant for the same user and app replaces the pair: the client's
        access *and* refresh tokens die. It must log in again and carry on."""
        client = scenario.client(OAUTH)
        scenario.call(client.login, "expected the login to work")
        scenario.call(client.list_documents, "the first listing should work")
        scenario.other_login()
        mark = scenario.mark()
        scenario.call(
            client.list_documents, "expected the client to log in again after a 401", mark
        )
        grants = [e.grant_type for e in scenario.since(mark) if e.path == "/oauth/token"]
        scenario.check(
            "password" in grants, "expected a new password grant after the pair died", mark
        )

    def test_access_token_expired(self, scenario: Scenario) -> None:
        """An hour later the access token is dead; the client must refresh (not log in with
        the password again) before its next call."""
        client = scenario.client(OAUTH)
        scenario.call(client.login, "expected the login to work")
        scenario.call(client.list_documents, "the first listing should work")
        scenario.mock.expire_tokens()
        mark = scenario.mark()
        scenario.call(client.list_documents, "expected the listing after expiry to work", mark)
        if self.require_proactive_refresh:
            scenario.mock.journal.assert_refresh_before_api_call(since=mark)
        grants = [e.grant_type for e in scenario.since(mark) if e.path == "/oauth/token"]
        scenario.check(
            grants[:1] == ["refresh_token"],
            "expected a refresh grant (not a new password grant) after the access token expired",
            mark,
        )
        api = [e for e in scenario.since(mark) if e.path.startswith("/api/")]
        scenario.check(
            bool(api) and api[-1].status == 200, "expected the call after refresh to work", mark
        )

    def test_refresh_token_rotated(self, scenario: Scenario) -> None:
        """A refresh grant rotates the refresh token; reusing the old one gets 404. After two
        expiries the client must have used the new refresh token each time."""
        client = scenario.client(OAUTH)
        scenario.call(client.login, "expected the login to work")
        for round_number in (1, 2):
            scenario.mock.expire_tokens()
            scenario.call(
                client.list_documents, f"expected the listing after expiry {round_number} to work"
            )
        scenario.mock.journal.assert_no_refresh_token_reuse()
        refreshes = scenario.mock.journal.token_requests("refresh_token")
        scenario.check(
            len(refreshes) >= 2 and all(e.status == 200 for e in refreshes[:2]),
            "expected two successful refresh grants",
        )

    def test_client_credentials_sent_as_form_parameters(self, scenario: Scenario) -> None:
        """RSpace reads ``client_id`` and ``client_secret`` from the form (or query) only;
        HTTP Basic client authentication, the OAuth default of many libraries, is ignored."""
        client = scenario.client(OAUTH)
        scenario.call(client.login, "expected the login to work")
        scenario.mock.expire_tokens()
        scenario.call(client.list_documents, "expected the listing after expiry to work")
        scenario.mock.journal.assert_credentials_in_form()

    def test_jwt_flow(self, scenario: Scenario) -> None:
        """With ``is_jwt=true`` the access token is a JWT; a refresh returns a new JWT and no
        new refresh token, so the client must keep the one it has."""
        client = scenario.client(OAUTH, JWT, use_jwt=True)
        scenario.call(client.login, "expected the login to work")
        (login,) = scenario.mock.journal.token_requests("password")
        scenario.check(login.params.get("is_jwt") == "true", "expected is_jwt=true on login")
        scenario.call(client.list_documents, "expected the listing with a JWT to work")
        for round_number in (1, 2):
            scenario.mock.expire_tokens()
            scenario.call(
                client.list_documents,
                f"expected the listing after JWT expiry {round_number} to work",
            )
        refreshes = scenario.mock.journal.token_requests("refresh_token")
        scenario.check(
            len(refreshes) >= 2 and all(e.status == 200 for e in refreshes),
            "expected each JWT expiry to be met by a successful refresh grant (the refresh "
            "token is not rotated in the JWT flow)",
        )

    def test_revoked_access_gives_401_and_the_client_stops(self, scenario: Scenario) -> None:
        """Access is revoked (OAuth: the app is deleted; API key: the user's API access is
        switched off). The client must report the failure, not loop."""
        client = scenario.client()
        scenario.call(client.login, "expected the login to work")
        scenario.call(client.list_documents, "the first listing should work")
        if OAUTH in client.capabilities:
            scenario.mock.apps.delete(scenario.app["clientId"])
        else:
            scenario.mock.users.set_api_access(scenario.username, False)
        mark = scenario.mark()
        try:
            client.list_documents()
        except Exception:
            pass
        else:
            scenario.fail("expected the client to raise after its access was revoked", mark)
        attempts = scenario.since(mark)
        scenario.check(
            len(attempts) <= 4,
            f"expected at most 4 requests after revocation, got {len(attempts)}",
            mark,
        )

    # -- server and network failures --------------------------------------------------------

    def test_429_with_rspace_headers_is_retried(self, scenario: Scenario) -> None:
        """One 429 (RSpace's throttle message and ``X-Rate-Limit-*`` headers, no
        ``Retry-After``): the client should wait and retry."""
        client = scenario.client()
        scenario.call(client.login, "expected the login to work")
        scenario.mock.faults.throttle("/api/v1/documents", method="GET")
        mark = scenario.mark()
        scenario.call(client.list_documents, "expected the listing to survive one 429", mark)
        statuses = [e.status for e in scenario.since(mark) if e.path == "/api/v1/documents"]
        scenario.check(statuses[:1] == [429] and statuses[-1] == 200, "expected 429 then 200")

    def test_5xx_on_an_idempotent_call_is_retried(self, scenario: Scenario) -> None:
        client = scenario.client()
        scenario.call(client.login, "expected the login to work")
        scenario.mock.faults.error("/api/v1/documents", 503, method="GET")
        mark = scenario.mark()
        scenario.call(client.list_documents, "expected the listing to survive one 503", mark)

    def test_5xx_on_a_non_idempotent_call_is_not_replayed(self, scenario: Scenario) -> None:
        """A 500 on ``POST /documents``: the client cannot know whether the document was made,
        so it must report the error rather than post again (and risk a duplicate)."""
        scenario.expect_create_not_replayed(
            lambda faults: faults.error("/api/v1/documents", 500, method="POST"),
            "expected the client to raise on a 500 from create",
        )

    def test_dropped_connection_on_an_idempotent_call_is_retried(self, scenario: Scenario) -> None:
        client = scenario.client()
        scenario.call(client.login, "expected the login to work")
        scenario.mock.faults.drop("/api/v1/documents", method="GET")
        mark = scenario.mark()
        scenario.call(
            client.list_documents, "expected the listing to survive a dropped connection", mark
        )

    def test_dropped_connection_on_a_non_idempotent_call_is_not_replayed(
        self, scenario: Scenario
    ) -> None:
        scenario.expect_create_not_replayed(
            lambda faults: faults.drop("/api/v1/documents", method="POST"),
            "expected the client to raise when the create was cut off",
        )

    def test_get_and_create_round_trip(self, scenario: Scenario) -> None:
        """The basics: create a document, then read it back by id."""
        client = scenario.client()
        scenario.call(client.login, "expected the login to work")
        created = scenario.call(
            lambda: client.create_document("conformance round trip"), "create should work"
        )
        document_id = created["id"] if isinstance(created, dict) else created
        fetched = scenario.call(lambda: client.get_document(document_id), "get should work")
        name = fetched["name"] if isinstance(fetched, dict) else None
        scenario.check(name == "conformance round trip", "expected the created document back")
