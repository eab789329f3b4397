"""Generated malformed requests: always a documented 4xx with an ApiError body, never a 5xx.

Requests are built so that none can succeed in changing anything: token requests never carry a
valid client secret, and document writes with a valid key target ids that do not exist or send
bodies that are not JSON.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .clauses import expect
from .helpers import DOCUMENTS, api_key, require_api_key_users
from .plugin import TargetFactory
from .shapes import check_api_error
from .target import Target

#: Statuses for which the reference documents an ApiError body (A.5, B.1, C.1-C.4).
API_ERROR_STATUSES = {400, 401, 404, 409, 415, 422, 429}

garbage = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=.-_", max_size=70),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
    str.strip
)


def _check_error_response(response: httpx.Response, may_succeed: bool = False) -> None:
    """No 5xx; a 4xx (or, where the request may be valid after all, a 200) with its body."""
    expect(
        response.status_code < 500,
        "ERR-NO5XX-1",
        f"{response.request.method} {response.request.url} gave {response.status_code}: "
        f"{response.text[:300]}",
    )
    if may_succeed and response.status_code == 200:
        return
    expect(
        400 <= response.status_code < 500,
        "ERR-SHAPE-1",
        f"malformed request {response.request.method} {response.request.url} gave "
        f"{response.status_code}",
    )
    if response.status_code in API_ERROR_STATUSES:
        check_api_error(response)


@st.composite
def token_requests(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    """A /oauth/token request with a wrong client secret or a broken parameter set."""
    users = target.credentials.password_users
    apps = target.credentials.apps
    names = ["grant_type", "client_id", "client_secret", "username", "password"]
    names += ["refresh_token", "is_jwt"]
    params: dict[str, str] = {}
    for name in names:
        choice = draw(st.sampled_from(["absent", "garbage", "plausible"]))
        if choice == "garbage":
            params[name] = draw(garbage)
        elif choice == "plausible":
            params[name] = {
                "grant_type": draw(st.sampled_from(["password", "refresh_token"])),
                "client_id": apps[0].client_id if apps else "A" * 39,
                "client_secret": "wrong-" + (apps[0].client_secret if apps else "secret"),
                "username": users[0].username if users else "nobody",
                "password": (users[0].password or "") if users else "x",
                "refresh_token": "Q" * 32,
                "is_jwt": draw(st.sampled_from(["true", "false", "maybe", ""])),
            }[name]
    if "client_secret" in params and apps and params["client_secret"] == apps[0].client_secret:
        params["client_secret"] += "-not"
    encoding = draw(st.sampled_from(["form", "multipart", "query", "json", "text", "none"]))
    request: dict[str, Any] = {}
    if encoding == "form":
        request["data"] = params
    elif encoding == "multipart":
        request["files"] = {k: (None, v) for k, v in params.items()} or {"x": (None, "")}
    elif encoding == "query":
        request["params"] = params
    elif encoding == "json":
        request["json"] = params
    elif encoding == "text":
        request["content"] = "&".join(f"{k}={v}" for k, v in params.items()).encode()
        request["headers"] = {"Content-Type": draw(st.sampled_from(["text/plain", "x/y", ""]))}
    return request


@pytest.mark.real_port
@pytest.mark.clause("ERR-SHAPE-1", "ERR-NO5XX-1")
def test_malformed_token_requests_get_api_errors(target_factory: TargetFactory) -> None:
    target = target_factory.new()

    @given(request=token_requests(target))
    def check(request: dict[str, Any]) -> None:
        _check_error_response(target.post("/oauth/token", **request))

    check()


@st.composite
def api_requests(draw: st.DrawFn, target: Target) -> tuple[str, str, dict[str, Any]]:
    """A malformed /api/v1 request that cannot change anything on the server."""
    keys = [u.api_key for u in target.credentials.api_key_users if u.api_key]
    auth = draw(st.sampled_from(["none", "valid", "garbage-key", "garbage-bearer", "raw"]))
    headers: dict[str, str] = {}
    if auth == "valid" and keys:
        headers["apiKey"] = keys[0]
    elif auth == "garbage-key":
        headers["apiKey"] = draw(header_values)
    elif auth == "garbage-bearer":
        headers["Authorization"] = "Bearer " + draw(header_values)
    elif auth == "raw":
        headers["Authorization"] = draw(header_values)
    # HTTP clients refuse header values with leading or trailing blanks.
    headers = {name: value.strip() for name, value in headers.items()}
    if draw(st.booleans()):
        headers["Accept"] = draw(st.sampled_from(["application/json", "*/*", "text/html"]))
    document_id = draw(
        st.one_of(
            st.integers(min_value=10**12, max_value=10**15).map(str),
            st.integers(max_value=-1).map(str),
            st.text("abcxyz!$'()*+,;=:@-._~", min_size=1, max_size=12),
        )
    )
    method, path = draw(
        st.sampled_from(
            [
                ("GET", DOCUMENTS),
                ("GET", f"{DOCUMENTS}/{document_id}"),
                ("PUT", f"{DOCUMENTS}/{document_id}"),
                ("DELETE", f"{DOCUMENTS}/{document_id}"),
                ("POST", DOCUMENTS),
                ("GET", "/api/v1/status"),
            ]
        )
    )
    request: dict[str, Any] = {"headers": headers}
    if method == "GET":
        names = ["pageNumber", "pageSize", "orderBy", "query", "advancedQuery", "filter"]
        request["params"] = draw(st.dictionaries(st.sampled_from(names), garbage, max_size=4))
    elif method in ("POST", "PUT"):
        # Never valid JSON, so no document is created or changed.
        body = '{"name": ' + draw(st.text(max_size=30)).replace("}", "")
        request["content"] = body.encode()
        headers["Content-Type"] = draw(st.sampled_from(["application/json", "text/plain"]))
    if auth == "valid" and path == "/api/v1/status":
        headers["apiKey"] = "not a key!"
    return method, path, request


@pytest.mark.real_port
@pytest.mark.clause("ERR-SHAPE-1", "ERR-NO5XX-1")
def test_malformed_api_requests_get_api_errors(target_factory: TargetFactory) -> None:
    target = target_factory.new()

    @given(request=api_requests(target))
    def check(request: tuple[str, str, dict[str, Any]]) -> None:
        method, path, kwargs = request
        response = target.request(method, path, **kwargs)
        if method == "POST" and response.status_code == 201:
            target.delete(f"{DOCUMENTS}/{response.json()['id']}", headers=kwargs["headers"])
        # Garbage listing parameters may still be valid ones (an empty pageSize is the default).
        valid_keys = {u.api_key for u in target.credentials.api_key_users}
        listing_with_key = (
            method == "GET" and path == DOCUMENTS and kwargs["headers"].get("apiKey") in valid_keys
        )
        _check_error_response(response, may_succeed=listing_with_key)

    check()


@pytest.mark.clause("ERR-NO5XX-1", "ERR-SHAPE-1")
@pytest.mark.parametrize("method", ["PATCH", "POST", "PUT", "DELETE"])
def test_unmapped_methods_are_4xx(target: Target, method: str) -> None:
    path = "/api/v1/status" if method != "PATCH" else DOCUMENTS
    response = target.request(method, path, headers={"apiKey": "zzzzUnknown"})
    _check_error_response(response)


listing_values = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.sampled_from(["0", "-1", "101", "1e3", "NaN", "", " ", "name", "name  asc", "x" * 2001]),
    garbage,
)


@pytest.mark.clause("ERR-NO5XX-1", "ERR-SHAPE-1")
def test_listing_parameters_never_give_5xx(target_factory: TargetFactory) -> None:
    """Out-of-range and garbage listing parameters with a valid key: a 200 or an ApiError."""
    target = target_factory.new()
    user = require_api_key_users(target)[0]
    names = ["pageNumber", "pageSize", "orderBy", "query", "advancedQuery", "filter"]

    @given(params=st.dictionaries(st.sampled_from(names), listing_values, min_size=1))
    def check(params: dict[str, str]) -> None:
        response = target.get(DOCUMENTS, params=params, headers=api_key(user))
        _check_error_response(response, may_succeed=True)

    check()
