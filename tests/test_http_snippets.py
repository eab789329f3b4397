"""``/api/v1/snippets/{id}`` over HTTP: a snippet as JSON and as text, who may read it (its
owner, a recipient of a share of it), and where it is listed (``SnippetApiController``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, assert_api_error, make_client

ALICE = {"apiKey": API_KEYS["alice"]}
BOB = {"apiKey": API_KEYS["bob"]}
NOT_FOUND = (
    "Snippet with id [{}] could not be retrieved - possibly it has been deleted, does not exist, "
    "or you do not have permission to access it."
)
SNIPPET_KEYS = ["id", "globalId", "name", "owner", "content", "_links"]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as made:
        yield made


def snippets_folder(client: TestClient, headers: dict[str, str]) -> int:
    def child(folder: int | None, name: str) -> int:
        path = "/api/v1/folders/tree" + (f"/{folder}" if folder else "")
        records = client.get(path, headers=headers).json()["records"]
        return int(next(r for r in records if r["name"] == name)["id"])

    return child(child(None, "Gallery"), "Snippets")


def alices_snippet(client: TestClient) -> dict[str, object]:
    folder = snippets_folder(client, ALICE)
    listed = client.get(
        f"/api/v1/folders/tree/{folder}", params={"typesToInclude": "snippet"}, headers=ALICE
    ).json()["records"]
    [snippet] = listed
    return dict(snippet)


def test_a_snippet_is_listed_in_the_snippets_folder_and_read_by_its_owner(
    client: TestClient,
) -> None:
    listed = alices_snippet(client)
    assert (listed["type"], listed["name"]) == ("SNIPPET", "PCR master mix")
    assert str(listed["_links"][0]["link"]).endswith(f"/api/v1/snippets/{listed['id']}")  # type: ignore[index]
    response = client.get(f"/api/v1/snippets/{listed['id']}", headers=ALICE)
    body = response.json()
    assert list(body) == SNIPPET_KEYS
    assert body["globalId"] == f"ST{listed['id']}"
    assert body["owner"]["username"] == "alice"
    assert "<td>Taq</td>" in body["content"]
    assert body["_links"][0]["rel"] == "self"
    text = client.get(f"/api/v1/snippets/{listed['id']}/content", headers=ALICE)
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == body["content"]


def test_another_users_snippet_is_not_found_until_shared(client: TestClient) -> None:
    snippet_id = alices_snippet(client)["id"]
    for path in (f"/api/v1/snippets/{snippet_id}", f"/api/v1/snippets/{snippet_id}/content"):
        assert_api_error(client.get(path, headers=BOB), 404, 50301, NOT_FOUND.format(snippet_id))
    group = client.get("/api/v1/groups", headers=ALICE).json()[0]
    shared = client.post(
        "/api/v1/share",
        json={"itemsToShare": [snippet_id], "groups": [{"id": group["id"]}]},
        headers=ALICE,
    )
    assert shared.status_code == 201, shared.text
    assert client.get(f"/api/v1/snippets/{snippet_id}", headers=BOB).status_code == 200
    # A snippet shared with a group goes into the group's snippet folder.
    listed = client.get(
        f"/api/v1/folders/tree/{group['sharedSnippetFolderId']}", headers=BOB
    ).json()["records"]
    assert [r["id"] for r in listed] == [snippet_id]


def test_an_id_of_no_snippet_is_not_found(client: TestClient) -> None:
    document = client.post("/api/v1/documents", json={"name": "d"}, headers=ALICE).json()["id"]
    for snippet_id in (document, 987654):
        response = client.get(f"/api/v1/snippets/{snippet_id}", headers=ALICE)
        assert_api_error(response, 404, 50301, NOT_FOUND.format(snippet_id))
    assert_api_error(client.get("/api/v1/snippets/x", headers=ALICE), 400, 40006)
