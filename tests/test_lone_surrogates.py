"""Strings Python can hold but UTF-8 cannot: lone surrogates, such as the JSON escape
``"\\ud800"``. Wherever one arrives it gets a 4xx (RSpace's 400 for an unreadable body on the
API, the admin API's own 400) and nothing is stored, so every later answer (a listing, the
admin user list) still works. Bytes that are not UTF-8 elsewhere in a request (query string,
form, multipart, path) are read as U+FFFD and cannot make one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.domain.text import is_unicode_text
from tests.http_helpers import API_KEYS, APP, USERS, assert_api_error

LONE = "\ud800"
ALICE = {"apiKey": API_KEYS["alice"]}
JSON = {**ALICE, "Content-Type": "application/json"}
UNREADABLE = (
    "Either JSON syntax is invalid, or RSpace could not parse an expected date or numeric field"
)

#: Bodies with a lone surrogate somewhere: in a value the fake keeps, in one it ignores, in a key.
DOCUMENT_BODIES: dict[str, Any] = {
    "name": {"name": LONE},
    "tags": {"name": "ok", "tags": f"lab,{LONE}"},
    "field content": {"fields": [{"content": f"<p>{LONE}</p>"}]},
    "an ignored key": {"name": "ok", "colour": LONE},
    "a key": {LONE: "x"},
    "a pair split by a character": {"name": "\ud83dx\ude00"},
}


def client_for_test() -> TestClient:
    # A 500 is an answer here, not an exception: the tests check for it.
    return TestClient(create_app(Settings(random_seed=3)), raise_server_exceptions=False)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with client_for_test() as test_client:
        yield test_client


def escaped(body: object) -> bytes:
    """JSON with every non-ASCII character escaped, as ``\\ud800`` for a lone surrogate."""
    return json.dumps(body).encode("ascii")


def alice_total(client: TestClient) -> int:
    listing = client.get("/api/v1/documents", headers=ALICE)
    assert listing.status_code == 200, listing.text
    total: int = listing.json()["totalHits"]
    return total


@pytest.mark.parametrize("body", DOCUMENT_BODIES.values(), ids=DOCUMENT_BODIES)
def test_a_new_document_with_a_lone_surrogate_is_rspaces_unreadable_body_400(
    client: TestClient, body: object
) -> None:
    before = alice_total(client)
    response = client.post("/api/v1/documents", content=escaped(body), headers=JSON)
    error = assert_api_error(response, 400, 40009, errors=[UNREADABLE])
    assert "lone surrogate" in error["message"]
    assert alice_total(client) == before


@pytest.mark.parametrize("body", DOCUMENT_BODIES.values(), ids=DOCUMENT_BODIES)
def test_an_update_with_a_lone_surrogate_is_a_400_and_changes_nothing(
    client: TestClient, body: object
) -> None:
    document = client.post("/api/v1/documents", json={"name": "kept"}, headers=ALICE).json()
    url = f"/api/v1/documents/{document['id']}"
    response = client.put(url, content=escaped(body), headers=JSON)
    assert_api_error(response, 400, 40009, errors=[UNREADABLE])
    again = client.get(url, headers=ALICE).json()
    assert (again["name"], again["version"]) == ("kept", document["version"])
    alice_total(client)


def test_an_escaped_surrogate_pair_is_one_character_and_is_kept(client: TestClient) -> None:
    response = client.post(
        "/api/v1/documents", content=escaped({"name": "\U0001f9ea"}), headers=JSON
    )
    assert response.status_code == 201, response.text
    assert b"\\ud83e\\uddea" in escaped({"name": "\U0001f9ea"})
    assert (
        client.get(f"/api/v1/documents/{response.json()['id']}", headers=ALICE).json()["name"]
        == "\U0001f9ea"
    )


def test_a_lone_surrogate_in_an_advanced_query_is_an_unparseable_query(
    client: TestClient,
) -> None:
    # On the SQLite store the term used to reach the database, which cannot bind it.
    for query_type in ("name", "fullText", "tag"):
        advanced = json.dumps({"terms": [{"query": LONE, "queryType": query_type}]})
        response = client.get(
            "/api/v1/documents", params={"advancedQuery": advanced}, headers=ALICE
        )
        assert_api_error(response, 422, 42201, f"Problem with parsing advancedQuery: {advanced}")


ADMIN_CALLS = [
    ("POST", "/users", {"username": LONE, "password": "pw"}),
    ("POST", "/users", {"username": "carol", "password": "pw", "firstName": LONE}),
    ("POST", "/users", {"username": "carol", "password": "pw", LONE: 1}),
    ("POST", "/apps", {"owner": "alice", "name": LONE}),
    ("POST", "/apps", {"owner": "alice", "name": "App", "clientSecret": LONE}),
    ("POST", "/documents", {"owner": "alice", "name": LONE}),
    ("PATCH", "/settings", {LONE: True}),
    ("POST", "/faults", {"action": "error", "status": 503, "message": LONE}),
    ("PUT", "/fixtures", {"users": [{"username": LONE, "password": "pw"}]}),
    ("POST", "/clock/set", {"at": LONE}),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), ADMIN_CALLS, ids=[f"{m} {p}" for m, p, _ in ADMIN_CALLS]
)
def test_a_lone_surrogate_in_an_admin_body_is_a_400_and_every_listing_still_works(
    client: TestClient, method: str, path: str, body: object
) -> None:
    response = client.request(
        method, "/_mock" + path, content=escaped(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "lone surrogate" in response.json()["error"]
    for listing in ("/users", "/apps", "/faults", "/settings", "/journal"):
        assert client.get("/_mock" + listing).status_code == 200, listing
    assert client.get("/api/v1/status", headers=ALICE).status_code == 200
    assert alice_total(client) > 0


def test_raw_bytes_of_a_surrogate_in_an_admin_body_are_refused_too(client: TestClient) -> None:
    # json.loads reads bytes with "surrogatepass": ED A0 80 becomes U+D800.
    response = client.post(
        "/_mock/users",
        content=b'{"username": "\xed\xa0\x80", "password": "pw"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "lone surrogate" in response.json()["error"]
    assert client.get("/_mock/users").status_code == 200


def test_bad_utf8_in_a_query_form_multipart_or_path_is_read_as_replacement_characters(
    client: TestClient,
) -> None:
    grant = {
        "grant_type": "password",
        "client_id": APP["clientId"],
        "client_secret": APP["clientSecret"],
        "password": USERS["alice"]["password"],
    }
    answers = [
        client.post("/oauth/token?username=%ED%A0%80", data=grant),
        client.post(
            "/oauth/token",
            content="&".join(f"{k}={v}" for k, v in grant.items()) + "&username=%ED%A0%80",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        client.post(
            "/oauth/token",
            files={**{k: (None, v) for k, v in grant.items()}, "username": (None, b"\xed\xa0\x80")},
        ),
    ]
    for answer in answers:
        assert_api_error(answer, 401, 40101, "Invalid user credentials.")
    listing = client.get("/api/v1/documents?query=%ED%A0%80", headers=ALICE)
    assert listing.status_code == 200 and listing.json()["totalHits"] == 0
    missing = client.patch("/_mock/users/%ED%A0%80", json={"accountLocked": True})
    assert missing.status_code == 404
    assert is_unicode_text(missing.json()["error"]) and "\ufffd" in missing.json()["error"]


# -- the property ----------------------------------------------------------------------------

#: Any string, lone surrogates included (Hypothesis's text() never makes one).
ANY_STRING = st.one_of(
    st.text(max_size=12),
    st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=12).map(
        "".join
    ),
)
_usernames = (f"user{n}" for n in itertools.count())


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    with client_for_test() as test_client:
        yield test_client


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=st.sampled_from(["name", "tags", "firstName"]), value=ANY_STRING)
def test_any_json_string_is_kept_exactly_or_refused_with_a_4xx_and_listings_keep_working(
    shared_client: TestClient, key: str, value: str
) -> None:
    client = shared_client
    payload = escaped({key: value})
    # What the JSON text means: an escaped pair is one character, a lone half stays alone.
    meant = json.loads(payload)[key]
    if key == "firstName":
        username = next(_usernames)
        body = payload[:-1] + f', "username": "{username}", "password": "pw"}}'.encode()
        response = client.post(
            "/_mock/users", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = client.post("/api/v1/documents", content=payload, headers=JSON)
    if not is_unicode_text(meant):
        assert 400 <= response.status_code < 500, response.text
    elif key == "firstName":
        assert response.status_code == 201, response.text
        users = client.get("/_mock/users").json()["users"]
        kept = next(u["firstName"] for u in users if u["username"] == username)
        assert kept == (meant or username.capitalize())
    elif key == "tags" and any(c in meant for c in "<>\\/"):
        # DocumentTagManagerImpl: RSpace's 422 for a character no tag may hold
        assert response.status_code == 422, response.text
        assert "may not be used in tags" in response.json()["message"]
    else:
        assert response.status_code == 201, response.text
        document = client.get(f"/api/v1/documents/{response.json()['id']}", headers=ALICE).json()
        if key == "name":
            assert document["name"] == (meant if meant.strip() else "Untitled document")
        else:
            # stored as given, but for the empty tags Java's split drops at the end
            assert document["tags"] == (meant.rstrip(",") if meant.strip() else None)
    assert client.get("/api/v1/documents", headers=ALICE).status_code == 200
    assert client.get("/_mock/users").status_code == 200
