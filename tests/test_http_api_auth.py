"""API authentication over HTTP (RSpace's ``CombinedApiAuthenticator``): every failure's
message, the order of checks, and the throttle headers."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mock_server.domain.kinds import USERS
from mock_server.domain.system import load_switches, save_switches
from tests.http_helpers import API_KEYS, assert_api_error, bearer, grant_form, make_client

MISSING = (
    "API authentication information is missing - please include your apiKey as a header in "
    "the format ''apiKey:myAPikey'' or with OAuth in the format ''Authorization: Bearer "
    "<myAccessToken>''."
)
RATE_HEADERS = {
    "X-Rate-Limit-Limit": "10",
    "X-Rate-Limit-Remaining": "10.0",
    "X-Rate-Limit-WaitTimeTillNextRequestMillis-quarter_min": "100",
    "X-Rate-Limit-Limit-hour": "10",
    "X-Rate-Limit-Remaining-hour": "10.0",
    "X-Rate-Limit-WaitTimeTillNextRequestMillis-hour": "100",
    "X-Rate-Limit-Limit-day": "10",
    "X-Rate-Limit-Remaining-day": "10.0",
    "X-Rate-Limit-WaitTimeTillNextRequestMillis-day": "100",
    "X-Rate-Limit-MinWaitIntervalMillis": "100",
    "X-Rate-Limit-WaitTimeMillis": "100",
}


@pytest.fixture
def client() -> TestClient:
    return make_client()


def token(client: TestClient, **extra: str) -> str:
    response = client.post("/oauth/token", data=grant_form(**extra))
    assert response.status_code == 200, response.text
    access_token: str = response.json()["access_token"]
    return access_token


def test_status_with_api_key(client: TestClient) -> None:
    response = client.get("/api/v1/status", headers={"apiKey": API_KEYS["alice"]})
    assert response.status_code == 200
    assert response.json() == {"message": "OK", "rspaceVersion": "2.25.0"}


def test_status_with_bearer_token_and_jwt(client: TestClient) -> None:
    assert client.get("/api/v1/status", headers=bearer(token(client))).status_code == 200
    jwt = token(client, is_jwt="true")
    assert client.get("/api/v1/status", headers=bearer(jwt)).status_code == 200


def test_no_credentials_is_401_with_literal_doubled_quotes(client: TestClient) -> None:
    response = client.get("/api/v1/status")
    assert_api_error(response, 401, 40101, MISSING, ["Authorisation error"])
    assert "www-authenticate" not in response.headers


def test_api_key_wins_over_authorization(client: TestClient) -> None:
    headers = {"apiKey": "wrongKey123", **bearer(token(client))}
    assert_api_error(
        client.get("/api/v1/status", headers=headers),
        401,
        40101,
        "User could not be authenticated for token w......",
    )


def test_empty_api_key_falls_back_to_bearer(client: TestClient) -> None:
    headers = {"apiKey": "", **bearer(token(client))}
    assert client.get("/api/v1/status", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"apiKey": "not-valid!"}, "API key invalid - must match regexp:[A-Za-z_0-9]+"),
        ({"apiKey": "abcdefgh"}, "User could not be authenticated for token a......"),
        ({"apiKey": "abc"}, "User could not be authenticated for token abc..."),
        ({"apiKey": API_KEYS["dave"]}, "Access to API has been disabled for user 'dave'"),
        (
            {"Authorization": "bearer " + "A" * 32},
            'Authorization header for OAuth must be in the form "Bearer <myAccessToken>"',
        ),
        (
            {"Authorization": "Bearer"},
            'Authorization header for OAuth must be in the form "Bearer <myAccessToken>"',
        ),
        (
            {"Authorization": "Bearer a b"},
            'Authorization header for OAuth must be in the form "Bearer <myAccessToken>"',
        ),
        (
            {"Authorization": "Basic dXNlcjpwYXNz"},
            'Authorization header for OAuth must be in the form "Bearer <myAccessToken>"',
        ),
        ({"Authorization": "Bearer ????"}, "OAuth token is invalid or expired."),
        ({"Authorization": "Bearer short"}, "OAuth token is invalid or expired."),
        (
            {"Authorization": "Bearer " + "Q" * 32},
            "User could not be authenticated for token Q......",
        ),
        (
            {"Authorization": "Bearer aaa.bbb.ccc"},
            "User could not be authenticated for token a......",
        ),
    ],
)
def test_authentication_failures(client: TestClient, headers: dict[str, str], message: str) -> None:
    assert_api_error(
        client.get("/api/v1/status", headers=headers), 401, 40101, message, ["Authorisation error"]
    )


def test_locked_user_api_key_is_refused(client: TestClient) -> None:
    mock = client.app.state.mock  # type: ignore[attr-defined]
    alice = mock.store.collection(USERS).find("username", "alice")
    alice.account_locked = True
    mock.store.collection(USERS).put(alice)
    assert_api_error(
        client.get("/api/v1/status", headers={"apiKey": API_KEYS["alice"]}),
        401,
        40101,
        "Api access denied as account for user 'alice', who is associated with provided "
        "authentication token, is locked or disabled",
    )


def test_oauth_switched_off_refuses_bearer_but_not_api_key(client: TestClient) -> None:
    access_token = token(client)
    mock = client.app.state.mock  # type: ignore[attr-defined]
    switches = load_switches(mock.store)
    switches.oauth_enabled = False
    save_switches(mock.store, switches)
    assert_api_error(
        client.get("/api/v1/status", headers=bearer(access_token)),
        401,
        40101,
        "Access through OAuth tokens has been disabled for user 'alice'",
    )
    assert client.get("/api/v1/status", headers={"apiKey": API_KEYS["alice"]}).status_code == 200


def test_api_switched_off_refuses_api_keys() -> None:
    client = make_client(api_enabled=False)
    assert_api_error(
        client.get("/api/v1/status", headers={"apiKey": API_KEYS["alice"]}),
        401,
        40101,
        "Access to API has been disabled by RSpace administrator.",
    )


def test_authentication_comes_before_404(client: TestClient) -> None:
    assert_api_error(
        client.get("/api/v1/documents/999999", headers={"apiKey": "wrongKey1"}), 401, 40101
    )


def test_authentication_comes_before_400(client: TestClient) -> None:
    assert_api_error(client.get("/api/v1/documents/notanumber"), 401, 40101, MISSING)
    assert_api_error(client.get("/api/v1/documents?pageSize=0"), 401, 40101, MISSING)


def test_throttle_headers_on_success_and_on_401(client: TestClient) -> None:
    for headers in ({"apiKey": API_KEYS["alice"]}, {}):
        response = client.get("/api/v1/documents", headers=headers)
        for name, value in RATE_HEADERS.items():
            assert response.headers[name] == value


def test_unknown_api_path_is_plain_404_without_throttle_headers(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here", headers={"apiKey": API_KEYS["alice"]})
    assert_api_error(response, 404, 40401)
    assert "X-Rate-Limit-Limit" not in response.headers


def test_no_cookies_are_set(client: TestClient) -> None:
    response = client.get("/api/v1/status", headers={"apiKey": API_KEYS["alice"]})
    assert "set-cookie" not in response.headers
