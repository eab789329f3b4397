"""``POST /api/v1/documents/move``: RSpace's checks, in its order (``WorkspaceServiceImpl``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import assert_api_error


@pytest.fixture
def alice(rspace_mock: RSpaceMockHandle) -> httpx.Client:
    rspace_mock.reset()
    key = rspace_mock.seeded.user("alice")["apiKey"]
    with httpx.Client(base_url=rspace_mock.api_url, headers={"apiKey": key}) as client:
        yield client


@pytest.fixture
def bob(rspace_mock: RSpaceMockHandle) -> httpx.Client:
    key = rspace_mock.seeded.user("bob")["apiKey"]
    with httpx.Client(base_url=rspace_mock.api_url, headers={"apiKey": key}) as client:
        yield client


def folder(client: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/folders", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def document(client: httpx.Client, parent: int) -> dict[str, Any]:
    response = client.post("/documents", json={"name": "to move", "parentFolderId": parent})
    assert response.status_code == 201, response.text
    return response.json()


def move(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/documents/move", json=body)


def test_a_document_moves_into_a_folder_and_a_notebook(alice: httpx.Client) -> None:
    source, target = folder(alice, "source"), folder(alice, "target")
    notebook = folder(alice, "book", notebook=True)
    doc = document(alice, source["id"])
    for place in (target, notebook):
        previous = alice.get(f"/documents/{doc['id']}").json()["parentFolderId"]
        moved = move(alice, docId=doc["id"], sourceFolderId=previous, targetFolderId=place["id"])
        assert moved.status_code == 204, moved.text
        assert alice.get(f"/documents/{doc['id']}").json()["parentFolderId"] == place["id"]
        listed = alice.get(f"/folders/tree/{place['id']}").json()["records"]
        assert [r["id"] for r in listed] == [doc["id"]]
    assert alice.get(f"/folders/tree/{source['id']}").json()["totalHits"] == 0


def test_a_folder_moves_with_what_it_holds(alice: httpx.Client) -> None:
    outer, inner = folder(alice, "outer"), folder(alice, "inner")
    doc = document(alice, inner["id"])
    home = alice.get("/folders/tree").json()["folderId"]
    assert (
        move(alice, docId=inner["id"], sourceFolderId=home, targetFolderId=outer["id"]).status_code
        == 204
    )
    assert alice.get(f"/folders/{inner['id']}").json()["parentFolderId"] == outer["id"]
    assert alice.get(f"/documents/{doc['id']}").json()["parentFolderId"] == inner["id"]


def test_the_same_source_and_target_is_422(alice: httpx.Client) -> None:
    target = folder(alice, "target")
    doc = document(alice, target["id"])
    assert_api_error(
        move(alice, docId=doc["id"], sourceFolderId=target["id"], targetFolderId=target["id"]),
        422,
        42201,
        f"Source and target folder are the same. Id: {target['id']}",
    )


def test_a_record_already_in_the_target_is_422(alice: httpx.Client) -> None:
    target = folder(alice, "target")
    doc = document(alice, target["id"])
    assert_api_error(
        move(alice, docId=doc["id"], sourceFolderId=0, targetFolderId=target["id"]),
        422,
        42201,
        f"Record with ID: {doc['id']} already in target folder",
    )


def test_a_folder_into_itself_is_422(alice: httpx.Client) -> None:
    target = folder(alice, "target")
    assert_api_error(
        move(alice, docId=target["id"], sourceFolderId=0, targetFolderId=target["id"]),
        422,
        42201,
        f"Attempt to move record with ID: {target['id']} to itself",
    )


def test_another_users_record_is_401_and_stays(alice: httpx.Client, bob: httpx.Client) -> None:
    target = folder(alice, "target")
    bobs_folder = folder(bob, "bob's")
    bobs = document(bob, bobs_folder["id"])
    user_id = alice.get("/folders/tree").json()["records"][0]["owner"]["id"]
    assert_api_error(
        move(
            alice, docId=bobs["id"], sourceFolderId=bobs_folder["id"], targetFolderId=target["id"]
        ),
        401,
        40101,
        f"User: {user_id} does not have permission to move record with ID: {bobs['id']}",
    )
    assert bob.get(f"/documents/{bobs['id']}").json()["parentFolderId"] == bobs_folder["id"]


def test_another_users_target_is_the_401_of_an_unauthorised_folder(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    source = folder(alice, "source")
    doc = document(alice, source["id"])
    bobs = folder(bob, "bob's")
    assert_api_error(
        move(alice, docId=doc["id"], sourceFolderId=source["id"], targetFolderId=bobs["id"]),
        401,
        40101,
        "Unauthorized attempt by alice to open an unauthorised folder",
    )


def test_an_unreadable_body_is_400(alice: httpx.Client) -> None:
    response = alice.post(
        "/documents/move", content=b'{"docId": "x"}', headers={"Content-Type": "application/json"}
    )
    assert_api_error(response, 400, 40009)
