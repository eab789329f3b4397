"""Authentication of /api/v1 calls (rspace-web's `ApiAuthenticationInterceptor`), rate-limit
headers (`APIRequestThrottlingInterceptor`) and status."""

from __future__ import annotations

from typing import Any

import pytest

from .clauses import expect
from .helpers import DOCUMENTS, bearer, require_api_key_users, unknown_token_message
from .shapes import check_error, check_status, json_body
from .target import Target

MISSING_CREDENTIALS = (
    "API authentication information is missing - please include your apiKey as a header in "
    "the format ''apiKey:myAPikey'' or with OAuth in the format "
    "''Authorization: Bearer <myAccessToken>''."
)
BEARER_FORM = 'Authorization header for OAuth must be in the form "Bearer <myAccessToken>"'
RATE_LIMIT_HEADERS = ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-WaitTimeMillis")


@pytest.mark.real_port
@pytest.mark.clause("AUTH-MISSING-1", "AUTH-HEADERS-1")
@pytest.mark.parametrize("path", ["/api/v1/status", DOCUMENTS, f"{DOCUMENTS}/1"])
def test_call_without_credentials_is_401(target: Target, path: str) -> None:
    response = target.get(path)
    check_error(
        response, "AUTH-MISSING-1", 401, 40101, MISSING_CREDENTIALS, ["Authorisation error"]
    )
    expect(
        "www-authenticate" not in response.headers,
        "AUTH-HEADERS-1",
        "401 carries a WWW-Authenticate header",
    )


@pytest.mark.clause("AUTH-MISSING-1")
@pytest.mark.parametrize("headers", [{"apiKey": ""}, {"Authorization": ""}])
def test_empty_credential_headers_count_as_missing(target: Target, headers: dict[str, str]) -> None:
    check_error(target.get(DOCUMENTS, headers=headers), "AUTH-MISSING-1", 401, 40101)


@pytest.mark.real_port
@pytest.mark.clause("AUTH-APIKEY-1", "STATUS-1")
def test_valid_api_key_authenticates(target: Target) -> None:
    user = require_api_key_users(target)[0]
    response = target.get("/api/v1/status", headers={"apiKey": user.api_key or ""})
    expect(response.status_code == 200, "AUTH-APIKEY-1", f"status gave {response.status_code}")
    check_status(json_body(response, "STATUS-1"))


@pytest.mark.clause("AUTH-APIKEY-1", "AUTH-HEADERS-1")
def test_unknown_api_key_is_401(target: Target) -> None:
    key = "zzzzContractTestUnknownKey000000"
    response = target.get(DOCUMENTS, headers={"apiKey": key})
    check_error(response, "AUTH-APIKEY-1", 401, 40101, unknown_token_message(key))
    expect("www-authenticate" not in response.headers, "AUTH-HEADERS-1", "WWW-Authenticate")


@pytest.mark.clause("AUTH-APIKEY-1")
@pytest.mark.parametrize("key", ["not-a-key", "key with spaces", "k€y", "abc!"])
def test_malformed_api_key_is_401(target: Target, key: str) -> None:
    # Sent as UTF-8 bytes: the header may carry any octets, not only ASCII.
    response = target.get(DOCUMENTS, headers={"apiKey": key.encode("utf-8")})
    check_error(
        response, "AUTH-APIKEY-1", 401, 40101, "API key invalid - must match regexp:[A-Za-z_0-9]+"
    )


@pytest.mark.clause("AUTH-APIKEY-1")
def test_api_key_wins_over_authorization(target: Target) -> None:
    user = require_api_key_users(target)[0]
    headers = {"apiKey": user.api_key or "", "Authorization": "Bearer rubbish"}
    response = target.get("/api/v1/status", headers=headers)
    expect(
        response.status_code == 200,
        "AUTH-APIKEY-1",
        f"valid apiKey with a bad Authorization header gave {response.status_code}",
    )
    key = "zzzzContractTestUnknownKey000000"
    response = target.get("/api/v1/status", headers={"apiKey": key, "Authorization": "Bearer x"})
    check_error(response, "AUTH-APIKEY-1", 401, 40101, unknown_token_message(key))


@pytest.mark.clause("AUTH-BEARER-1", "AUTH-HEADERS-1")
@pytest.mark.parametrize(
    "header",
    [
        "bearer QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "Token QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "Bearer",
        "Bearer QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ extra",
        "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_authorization_header_must_be_bearer_form(target: Target, header: str) -> None:
    response = target.get(DOCUMENTS, headers={"Authorization": header})
    check_error(response, "AUTH-BEARER-1", 401, 40101, BEARER_FORM, ["Authorisation error"])


@pytest.mark.clause("AUTH-BEARER-2", "AUTH-HEADERS-1")
@pytest.mark.parametrize("token", ["short", "Q" * 31, "Q" * 33, "!" * 32])
def test_malformed_bearer_token_is_401(target: Target, token: str) -> None:
    response = target.get(DOCUMENTS, headers=bearer(token))
    check_error(response, "AUTH-BEARER-2", 401, 40101, "OAuth token is invalid or expired.")


@pytest.mark.clause("AUTH-BEARER-2", "AUTH-HEADERS-1")
@pytest.mark.parametrize("token", ["Q" * 32, "abcd+/" + "x" * 26])
def test_unknown_bearer_token_is_401(target: Target, token: str) -> None:
    response = target.get(DOCUMENTS, headers=bearer(token))
    check_error(response, "AUTH-BEARER-2", 401, 40101, unknown_token_message(token))


@pytest.mark.clause("AUTH-BEARER-2", "AUTH-HEADERS-1")
def test_forged_jwt_is_401(target: Target) -> None:
    import jwt

    forged = jwt.encode(
        {"iss": target.base_url, "iat": 0, "exp": 4102444800, "refreshTokenHash": "0" * 64},
        "not-the-server-key-not-the-server-key",
        algorithm="HS256",
    )
    response = target.get(DOCUMENTS, headers=bearer(forged))
    check_error(response, "AUTH-BEARER-2", 401, 40101, unknown_token_message(forged))


@pytest.mark.clause("AUTH-ORDER-1")
def test_authentication_comes_before_not_found(target: Target) -> None:
    response = target.get(f"{DOCUMENTS}/987654321987", headers={"apiKey": "zzzzUnknown"})
    check_error(response, "AUTH-ORDER-1", 401, 40101)
    response = target.get(f"{DOCUMENTS}/not-a-number", headers={"apiKey": "zzzzUnknown"})
    check_error(response, "AUTH-ORDER-1", 401, 40101)


@pytest.mark.real_port
@pytest.mark.clause("RATE-HEADERS-1")
@pytest.mark.parametrize("authenticated", [True, False])
def test_rate_limit_headers_on_every_api_response(target: Target, authenticated: bool) -> None:
    """Reads, writes and errors alike: RSpace's throttle interceptor answers before the
    handler runs, whatever the handler then does."""
    headers: dict[str, str] = {}
    if authenticated:
        headers = {"apiKey": require_api_key_users(target)[0].api_key or ""}
    missing_document = f"{DOCUMENTS}/987654321987"
    requests: list[tuple[str, str, dict[str, object]]] = [
        ("GET", "/api/v1/status", {}),
        ("GET", DOCUMENTS, {}),
        ("GET", DOCUMENTS, {"params": {"pageSize": 0}}),
        ("GET", missing_document, {}),
        ("PUT", missing_document, {"json": {"name": f"{target.run_tag}x"}}),
        ("DELETE", missing_document, {}),
        (
            "POST",
            DOCUMENTS,
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ),
    ]
    if authenticated and not target.read_only:
        requests.append(("POST", DOCUMENTS, {"json": {"name": f"{target.run_tag}rate"}}))
    for method, path, extra in requests:
        kwargs: dict[str, Any] = dict(extra)
        kwargs["headers"] = {**headers, **kwargs.get("headers", {})}
        response = target.request(method, path, **kwargs)
        if method == "POST" and response.status_code == 201:
            created = response.json()["id"]
            response = target.delete(f"{DOCUMENTS}/{created}", headers=headers)
            method, path = "DELETE", f"{DOCUMENTS}/{created}"
        missing = [h for h in RATE_LIMIT_HEADERS if h not in response.headers]
        expect(
            not missing,
            "RATE-HEADERS-1",
            f"{method} {path} ({response.status_code}) lacks {missing}",
        )
        expect(
            float(response.headers["X-Rate-Limit-Remaining"]) >= 0,
            "RATE-HEADERS-1",
            "X-Rate-Limit-Remaining is not a number",
        )


@pytest.mark.clause("STATUS-1")
def test_status_needs_authentication(target: Target) -> None:
    check_error(target.get("/api/v1/status"), "STATUS-1", 401, 40101)


@pytest.mark.clause("AUTH-USER-1")
def test_api_key_of_user_without_api_access_is_401(target: Target) -> None:
    disabled = target.credentials.api_disabled_user
    if disabled is None or not disabled.api_key:
        pytest.skip(
            "needs a user with API access off: provide RSPACE_API_DISABLED_USERNAME and _API_KEY"
        )
    response = target.get("/api/v1/status", headers={"apiKey": disabled.api_key})
    check_error(
        response,
        "AUTH-USER-1",
        401,
        40101,
        f"Access to API has been disabled for user '{disabled.username}'",
    )
