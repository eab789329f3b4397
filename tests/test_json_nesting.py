"""Request bodies are read as RSpace's Jackson reads them: nesting up to its limit of 1000 levels
(``StreamReadConstraints``) is JSON like any other, deeper is the 400 for an unreadable body."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, assert_api_error, make_client

JSON_BODY = {"apiKey": API_KEYS["alice"], "Content-Type": "application/json"}
JACKSON_MAX_DEPTH = 1000


@pytest.fixture(scope="module")
def client() -> TestClient:
    return make_client()


def with_nested_extra(depth: int, opening: str = "[", closing: str = "]") -> str:
    """A document body ``depth`` levels deep in all: the body, then an unknown key (which RSpace
    ignores) holding ``depth - 1`` nested arrays or objects."""
    inner = depth - 1
    return '{"name": "deep", "extra": ' + opening * inner + closing * inner + "}"


@pytest.mark.parametrize("depth", [300, 999, JACKSON_MAX_DEPTH])
def test_a_body_nested_up_to_jacksons_limit_is_read(client: TestClient, depth: int) -> None:
    response = client.post("/api/v1/documents", content=with_nested_extra(depth), headers=JSON_BODY)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["name"] == "deep"


def test_a_body_of_nested_objects_up_to_jacksons_limit_is_read(client: TestClient) -> None:
    inner = JACKSON_MAX_DEPTH - 1
    body = '{"name": "deep", "extra": ' + '{"a":' * (inner - 1) + "{}" + "}" * (inner - 1) + "}"
    response = client.post("/api/v1/documents", content=body, headers=JSON_BODY)
    assert response.status_code == 201, response.text[:300]


@pytest.mark.parametrize(
    "body",
    [
        with_nested_extra(JACKSON_MAX_DEPTH + 1),
        with_nested_extra(100_000),
        "[" * 100_000,
        '{"a":' * 100_000,
        '{"fields": [{"content": ' + "[" * 50_000 + "]" * 50_000 + "}]}",
    ],
    ids=["1001 levels", "100,000 levels", "100,000 open arrays", "100,000 open objects", "field"],
)
def test_a_body_nested_deeper_than_jacksons_limit_is_unreadable(
    client: TestClient, body: str
) -> None:
    created = client.post("/api/v1/documents", content="{}", headers=JSON_BODY).json()
    for method, path in (
        ("POST", "/api/v1/documents"),
        ("PUT", f"/api/v1/documents/{created['id']}"),
    ):
        response = client.request(method, path, content=body, headers=JSON_BODY)
        assert_api_error(response, 400, 40009, "JSON parse error")
