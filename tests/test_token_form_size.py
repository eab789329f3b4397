"""``POST /oauth/token`` reads no more form data than RSpace's Tomcat does: ``maxPostSize``.

Tomcat parses a urlencoded body of up to 2 MB (2,097,152 bytes, its default; RSpace sets no
other); a longer one gives no parameters at all, so the controller sees only the query
string's. Multipart fields count against the same limit, and a request with more is refused
with 400. So the fake never hashes a password or a client secret longer than that.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import httpx
from starlette.testclient import TestClient

from tests.http_helpers import assert_api_error, grant_form

MAX_POST_SIZE = 2 * 1024 * 1024
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


def grant_body(size: int) -> bytes:
    """A urlencoded password grant of exactly ``size`` bytes (a long, wrong password)."""
    form = grant_form(password="")
    short = urllib.parse.urlencode(form).encode()
    return short + b"x" * (size - len(short))


def assert_missing(response: httpx.Response, name: str) -> None:
    assert_api_error(response, 400, 40005, errors=[f"{name} parameter is missing"])


def test_a_form_of_max_post_size_is_read(client: TestClient) -> None:
    response = client.post("/oauth/token", content=grant_body(MAX_POST_SIZE), headers=URLENCODED)
    assert_api_error(response, 401, 40101, "Invalid user credentials.")


def test_a_longer_form_gives_no_parameters(client: TestClient) -> None:
    body = grant_body(MAX_POST_SIZE + 1)
    assert_missing(client.post("/oauth/token", content=body, headers=URLENCODED), "grant_type")


def test_a_form_longer_in_all_than_max_post_size_gives_no_parameters(client: TestClient) -> None:
    padding = {f"padding{n}": "x" * 900_000 for n in range(3)}  # each field well under it
    body = urllib.parse.urlencode({**grant_form(), **padding}).encode()
    assert_missing(client.post("/oauth/token", content=body, headers=URLENCODED), "grant_type")


def test_a_longer_chunked_form_gives_no_parameters(client: TestClient) -> None:
    body = grant_body(MAX_POST_SIZE + 1)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = client.post("/oauth/token", content=chunks(), headers=URLENCODED)
    assert_missing(response, "grant_type")


def test_the_query_string_counts_when_the_form_is_too_long(client: TestClient) -> None:
    query = {k: v for k, v in grant_form().items() if k != "password"}
    body = b"password=" + b"x" * MAX_POST_SIZE
    response = client.post("/oauth/token", params=query, content=body, headers=URLENCODED)
    message = "Password grant requires parameters `username` and `password` to be present."
    assert_api_error(response, 422, 42201, message)


def test_multipart_fields_under_max_post_size_are_read(client: TestClient) -> None:
    # Over the 1 MB that the form parser would take by default.
    form = grant_form(password="x" * (MAX_POST_SIZE // 4 * 3))
    files = {key: (None, value) for key, value in form.items()}
    response = client.post("/oauth/token", files=files)
    assert_api_error(response, 401, 40101, "Invalid user credentials.")


def test_multipart_fields_over_max_post_size_are_refused(client: TestClient) -> None:
    form = grant_form(password="x" * MAX_POST_SIZE)
    files = {key: (None, value) for key, value in form.items()}
    assert_missing(client.post("/oauth/token", files=files), "grant_type")
