"""A generic RFC 6749 client (``requests-oauthlib`` 2.0.0 on ``oauthlib``) against the served fake.

Nobody on the team wrote this client, and it knows nothing about RSpace: the password grant
(``LegacyApplicationClient``) with the client credentials in the body, then a refresh, then the
tokens used as Bearer by plain ``requests``, by the session itself and by the official SDK.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from oauthlib.oauth2 import LegacyApplicationClient, MissingTokenError
from requests_oauthlib import OAuth2Session
from rspace_client.eln.eln import ELNClient

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


@pytest.fixture(autouse=True)
def _allow_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses http:// token URLs unless told the transport is a test one.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.delenv("OAUTHLIB_STRICT_TOKEN_TYPE", raising=False)


def new_session(client_id: str) -> OAuth2Session:
    return OAuth2Session(client=LegacyApplicationClient(client_id=client_id))


def fetch(session: OAuth2Session, base_url: str, creds: dict[str, str], **extra: Any) -> Any:
    return session.fetch_token(
        f"{base_url}/oauth/token",
        username=creds["username"],
        password=creds["password"],
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        include_client_id=True,
        **extra,
    )


class BearerELNClient(ELNClient):
    """The SDK with an OAuth access token instead of an API key (it has no OAuth support)."""

    def __init__(self, rspace_url: str, access_token: str, **kwargs: Any) -> None:
        self.access_token = access_token
        super().__init__(rspace_url, "", **kwargs)
        # 2.7.4 also puts the API key on the session; a non-empty apiKey would win over Bearer.
        self._session.headers.pop("apiKey", None)

    def _get_headers(self, content_type: str | None = "application/json") -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        if content_type is not None:
            headers["Accept"] = content_type
        return headers


def bearer_get(base_url: str, path: str, access_token: str) -> requests.Response:
    return requests.get(
        f"{base_url}/api/v1/{path}",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )


def test_fetch_token_with_client_id_in_the_body_gets_a_pair(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    token = fetch(
        new_session(grant_credentials["client_id"]), shared_live_server, grant_credentials
    )
    assert set(token) >= {"access_token", "refresh_token", "scope", "expires_in", "expires_at"}
    assert "token_type" not in token  # oauthlib adds none; RSpace sends none
    assert token["scope"] == ["all"]
    assert token["expires_in"] in (3599, 3600)


def test_access_token_from_oauthlib_lists_documents_with_plain_requests(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    token = fetch(
        new_session(grant_credentials["client_id"]), shared_live_server, grant_credentials
    )
    response = bearer_get(shared_live_server, "documents", token["access_token"])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    owners = {d["owner"]["username"] for d in response.json()["documents"]}
    assert owners == {grant_credentials["username"]}


def test_the_oauth2_session_itself_sends_the_token_as_bearer(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    session = new_session(grant_credentials["client_id"])
    fetch(session, shared_live_server, grant_credentials)
    response = session.get(f"{shared_live_server}/api/v1/status", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "OK"


def test_refresh_token_rotates_the_pair_and_the_old_access_token_stops_working(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    session = new_session(grant_credentials["client_id"])
    first = dict(fetch(session, shared_live_server, grant_credentials))
    second = session.refresh_token(
        f"{shared_live_server}/oauth/token",
        refresh_token=first["refresh_token"],
        client_id=grant_credentials["client_id"],
        client_secret=grant_credentials["client_secret"],
    )
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer_get(shared_live_server, "status", second["access_token"]).status_code == 200
    assert bearer_get(shared_live_server, "status", first["access_token"]).status_code == 401


def test_refresh_with_is_jwt_leaves_the_sessions_refresh_token_valid(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    # RSpace does not rotate the refresh token on an is_jwt refresh and sends none back;
    # requests-oauthlib then keeps the one it had, which must still work.
    session = new_session(grant_credentials["client_id"])
    first = dict(fetch(session, shared_live_server, grant_credentials))
    jwt_token = session.refresh_token(
        f"{shared_live_server}/oauth/token",
        client_id=grant_credentials["client_id"],
        client_secret=grant_credentials["client_secret"],
        is_jwt="true",
    )
    assert jwt_token["access_token"].count(".") == 2
    assert jwt_token["refresh_token"] == first["refresh_token"]
    assert bearer_get(shared_live_server, "status", jwt_token["access_token"]).ok
    rotated = session.refresh_token(
        f"{shared_live_server}/oauth/token",
        client_id=grant_credentials["client_id"],
        client_secret=grant_credentials["client_secret"],
    )
    assert rotated["refresh_token"] != first["refresh_token"]


def test_an_expired_session_token_is_refreshed_automatically_before_the_call(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    updates: list[dict[str, Any]] = []
    session = OAuth2Session(
        client=LegacyApplicationClient(client_id=grant_credentials["client_id"]),
        auto_refresh_url=f"{shared_live_server}/oauth/token",
        auto_refresh_kwargs={
            "client_id": grant_credentials["client_id"],
            "client_secret": grant_credentials["client_secret"],
        },
        token_updater=updates.append,
    )
    first = dict(fetch(session, shared_live_server, grant_credentials))
    # Make the library believe the hour is over (the server's clock is not touched).
    session.token = {**session.token, "expires_at": time.time() - 10, "expires_in": -10}
    response = session.get(f"{shared_live_server}/api/v1/status", timeout=10)
    assert response.status_code == 200, response.text
    (updated,) = updates
    assert updated["access_token"] != first["access_token"]
    assert updated["refresh_token"] != first["refresh_token"]


def test_is_jwt_passed_as_an_extra_token_parameter_returns_a_usable_jwt(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    fetch(new_session(grant_credentials["client_id"]), shared_live_server, grant_credentials)
    jwt_token = fetch(
        new_session(grant_credentials["client_id"]),
        shared_live_server,
        grant_credentials,
        is_jwt="true",
    )
    assert jwt_token["access_token"].count(".") == 2
    assert "refresh_token" not in jwt_token  # a pair already exists
    assert bearer_get(shared_live_server, "documents", jwt_token["access_token"]).ok


def test_the_official_sdk_lists_documents_with_an_oauthlib_token(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    token = fetch(
        new_session(grant_credentials["client_id"]), shared_live_server, grant_credentials
    )
    with BearerELNClient(shared_live_server, token["access_token"], max_retries=0) as sdk:
        assert "apiKey" not in sdk._session.headers
        created = sdk.create_document(name="made with an OAuth token")
        listing = sdk.get_documents(page_size=100)
        fetched = sdk.get_document(created["id"])
    assert fetched["owner"]["username"] == grant_credentials["username"]
    # Newest first by default, so the new document is on the first page.
    assert listing["documents"][0]["id"] == created["id"]
    assert {d["owner"]["username"] for d in listing["documents"]} == {grant_credentials["username"]}


def test_an_empty_api_key_header_is_ignored_in_favour_of_bearer(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    # The SDK built with api_key="" sends "apiKey: " on every call unless it is removed.
    token = fetch(
        new_session(grant_credentials["client_id"]), shared_live_server, grant_credentials
    )
    response = requests.get(
        f"{shared_live_server}/api/v1/status",
        headers={"apiKey": "", "Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_a_non_empty_api_key_header_wins_over_a_valid_bearer_token(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    # Why BearerELNClient removes the SDK's session apiKey header: RSpace checks it first.
    token = fetch(
        new_session(grant_credentials["client_id"]), shared_live_server, grant_credentials
    )
    response = requests.get(
        f"{shared_live_server}/api/v1/status",
        headers={"apiKey": "wrongKey", "Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["message"] == "User could not be authenticated for token w......"


def test_http_basic_client_credentials_are_ignored_so_client_secret_is_reported_missing(
    shared_live_server: str, grant_credentials: dict[str, str]
) -> None:
    # Without include_client_id=True the library sends client_id:client_secret as HTTP Basic
    # and neither as a parameter. RSpace reads no Basic header; Spring binds grant_type, then
    # client_secret, then client_id, so client_secret is the one reported.
    session = new_session(grant_credentials["client_id"])
    responses: list[requests.Response] = []

    def keep(response: requests.Response) -> requests.Response:
        responses.append(response)
        return response

    session.register_compliance_hook("access_token_response", keep)
    with pytest.raises(MissingTokenError):
        session.fetch_token(
            f"{shared_live_server}/oauth/token",
            username=grant_credentials["username"],
            password=grant_credentials["password"],
            client_id=grant_credentials["client_id"],
            client_secret=grant_credentials["client_secret"],
        )
    (response,) = responses
    assert response.request.headers["Authorization"].startswith("Basic ")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    body = response.json()
    assert body.pop("iso8601Timestamp")
    assert body == {
        "status": "BAD_REQUEST",
        "httpCode": 400,
        "internalCode": 40005,
        "message": (
            "Required request parameter 'client_secret' for method parameter type String is "
            "not present"
        ),
        "messageCode": None,
        "errors": ["client_secret parameter is missing"],
        "data": None,
    }
