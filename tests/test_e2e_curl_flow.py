"""RSpace's OAuth guide (``oauth.md``), run with real ``curl`` against ``rspace-mock serve``.

Each step uses the guide's own form: ``curl -X POST -Fgrant_type=... "$RSPACE_URL/oauth/token"``
(multipart), then ``curl -H"Authorization: Bearer $ACCESS_TOKEN" "$RSPACE_URL/api/v1/documents"``.
Where curl is not installed, the same requests go through ``requests`` (multipart via
``files=``), so the rules are still checked.

Most tests share one served fake: each starts with its own password grant for the guide's user
and app, which replaces whatever pair an earlier test left. Tests that need no pair at all, or
move the clock, get a server of their own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
CURL = shutil.which("curl")
STATUS_MARKER = "\n--rspace-mock-test-status--"


@dataclass
class HttpResult:
    status: int
    content_type: str
    body: str
    #: Response header names in lower case, each with its last value.
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def _run_curl(args: list[str]) -> HttpResult:
    assert CURL is not None
    with tempfile.NamedTemporaryFile("r", suffix=".headers") as header_file:
        completed = subprocess.run(
            [CURL, "-sS", "--max-time", "10", "-D", header_file.name]
            + ["-w", STATUS_MARKER + "%{http_code} %{content_type}"]
            + args,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        header_lines = header_file.read().splitlines()[1:]
    body, _, trailer = completed.stdout.rpartition(STATUS_MARKER)
    status, _, content_type = trailer.partition(" ")
    headers = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return HttpResult(int(status), content_type.strip(), body, headers)


def _from_response(response: requests.Response) -> HttpResult:
    return HttpResult(
        response.status_code,
        response.headers.get("Content-Type", ""),
        response.text,
        {name.lower(): value for name, value in response.headers.items()},
    )


def grant_multipart(base_url: str, **params: str) -> HttpResult:
    """``curl -X POST -Fname="value" ... "$RSPACE_URL/oauth/token"``, as in the guide."""
    if CURL is None:
        files = {name: (None, value) for name, value in params.items()}
        return _from_response(requests.post(f"{base_url}/oauth/token", files=files, timeout=10))
    args = ["-X", "POST"]
    for name, value in params.items():
        # --form-string: the value is sent as is, even if it starts with @ or <.
        args += ["--form-string", f"{name}={value}"]
    return _run_curl([*args, f"{base_url}/oauth/token"])


def grant_urlencoded(base_url: str, **params: str) -> HttpResult:
    """``curl -X POST --data-urlencode name=value ...``: an x-www-form-urlencoded body."""
    if CURL is None:
        return _from_response(requests.post(f"{base_url}/oauth/token", data=params, timeout=10))
    args = ["-X", "POST"]
    for name, value in params.items():
        args += ["--data-urlencode", f"{name}={value}"]
    return _run_curl([*args, f"{base_url}/oauth/token"])


def grant_query_string(base_url: str, **params: str) -> HttpResult:
    """``curl -X POST "$RSPACE_URL/oauth/token?grant_type=..."``: parameters in the URL only."""
    url = f"{base_url}/oauth/token?{urlencode(params)}"
    if CURL is None:
        return _from_response(requests.post(url, timeout=10))
    return _run_curl(["-X", "POST", url])


def api_get(base_url: str, path: str, access_token: str) -> HttpResult:
    """``curl -H"Authorization: Bearer $ACCESS_TOKEN" "$RSPACE_URL/api/v1/..."``."""
    url = f"{base_url}/api/v1/{path}"
    header = f"Authorization: Bearer {access_token}"
    if CURL is None:
        return _from_response(
            requests.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
        )
    return _run_curl(["-H", header, url])


@pytest.fixture
def guide(grant_credentials: dict[str, str]) -> dict[str, str]:
    """The guide's ``$CLIENT_ID``, ``$CLIENT_SECRET``, ``$USERNAME`` and ``$PASSWORD``."""
    return grant_credentials


def password_grant(base_url: str, guide: dict[str, str], **extra: str) -> HttpResult:
    return grant_multipart(base_url, grant_type="password", **guide, **extra)


def refresh_grant(base_url: str, guide: dict[str, str], refresh_token: str, **extra: str):
    return grant_multipart(
        base_url,
        grant_type="refresh_token",
        client_id=guide["client_id"],
        client_secret=guide["client_secret"],
        refresh_token=refresh_token,
        **extra,
    )


def assert_token_response(result: HttpResult, *, with_refresh_token: bool) -> dict[str, Any]:
    assert result.status == 200, result.body
    assert result.content_type == JSON_CONTENT_TYPE
    body = result.json()
    expected_keys = {"access_token", "scope", "expires_in"}
    if with_refresh_token:
        expected_keys.add("refresh_token")
    # No token_type: RSpace's field is static, so Jackson never writes it.
    assert set(body) == expected_keys, body
    assert body["scope"] == "all"
    assert body["expires_in"] in (3599, 3600)
    return body


def assert_unauthorised(result: HttpResult, token: str) -> None:
    assert result.status == 401, result.body
    assert result.content_type == JSON_CONTENT_TYPE
    body = result.json()
    assert body["internalCode"] == 40101
    assert body["errors"] == ["Authorisation error"]
    assert body["message"] == f"User could not be authenticated for token {token[0]}......"


def test_password_grant_by_multipart_form_returns_a_pair_without_token_type(
    shared_live_server: str, guide: dict[str, str]
) -> None:
    body = assert_token_response(password_grant(shared_live_server, guide), with_refresh_token=True)
    assert len(body["access_token"]) == 32
    assert len(body["refresh_token"]) == 32
    assert body["access_token"] != body["refresh_token"]


def test_the_oauth_guides_curl_flow_works_end_to_end(
    shared_live_server: str, guide: dict[str, str], fixtures_data: dict[str, Any]
) -> None:
    own_names = {d["name"] for d in fixtures_data["documents"] if d["owner"] == guide["username"]}

    # 1. Password grant.
    first = assert_token_response(
        password_grant(shared_live_server, guide), with_refresh_token=True
    )

    # 2. "Making API calls": list documents with the access token.
    listing = api_get(shared_live_server, "documents", first["access_token"])
    assert listing.status == 200, listing.body
    assert listing.content_type == JSON_CONTENT_TYPE
    names = {d["name"] for d in listing.json()["documents"]}
    assert names == own_names
    assert listing.json()["totalHits"] == len(own_names)

    # 3. Refresh grant: a new pair; the used refresh token is then unknown (404).
    second = assert_token_response(
        refresh_grant(shared_live_server, guide, first["refresh_token"]), with_refresh_token=True
    )
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    reused = refresh_grant(shared_live_server, guide, first["refresh_token"])
    assert reused.status == 404, reused.body
    assert reused.json()["internalCode"] == 50301
    assert reused.json()["message"] == (
        "OAuth token not found! Perhaps its refresh rights have been removed."
    )
    assert_unauthorised(
        api_get(shared_live_server, "status", first["access_token"]), first["access_token"]
    )
    assert api_get(shared_live_server, "status", second["access_token"]).status == 200

    # 4. is_jwt password grant with a pair in place: a JWT and no refresh_token key.
    jwt_grant = assert_token_response(
        password_grant(shared_live_server, guide, is_jwt="true"), with_refresh_token=False
    )
    jwt = jwt_grant["access_token"]
    assert jwt.count(".") == 2

    # 5. API call with the JWT; the opaque token from step 3 still works too.
    with_jwt = api_get(shared_live_server, "documents", jwt)
    assert with_jwt.status == 200, with_jwt.body
    assert with_jwt.json()["totalHits"] == listing.json()["totalHits"]
    assert api_get(shared_live_server, "status", second["access_token"]).status == 200

    # 6. A new password grant replaces the pair: the old access token and the JWT die.
    third = assert_token_response(
        password_grant(shared_live_server, guide), with_refresh_token=True
    )
    assert_unauthorised(
        api_get(shared_live_server, "documents", second["access_token"]), second["access_token"]
    )
    assert_unauthorised(api_get(shared_live_server, "documents", jwt), jwt)
    assert api_get(shared_live_server, "documents", third["access_token"]).status == 200


def test_refresh_grant_with_is_jwt_returns_a_jwt_and_does_not_rotate_the_refresh_token(
    shared_live_server: str, guide: dict[str, str]
) -> None:
    pair = assert_token_response(password_grant(shared_live_server, guide), with_refresh_token=True)
    jwt_grant = assert_token_response(
        refresh_grant(shared_live_server, guide, pair["refresh_token"], is_jwt="true"),
        with_refresh_token=False,
    )
    assert api_get(shared_live_server, "status", jwt_grant["access_token"]).status == 200
    assert api_get(shared_live_server, "status", pair["access_token"]).status == 200
    # The refresh token is still the current one.
    assert_token_response(
        refresh_grant(shared_live_server, guide, pair["refresh_token"]), with_refresh_token=True
    )


def test_refresh_grant_kills_the_jwts_built_on_the_old_refresh_token(
    shared_live_server: str, guide: dict[str, str]
) -> None:
    pair = assert_token_response(password_grant(shared_live_server, guide), with_refresh_token=True)
    jwt = password_grant(shared_live_server, guide, is_jwt="true").json()["access_token"]
    assert api_get(shared_live_server, "status", jwt).status == 200
    assert_token_response(
        refresh_grant(shared_live_server, guide, pair["refresh_token"]), with_refresh_token=True
    )
    assert_unauthorised(api_get(shared_live_server, "status", jwt), jwt)


def test_jwt_first_password_grant_returns_a_refresh_token_once(
    live_server: str, guide: dict[str, str]
) -> None:
    first = assert_token_response(
        password_grant(live_server, guide, is_jwt="true"), with_refresh_token=True
    )
    assert api_get(live_server, "documents", first["access_token"]).status == 200
    assert_token_response(
        password_grant(live_server, guide, is_jwt="true"), with_refresh_token=False
    )


@pytest.mark.parametrize(
    "send_grant",
    [grant_multipart, grant_urlencoded, grant_query_string],
    ids=["multipart", "urlencoded", "query-string"],
)
def test_grant_parameters_are_read_from_any_servlet_parameter_source(
    shared_live_server: str, guide: dict[str, str], send_grant: Callable[..., HttpResult]
) -> None:
    # Spring reads @RequestParam from the servlet parameter map: multipart (curl -F), an
    # urlencoded body (curl --data-urlencode) and the query string all fill it.
    body = assert_token_response(
        send_grant(shared_live_server, grant_type="password", **guide), with_refresh_token=True
    )
    assert api_get(shared_live_server, "documents", body["access_token"]).status == 200
    refreshed = send_grant(
        shared_live_server,
        grant_type="refresh_token",
        client_id=guide["client_id"],
        client_secret=guide["client_secret"],
        refresh_token=body["refresh_token"],
    )
    assert_token_response(refreshed, with_refresh_token=True)


def test_wrong_password_in_the_guides_grant_is_401_invalid_user_credentials(
    shared_live_server: str, guide: dict[str, str]
) -> None:
    result = grant_multipart(
        shared_live_server, grant_type="password", **{**guide, "password": "not-the-password"}
    )
    assert result.status == 401
    assert result.content_type == JSON_CONTENT_TYPE
    body = result.json()
    assert body["message"] == "Invalid user credentials."
    assert body["errors"] == ["Authorisation error"]
    assert "token_type" not in body


def test_responses_are_jackson_pretty_printed_with_no_session_cookie_or_cors_headers(
    shared_live_server: str, guide: dict[str, str]
) -> None:
    # RSpace: noSessionCreation on /oauth/** and /api/**; permissive CORS is off by default.
    grant = password_grant(shared_live_server, guide)
    assert '"access_token" : "' in grant.body  # Jackson's "key" : value
    assert grant.body.startswith("{\n  ")
    listing = api_get(shared_live_server, "documents", grant.json()["access_token"])
    assert '"totalHits" : ' in listing.body
    for result in (grant, listing):
        assert "set-cookie" not in result.headers
        assert "access-control-allow-origin" not in result.headers


def test_api_responses_carry_rate_limit_headers_even_on_401(
    shared_live_server: str, guide: dict[str, str]
) -> None:
    token = assert_token_response(
        password_grant(shared_live_server, guide), with_refresh_token=True
    )
    ok = api_get(shared_live_server, "documents", token["access_token"])
    refused = api_get(shared_live_server, "documents", "A" * 32)
    assert refused.status == 401
    for result in (ok, refused):
        assert result.headers.get("x-rate-limit-limit") == "10"
        assert result.headers.get("x-rate-limit-remaining") == "10.0"
        assert result.headers.get("x-rate-limit-waittimemillis") == "100"
        assert "www-authenticate" not in result.headers
    # /oauth/** is not throttled, so it gets none.
    grant = password_grant(shared_live_server, guide)
    assert "x-rate-limit-limit" not in grant.headers


def advance_clock(base_url: str, seconds: int) -> None:
    """Move the fake's clock on (its /_mock/ admin API; RSpace itself has no such thing)."""
    response = requests.post(
        f"{base_url}/_mock/clock/advance", json={"seconds": seconds}, timeout=10
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def frozen_clock_server(live_server: str) -> str:
    response = requests.post(f"{live_server}/_mock/clock/freeze", json={}, timeout=10)
    assert response.status_code == 200, response.text
    return live_server


def test_opaque_access_token_stops_working_after_its_hour(
    frozen_clock_server: str, guide: dict[str, str]
) -> None:
    base_url = frozen_clock_server
    pair = assert_token_response(password_grant(base_url, guide), with_refresh_token=True)
    advance_clock(base_url, 3599)
    assert api_get(base_url, "status", pair["access_token"]).status == 200
    advance_clock(base_url, 1)
    assert_unauthorised(api_get(base_url, "status", pair["access_token"]), pair["access_token"])
    # The refresh token still gets a new pair.
    fresh = assert_token_response(
        refresh_grant(base_url, guide, pair["refresh_token"]), with_refresh_token=True
    )
    assert api_get(base_url, "status", fresh["access_token"]).status == 200


def test_jwt_is_accepted_up_to_180_s_after_its_exp_and_not_after(
    frozen_clock_server: str, guide: dict[str, str]
) -> None:
    # RSpace verifies exp with 180 s of allowed clock skew; iat and exp are whole seconds.
    base_url = frozen_clock_server
    jwt = assert_token_response(
        password_grant(base_url, guide, is_jwt="true"), with_refresh_token=True
    )["access_token"]
    advance_clock(base_url, 3600 + 179)
    assert api_get(base_url, "status", jwt).status == 200
    advance_clock(base_url, 2)
    assert_unauthorised(api_get(base_url, "status", jwt), jwt)
