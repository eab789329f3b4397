"""The conformance scenarios can fail: clients with known bad habits are caught, and the
failure says what the client sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mock_server.testing import ClientBehaviourError, RSpaceMockHandle
from mock_server.testing.adapters.oauth_requests import OAuthRequestsAdapter
from mock_server.testing.adapters.rspace_sdk import RSpaceSdkAdapter
from mock_server.testing.conformance import OAUTH, ClientConformance, ClientSetup, Scenario


class NaiveOAuthAdapter:
    """Logs in with the password whenever anything goes wrong; never refreshes; keeps using
    its first refresh token; replays every failed call, POSTs included."""

    capabilities = frozenset({OAUTH})

    def __init__(self, setup: ClientSetup, *, refresh_with_first_token: bool = False) -> None:
        self.setup = setup
        self.refresh_with_first_token = refresh_with_first_token
        self.first_refresh_token: str | None = None
        self.access_token = ""

    def _grant(self, **form: str) -> dict[str, Any]:
        response = requests.post(
            self.setup.base_url + "/oauth/token",
            data={
                "client_id": self.setup.client_id,
                "client_secret": self.setup.client_secret,
                **form,
            },
            timeout=5,
        )
        response.raise_for_status()
        token: dict[str, Any] = response.json()
        self.access_token = token["access_token"]
        return token

    def login(self) -> None:
        token = self._grant(
            grant_type="password", username=self.setup.username, password=self.setup.password
        )
        self.first_refresh_token = self.first_refresh_token or token["refresh_token"]

    def _recover(self) -> None:
        if self.refresh_with_first_token and self.first_refresh_token:
            try:
                self._grant(grant_type="refresh_token", refresh_token=self.first_refresh_token)
                return
            except requests.HTTPError:
                pass
        self.login()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        for _ in range(3):
            try:
                response = requests.request(
                    method,
                    self.setup.base_url + path,
                    headers={"Authorization": f"Bearer {self.access_token}"},
                    timeout=5,
                    **kwargs,
                )
            except requests.ConnectionError:
                continue
            if response.status_code == 401:
                self._recover()
                continue
            if response.status_code >= 500:
                continue
            response.raise_for_status()
            return response.json()
        raise RuntimeError("gave up")

    def list_documents(self) -> Any:
        return self._call("GET", "/api/v1/documents")

    def get_document(self, document_id: int) -> Any:
        return self._call("GET", f"/api/v1/documents/{document_id}")

    def create_document(self, name: str) -> Any:
        return self._call("POST", "/api/v1/documents", json={"name": name})

    def close(self) -> None:
        pass


@pytest.fixture
def scenarios() -> ClientConformance:
    return ClientConformance()


def make_scenario(
    mock: RSpaceMockHandle, request: pytest.FixtureRequest, factory: Any
) -> Iterator[Scenario]:
    mock.clock.freeze()
    scenario = Scenario(mock, factory, request.node)
    yield scenario
    scenario.close()


@pytest.fixture
def naive(rspace_mock: RSpaceMockHandle, request: pytest.FixtureRequest) -> Iterator[Scenario]:
    yield from make_scenario(rspace_mock, request, NaiveOAuthAdapter)


def test_expiry_scenario_catches_a_client_that_logs_in_again_instead_of_refreshing(
    naive: Scenario, scenarios: ClientConformance
) -> None:
    with pytest.raises(ClientBehaviourError) as failure:
        scenarios.test_access_token_expired(naive)
    message = str(failure.value)
    assert "expected a refresh grant before the first API call after expiry" in message
    assert "GET /api/v1/documents [Authorization: Bearer ***] -> 401" in message


def test_rotation_scenario_catches_reuse_of_a_spent_refresh_token(
    rspace_mock: RSpaceMockHandle, request: pytest.FixtureRequest, scenarios: ClientConformance
) -> None:
    def factory(setup: ClientSetup) -> NaiveOAuthAdapter:
        return NaiveOAuthAdapter(setup, refresh_with_first_token=True)

    for scenario in make_scenario(rspace_mock, request, factory):
        with pytest.raises(ClientBehaviourError, match="reused a rotated or revoked refresh"):
            scenarios.test_refresh_token_rotated(scenario)


def test_non_idempotent_scenario_catches_a_replayed_post(
    naive: Scenario, scenarios: ClientConformance
) -> None:
    with pytest.raises(ClientBehaviourError, match="expected the client to raise on a 500"):
        scenarios.test_5xx_on_a_non_idempotent_call_is_not_replayed(naive)
    naive.mock.journal.clear()
    naive.mock.faults.clear()
    with pytest.raises(ClientBehaviourError, match="cut off"):
        scenarios.test_dropped_connection_on_a_non_idempotent_call_is_not_replayed(naive)


@pytest.mark.parametrize(
    "name",
    [
        "test_429_with_rspace_headers_is_retried",
        "test_5xx_on_an_idempotent_call_is_retried",
        "test_dropped_connection_on_an_idempotent_call_is_retried",
    ],
)
def test_the_sdk_without_retries_fails_the_retry_scenarios(
    rspace_mock: RSpaceMockHandle,
    request: pytest.FixtureRequest,
    scenarios: ClientConformance,
    name: str,
) -> None:
    def factory(setup: ClientSetup) -> RSpaceSdkAdapter:
        return RSpaceSdkAdapter(setup, max_retries=0)

    for scenario in make_scenario(rspace_mock, request, factory):
        with pytest.raises(ClientBehaviourError, match="the client raised"):
            getattr(scenarios, name)(scenario)


class BasicAuthAdapter(NaiveOAuthAdapter):
    """Sends the client credentials as HTTP Basic, as many OAuth libraries do by default."""

    def _grant(self, **form: str) -> dict[str, Any]:
        response = requests.post(
            self.setup.base_url + "/oauth/token",
            data=form,
            auth=(self.setup.client_id, self.setup.client_secret),
            timeout=5,
        )
        response.raise_for_status()
        token: dict[str, Any] = response.json()
        self.access_token = token["access_token"]
        return token


def test_credentials_scenario_catches_http_basic(
    rspace_mock: RSpaceMockHandle, request: pytest.FixtureRequest, scenarios: ClientConformance
) -> None:
    for scenario in make_scenario(rspace_mock, request, BasicAuthAdapter):
        with pytest.raises(ClientBehaviourError) as failure:
            scenarios.test_client_credentials_sent_as_form_parameters(scenario)
        message = str(failure.value)
        assert "expected the login to work, but the client raised HTTPError" in message
        assert (
            "#1 POST /oauth/token grant_type=password username=alice "
            "[Authorization: Basic ***] -> 400" in message
        )


def reactive_client(setup: ClientSetup) -> OAuthRequestsAdapter:
    """The shipped OAuth client, but judging expiry by a clock that never moves: it only
    learns of the expiry from the 401."""
    adapter = OAuthRequestsAdapter(setup)
    started = setup.now()
    adapter.client.now = lambda: started
    return adapter


def test_a_reactive_client_fails_the_strict_expiry_scenario_and_passes_the_lenient_one(
    rspace_mock: RSpaceMockHandle, request: pytest.FixtureRequest
) -> None:
    class Strict(ClientConformance):
        pass

    class Lenient(ClientConformance):
        require_proactive_refresh = False

    for scenario in make_scenario(rspace_mock, request, reactive_client):
        with pytest.raises(ClientBehaviourError, match="before the first API call"):
            Strict().test_access_token_expired(scenario)
    rspace_mock.reset()
    for scenario in make_scenario(rspace_mock, request, reactive_client):
        Lenient().test_access_token_expired(scenario)
        statuses = [e.status for e in rspace_mock.journal.api_requests()]
        assert statuses == [200, 401, 200]
