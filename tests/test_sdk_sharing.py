"""The official RSpace Python SDK (``rspace-client`` from PyPI), unmodified, on groups and
sharing: ``get_groups``, ``create_folder`` in a group's shared folder, ``shareDocuments``,
``get_shared_items`` and ``unshareItem``, as the SDK's ``share_documents.py`` uses them; and what
the recipients can then do with the document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rspace_client.eln.eln import ELNClient
from rspace_client.exceptions import ApiError, AuthenticationError

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS


def _client(mock: RSpaceMockHandle, username: str) -> ELNClient:
    return ELNClient(mock.base_url, API_KEYS[username], max_retries=0)


@pytest.fixture
def alice(rspace_mock: RSpaceMockHandle) -> Iterator[ELNClient]:
    with _client(rspace_mock, "alice") as client:
        yield client


@pytest.fixture
def bob(rspace_mock: RSpaceMockHandle) -> Iterator[ELNClient]:
    with _client(rspace_mock, "bob") as client:
        yield client


@pytest.fixture
def priya(rspace_mock: RSpaceMockHandle) -> Iterator[ELNClient]:
    with _client(rspace_mock, "priya") as client:
        yield client


def test_the_share_documents_example_flow(alice: ELNClient, bob: ELNClient) -> None:
    groups = alice.get_groups()
    assert [g["name"] for g in groups] == ["Walsh Lab"]
    group = groups[0]
    document = alice.create_document(
        name="Python API Example2 Basic Document",
        tags=["Python", "API", "example"],
        fields=[{"content": "Some example text"}],
    )
    folder = alice.create_folder("SharedSubfolder", group["sharedFolderId"])
    shared = alice.shareDocuments([document["id"]], group["id"], sharedFolderId=folder["id"])
    info = shared["shareInfos"][0]
    assert (info["sharedItemId"], info["sharedTargetId"], info["permission"]) == (
        document["id"],
        group["id"],
        "READ",
    )
    listed = alice.get_shared_items()
    assert [s["shareItemName"] for s in listed["shares"]] == [document["name"]]
    assert not alice.link_exists(listed, "next")
    # The other member finds it in the subfolder and reads it.
    tree = bob.list_folder_tree(folder["id"])
    assert [r["id"] for r in tree["records"]] == [document["id"]]
    assert bob.get_document(document["id"])["fields"][0]["content"] == "Some example text"


def test_a_read_share_cannot_be_edited_and_an_unshare_takes_it_away(
    alice: ELNClient, bob: ELNClient
) -> None:
    group = alice.get_groups()[0]
    document = alice.create_document(name="Protocol", fields=[{"content": "v1"}])
    shared = alice.shareDocuments([document["id"]], group["id"])
    with pytest.raises(AuthenticationError, match="to save document"):
        bob.update_document(document["id"], fields=[{"content": "v2"}])
    assert alice.get_document(document["id"])["fields"][0]["content"] == "v1"
    alice.unshareItem(shared["shareInfos"][0]["id"])
    with pytest.raises(ApiError) as gone:
        bob.get_document(document["id"])
    assert gone.value.response_status_code == 404


def test_an_edit_share_lets_the_recipient_change_the_content(
    alice: ELNClient, bob: ELNClient
) -> None:
    group = alice.get_groups()[0]
    document = alice.create_document(name="Shared plan", fields=[{"content": "v1"}])
    alice.shareDocuments([document["id"]], group["id"], permission="EDIT")
    bob.update_document(document["id"], fields=[{"content": "<p>v2</p>"}])
    assert alice.get_document(document["id"])["fields"][0]["content"] == "<p>v2</p>"
    assert [d["id"] for d in bob.get_documents(query=None)["documents"]].count(document["id"]) == 1


def test_the_pi_reads_the_labs_work_but_does_not_change_it(
    alice: ELNClient, priya: ELNClient
) -> None:
    document = alice.create_document(name="Gel results", fields=[{"content": "bands"}])
    assert priya.get_document(document["id"])["name"] == "Gel results"
    assert document["id"] in [d["id"] for d in priya.get_documents(page_size=100)["documents"]]
    with pytest.raises(AuthenticationError, match="Unauthorised attempt by user priya"):
        priya.update_document(document["id"], fields=[{"content": "edited"}])
