"""Property tests: no input makes the fake fail the way RSpace never does on its API.

Whatever arrives (form fields, query parameters, JSON or raw bytes, content types, headers, path
ids), the answer is never a 5xx, and every 4xx is RSpace's ``ApiError`` JSON (or CSV when the
client asked for CSV). After each run, the documented flows still work: nothing the fuzzing sent
corrupted the fake's state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.settings import DEFAULT_FIXTURES
from tests.http_helpers import ERROR_KEYS

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
API_ERROR_KEYS = set(ERROR_KEYS)
#: Spring ``HttpStatus`` enum names for the codes the API can answer with.
SPRING_STATUS_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
}
#: Java ``Instant.toString()``: seconds always, then 0, 3, 6 or 9 fraction digits.
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.(\d{3}|\d{6}|\d{9}))?Z")

fuzz_settings = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Credentials from the default fixtures (the strategies below need them at import time).
_FIXTURES = json.loads(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
_ALICE = next(u for u in _FIXTURES["users"] if u["username"] == "alice")
_APP = next(a for a in _FIXTURES["apps"] if a["owner"] == "alice")
ALICE_API_KEY = _ALICE["apiKey"]
ALICE_PASSWORD = _ALICE["password"]
CLIENT_ID = _APP["clientId"]
CLIENT_SECRET = _APP["clientSecret"]


GOOD_GRANT = {
    "grant_type": "password",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "username": "alice",
    "password": ALICE_PASSWORD,
}
REFRESH = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


# -- the target and the invariants -------------------------------------------------------------


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    """One in-process fake for the whole module: state carries over from run to run, so the
    closing flow check of each test also covers what earlier tests sent."""
    with TestClient(create_app(Settings(random_seed=7))) as test_client:
        yield test_client


def assert_rspace_answer(response: Any, accept: str | None = None) -> None:
    """Never 5xx; a 4xx is an ``ApiError`` (JSON, or CSV if the client accepted CSV)."""
    assert response.status_code < 500, response.text[:2000]
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", "")
    if accept is not None and "text/csv" in accept and content_type.startswith("text/csv"):
        assert response.text.strip(), "empty CSV error body"
        return
    assert content_type == JSON_CONTENT_TYPE, (response.status_code, content_type)
    body = response.json()
    assert isinstance(body, dict) and set(body) == API_ERROR_KEYS, body
    assert body["httpCode"] == response.status_code
    expected_name = SPRING_STATUS_NAMES.get(response.status_code)
    if expected_name is not None:
        assert body["status"] == expected_name, body
    assert isinstance(body["internalCode"], int) and not isinstance(body["internalCode"], bool)
    assert isinstance(body["message"], str)
    assert body["messageCode"] is None or isinstance(body["messageCode"], str)
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    assert all(isinstance(e, str) for e in errors), body
    assert isinstance(body["iso8601Timestamp"], str)
    assert INSTANT.fullmatch(body["iso8601Timestamp"]), body["iso8601Timestamp"]
    assert body["data"] is None or isinstance(body["data"], dict)


def assert_documented_flows_still_work(client: TestClient) -> None:
    """The guide's password grant, then a listing with the token and with the API key."""
    grant = client.post("/oauth/token", data=GOOD_GRANT)
    assert grant.status_code == 200, grant.text
    token = grant.json()["access_token"]
    listing = client.get("/api/v1/documents", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200, listing.text
    assert listing.headers["content-type"] == JSON_CONTENT_TYPE
    by_key = client.get("/api/v1/documents", headers={"apiKey": ALICE_API_KEY})
    assert by_key.status_code == 200, by_key.text
    assert by_key.json()["totalHits"] == listing.json()["totalHits"]
    refreshed = client.post(
        "/oauth/token", data={**REFRESH, "refresh_token": grant.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text


# -- strategies --------------------------------------------------------------------------------

#: Any text that can be encoded (lone surrogates cannot be sent by any client).
UNICODE = st.characters(blacklist_categories=("Cs",))

#: Text a real HTTP stack can carry in a header value (no CR, LF, NUL or other controls).
header_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=80)

huge_text = st.sampled_from([2001, 65_537, 300_000]).map(lambda n: "A" * n)

any_text = st.one_of(
    st.text(UNICODE, max_size=60),
    st.text(st.characters(min_codepoint=0x80, blacklist_categories=("Cs",)), max_size=20),
    huge_text,
)

token_param_names = st.one_of(
    st.sampled_from(
        [
            "grant_type",
            "client_id",
            "client_secret",
            "username",
            "password",
            "refresh_token",
            "is_jwt",
            "scope",
        ]
    ),
    st.text(UNICODE, max_size=20),
)

token_param_values = st.one_of(
    st.sampled_from(
        [
            "password",
            "refresh_token",
            "client_credentials",
            CLIENT_ID,
            CLIENT_SECRET,
            "alice",
            ALICE_PASSWORD,
            "carol",
            "dave",
            "true",
            "false",
            "yes",
            "maybe",
            "",
            " ",
            "a.b.c",
            "A" * 32,
            "!" * 32,
            "eyJhbGciOiJIUzI1NiJ9.e30.x",
        ]
    ),
    any_text,
)


def usually(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value two times in three, else any odd value."""
    return st.sampled_from([True, True, False]).flatmap(
        lambda use_good: good if use_good else token_param_values
    )


#: Mostly requests that get past Spring's binding (all three required parameters present), so
#: the grant rules themselves see the odd values; sometimes anything at all.
well_bound_token_params = st.fixed_dictionaries(
    {
        "grant_type": usually(st.sampled_from(["password", "refresh_token"])),
        "client_id": usually(st.just(CLIENT_ID)),
        "client_secret": usually(st.just(CLIENT_SECRET)),
        "username": usually(st.sampled_from(["alice", "alice", "bob", "carol", "dave"])),
        "password": usually(st.just(ALICE_PASSWORD)),
    },
    optional={
        "refresh_token": token_param_values,
        "is_jwt": usually(st.sampled_from(["true", "false", "on", "0"])),
    },
)
token_params = st.sampled_from([True, True, True, False]).flatmap(
    lambda bound: (
        well_bound_token_params
        if bound
        else st.dictionaries(token_param_names, token_param_values, max_size=8)
    )
)

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(UNICODE, max_size=40),
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(UNICODE, max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
document_bodies = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "tags": json_values,
        "form": st.one_of(json_values, st.fixed_dictionaries({}, optional={"id": json_values})),
        "fields": st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "id": json_values,
                        "content": json_values,
                        "name": json_values,
                        "type": json_values,
                    },
                ),
                max_size=3,
            ),
        ),
        "parentFolderId": json_values,
        "grandParentId": json_values,
        "id": json_values,
    },
)


def json_bytes(value: Any) -> bytes:
    # allow_nan: NaN and Infinity are sent as the bare words JavaScript would write.
    return json.dumps(value, allow_nan=True).encode("utf-8")


raw_bodies = st.one_of(
    document_bodies.map(json_bytes),
    json_values.map(json_bytes),
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"   ",
            b"{",
            b"null",
            b'{"name": NaN}',
            b'{"name": Infinity, "tags": -Infinity}',
            b'{"name": "\xff\xfe bad utf-8"}',
            b"\xef\xbb\xbf{}",
            b'{"name": 1e999999}',
            b'{"id": ' + b"9" * 5000 + b"}",
            b'{"fields": [{"id": 99999999999999999999999, "content": "x"}]}',
            b"[" * 50_000 + b"]" * 50_000,
            b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
            '{"name": "\U0001f9ea \u202e \ufffd"}'.encode(),
            b'{"name": "' + b"n" * 300 + b'"}',
        ]
    ),
)

content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json;charset=UTF-8",
            "application/json; charset=latin-1",
            "application/vnd.rspace+json",
            "APPLICATION/JSON",
            "text/plain",
            "text/csv",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/xml",
            "",
            ";;;",
        ]
    ),
    header_text,
)

accepts = st.one_of(
    st.none(),
    st.sampled_from(
        ["application/json", "text/csv", "*/*", "text/csv, application/json", "text/html"]
    ),
    header_text,
)

document_ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        ["108", "109", "110", "111", "0", "-1", "SD110", "1.5", "1e3", " 110", "0x6e", "%00"]
    ),
    st.text(UNICODE, min_size=1, max_size=30),
)


def with_accept(headers: dict[str, Any], accept: str | None) -> dict[str, Any]:
    if accept is not None:
        headers["Accept"] = accept.encode("utf-8")
    return headers


# -- /oauth/token --------------------------------------------------------------------------------


def test_token_endpoint_answers_any_form_fields_with_a_token_or_an_api_error(
    app_client: TestClient,
) -> None:
    @settings(fuzz_settings, max_examples=150)
    @given(
        params=token_params,
        encoding=st.sampled_from(["urlencoded", "multipart", "query", "urlencoded", "json"]),
    )
    # The valid grants and the refresh-token shapes, whatever the generator finds.
    @example(params={**GOOD_GRANT}, encoding="multipart")
    @example(params={**GOOD_GRANT, "is_jwt": "true"}, encoding="query")
    @example(params={**REFRESH, "refresh_token": "A" * 32}, encoding="urlencoded")
    @example(params={**REFRESH, "refresh_token": "a.b.c"}, encoding="urlencoded")
    @example(params={**REFRESH, "refresh_token": "é" * 32, "is_jwt": "yes"}, encoding="multipart")
    @example(params={**GOOD_GRANT, "client_secret": "A" * 32}, encoding="urlencoded")
    @example(params={**REFRESH, "client_secret": "x", "refresh_token": "B" * 32}, encoding="query")
    def check(params: dict[str, str], encoding: str) -> None:
        if encoding == "urlencoded":
            response = app_client.post("/oauth/token", data=params)
        elif encoding == "multipart":
            files = {name: (None, value) for name, value in params.items()}
            response = app_client.post("/oauth/token", files=files or {"": (None, "")})
        elif encoding == "query":
            query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
            response = app_client.post(f"/oauth/token?{query[:60_000]}")
        else:
            response = app_client.post("/oauth/token", json=params)
        assert_rspace_answer(response)
        if response.status_code == 200:
            body = response.json()
            assert "token_type" not in body
            assert body["scope"] == "all"

    check()
    assert_documented_flows_still_work(app_client)


def test_token_endpoint_answers_raw_bodies_odd_content_types_and_methods(
    app_client: TestClient,
) -> None:
    @fuzz_settings
    @given(
        body=raw_bodies,
        content_type=content_types,
        method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH"]),
    )
    def check(body: bytes, content_type: str, method: str) -> None:
        response = app_client.request(
            method,
            "/oauth/token",
            content=body,
            headers={"Content-Type": content_type.encode("utf-8")},
        )
        assert_rspace_answer(response)

    check()
    assert_documented_flows_still_work(app_client)


# -- /api/v1/documents ---------------------------------------------------------------------------

listing_param_names = st.one_of(
    st.sampled_from(
        ["pageNumber", "pageSize", "orderBy", "query", "advancedQuery", "filter", "apiKey"]
    ),
    st.text(UNICODE, max_size=15),
)
listing_param_values = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "101",
            "2147483648",
            "99999999999999999999",
            "1.5",
            "name asc",
            "name  asc",
            "lastModified desc",
            "name2 desc",
            "favorites",
            '{"operator":"and","terms":[{"query":"PCR","queryType":"tag"}]}',
            '{"operator":"xor","terms":[]}',
            '{"terms":[{"query":"2026-01-01;2026-12-31","queryType":"created"}]}',
            "[]",
            "null",
        ]
    ),
    any_text,
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
)


def test_document_listing_answers_any_query_parameters(app_client: TestClient) -> None:
    @fuzz_settings
    @given(
        params=st.lists(st.tuples(listing_param_names, listing_param_values), max_size=6),
        accept=accepts,
    )
    def check(params: list[tuple[str, str]], accept: str | None) -> None:
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params)[:60_000]
        response = app_client.get(
            f"/api/v1/documents?{query}", headers=with_accept({"apiKey": ALICE_API_KEY}, accept)
        )
        assert_rspace_answer(response, accept)
        if response.status_code == 200:
            listing = response.json()
            assert set(listing) == {"totalHits", "pageNumber", "documents", "_links"}

    check()
    assert_documented_flows_still_work(app_client)


def test_document_create_and_update_answer_any_body_and_content_type(
    app_client: TestClient,
) -> None:
    @fuzz_settings
    @given(
        body=raw_bodies,
        content_type=content_types,
        method=st.sampled_from(["POST", "PUT"]),
        document_id=document_ids,
        accept=accepts,
    )
    def check(
        body: bytes, content_type: str, method: str, document_id: str, accept: str | None
    ) -> None:
        path = "/api/v1/documents"
        if method == "PUT":
            path += "/" + quote(document_id, safe="")
        headers = with_accept(
            {"apiKey": ALICE_API_KEY, "Content-Type": content_type.encode("utf-8")}, accept
        )
        response = app_client.request(method, path, content=body, headers=headers)
        assert_rspace_answer(response, accept)

    check()
    assert_documented_flows_still_work(app_client)


def test_document_paths_answer_any_id(app_client: TestClient) -> None:
    @fuzz_settings
    @given(
        document_id=document_ids,
        method=st.sampled_from(["GET", "GET", "DELETE", "PUT", "POST", "PATCH"]),
        accept=accepts,
        trailing=st.sampled_from(["", "/", "//", "/extra"]),
    )
    def check(document_id: str, method: str, accept: str | None, trailing: str) -> None:
        path = "/api/v1/documents/" + quote(document_id, safe="") + trailing
        headers = with_accept({"apiKey": ALICE_API_KEY}, accept)
        if method in ("PUT", "POST"):
            response = app_client.request(method, path, json={"name": "x"}, headers=headers)
        else:
            response = app_client.request(method, path, headers=headers)
        assert_rspace_answer(response, accept)

    check()
    assert_documented_flows_still_work(app_client)


# -- authentication headers ----------------------------------------------------------------------


def test_any_api_key_or_authorization_header_is_a_200_or_a_401_api_error(
    app_client: TestClient,
) -> None:
    bearer_values = st.one_of(
        header_text,
        header_text.map(lambda t: f"Bearer {t}"),
        st.sampled_from(
            [
                "Bearer",
                "Bearer ",
                "bearer " + "A" * 32,
                "Bearer " + "A" * 32,
                "Bearer " + "é" * 32,
                "Bearer a.b.c",
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln",
                "Bearer ..",
                "Basic YWxpY2U6cGFzcw==",
                "Bearer  x  y",
            ]
        ),
    )

    @fuzz_settings
    @given(
        api_key=st.one_of(st.none(), header_text, st.sampled_from(["", ALICE_API_KEY + "x"])),
        authorization=st.one_of(st.none(), bearer_values),
        path=st.sampled_from(["/api/v1/status", "/api/v1/documents", "/api/v1/documents/110"]),
    )
    def check(api_key: str | None, authorization: str | None, path: str) -> None:
        headers: dict[str, bytes] = {}
        if api_key is not None:
            headers["apiKey"] = api_key.encode("utf-8")
        if authorization is not None:
            headers["Authorization"] = authorization.encode("utf-8")
        response = app_client.get(path, headers=headers)
        assert_rspace_answer(response)
        assert response.status_code in (200, 401, 404), response.text
        if response.status_code == 401:
            assert response.json()["internalCode"] == 40101
            assert response.json()["errors"] == ["Authorisation error"]
            assert "www-authenticate" not in response.headers

    check()
    assert_documented_flows_still_work(app_client)


# -- paths and methods ---------------------------------------------------------------------------


def test_any_path_and_method_under_rspaces_prefixes_is_answered_without_a_5xx(
    app_client: TestClient,
) -> None:
    segments = st.one_of(
        st.sampled_from(["documents", "status", "token", "forms", "files", "v1", "", ".."]),
        st.text(UNICODE, min_size=1, max_size=12),
        document_ids,
    )

    @fuzz_settings
    @given(
        prefix=st.sampled_from(["/api/v1/", "/api/v1//", "/oauth/", "/api/", "/api/inventory/v1/"]),
        parts=st.lists(segments, max_size=4),
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
        with_key=st.booleans(),
    )
    def check(prefix: str, parts: list[str], method: str, with_key: bool) -> None:
        path = prefix + "/".join(quote(p, safe="") for p in parts)
        headers = {"apiKey": ALICE_API_KEY} if with_key else {}
        response = app_client.request(method, path, headers=headers)
        if method == "HEAD":
            assert response.status_code < 500
        else:
            assert_rspace_answer(response)

    check()
    assert_documented_flows_still_work(app_client)
