"""What a journal entry says about each request: who, how, and what came back."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.testing import RSpaceMockHandle


def grant(mock: RSpaceMockHandle, client: Any, **form: str) -> Any:
    app = mock.seeded.apps[0]
    response = client.post(
        "/oauth/token",
        data={"client_id": app["clientId"], "client_secret": app["clientSecret"], **form},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("is_jwt", ["false", "true"])
def test_refresh_grants_are_attributed_to_the_token_owner(
    rspace_mock_app: RSpaceMockHandle, is_jwt: str
) -> None:
    mock = rspace_mock_app
    with mock.client() as client:
        tokens = grant(
            mock,
            client,
            grant_type="password",
            username="bob",
            password=mock.seeded.user("bob")["password"],
        )
        grant(
            mock,
            client,
            grant_type="refresh_token",
            refresh_token=tokens["refresh_token"],
            is_jwt=is_jwt,
        )
    password, refresh = mock.journal.token_requests()
    assert password.username == "bob"
    assert refresh.username == "bob"
    assert refresh.grant_type == "refresh_token"
    assert mock.journal.requests(user="bob") == [password, refresh]


def test_api_calls_record_user_and_auth_method(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    with mock.client() as client:
        tokens = grant(
            mock,
            client,
            grant_type="password",
            username="alice",
            password=mock.seeded.user("alice")["password"],
            is_jwt="true",
        )
        client.get("/api/v1/status", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        client.get("/api/v1/status", headers={"apiKey": mock.seeded.user("bob")["apiKey"]})
        client.get("/api/v1/status?x=1")
    jwt_call, key_call, anonymous = mock.journal.api_requests()
    assert (jwt_call.username, jwt_call.auth_method) == ("alice", "jwt")
    assert jwt_call.request_headers["authorization"] == "Bearer ***"
    assert (key_call.username, key_call.auth_method) == ("bob", "api_key")
    assert (anonymous.username, anonymous.status, anonymous.query) == (None, 401, "x=1")
    assert anonymous.response_headers["x-rate-limit-limit"] == "10"
    assert '"httpCode": 401' in anonymous.response_body


def test_multipart_token_request_parameters_are_readable(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    app = mock.seeded.apps[0]
    with mock.client() as client:
        client.post(
            "/oauth/token",
            files={
                "grant_type": (None, "password"),
                "client_id": (None, app["clientId"]),
                "client_secret": (None, app["clientSecret"]),
                "username": (None, "alice"),
                "password": (None, mock.seeded.user("alice")["password"]),
            },
        )
    (entry,) = mock.journal.token_requests()
    assert entry.params["grant_type"] == "password"
    assert entry.params["password"] == "***"
    assert entry.username == "alice"
    assert entry.summary().endswith("POST /oauth/token grant_type=password username=alice -> 200")


def test_journal_can_be_switched_off(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    mock.settings.update(journal=False)
    with mock.client() as client:
        client.get("/api/v1/status")
    assert mock.journal.requests() == []
    mock.reset()
    assert mock.settings.get()["journal"] is True


def test_an_unexpected_server_error_is_journaled_as_500(
    rspace_mock_app: RSpaceMockHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    mock = rspace_mock_app

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(mock.mock.documents, "search", broken)
    with TestClient(mock.app, raise_server_exceptions=False) as client:
        response = client.get(
            "/api/v1/documents", headers={"apiKey": mock.seeded.user("alice")["apiKey"]}
        )
    assert response.status_code == 500
    (entry,) = mock.journal.api_requests()
    assert (entry.status, entry.outcome, entry.username) == (500, "error", "alice")
