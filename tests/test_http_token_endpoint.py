"""``POST /oauth/token`` over HTTP: binding, responses and every error row of RSpace's table."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import (
    APP,
    OTHER_APP,
    as_multipart,
    assert_api_error,
    bearer,
    grant_form,
    make_client,
    refresh_form,
)


@pytest.fixture
def client() -> TestClient:
    return make_client()


def test_multipart_grant_like_curl_f(client: TestClient) -> None:
    response = client.post("/oauth/token", files=as_multipart(grant_form()))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert list(body) == ["access_token", "refresh_token", "scope", "expires_in"]
    assert body["scope"] == "all"
    assert body["expires_in"] in (3599, 3600)
    assert "token_type" not in body


def test_urlencoded_grant(client: TestClient) -> None:
    assert client.post("/oauth/token", data=grant_form()).status_code == 200


def test_query_string_grant(client: TestClient) -> None:
    assert client.post("/oauth/token", params=grant_form()).status_code == 200


def test_json_body_is_not_read(client: TestClient) -> None:
    response = client.post("/oauth/token", json=grant_form())
    assert_api_error(
        response,
        400,
        40005,
        "Required request parameter 'grant_type' for method parameter type String is not present",
        ["grant_type parameter is missing"],
    )


def test_http_basic_is_not_supported(client: TestClient) -> None:
    form = grant_form()
    del form["client_id"], form["client_secret"]
    response = client.post("/oauth/token", data=form, auth=(APP["clientId"], APP["clientSecret"]))
    assert_api_error(response, 400, 40005, errors=["client_secret parameter is missing"])


def test_response_is_jackson_pretty_printed(client: TestClient) -> None:
    text = client.post("/oauth/token", data=grant_form()).text
    assert text.startswith('{\n  "access_token" : "')
    assert '\n  "scope" : "all",\n' in text


@pytest.mark.parametrize("missing", ["grant_type", "client_secret", "client_id"])
def test_missing_required_parameter_is_400(client: TestClient, missing: str) -> None:
    form = grant_form()
    del form[missing]
    assert_api_error(
        client.post("/oauth/token", data=form),
        400,
        40005,
        f"Required request parameter '{missing}' for method parameter type String is not present",
        [f"{missing} parameter is missing"],
    )


def test_missing_client_secret_reported_before_client_id(client: TestClient) -> None:
    response = client.post("/oauth/token", data={"grant_type": "password"})
    assert_api_error(response, 400, 40005, errors=["client_secret parameter is missing"])


@pytest.mark.parametrize(
    ("override", "status", "code", "message"),
    [
        ({"client_id": ""}, 401, 40101, "Parameter client_id must be present!"),
        ({"client_secret": ""}, 401, 40101, "Parameter client_secret must be present!"),
        (
            {"grant_type": "client_credentials"},
            422,
            42201,
            "Only password grant and token refresh is supported for OAuth at this time.",
        ),
        (
            {"grant_type": ""},
            422,
            42201,
            "Only password grant and token refresh is supported for OAuth at this time.",
        ),
        (
            {"username": ""},
            422,
            42201,
            "Password grant requires parameters `username` and `password` to be present.",
        ),
        (
            {"password": ""},
            422,
            42201,
            "Password grant requires parameters `username` and `password` to be present.",
        ),
        ({"username": "nobody"}, 401, 40101, "Invalid user credentials."),
        ({"password": "wrong"}, 401, 40101, "Invalid user credentials."),
        ({"client_secret": "wrong"}, 401, 40101, "OAuth token could not be created."),
        ({"client_id": "UNKNOWNCLIENT"}, 401, 40101, "OAuth token could not be created."),
    ],
)
def test_password_grant_error_table(
    client: TestClient, override: dict[str, str], status: int, code: int, message: str
) -> None:
    body = assert_api_error(
        client.post("/oauth/token", data=grant_form(**override)), status, code, message
    )
    assert body["errors"] == (["Authorisation error"] if status == 401 else [message])
    assert body["status"] == {401: "UNAUTHORIZED", 422: "UNPROCESSABLE_ENTITY"}[status]


def test_locked_user_is_401(client: TestClient) -> None:
    assert_api_error(
        client.post("/oauth/token", data=grant_form("carol")),
        401,
        40101,
        "User 'carol' has their account locked or disabled.",
        ["Authorisation error"],
    )


def test_user_without_api_access_is_401(client: TestClient) -> None:
    assert_api_error(
        client.post("/oauth/token", data=grant_form("dave")),
        401,
        40101,
        "User 'dave' doesn't have access to API",
    )


def test_missing_password_parameter_is_422(client: TestClient) -> None:
    form = grant_form()
    del form["password"]
    assert_api_error(client.post("/oauth/token", data=form), 422, 42201)


@pytest.mark.parametrize(
    ("refresh_token", "message"),
    [
        ("", "Refresh grant requires parameter `refresh_token` to be present."),
        ("tooshort", "token length incorrect"),
        ("#" * 32, "token not in base64 format"),
        ("ab#.cd.ef", "ab# not in base64 format"),
    ],
)
def test_malformed_refresh_token_is_422(
    client: TestClient, refresh_token: str, message: str
) -> None:
    assert_api_error(
        client.post("/oauth/token", data=refresh_form(refresh_token)),
        422,
        42201,
        message,
        [message],
    )


def test_refresh_grant_without_refresh_token_parameter_is_422(client: TestClient) -> None:
    form = refresh_form("x")
    del form["refresh_token"]
    assert_api_error(
        client.post("/oauth/token", data=form),
        422,
        42201,
        "Refresh grant requires parameter `refresh_token` to be present.",
    )


def test_unknown_refresh_token_is_404(client: TestClient) -> None:
    assert_api_error(
        client.post("/oauth/token", data=refresh_form("A" * 32)),
        404,
        50301,
        "OAuth token not found! Perhaps its refresh rights have been removed.",
        [""],
    )


def test_refresh_with_wrong_client_secret_is_404(client: TestClient) -> None:
    token = client.post("/oauth/token", data=grant_form()).json()["refresh_token"]
    assert_api_error(
        client.post("/oauth/token", data=refresh_form(token, client_secret="wrong")),
        404,
        50301,
        "ClientId or ClientSecret incorrect",
        [""],
    )


def test_refresh_token_of_another_app_is_404(client: TestClient) -> None:
    token = client.post("/oauth/token", data=grant_form()).json()["refresh_token"]
    assert_api_error(
        client.post("/oauth/token", data=refresh_form(token, OTHER_APP)),
        404,
        50301,
        "OAuth token not found! Perhaps its refresh rights have been removed.",
    )


def test_refresh_rotates_and_old_refresh_token_is_404(client: TestClient) -> None:
    first = client.post("/oauth/token", data=grant_form()).json()
    second = client.post("/oauth/token", data=refresh_form(first["refresh_token"])).json()
    assert {"access_token", "refresh_token"} <= set(second)
    assert second["refresh_token"] != first["refresh_token"]
    again = client.post("/oauth/token", data=refresh_form(first["refresh_token"]))
    assert again.status_code == 404
    assert client.get("/api/v1/status", headers=bearer(first["access_token"])).status_code == 401
    assert client.get("/api/v1/status", headers=bearer(second["access_token"])).status_code == 200


@pytest.mark.parametrize("spelling", ["true", "TRUE", "on", "yes", "1"])
def test_is_jwt_accepts_spring_true_spellings(client: TestClient, spelling: str) -> None:
    body = client.post("/oauth/token", data=grant_form(is_jwt=spelling)).json()
    assert body["access_token"].count(".") == 2


@pytest.mark.parametrize("spelling", ["false", "off", "no", "0", ""])
def test_is_jwt_accepts_spring_false_spellings(client: TestClient, spelling: str) -> None:
    body = client.post("/oauth/token", data=grant_form(is_jwt=spelling)).json()
    assert len(body["access_token"]) == 32


def test_is_jwt_garbage_is_a_type_mismatch_400(client: TestClient) -> None:
    assert_api_error(
        client.post("/oauth/token", data=grant_form(is_jwt="maybe")),
        400,
        40006,
        errors=["is_jwt should be of type java.lang.Boolean"],
    )


def test_jwt_for_existing_pair_has_no_refresh_token_key(client: TestClient) -> None:
    client.post("/oauth/token", data=grant_form())
    body = client.post("/oauth/token", data=grant_form(is_jwt="true")).json()
    assert list(body) == ["access_token", "scope", "expires_in"]


def test_jwt_first_grant_returns_refresh_token(client: TestClient) -> None:
    body = client.post("/oauth/token", data=grant_form(is_jwt="true")).json()
    assert list(body) == ["access_token", "refresh_token", "scope", "expires_in"]
    refreshed = client.post("/oauth/token", data=refresh_form(body["refresh_token"]))
    assert refreshed.status_code == 200


def test_get_is_method_not_allowed(client: TestClient) -> None:
    response = client.get("/oauth/token")
    assert_api_error(response, 405, 40501)
    assert response.headers["allow"] == "POST"


def test_token_endpoint_has_no_throttle_headers(client: TestClient) -> None:
    response = client.post("/oauth/token", data=grant_form())
    assert not any(h.lower().startswith("x-rate-limit") for h in response.headers)


def test_disabled_oauth_answers_every_grant_401() -> None:
    client = make_client(oauth_enabled=False)
    assert_api_error(
        client.post("/oauth/token", data=grant_form()),
        401,
        40101,
        "OAuth authentication has been disabled by RSpace administrator.",
    )


def test_disabled_api_answers_grants_401() -> None:
    client = make_client(api_enabled=False)
    assert_api_error(
        client.post("/oauth/token", data=grant_form()),
        401,
        40101,
        "Access to API has been disabled by RSpace administrator.",
    )


def test_empty_client_id_checked_before_oauth_switch() -> None:
    client = make_client(oauth_enabled=False)
    assert_api_error(
        client.post("/oauth/token", data=grant_form(client_id="")),
        401,
        40101,
        "Parameter client_id must be present!",
    )
