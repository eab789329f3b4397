"""``/api/v1/share`` over HTTP, and what a share changes elsewhere: reading, editing, deleting
and listing documents, and opening and listing folders (``ShareApiController``,
``RecordSharingManagerImpl``, ``DocumentsApiController``, ``FolderApiController``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.domain.directory import NewUser
from tests.http_helpers import API_KEYS, assert_api_error, make_client

NOT_PERMITTED = (
    "No permissions to share items with group  - ensure that the sharer is the owner of the "
    "items to be shared. Only Notebooks and Documents can be shared."
)
SHARE_NOT_FOUND = (
    "Share with id [{}] could not be retrieved - possibly it has been deleted, does not exist, "
    "or you do not have permission to access it."
)
RECORD_NOT_FOUND = (
    "Record with id [{}] could not be retrieved - possibly it has been deleted, does not exist, "
    "or you do not have permission to access it."
)
DOCUMENT_NOT_FOUND = (
    "Document with id [{}] could not be retrieved - possibly it has been deleted, does not "
    "exist, or you do not have permission to access it."
)
NO_RECIPIENTS = "At least one user ID or group ID must be provided in the 'users' or 'groups' list"
SHARE_KEYS = [
    "id",
    "sharedItemId",
    "shareItemName",
    "sharedTargetId",
    "sharedTargetType",
    "permission",
    "_links",
]


class Api:
    def __init__(self, client: TestClient, api_key: str) -> None:
        self.client = client
        self.headers = {"apiKey": api_key}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params=params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers)

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(f"/api/v1{path}", json=body, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def document(self, name: str = "Shared work", content: str = "v1") -> int:
        made = self.post("/documents", {"name": name, "fields": [{"content": content}]})
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def group(self) -> dict[str, Any]:
        return dict(self.get("/groups").json()[0])

    def share_with_group(self, item: int, permission: str = "READ", **extra: Any) -> Any:
        group = self.group()
        return self.post(
            "/share",
            {
                "itemsToShare": [item],
                "groups": [{"id": group["id"], "permission": permission, **extra}],
            },
        )


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as made:
        yield made


@pytest.fixture
def alice(client: TestClient) -> Api:
    return Api(client, API_KEYS["alice"])


@pytest.fixture
def bob(client: TestClient) -> Api:
    return Api(client, API_KEYS["bob"])


@pytest.fixture
def priya(client: TestClient) -> Api:
    return Api(client, API_KEYS["priya"])


@pytest.fixture
def zoe(client: TestClient) -> Api:
    """A user in no group."""
    key = "zoeApiKey00000000000000000000009"
    new = NewUser(username="zoe", password="zoe-password-9", api_key=key)
    client.app.state.mock.directory.create_user(new)  # type: ignore[attr-defined]
    return Api(client, key)


# -- POST /share ----------------------------------------------------------------------------


def test_sharing_with_a_group_reports_one_share_per_item(alice: Api) -> None:
    first, second = alice.document("one"), alice.document("two")
    group = alice.group()
    response = alice.post(
        "/share",
        {"itemsToShare": [first, second], "groups": [{"id": group["id"], "permission": "edit"}]},
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["shareInfos", "failedShares", "_links"]
    assert body["failedShares"] == [] and body["_links"] == []
    infos = body["shareInfos"]
    assert [list(i) for i in infos] == [SHARE_KEYS, SHARE_KEYS]
    assert [(i["sharedItemId"], i["shareItemName"]) for i in infos] == [
        (first, "one"),
        (second, "two"),
    ]
    assert {(i["sharedTargetType"], i["sharedTargetId"], i["permission"]) for i in infos} == {
        ("GROUP", group["id"], "EDIT")
    }


def test_sharing_again_with_the_same_recipient_does_nothing(alice: Api) -> None:
    item = alice.document()
    assert alice.share_with_group(item).status_code == 201
    again = alice.share_with_group(item, "EDIT")
    assert again.status_code == 201 and again.json()["shareInfos"] == []
    assert alice.get("/share").json()["totalHits"] == 1


def test_a_recipient_named_twice_gets_one_share(alice: Api) -> None:
    item = alice.document()
    group = alice.group()["id"]
    twice = [{"id": group, "permission": "READ"}, {"id": group, "permission": "EDIT"}]
    response = alice.post("/share", {"itemsToShare": [item], "groups": twice})
    assert response.status_code == 201
    assert [i["permission"] for i in response.json()["shareInfos"]] == ["READ"]
    assert alice.get("/share").json()["totalHits"] == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"itemsToShare": [], "groups": [{"id": 1}]},
            ["itemsToShare: There must be at least 1 document or notebook to share"],
        ),
        (
            {"groups": [{"id": 1}]},
            ["itemsToShare: There must be at least 1 document or notebook to share"],
        ),
        ({"itemsToShare": [1]}, [f"sharePost: {NO_RECIPIENTS}"]),
        ({"itemsToShare": [1], "groups": [], "users": []}, [f"sharePost: {NO_RECIPIENTS}"]),
        (
            {"itemsToShare": [1], "groups": [{"permission": "READ"}]},
            ["groups[0].id: Must specify id of the group"],
        ),
        ({"itemsToShare": [1], "users": [{}]}, ["users[0].id: Must specify id of the user"]),
        (
            {"itemsToShare": [1], "groups": [{"id": 1, "permission": "WRITE"}]},
            ['groups[0].permission: must match "(READ|EDIT|read|edit)"'],
        ),
        (
            {"itemsToShare": list(range(1, 257)), "users": [{"id": 2}]},
            ["itemsToShare: There must be at least 1 document or notebook to share"],
        ),
    ],
)
def test_a_share_body_that_fails_validation_is_a_400(
    alice: Api, body: dict[str, Any], errors: list[str]
) -> None:
    response = alice.post("/share", body)
    assert_api_error(response, 400, 40002, f"Errors detected: {len(errors)}", errors)


def test_a_share_body_that_is_no_json_object_is_unreadable(alice: Api, client: TestClient) -> None:
    for body in (
        [1],
        {"itemsToShare": "1", "users": [{"id": 2}]},
        {"itemsToShare": [1], "users": [5]},
    ):
        assert_api_error(alice.post("/share", body), 400, 40009)
    wrong_type = client.post(
        "/api/v1/share",
        content=b"itemsToShare=1",
        headers={**alice.headers, "content-type": "text/plain"},
    )
    assert_api_error(wrong_type, 415, 41501)


def test_only_the_owner_shares_and_only_documents_and_notebooks(alice: Api, bob: Api) -> None:
    item = alice.document()
    assert_api_error(bob.share_with_group(item), 401, 40101, NOT_PERMITTED)
    folder = alice.post("/folders", {"name": "A folder"}).json()["id"]
    assert_api_error(alice.share_with_group(folder), 401, 40101, NOT_PERMITTED)
    assert_api_error(alice.share_with_group(987654), 401, 40101, NOT_PERMITTED)


def test_sharing_with_a_group_needs_membership(alice: Api, zoe: Api) -> None:
    item = zoe.document()
    group = alice.group()
    response = zoe.post("/share", {"itemsToShare": [item], "groups": [{"id": group["id"]}]})
    assert_api_error(response, 401, 40101, NOT_PERMITTED)


def test_sharing_with_a_user_needs_a_common_group(alice: Api, zoe: Api) -> None:
    item = alice.document()
    zoe_id = zoe.get("/userDetails/whoami").json()["id"]
    response = alice.post("/share", {"itemsToShare": [item], "users": [{"id": zoe_id}]})
    assert_api_error(response, 401, 40101, NOT_PERMITTED)


def test_a_share_some_items_of_which_fail_shares_the_rest(alice: Api, bob: Api) -> None:
    mine, theirs = alice.document("mine"), bob.document("theirs")
    group = alice.group()
    response = alice.post(
        "/share", {"itemsToShare": [theirs, mine], "groups": [{"id": group["id"]}]}
    )
    assert response.status_code == 201
    assert [i["sharedItemId"] for i in response.json()["shareInfos"]] == [mine]


def test_a_share_with_a_user_goes_into_their_share_folder(alice: Api, bob: Api) -> None:
    item = alice.document("For Bob")
    bob_id = bob.get("/userDetails/whoami").json()["id"]
    response = alice.post(
        "/share", {"itemsToShare": [item], "users": [{"id": bob_id, "permission": "READ"}]}
    )
    info = response.json()["shareInfos"][0]
    assert (info["sharedTargetType"], info["sharedTargetId"]) == ("USER", bob_id)
    places = alice.get(f"/share/document/{item}").json()["directShares"]
    assert [p["path"] for p in places] == ["alice-bob"]
    share_folder = places[0]["parentId"]
    # Bob finds the folder in his Shared/IndividualShareItems and the document in it.
    home = bob.get("/folders/tree").json()["records"]
    shared = next(r for r in home if r["name"] == "Shared")["id"]
    individual = next(
        r
        for r in bob.get(f"/folders/tree/{shared}").json()["records"]
        if r["name"] == "IndividualShareItems"
    )["id"]
    listed = bob.get(f"/folders/tree/{individual}").json()["records"]
    assert [(r["id"], r["name"], r["sharedFolder"]) for r in listed] == [
        (share_folder, "alice-bob", True)
    ]
    assert [r["id"] for r in bob.get(f"/folders/tree/{share_folder}").json()["records"]] == [item]
    assert bob.get(f"/documents/{item}").status_code == 200


def test_a_notebook_shared_for_editing_takes_others_documents_not_the_owners(
    alice: Api, bob: Api
) -> None:
    notebook = alice.post("/folders", {"name": "Lab book", "notebook": True}).json()["id"]
    assert alice.share_with_group(notebook, "EDIT").status_code == 201
    own = alice.document("own entry")
    response = alice.share_with_group(own, sharedFolderId=notebook)
    assert_api_error(
        response,
        422,
        42201,
        f"Problem sharing: can't share document with id {own} into own notebook",
    )
    theirs = bob.document("bob's entry")
    assert bob.share_with_group(theirs, sharedFolderId=notebook).status_code == 201
    listed = alice.get(f"/folders/tree/{notebook}").json()["records"]
    assert [r["id"] for r in listed] == [theirs]


def test_a_notebook_shared_for_reading_takes_no_ones_documents(alice: Api, bob: Api) -> None:
    notebook = alice.post("/folders", {"name": "Lab book", "notebook": True}).json()["id"]
    alice.share_with_group(notebook, "READ")
    theirs = bob.document()
    assert_api_error(
        bob.share_with_group(theirs, sharedFolderId=notebook), 401, 40101, NOT_PERMITTED
    )


def test_a_shared_folder_outside_the_group_shares_into_the_groups_folder(alice: Api) -> None:
    item = alice.document()
    own_folder = alice.post("/folders", {"name": "Mine"}).json()["id"]
    alice.share_with_group(item, sharedFolderId=own_folder)
    [place] = alice.get(f"/share/document/{item}").json()["directShares"]
    assert place["parentId"] == alice.group()["sharedFolderId"]


# -- GET /share -----------------------------------------------------------------------------


def test_the_share_listing_pages_the_callers_shares_by_item_name(alice: Api, bob: Api) -> None:
    for name in ("b", "C", "a"):
        alice.share_with_group(alice.document(name))
    bob.share_with_group(bob.document("not alice's"))
    page = alice.get("/share", pageSize=2, orderBy="name asc").json()
    assert list(page) == ["totalHits", "pageNumber", "shares", "_links"]
    assert page["totalHits"] == 3
    assert [s["shareItemName"] for s in page["shares"]] == ["a", "b"]
    assert page["shares"][0]["_links"][0]["link"].endswith(
        f"/api/v1/share/{page['shares'][0]['id']}"
    )
    # RSpace's page links name the forms endpoint.
    assert {link["rel"] for link in page["_links"]} == {"next", "self"}
    assert all("/api/v1/forms?" in link["link"] for link in page["_links"])
    descending = alice.get("/share", orderBy="name desc").json()["shares"]
    assert [s["shareItemName"] for s in descending] == ["C", "b", "a"]


def test_the_share_listing_query_matches_names_and_global_ids(alice: Api) -> None:
    first = alice.document("Western blot")
    alice.share_with_group(first)
    alice.share_with_group(alice.document("PCR"))
    assert [s["sharedItemId"] for s in alice.get("/share", query="WESTERN").json()["shares"]] == [
        first
    ]
    assert [
        s["sharedItemId"] for s in alice.get("/share", query=f"SD{first}").json()["shares"]
    ] == [first]
    assert alice.get("/share", query="walsh").json()["totalHits"] == 2  # the group's name


def test_the_share_listing_for_some_items_has_folder_shares(alice: Api) -> None:
    item = alice.document()
    alice.share_with_group(item)
    alice.share_with_group(alice.document("other"))
    body = alice.get("/share", sharedItemIds=str(item)).json()
    assert list(body) == ["totalHits", "pageNumber", "shares", "folderShares", "_links"]
    assert [s["sharedItemId"] for s in body["shares"]] == [item]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": 0}, "pageSize"),
        ({"pageNumber": -1}, "pageNumber"),
        ({"orderBy": "size"}, "orderBy"),
    ],
)
def test_bad_share_listing_parameters_are_a_400(
    alice: Api, params: dict[str, Any], field: str
) -> None:
    body = assert_api_error(alice.get("/share", **params), 400, 40002)
    assert body["data"]["validationErrors"][0]["field"] == field


# -- PUT and DELETE /share --------------------------------------------------------------------


def test_a_permission_update_changes_what_the_recipient_may_do(alice: Api, bob: Api) -> None:
    item = alice.document()
    share = alice.share_with_group(item).json()["shareInfos"][0]["id"]
    assert_api_error(bob.put(f"/documents/{item}", {"tags": "x"}), 401, 40101)
    assert alice.put("/share", {"shareId": share, "permission": "edit"}).status_code == 204
    assert alice.get("/share").json()["shares"][0]["permission"] == "EDIT"
    assert bob.put(f"/documents/{item}", {"tags": "x"}).status_code == 200


def test_a_permission_update_of_no_share_of_the_callers_is_a_404(alice: Api, bob: Api) -> None:
    share = alice.share_with_group(alice.document()).json()["shareInfos"][0]["id"]
    for caller, share_id in ((bob, share), (alice, 987654), (alice, 0)):
        response = caller.put("/share", {"shareId": share_id, "permission": "EDIT"})
        assert_api_error(response, 404, 50301, SHARE_NOT_FOUND.format(share_id))
    bad = alice.put("/share", {"shareId": share, "permission": "OWN"})
    assert_api_error(bad, 400, 40002, errors=['permission: must match "(READ|EDIT|read|edit)"'])


def test_an_unshare_takes_the_item_away_at_once(alice: Api, bob: Api) -> None:
    item = alice.document()
    share = alice.share_with_group(item).json()["shareInfos"][0]["id"]
    assert bob.get(f"/documents/{item}").status_code == 200
    assert_api_error(bob.delete(f"/share/{share}"), 404, 50301, SHARE_NOT_FOUND.format(share))
    assert alice.delete(f"/share/{share}").status_code == 204
    assert_api_error(bob.get(f"/documents/{item}"), 404, 50301, DOCUMENT_NOT_FOUND.format(item))
    assert_api_error(alice.delete(f"/share/{share}"), 404, 50301, SHARE_NOT_FOUND.format(share))
    assert_api_error(alice.delete("/share/abc"), 400, 40006)
    group_folder = alice.group()["sharedFolderId"]
    assert bob.get(f"/folders/tree/{group_folder}").json()["totalHits"] == 0


# -- GET /share/document/{id} -------------------------------------------------------------------


def test_the_shares_of_a_document_say_where_they_put_it(alice: Api, bob: Api) -> None:
    group = alice.group()
    sub = bob.post("/folders", {"name": "Sub", "parentFolderId": group["sharedFolderId"]}).json()[
        "id"
    ]
    item = alice.document("Placed")
    share = alice.share_with_group(item, "EDIT", sharedFolderId=sub).json()["shareInfos"][0]["id"]
    body = alice.get(f"/share/document/{item}").json()
    assert list(body) == ["sharedDocId", "sharedDocName", "notebookShares", "directShares"]
    assert (body["sharedDocId"], body["sharedDocName"], body["notebookShares"]) == (
        item,
        "Placed",
        [],
    )
    [place] = body["directShares"]
    assert place == {
        "shareId": share,
        "sharerId": alice.get("/userDetails/whoami").json()["id"],
        "sharerName": "Alice Moreau",
        "recipientId": group["id"],
        "recipientName": "Walsh Lab",
        "recipientType": "GROUP",
        "permission": "EDIT",
        "parentId": sub,
        "grandparentId": group["sharedFolderId"],
        "path": "Walsh Lab_SHARED/Sub",
    }


def test_a_notebook_entry_lists_the_notebooks_shares(alice: Api) -> None:
    notebook = alice.post("/folders", {"name": "Book", "notebook": True}).json()["id"]
    entry = alice.post("/documents", {"name": "Entry", "parentFolderId": notebook}).json()["id"]
    alice.share_with_group(notebook)
    body = alice.get(f"/share/document/{entry}").json()
    assert body["directShares"] == []
    [place] = body["notebookShares"]
    group_folder = alice.group()["sharedFolderId"]
    assert (place["parentId"], place["grandparentId"], place["path"]) == (
        notebook,
        group_folder,
        "Walsh Lab_SHARED/Book",
    )


def test_the_shares_of_anothers_document_are_not_found(alice: Api, bob: Api) -> None:
    item = alice.document()
    alice.share_with_group(item)
    assert_api_error(bob.get(f"/share/document/{item}"), 404, 50301, RECORD_NOT_FOUND.format(item))
    assert_api_error(
        alice.get("/share/document/987654"), 404, 50301, RECORD_NOT_FOUND.format(987654)
    )


# -- what a share changes elsewhere -----------------------------------------------------------


def test_a_reader_may_not_rename_tag_or_save(alice: Api, bob: Api) -> None:
    item = alice.document("Original")
    alice.share_with_group(item)
    assert_api_error(
        bob.put(f"/documents/{item}", {"name": "Renamed"}),
        401,
        40101,
        f"Unauthorized attempt by bob to rename Original [id={item}]",
    )
    assert_api_error(
        bob.put(f"/documents/{item}", {"tags": "t"}),
        401,
        40101,
        f"Unauthorised attempt by user bob to save tag [{item}]",
    )
    assert_api_error(
        bob.put(f"/documents/{item}", {"fields": [{"content": "v2"}]}),
        401,
        40101,
        f"Unauthorised attempt by user bob to save document [{item}]",
    )
    assert bob.put(f"/documents/{item}", {"name": "Original"}).status_code == 200  # no change


def test_an_editor_saves_content_and_tags_but_does_not_rename(alice: Api, bob: Api) -> None:
    item = alice.document("Original")
    alice.share_with_group(item, "EDIT")
    saved = bob.put(f"/documents/{item}", {"tags": "t1", "fields": [{"content": "<p>v2</p>"}]})
    assert saved.status_code == 200
    assert alice.get(f"/documents/{item}").json()["fields"][0]["content"] == "<p>v2</p>"
    assert_api_error(bob.put(f"/documents/{item}", {"name": "Mine now"}), 401, 40101)


def test_only_the_owner_deletes_and_a_deleted_document_is_shared_no_more(
    alice: Api, bob: Api
) -> None:
    item = alice.document()
    alice.share_with_group(item, "EDIT")
    assert_api_error(bob.delete(f"/documents/{item}"), 404, 50301, DOCUMENT_NOT_FOUND.format(item))
    assert alice.delete(f"/documents/{item}").status_code == 204
    assert alice.get("/share").json()["totalHits"] == 0
    assert bob.get("/documents", filter="sharedWithMe").json()["totalHits"] == 0


def test_shared_with_me_lists_documents_shared_by_others_not_notebook_entries(
    alice: Api, bob: Api
) -> None:
    direct = alice.document("direct")
    alice.share_with_group(direct)
    notebook = alice.post("/folders", {"name": "Book", "notebook": True}).json()["id"]
    entry = alice.post("/documents", {"name": "Entry", "parentFolderId": notebook}).json()["id"]
    alice.share_with_group(notebook)
    own = bob.document("bob's own")
    bob.share_with_group(own)
    listed = bob.get("/documents", filter="sharedWithMe").json()
    assert [d["id"] for d in listed["documents"]] == [direct]
    assert bob.get(f"/documents/{entry}").status_code == 200  # the notebook share reaches it
    everything = [d["id"] for d in bob.get("/documents", pageSize=100).json()["documents"]]
    assert direct in everything and own in everything and entry not in everything
    assert everything.count(direct) == 1


def test_a_listing_of_own_and_shared_documents_pages_without_overlap(alice: Api, bob: Api) -> None:
    shared = [alice.document(f"a{i}") for i in range(3)]
    for item in shared:
        alice.share_with_group(item)
    own_total = bob.get("/documents").json()["totalHits"]
    seen = []
    for page in range(10):
        body = bob.get("/documents", pageSize=2, pageNumber=page, orderBy="name asc").json()
        seen += [d["id"] for d in body["documents"]]
        assert body["totalHits"] == own_total
    assert len(seen) == len(set(seen)) == own_total
    assert set(shared) <= set(seen)


def test_the_pi_lists_and_reads_the_members_work(alice: Api, bob: Api, priya: Api) -> None:
    item = alice.document("Alice's")
    listed = [d["id"] for d in priya.get("/documents", pageSize=100).json()["documents"]]
    assert item in listed
    assert priya.get(f"/documents/{item}").json()["owner"]["username"] == "alice"
    found = priya.get("/documents", query="Alice's").json()
    assert item in [d["id"] for d in found["documents"]]
    assert_api_error(priya.delete(f"/documents/{item}"), 404, 50301)
    # The members do not see each other's work.
    assert_api_error(bob.get(f"/documents/{item}"), 404, 50301)
    assert item not in [d["id"] for d in bob.get("/documents", pageSize=100).json()["documents"]]


def test_a_pis_own_work_is_private_to_the_lab(alice: Api, priya: Api) -> None:
    item = priya.document("PI's notes")
    assert_api_error(alice.get(f"/documents/{item}"), 404, 50301)


def test_a_groups_shared_folder_is_open_to_members_only(alice: Api, bob: Api, zoe: Api) -> None:
    folder = alice.group()["sharedFolderId"]
    opened = bob.get(f"/folders/{folder}")
    assert opened.status_code == 200
    assert (opened.json()["name"], opened.json()["sharedFolder"]) == ("Walsh Lab_SHARED", True)
    assert_api_error(
        zoe.get(f"/folders/{folder}"),
        401,
        40101,
        "Unauthorized attempt by zoe to open an unauthorised folder",
    )
    assert_api_error(zoe.post("/folders", {"name": "x", "parentFolderId": folder}), 401, 40101)


def test_members_see_the_groups_folder_in_their_lab_groups_folder(bob: Api, priya: Api) -> None:
    def lab_groups(api: Api) -> list[str]:
        home = api.get("/folders/tree").json()["records"]
        shared = next(r for r in home if r["name"] == "Shared")["id"]
        folders = api.get(f"/folders/tree/{shared}").json()["records"]
        lab = next(r for r in folders if r["name"] == "LabGroups")["id"]
        return sorted(r["name"] for r in api.get(f"/folders/tree/{lab}").json()["records"])

    assert lab_groups(bob) == ["Walsh Lab_SHARED"]
    # The PI also finds the members' home folders there.
    assert lab_groups(priya) == ["Walsh Lab_SHARED", "alice", "bob"]


def test_a_shared_documents_files_are_read_by_its_readers_only(client: TestClient) -> None:
    alice, bob = Api(client, API_KEYS["alice"]), Api(client, API_KEYS["bob"])
    uploaded = client.post(
        "/api/v1/files", files={"file": ("notes.txt", b"private notes")}, headers=alice.headers
    ).json()
    item = alice.document("With a file", f"<p><fileId={uploaded['id']}></p>")
    assert_api_error(bob.get(f"/files/{uploaded['id']}"), 404, 50301)
    alice.share_with_group(item)
    assert bob.get(f"/files/{uploaded['id']}").status_code == 200
    assert bob.get(f"/files/{uploaded['id']}/file").content == b"private notes"
    replaced = client.post(
        f"/api/v1/files/{uploaded['id']}/file",
        files={"file": ("notes.txt", b"bob's")},
        headers=bob.headers,
    )
    assert_api_error(replaced, 404, 50301)  # reading is not replacing
    share = alice.get("/share").json()["shares"][0]["id"]
    alice.delete(f"/share/{share}")
    assert_api_error(bob.get(f"/files/{uploaded['id']}"), 404, 50301)
