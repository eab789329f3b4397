"""``/api/v1/folders`` over HTTP, and the folder side of ``POST /api/v1/documents``: the account
structure of a user, ``GET``/``POST``/``DELETE`` of folders and notebooks, and the tree listing
(paging, ordering, type filter, links)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, assert_api_error

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

FOLDER_KEYS = [
    "id",
    "globalId",
    "name",
    "created",
    "lastModified",
    "parentFolderId",
    "notebook",
    "systemFolder",
    "sharedFolder",
    "mediaType",
    "pathToRootFolder",
    "_links",
]
LISTING_KEYS = ["folderId", "totalHits", "pageNumber", "records", "_links"]
FOLDER_RECORD_KEYS = [
    "id",
    "globalId",
    "name",
    "created",
    "lastModified",
    "parentFolderId",
    "type",
    "systemFolder",
    "sharedFolder",
    "_links",
    "owner",
]
RECORD_KEYS = [k for k in FOLDER_RECORD_KEYS if k not in ("systemFolder", "sharedFolder")]
OWNER_KEYS = [
    "id",
    "username",
    "email",
    "firstName",
    "lastName",
    "homeFolderId",
    "workbenchId",
    "hasPiRole",
    "hasSysAdminRole",
    "_links",
]

HOME_ORDER = ["Templates", "Gallery", "Examples", "Shared"]
GALLERY_ORDER = [
    "Snippets",
    "PdfDocuments",
    "Miscellaneous",
    "Documents",
    "Chemistry",
    "Videos",
    "Audios",
    "Images",
]
SHARED_ORDER = ["IndividualShareItems", "CollaborationGroups", "LabGroups"]
SNIPPET_SHARES = [
    "SNIPPETS_LabGroups",
    "SNIPPETS_CollaborationGroups",
    "SNIPPETS_IndividualShareItems",
]

NOT_FOUND = (
    "Folder with id [{}] could not be retrieved - possibly it has been deleted, does not "
    "exist, or you do not have permission to access it."
)
DOCUMENT_NOT_FOUND = (
    "Document with id [{}] could not be retrieved - possibly it has been deleted, does not "
    "exist, or you do not have permission to access it."
)
UNAUTHORISED = "Unauthorized attempt by {} to open an unauthorised folder"
DELETED = "Unauthorized attempt by {} to open a deleted folder"
CREATE_IN = "Unauthorized attempt by {} to create a folder in [{}]"
SYSTEM_DELETE = "Cannot delete user home folder or a system folder"
NOT_A_PARENT = "Folder {} is not a parent of {}"
NOT_IN_WORKSPACE = (
    "Workspace Target folder (id={}) must be in the workspace, not in the Gallery, Templates "
    "or Shared folders"
)
NESTED = "Notebooks and folders cannot be created inside notebooks."
TOP_LEVEL_GALLERY = (
    "You cannot create a top-level folder in the Gallery; create folder in one of the "
    "sub-galleries, e.g. Images, Documents"
)
NOTEBOOK_OUTSIDE = "You can only create a Notebook in the Workspace, not the Gallery folder tree"
BAD_TYPES = "typesToInclude terms must be one of: snippet, folder, document, and notebook"
BAD_SORT = (
    "Problem parsing sort parameter: [{}]. It must be one of name desc, name asc, created desc, "
    "created asc, lastModified desc, and lastModified asc."
)
UNREADABLE = (
    "Either JSON syntax is invalid, or RSpace could not parse an expected date or numeric field"
)
ERIN = {
    "username": "erin",
    "password": "erin-password-5",
    "apiKey": "erinApiKey0000000000000000000005",
    "email": "erin.lee@lab.example.org",
    "firstName": "Erin",
    "lastName": "Lee",
}
UNKNOWN_ID = 987654321


class Api:
    """One user's calls to ``/api/v1`` of the served fake."""

    def __init__(self, mock: RSpaceMockHandle, username: str, api_key: str) -> None:
        self.mock = mock
        self.username = username
        self.url = mock.api_url
        self.http = httpx.Client(base_url=mock.api_url, headers={"apiKey": api_key}, timeout=20)
        self._account: dict[str, int] | None = None

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    # -- shortcuts ------------------------------------------------------------------------

    def tree(self, folder_id: int | None = None, **params: Any) -> dict[str, Any]:
        path = "/folders/tree" if folder_id is None else f"/folders/tree/{folder_id}"
        params.setdefault("pageSize", 100)
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def names(self, folder_id: int | None = None, **params: Any) -> list[str]:
        return [r["name"] for r in self.tree(folder_id, **params)["records"]]

    def folder(self, folder_id: int, **params: Any) -> dict[str, Any]:
        response = self.get(f"/folders/{folder_id}", **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def make_folder(
        self, name: str | None = None, parent: int | None = None, notebook: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"notebook": notebook}
        if name is not None:
            body["name"] = name
        if parent is not None:
            body["parentFolderId"] = parent
        response = self.post("/folders", body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def make_document(self, name: str, parent: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if parent is not None:
            body["parentFolderId"] = parent
        response = self.post("/documents", body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    @property
    def account(self) -> dict[str, int]:
        """Ids of the standard folders: ``home``, ``Shared``, ``Shared/LabGroups``,
        ``Gallery/Images``, ``Gallery/Images/Examples``, ``Gallery/Snippets/SNIPPETS_Shared``,
        ``Gallery/Snippets/SNIPPETS_Shared/SNIPPETS_LabGroups``, ``Api Inbox`` (if any), ..."""
        if self._account is None:
            home = self.tree()
            ids = {"home": home["folderId"]}
            ids.update({r["name"]: r["id"] for r in home["records"] if _standard(r)})
            for top in ("Shared", "Gallery"):
                for record in self.tree(ids[top])["records"]:
                    ids[f"{top}/{record['name']}"] = record["id"]
            for record in self.tree(ids["Gallery/Images"])["records"]:
                if _standard(record):
                    ids[f"Gallery/Images/{record['name']}"] = record["id"]
            shares = "Gallery/Snippets/SNIPPETS_Shared"
            ids[shares] = by_name(self.tree(ids["Gallery/Snippets"]))["SNIPPETS_Shared"]["id"]
            for record in self.tree(ids[shares])["records"]:
                ids[f"{shares}/{record['name']}"] = record["id"]
            self._account = ids
        return self._account

    def close(self) -> None:
        self.http.close()


def _standard(record: dict[str, Any]) -> bool:
    """A folder RSpace made for the account (not one the fixtures or a test made)."""
    return record["type"] == "FOLDER" and bool(record.get("systemFolder"))


def by_name(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in listing["records"]}


def self_link(api: Api, path: str) -> list[dict[str, str]]:
    return [{"link": f"{api.url}{path}", "rel": "self"}]


@pytest.fixture
def alice(rspace_mock: RSpaceMockHandle) -> Iterator[Api]:
    api = Api(rspace_mock, "alice", API_KEYS["alice"])
    yield api
    api.close()


@pytest.fixture
def bob(rspace_mock: RSpaceMockHandle) -> Iterator[Api]:
    api = Api(rspace_mock, "bob", API_KEYS["bob"])
    yield api
    api.close()


@pytest.fixture
def erin(rspace_mock: RSpaceMockHandle) -> Iterator[Api]:
    """A user made through the admin API: no documents, so no ``Api Inbox`` yet."""
    response = httpx.post(rspace_mock.url("/_mock/users"), json=ERIN, timeout=20)
    assert response.status_code == 201, response.text
    api = Api(rspace_mock, "erin", ERIN["apiKey"])
    yield api
    api.close()


@pytest.fixture
def ticking(rspace_mock: RSpaceMockHandle, alice: Api, bob: Api) -> Any:
    """A frozen clock moved one second forward by each call, so creations sort predictably.
    It starts after the newest home folder of the fixture users, whatever time those carry."""
    stamps = [r["lastModified"] for api in (alice, bob) for r in api.tree()["records"]]
    latest = max(datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps)
    rspace_mock.clock.freeze(max(latest, rspace_mock.clock.now()))

    def tick() -> None:
        rspace_mock.clock.advance(1)

    return tick


# -- the account structure ------------------------------------------------------------------


def test_a_new_users_home_lists_templates_gallery_examples_shared(erin: Api) -> None:
    response = erin.get("/folders/tree")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == LISTING_KEYS
    home = body["folderId"]
    assert body["totalHits"] == 4 and body["pageNumber"] == 0
    assert [r["name"] for r in body["records"]] == HOME_ORDER
    assert body["_links"] == self_link(erin, "/folders/tree?pageNumber=0")
    prefixes = {"Templates": "FL", "Gallery": "GF", "Examples": "FL", "Shared": "FL"}
    for record in body["records"]:
        assert list(record) == FOLDER_RECORD_KEYS
        assert record["globalId"] == f"{prefixes[record['name']]}{record['id']}"
        assert record["type"] == "FOLDER"
        assert record["systemFolder"] is True and record["sharedFolder"] is False
        assert record["parentFolderId"] == home
        assert DATE.match(record["created"]) and DATE.match(record["lastModified"])
        assert record["_links"] == self_link(erin, f"/folders/{record['id']}")
        owner = record["owner"]
        assert list(owner) == OWNER_KEYS
        assert owner["username"] == "erin"
        assert owner["email"] == ERIN["email"]
        assert (owner["firstName"], owner["lastName"]) == ("Erin", "Lee")
        assert owner["homeFolderId"] == home
        assert owner["workbenchId"] is None
        assert owner["hasPiRole"] is False and owner["hasSysAdminRole"] is False
        assert owner["_links"] == []
    stamps = [r["lastModified"] for r in body["records"]]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 4
    assert home not in [r["id"] for r in body["records"]]


def test_the_gallery_has_eight_sections_newest_first(erin: Api) -> None:
    gallery = erin.account["Gallery"]
    body = erin.get(f"/folders/tree/{gallery}").json()
    assert body["folderId"] == gallery and body["totalHits"] == 8
    assert [r["name"] for r in body["records"]] == GALLERY_ORDER
    for record in body["records"]:
        assert list(record) == FOLDER_RECORD_KEYS
        assert record["globalId"] == f"GF{record['id']}"
        assert record["type"] == "FOLDER"
        assert record["systemFolder"] is True and record["sharedFolder"] is False
        assert record["parentFolderId"] == gallery
    stamps = [r["lastModified"] for r in body["records"]]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 8
    assert body["_links"] == self_link(erin, f"/folders/tree/{gallery}?pageNumber=0")


def test_the_gallery_sections_are_not_in_the_home_listing(erin: Api) -> None:
    assert not set(GALLERY_ORDER) & set(erin.names())


def test_shared_holds_three_plain_system_folders(erin: Api) -> None:
    shared = erin.account["Shared"]
    body = erin.tree(shared)
    assert body["totalHits"] == 3
    assert [r["name"] for r in body["records"]] == SHARED_ORDER
    for record in body["records"]:
        assert record["globalId"] == f"FL{record['id']}"
        assert record["systemFolder"] is True and record["sharedFolder"] is False
        assert record["parentFolderId"] == shared
        assert erin.tree(record["id"])["totalHits"] == 0


def test_images_holds_examples_and_snippets_hold_the_snippet_share_folders(erin: Api) -> None:
    images = erin.tree(erin.account["Gallery/Images"])
    assert [r["name"] for r in images["records"]] == ["Examples"]
    assert images["records"][0]["globalId"].startswith("GF")
    snippets = erin.tree(erin.account["Gallery/Snippets"])
    assert [r["name"] for r in snippets["records"]] == ["SNIPPETS_Shared"]
    shares = erin.tree(erin.account["Gallery/Snippets/SNIPPETS_Shared"])
    assert sorted(r["name"] for r in shares["records"]) == sorted(SNIPPET_SHARES)
    assert all(r["globalId"] == f"GF{r['id']}" for r in shares["records"])
    for section in GALLERY_ORDER:
        if section not in ("Images", "Snippets"):
            assert erin.tree(erin.account[f"Gallery/{section}"])["totalHits"] == 0


def test_templates_and_examples_start_empty(erin: Api) -> None:
    assert erin.tree(erin.account["Templates"])["totalHits"] == 0
    assert erin.tree(erin.account["Examples"])["totalHits"] == 0


def test_a_fixture_user_with_documents_has_an_api_inbox_holding_them(alice: Api) -> None:
    home = alice.tree()
    assert home["totalHits"] == 6
    mine = ["Api Inbox", "Projects"]  # the fixtures' own folder, besides RSpace's
    assert sorted(r["name"] for r in home["records"]) == sorted([*HOME_ORDER, *mine])
    assert [n for n in alice.names() if n not in mine] == HOME_ORDER
    stamps = [r["lastModified"] for r in home["records"]]
    assert stamps == sorted(stamps, reverse=True)
    inbox = by_name(home)["Api Inbox"]
    assert inbox["globalId"] == f"FL{inbox['id']}"
    assert inbox["systemFolder"] is True and inbox["sharedFolder"] is False
    documents = alice.tree(inbox["id"])
    assert documents["totalHits"] == 5
    everywhere = alice.get("/documents", pageSize=100).json()["documents"]
    expected = {d["name"] for d in everywhere if d["parentFolderId"] == inbox["id"]}
    assert len(expected) == 5 and len(everywhere) == 7  # two are notebook entries
    assert {r["name"] for r in documents["records"]} == expected
    for record in documents["records"]:
        assert list(record) == RECORD_KEYS
        assert record["type"] == "DOCUMENT"
        assert record["globalId"] == f"SD{record['id']}"
        assert record["parentFolderId"] == inbox["id"]
        assert record["_links"] == self_link(alice, f"/documents/{record['id']}")
        assert record["owner"]["username"] == "alice"


def test_users_have_homes_of_their_own(alice: Api, bob: Api) -> None:
    alices, bobs = alice.tree(), bob.tree()
    assert alices["folderId"] != bobs["folderId"]
    assert {r["owner"]["username"] for r in bobs["records"]} == {"bob"}
    assert not {r["id"] for r in alices["records"]} & {r["id"] for r in bobs["records"]}
    assert alice.folder(alices["folderId"])["name"] == "alice"
    assert bob.folder(bobs["folderId"])["name"] == "bob"


def test_the_first_document_without_a_parent_makes_the_api_inbox(erin: Api) -> None:
    home = erin.account["home"]
    first = erin.make_document("first")
    names = erin.names()
    assert names == ["Api Inbox", *HOME_ORDER]
    inbox = by_name(erin.tree())["Api Inbox"]
    assert inbox["globalId"] == f"FL{inbox['id']}"
    assert inbox["systemFolder"] is True and inbox["sharedFolder"] is False
    assert first["parentFolderId"] == inbox["id"]
    assert first["grandParentId"] == home
    second = erin.make_document("second", parent=None)
    assert second["parentFolderId"] == inbox["id"]
    assert erin.names().count("Api Inbox") == 1
    assert erin.tree()["totalHits"] == 5
    assert sorted(erin.names(inbox["id"])) == ["first", "second"]
    fetched = erin.folder(inbox["id"])
    assert fetched["parentFolderId"] == home
    assert fetched["systemFolder"] is True and fetched["mediaType"] is None


def test_an_explicit_null_parent_also_goes_to_the_api_inbox(erin: Api) -> None:
    created = erin.post("/documents", {"name": "null parent", "parentFolderId": None})
    assert created.status_code == 201, created.text
    inbox = by_name(erin.tree())["Api Inbox"]
    assert created.json()["parentFolderId"] == inbox["id"]


# -- GET /folders/{id} ----------------------------------------------------------------------


def test_get_the_home_folder(alice: Api) -> None:
    home = alice.account["home"]
    response = alice.get(f"/folders/{home}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FOLDER_KEYS
    assert DATE.match(body["created"]) and DATE.match(body["lastModified"])
    assert {k: v for k, v in body.items() if k not in ("created", "lastModified")} == {
        "id": home,
        "globalId": f"FL{home}",
        "name": "alice",
        "parentFolderId": None,
        "notebook": False,
        "systemFolder": True,
        "sharedFolder": False,
        "mediaType": None,
        "pathToRootFolder": None,
        "_links": self_link(alice, f"/folders/{home}"),
    }


def test_get_a_created_folder_and_notebook(alice: Api) -> None:
    folder = alice.make_folder("Experiments")
    notebook = alice.make_folder("Lab book", parent=folder["id"], notebook=True)
    got = alice.folder(folder["id"])
    assert got == folder
    assert got["globalId"] == f"FL{folder['id']}"
    assert got["parentFolderId"] == alice.account["home"]
    assert (got["notebook"], got["systemFolder"], got["sharedFolder"]) == (False, False, False)
    got = alice.folder(notebook["id"])
    assert got == notebook
    assert got["globalId"] == f"NB{notebook['id']}"
    assert got["parentFolderId"] == folder["id"]
    assert (got["notebook"], got["systemFolder"], got["sharedFolder"]) == (True, False, False)
    assert got["mediaType"] is None


@pytest.mark.parametrize(
    ("path", "prefix", "parent"),
    [
        ("Shared", "FL", "home"),
        ("Shared/LabGroups", "FL", "Shared"),
        ("Shared/CollaborationGroups", "FL", "Shared"),
        ("Shared/IndividualShareItems", "FL", "Shared"),
        ("Examples", "FL", "home"),
        ("Templates", "FL", "home"),
        ("Gallery", "GF", "home"),
        ("Gallery/Images", "GF", "Gallery"),
        ("Gallery/Images/Examples", "GF", "Gallery/Images"),
        ("Gallery/Snippets/SNIPPETS_Shared", "GF", "Gallery/Snippets"),
    ],
)
def test_system_folders_are_system_and_not_shared(
    erin: Api, path: str, prefix: str, parent: str
) -> None:
    ids = erin.account
    got = erin.folder(ids[path])
    assert list(got) == FOLDER_KEYS
    assert got["name"] == path.split("/")[-1]
    assert got["globalId"] == f"{prefix}{ids[path]}"
    assert got["parentFolderId"] == ids[parent]
    assert (got["notebook"], got["systemFolder"], got["sharedFolder"]) == (False, True, False)


def test_media_type_is_the_gallery_section_of_gf_folders(erin: Api) -> None:
    ids = erin.account
    assert erin.folder(ids["Gallery"])["mediaType"] is None
    for section in GALLERY_ORDER:
        assert erin.folder(ids[f"Gallery/{section}"])["mediaType"] == section
    assert erin.folder(ids["Gallery/Images/Examples"])["mediaType"] == "Images"
    assert erin.folder(ids["Gallery/Snippets/SNIPPETS_Shared"])["mediaType"] == "Snippets"
    inner = erin.make_folder("inner", parent=ids["Gallery/Documents"])
    deeper = erin.make_folder("deeper", parent=inner["id"])
    assert erin.folder(deeper["id"])["mediaType"] == "Documents"
    for workspace in ("home", "Shared", "Templates", "Examples"):
        assert erin.folder(ids[workspace])["mediaType"] is None


def test_path_to_root_of_a_workspace_folder_ends_at_home(alice: Api) -> None:
    home = alice.account["home"]
    outer = alice.make_folder("outer")
    inner = alice.make_folder("inner", parent=outer["id"])
    got = alice.folder(inner["id"], includePathToRootFolder="true")
    assert list(got) == FOLDER_KEYS
    assert got["parentFolderId"] == outer["id"]
    assert [f["id"] for f in got["pathToRootFolder"]] == [outer["id"], home]
    assert [f["name"] for f in got["pathToRootFolder"]] == ["outer", "alice"]
    for item in got["pathToRootFolder"]:
        assert list(item) == FOLDER_KEYS
        assert item["pathToRootFolder"] is None
        assert item["_links"] == []
    assert got["_links"] == self_link(alice, f"/folders/{inner['id']}")
    first = got["pathToRootFolder"][0]
    assert first["globalId"] == f"FL{outer['id']}" and first["parentFolderId"] == home


def test_path_to_root_in_the_gallery_stops_at_the_gallery(erin: Api) -> None:
    ids = erin.account
    folder = erin.make_folder("TestFolder", parent=ids["Gallery/Documents"])
    got = erin.folder(folder["id"], includePathToRootFolder="true")
    assert [f["name"] for f in got["pathToRootFolder"]] == ["Documents", "Gallery"]
    assert got["pathToRootFolder"][0]["mediaType"] == "Documents"
    assert got["pathToRootFolder"][1]["mediaType"] is None
    images = erin.folder(ids["Gallery/Images"], includePathToRootFolder="true")
    assert [f["id"] for f in images["pathToRootFolder"]] == [ids["Gallery"]]


def test_path_to_root_of_the_gallery_itself_is_home(erin: Api) -> None:
    """The walk stops after adding a folder that is the Gallery root; the Gallery's own parent
    is home, which is not the Gallery root, so home is added and the walk ends there."""
    ids = erin.account
    gallery = erin.folder(ids["Gallery"], includePathToRootFolder="true")
    assert gallery["parentFolderId"] == ids["home"]
    assert [f["id"] for f in gallery["pathToRootFolder"]] == [ids["home"]]


def test_path_to_root_of_home_is_empty(alice: Api) -> None:
    got = alice.folder(alice.account["home"], includePathToRootFolder="true")
    assert got["pathToRootFolder"] == [] and got["parentFolderId"] is None


def test_without_include_path_the_path_is_null(alice: Api) -> None:
    folder = alice.make_folder("no path")
    for params in ({}, {"includePathToRootFolder": "false"}):
        assert alice.folder(folder["id"], **params)["pathToRootFolder"] is None


def test_parent_id_must_be_a_direct_parent(alice: Api) -> None:
    home = alice.account["home"]
    outer = alice.make_folder("outer")
    inner = alice.make_folder("inner", parent=outer["id"])
    good = alice.folder(inner["id"], includePathToRootFolder="true", parentId=outer["id"])
    assert good["parentFolderId"] == outer["id"]
    assert [f["id"] for f in good["pathToRootFolder"]] == [outer["id"], home]
    response = alice.get(f"/folders/{inner['id']}", includePathToRootFolder="true", parentId=home)
    assert_api_error(response, 422, 42201, NOT_A_PARENT.format(home, inner["id"]))
    # parentId is only looked at together with includePathToRootFolder=true
    ignored = alice.folder(inner["id"], parentId=home)
    assert ignored["parentFolderId"] == outer["id"] and ignored["pathToRootFolder"] is None


def test_an_unknown_id_or_a_documents_id_is_404(alice: Api) -> None:
    document = alice.make_document("not a folder")
    for folder_id in (UNKNOWN_ID, document["id"]):
        assert_api_error(
            alice.get(f"/folders/{folder_id}"), 404, 50301, NOT_FOUND.format(folder_id), [""]
        )


def test_another_users_folder_is_401(alice: Api, bob: Api) -> None:
    bobs = bob.make_folder("bob's")
    for folder_id in (bobs["id"], bob.account["home"], bob.account["Gallery"]):
        assert_api_error(
            alice.get(f"/folders/{folder_id}"),
            401,
            40101,
            UNAUTHORISED.format("alice"),
            ["Authorisation error"],
        )


def test_a_non_numeric_id_is_400(alice: Api) -> None:
    for path in ("/folders/abc", "/folders/FL12"):
        assert_api_error(
            alice.get(path), 400, 40006, errors=["id should be of type java.lang.Long"]
        )


# -- POST /folders --------------------------------------------------------------------------


def test_an_empty_body_makes_an_untitled_folder_in_home(alice: Api, ticking: Any) -> None:
    ticking()
    response = alice.post("/folders", {})
    assert response.status_code == 201, response.text
    assert "location" not in response.headers
    body = response.json()
    assert list(body) == FOLDER_KEYS
    assert body["created"] == body["lastModified"] and DATE.match(body["created"])
    assert {k: v for k, v in body.items() if k not in ("id", "created", "lastModified")} == {
        "globalId": f"FL{body['id']}",
        "name": "Untitled Folder",
        "parentFolderId": alice.account["home"],
        "notebook": False,
        "systemFolder": False,
        "sharedFolder": False,
        "mediaType": None,
        "pathToRootFolder": None,
        "_links": self_link(alice, f"/folders/{body['id']}"),
    }
    first = alice.tree()["records"][0]
    assert (first["id"], first["name"], first["type"]) == (body["id"], "Untitled Folder", "FOLDER")
    assert first["systemFolder"] is False and first["sharedFolder"] is False


def test_a_notebook_defaults_to_untitled_notebook(alice: Api) -> None:
    response = alice.post("/folders", {"notebook": True})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Untitled Notebook"
    assert body["globalId"] == f"NB{body['id']}"
    assert body["notebook"] is True and body["systemFolder"] is False
    assert body["parentFolderId"] == alice.account["home"]
    record = by_name(alice.tree())["Untitled Notebook"]
    assert list(record) == RECORD_KEYS
    assert record["type"] == "NOTEBOOK" and record["globalId"] == f"NB{body['id']}"
    assert record["_links"] == self_link(alice, f"/folders/{body['id']}")


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"name": ""}, "Untitled Folder"),
        ({"name": "   "}, "Untitled Folder"),
        ({"name": None}, "Untitled Folder"),
        ({"name": " ", "notebook": True}, "Untitled Notebook"),
        ({"name": "  padded  "}, "padded"),
        ({"name": "Ünïcødé ✓ 实验"}, "Ünïcødé ✓ 实验"),
        ({"name": "n" * 255}, "n" * 255),
    ],
)
def test_names_are_trimmed_and_blank_ones_defaulted(
    alice: Api, body: dict[str, Any], name: str
) -> None:
    response = alice.post("/folders", body)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name
    assert alice.folder(response.json()["id"])["name"] == name


def test_notebook_as_the_string_true_is_coerced(alice: Api) -> None:
    response = alice.post("/folders", {"name": "coerced", "notebook": "true"})
    assert response.status_code == 201, response.text
    assert response.json()["notebook"] is True
    assert response.json()["globalId"].startswith("NB")


def test_unknown_keys_are_ignored(alice: Api) -> None:
    response = alice.post("/folders", {"name": "extra", "colour": "red", "systemFolder": True})
    assert response.status_code == 201, response.text
    assert response.json()["systemFolder"] is False


def test_a_folder_in_a_gallery_section_is_gf_with_its_media_type(erin: Api) -> None:
    ids = erin.account
    folder = erin.make_folder("TestFolder", parent=ids["Gallery/Documents"])
    assert folder["globalId"] == f"GF{folder['id']}"
    assert folder["parentFolderId"] == ids["Gallery/Documents"]
    assert folder["mediaType"] == "Documents"
    assert (folder["notebook"], folder["systemFolder"], folder["sharedFolder"]) == (
        False,
        False,
        False,
    )
    nested = erin.make_folder("nested", parent=folder["id"])
    assert nested["globalId"] == f"GF{nested['id']}" and nested["mediaType"] == "Documents"
    in_examples = erin.make_folder("more examples", parent=ids["Gallery/Images/Examples"])
    assert in_examples["mediaType"] == "Images"
    record = by_name(erin.tree(ids["Gallery/Documents"]))["TestFolder"]
    assert record["globalId"] == f"GF{folder['id']}" and record["systemFolder"] is False


@pytest.mark.parametrize("target", ["Examples", "Templates", "Api Inbox"])
def test_folders_may_be_made_in_examples_templates_and_the_api_inbox(
    alice: Api, target: str
) -> None:
    parent = alice.account[target]
    folder = alice.make_folder(f"in {target}", parent=parent)
    assert folder["parentFolderId"] == parent
    assert folder["globalId"] == f"FL{folder['id']}"
    assert folder["systemFolder"] is False
    assert f"in {target}" in alice.names(parent)


def test_a_notebook_inside_a_folder(alice: Api) -> None:
    folder = alice.make_folder("Projects")
    notebook = alice.make_folder("Project lab book", parent=folder["id"], notebook=True)
    assert notebook["parentFolderId"] == folder["id"]
    assert notebook["globalId"] == f"NB{notebook['id']}"
    inner = alice.make_folder("sub", parent=folder["id"])
    notebook_in_sub = alice.make_folder(None, parent=inner["id"], notebook=True)
    assert notebook_in_sub["name"] == "Untitled Notebook"
    assert sorted(alice.names(folder["id"])) == ["Project lab book", "sub"]


def test_row_a_a_name_over_255_characters_is_400(alice: Api) -> None:
    body = assert_api_error(
        alice.post("/folders", {"name": "n" * 256}),
        400,
        40002,
        "Errors detected: 1",
        ["name: Name cannot be longer than 255 characters"],
    )
    assert body["data"]["validationErrors"][0]["field"] == "name"


@pytest.mark.parametrize("parent", [0, -1, -1111])
def test_row_b_a_parent_id_below_1_is_400(alice: Api, parent: int) -> None:
    body = assert_api_error(
        alice.post("/folders", {"name": "x", "parentFolderId": parent}),
        400,
        40002,
        "Errors detected: 1",
    )
    assert len(body["errors"]) == 1 and body["errors"][0].startswith("parentFolderId: ")
    assert body["data"]["validationErrors"][0]["field"] == "parentFolderId"


def test_row_c_a_parent_that_is_no_folder_is_the_404_of_get(alice: Api) -> None:
    # rspace-web lets Hibernate's not-found error through here as a 500/50001 ("Object of class
    # [...Folder] with identifier [<id>]: not found"); the fake answers what GET /folders/{id}
    # answers for the id instead (README, known simplifications): never a 500 for bad input.
    document = alice.make_document("not a parent")
    for parent in (UNKNOWN_ID, document["id"]):
        assert_api_error(
            alice.post("/folders", {"name": "x", "parentFolderId": parent}),
            404,
            50301,
            NOT_FOUND.format(parent),
            [""],
        )


def test_row_d_another_users_folder_as_parent_is_401(alice: Api, bob: Api) -> None:
    bobs = bob.make_folder("bob's")
    for parent in (bob.account["home"], bobs["id"]):
        for notebook in (False, True):
            assert_api_error(
                alice.post("/folders", {"parentFolderId": parent, "notebook": notebook}),
                401,
                40101,
                UNAUTHORISED.format("alice"),
                ["Authorisation error"],
            )
    assert bob.tree(bobs["id"])["totalHits"] == 0


def test_row_e_a_deleted_parent_is_401(alice: Api) -> None:
    folder = alice.make_folder("soon gone")
    assert alice.delete(f"/folders/{folder['id']}").status_code == 204
    assert_api_error(
        alice.post("/folders", {"name": "x", "parentFolderId": folder["id"]}),
        401,
        40101,
        DELETED.format("alice"),
    )


@pytest.mark.parametrize("notebook", [False, True])
def test_row_f_nothing_can_be_made_inside_a_notebook(alice: Api, notebook: bool) -> None:
    parent = alice.make_folder("book", notebook=True)
    body = assert_api_error(
        alice.post("/folders", {"name": "x", "parentFolderId": parent["id"], "notebook": notebook}),
        400,
        40002,
        "Errors detected: 1",
        [f"apiFolder: {NESTED}"],
    )
    assert body["data"] == {
        "validationErrors": [
            {"field": None, "rejectedValue": None, "objectName": "apiFolder", "message": NESTED}
        ]
    }
    assert alice.tree(parent["id"])["totalHits"] == 0


@pytest.mark.parametrize("notebook", [False, True])
def test_row_g_nothing_can_be_made_at_the_top_of_the_gallery(erin: Api, notebook: bool) -> None:
    gallery = erin.account["Gallery"]
    body = assert_api_error(
        erin.post("/folders", {"name": "x", "parentFolderId": gallery, "notebook": notebook}),
        400,
        40002,
        "Errors detected: 1",
        [f"apiFolder: {TOP_LEVEL_GALLERY}"],
    )
    assert body["data"]["validationErrors"][0]["objectName"] == "apiFolder"
    assert erin.tree(gallery)["totalHits"] == 8


@pytest.mark.parametrize(
    "target",
    [
        "Gallery/Images",
        "Gallery/Documents",
        "Gallery/Images/Examples",
        "Templates",
        "Examples",
        "Api Inbox",
        "Shared",
        "Shared/LabGroups",
        "Shared/IndividualShareItems",
    ],
)
def test_row_h_notebooks_only_in_the_workspace(alice: Api, target: str) -> None:
    parent = alice.account[target]
    assert_api_error(
        alice.post("/folders", {"name": "nb", "parentFolderId": parent, "notebook": True}),
        400,
        40002,
        "Errors detected: 1",
        [f"apiFolder: {NOTEBOOK_OUTSIDE}"],
    )
    assert "nb" not in alice.names(parent)


def test_row_h_also_below_the_gallery_and_the_api_inbox(alice: Api) -> None:
    ids = alice.account
    for parent in (ids["Gallery/Documents"], ids["Api Inbox"], ids["Templates"]):
        sub = alice.make_folder("sub", parent=parent)
        assert_api_error(
            alice.post("/folders", {"parentFolderId": sub["id"], "notebook": True}),
            400,
            40002,
            errors=[f"apiFolder: {NOTEBOOK_OUTSIDE}"],
        )


@pytest.mark.parametrize(
    "target",
    [
        "Shared",
        "Shared/LabGroups",
        "Shared/CollaborationGroups",
        "Shared/IndividualShareItems",
        "Gallery/Snippets/SNIPPETS_Shared",
        "Gallery/Snippets/SNIPPETS_Shared/SNIPPETS_LabGroups",
    ],
)
def test_row_i_no_folders_in_the_shared_system_folders(erin: Api, target: str) -> None:
    parent = erin.account[target]
    assert_api_error(
        erin.post("/folders", {"name": "x", "parentFolderId": parent}),
        401,
        40101,
        CREATE_IN.format("erin", parent),
        ["Authorisation error"],
    )
    assert "x" not in erin.names(parent)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        b'{"notebook": "abc"}',
        b'{"parentFolderId": "abc"}',
        b'{"created": "yesterday"}',
        b'{"name": "x", "lastModified": "2020-13-45T99:00:00.000Z"}',
    ],
)
def test_row_j_unreadable_bodies_are_400(alice: Api, content: bytes) -> None:
    response = alice.http.post(
        "/folders", content=content, headers={"Content-Type": "application/json"}
    )
    assert_api_error(response, 400, 40009, errors=[UNREADABLE])


def test_validation_comes_before_the_parent_is_looked_at(alice: Api) -> None:
    notebook = alice.make_folder("book", notebook=True)
    for parent in (notebook["id"], UNKNOWN_ID):
        assert_api_error(
            alice.post("/folders", {"name": "n" * 256, "parentFolderId": parent}),
            400,
            40002,
            errors=["name: Name cannot be longer than 255 characters"],
        )


# -- DELETE /folders/{id} -------------------------------------------------------------------


def test_delete_an_empty_folder_then_it_is_a_deleted_folder(alice: Api) -> None:
    folder = alice.make_folder("to delete")
    response = alice.delete(f"/folders/{folder['id']}")
    assert response.status_code == 204 and response.content == b""
    assert "to delete" not in alice.names()
    for response in (
        alice.get(f"/folders/{folder['id']}"),
        alice.get(f"/folders/tree/{folder['id']}"),
        alice.delete(f"/folders/{folder['id']}"),
    ):
        assert_api_error(response, 401, 40101, DELETED.format("alice"), ["Authorisation error"])


def test_delete_a_notebook(alice: Api) -> None:
    notebook = alice.make_folder("book", notebook=True)
    entry = alice.make_document("entry", parent=notebook["id"])
    assert alice.delete(f"/folders/{notebook['id']}").status_code == 204
    assert "book" not in alice.names()
    assert_api_error(alice.get(f"/folders/{notebook['id']}"), 401, 40101, DELETED.format("alice"))
    assert_api_error(
        alice.get(f"/documents/{entry['id']}"), 404, 50301, DOCUMENT_NOT_FOUND.format(entry["id"])
    )


def test_delete_is_recursive(alice: Api) -> None:
    before = alice.get("/documents").json()["totalHits"]
    top = alice.make_folder("top")
    sub = alice.make_folder("sub", parent=top["id"])
    notebook = alice.make_folder("book", parent=top["id"], notebook=True)
    documents = [
        alice.make_document("in top", parent=top["id"]),
        alice.make_document("in sub", parent=sub["id"]),
        alice.make_document("entry", parent=notebook["id"]),
    ]
    assert alice.get("/documents").json()["totalHits"] == before + 3
    assert alice.delete(f"/folders/{top['id']}").status_code == 204
    for document in documents:
        assert_api_error(
            alice.get(f"/documents/{document['id']}"),
            404,
            50301,
            DOCUMENT_NOT_FOUND.format(document["id"]),
        )
    listing = alice.get("/documents", pageSize=100).json()
    assert listing["totalHits"] == before
    assert not {d["id"] for d in documents} & {d["id"] for d in listing["documents"]}
    for folder in (sub, notebook):
        assert_api_error(alice.get(f"/folders/{folder['id']}"), 401, 40101, DELETED.format("alice"))
    assert "top" not in alice.names()


def test_a_folder_with_documents_is_deleted_without_complaint(alice: Api) -> None:
    folder = alice.make_folder("full")
    for number in range(3):
        alice.make_document(f"doc {number}", parent=folder["id"])
    assert alice.delete(f"/folders/{folder['id']}").status_code == 204


def test_delete_a_gallery_folder(erin: Api) -> None:
    images = erin.account["Gallery/Images"]
    folder = erin.make_folder("pictures", parent=images)
    assert erin.delete(f"/folders/{folder['id']}").status_code == 204
    assert erin.names(images) == ["Examples"]


def test_system_and_home_folders_cannot_be_deleted(alice: Api) -> None:
    ids = alice.account
    assert len(ids) == 1 + 5 + 3 + 8 + 1 + 1 + 3  # home, top, Shared/, Gallery/, ...
    for path, folder_id in ids.items():
        response = alice.delete(f"/folders/{folder_id}")
        assert response.status_code == 422, path
        assert_api_error(response, 422, 42201, SYSTEM_DELETE, [SYSTEM_DELETE])
    after = alice.tree()
    assert after["totalHits"] == 6  # with the fixtures' Projects
    assert alice.tree(ids["Gallery"])["totalHits"] == 8


def test_delete_an_unknown_or_foreign_or_non_numeric_id(alice: Api, bob: Api) -> None:
    assert_api_error(
        alice.delete(f"/folders/{UNKNOWN_ID}"), 404, 50301, NOT_FOUND.format(UNKNOWN_ID), [""]
    )
    bobs = bob.make_folder("bob's")
    assert_api_error(
        alice.delete(f"/folders/{bobs['id']}"), 401, 40101, UNAUTHORISED.format("alice")
    )
    assert bob.folder(bobs["id"])["name"] == "bob's"
    assert_api_error(
        alice.delete("/folders/abc"), 400, 40006, errors=["id should be of type java.lang.Long"]
    )


# -- GET /folders/tree ----------------------------------------------------------------------


def test_tree_records_of_a_folder_a_notebook_and_a_document(alice: Api) -> None:
    parent = alice.make_folder("parent")
    folder = alice.make_folder("child folder", parent=parent["id"])
    notebook = alice.make_folder("child notebook", parent=parent["id"], notebook=True)
    document = alice.make_document("child document", parent=parent["id"])
    records = by_name(alice.tree(parent["id"]))
    assert set(records) == {"child folder", "child notebook", "child document"}
    expected = {
        "child folder": (folder["id"], "FL", "FOLDER", "folders"),
        "child notebook": (notebook["id"], "NB", "NOTEBOOK", "folders"),
        "child document": (document["id"], "SD", "DOCUMENT", "documents"),
    }
    for name, (record_id, prefix, kind, endpoint) in expected.items():
        record = records[name]
        assert list(record) == (FOLDER_RECORD_KEYS if kind == "FOLDER" else RECORD_KEYS)
        assert record["id"] == record_id
        assert record["globalId"] == f"{prefix}{record_id}"
        assert record["type"] == kind
        assert record["parentFolderId"] == parent["id"]
        assert record["_links"] == self_link(alice, f"/{endpoint}/{record_id}")
        assert record["owner"]["homeFolderId"] == alice.account["home"]
    assert records["child folder"]["systemFolder"] is False
    assert records["child folder"]["sharedFolder"] is False


def test_a_notebook_lists_its_entries(alice: Api) -> None:
    notebook = alice.make_folder("book", notebook=True)
    entries = [alice.make_document(f"entry {n}", parent=notebook["id"]) for n in range(2)]
    body = alice.tree(notebook["id"])
    assert body["folderId"] == notebook["id"] and body["totalHits"] == 2
    assert {r["id"] for r in body["records"]} == {e["id"] for e in entries}
    for record in body["records"]:
        assert record["type"] == "DOCUMENT" and record["parentFolderId"] == notebook["id"]


def make_seven(api: Api, tick: Any) -> dict[str, Any]:
    parent = api.make_folder("seven")
    for name in ("d", "b", "f", "a", "g", "c", "e"):
        tick()
        api.make_folder(name, parent=parent["id"])
    return parent


def test_paging_links_in_rspace_order(alice: Api, ticking: Any) -> None:
    parent = make_seven(alice, ticking)
    path = f"/folders/tree/{parent['id']}"
    base = f"{alice.url}{path}?pageSize=2&pageNumber={{}}&orderBy=name%20asc"

    def page(number: int) -> dict[str, Any]:
        response = alice.get(path, pageSize=2, pageNumber=number, orderBy="name asc")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["totalHits"] == 7 and body["pageNumber"] == number
        return body

    def links(*pairs: tuple[str, int]) -> list[dict[str, str]]:
        return [{"link": base.format(n), "rel": rel} for rel, n in pairs]

    first = page(0)
    assert [r["name"] for r in first["records"]] == ["a", "b"]
    assert first["_links"] == links(("next", 1), ("last", 3), ("self", 0))
    second = page(1)
    assert [r["name"] for r in second["records"]] == ["c", "d"]
    assert second["_links"] == links(("prev", 0), ("next", 2), ("last", 3), ("self", 1))
    third = page(2)
    assert third["_links"] == links(("prev", 1), ("first", 0), ("next", 3), ("self", 2))
    last = page(3)
    assert [r["name"] for r in last["records"]] == ["g"]
    assert last["_links"] == links(("prev", 2), ("first", 0), ("self", 3))


def test_home_listing_links_have_no_folder_id(erin: Api) -> None:
    body = erin.get("/folders/tree", pageSize=1, pageNumber=1).json()
    base = f"{erin.url}/folders/tree?pageSize=1&pageNumber={{}}"
    assert body["_links"] == [
        {"link": base.format(0), "rel": "prev"},
        {"link": base.format(2), "rel": "next"},
        {"link": base.format(3), "rel": "last"},
        {"link": base.format(1), "rel": "self"},
    ]
    assert [r["name"] for r in body["records"]] == ["Gallery"]
    ordered = erin.get("/folders/tree", orderBy="created asc").json()
    assert ordered["_links"] == self_link(erin, "/folders/tree?pageNumber=0&orderBy=created%20asc")


def test_default_links_show_only_the_page_number(alice: Api) -> None:
    home = alice.account["home"]
    assert alice.get("/folders/tree").json()["_links"] == self_link(
        alice, "/folders/tree?pageNumber=0"
    )
    assert alice.get(f"/folders/tree/{home}").json()["_links"] == self_link(
        alice, f"/folders/tree/{home}?pageNumber=0"
    )
    explicit = alice.get(
        f"/folders/tree/{home}", pageSize=20, pageNumber=0, orderBy="lastModified desc"
    ).json()
    assert explicit["_links"] == self_link(alice, f"/folders/tree/{home}?pageNumber=0")


def test_tree_by_id_of_home_is_the_home_listing(alice: Api) -> None:
    home = alice.account["home"]
    by_id = alice.tree(home)
    root = alice.tree()
    assert by_id["folderId"] == root["folderId"] == home
    assert by_id["records"] == root["records"]


def test_types_to_include_is_not_carried_into_links(alice: Api, ticking: Any) -> None:
    parent = make_seven(alice, ticking)
    body = alice.get(f"/folders/tree/{parent['id']}", pageSize=3, typesToInclude="folder").json()
    assert body["totalHits"] == 7
    assert all("typesToInclude" not in link["link"] for link in body["_links"])
    assert body["_links"][-1] == {
        "link": f"{alice.url}/folders/tree/{parent['id']}?pageSize=3&pageNumber=0",
        "rel": "self",
    }


def test_walking_next_links_visits_every_record_once(alice: Api, ticking: Any) -> None:
    parent = make_seven(alice, ticking)
    seen: list[str] = []
    url: str | None = f"{alice.url}/folders/tree/{parent['id']}?pageSize=3&orderBy=name%20desc"
    while url:
        body = alice.http.get(url).json()
        seen += [r["name"] for r in body["records"]]
        url = next((link["link"] for link in body["_links"] if link["rel"] == "next"), None)
    assert seen == ["g", "f", "e", "d", "c", "b", "a"]


def test_a_page_past_the_end_is_empty(alice: Api) -> None:
    body = alice.get("/folders/tree", pageNumber=9).json()
    assert body["records"] == [] and body["totalHits"] == 6 and body["pageNumber"] == 9


def test_page_size_bounds(alice: Api) -> None:
    assert len(alice.get("/folders/tree", pageSize=1).json()["records"]) == 1
    assert len(alice.get("/folders/tree", pageSize=100).json()["records"]) == 6


@pytest.mark.parametrize("tree_of_id", [False, True])
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"pageNumber": "-1"}, "pageNumber: Page number must be 0 or greater."),
        ({"pageSize": "0"}, "pageSize: Page size must be between 1 and 100."),
        ({"pageSize": "101"}, "pageSize: Page size must be between 1 and 100."),
        ({"pageSize": "-5"}, "pageSize: Page size must be between 1 and 100."),
    ],
)
def test_paging_parameter_errors_are_400(
    alice: Api, params: dict[str, str], error: str, tree_of_id: bool
) -> None:
    path = f"/folders/tree/{alice.account['home']}" if tree_of_id else "/folders/tree"
    body = assert_api_error(alice.get(path, **params), 400, 40002, "Errors detected: 1", [error])
    assert body["data"]["validationErrors"][0]["field"] == error.split(":")[0]


def test_a_non_numeric_page_number_is_400(alice: Api) -> None:
    body = assert_api_error(alice.get("/folders/tree", pageNumber="abc"), 400, 40002)
    assert body["errors"][0].startswith("pageNumber: ")


@pytest.mark.parametrize(
    "order",
    [
        "name asc",
        "name desc",
        "created asc",
        "created desc",
        "lastModified asc",
        "lastModified desc",
    ],
)
def test_order_by_each_of_the_six_values(alice: Api, ticking: Any, order: str) -> None:
    parent = make_seven(alice, ticking)
    field, direction = order.split()
    records = alice.tree(parent["id"], orderBy=order)["records"]
    values = [r[field] for r in records]
    assert values == sorted(values, reverse=direction == "desc")
    names = [r["name"] for r in records]
    by_creation = ["d", "b", "f", "a", "g", "c", "e"]
    expected = {
        "name asc": sorted(by_creation),
        "name desc": sorted(by_creation, reverse=True),
        "created asc": by_creation,
        "created desc": by_creation[::-1],
        "lastModified asc": by_creation,
        "lastModified desc": by_creation[::-1],
    }[order]
    assert names == expected


def test_the_default_order_is_last_modified_desc(alice: Api, ticking: Any) -> None:
    parent = make_seven(alice, ticking)
    assert alice.names(parent["id"]) == ["e", "c", "g", "a", "f", "b", "d"]


def test_a_newly_made_folder_sorts_above_the_system_folders(alice: Api, ticking: Any) -> None:
    ticking()
    alice.make_folder("newest")
    names = alice.names()
    assert names[0] == "newest"
    assert [n for n in names if n in HOME_ORDER] == HOME_ORDER


@pytest.mark.parametrize("value", ["name", "NAME asc", "name2 desc", "size asc", "modified desc"])
def test_an_order_by_outside_the_pattern_is_400(alice: Api, value: str) -> None:
    body = assert_api_error(
        alice.get("/folders/tree", orderBy=value), 400, 40002, "Errors detected: 1"
    )
    assert len(body["errors"]) == 1 and body["errors"][0].startswith("orderBy: ")


@pytest.mark.parametrize("value", ["name  asc", "created\tdesc", "lastModified   asc"])
def test_an_order_by_matching_the_pattern_but_not_a_value_is_422(alice: Api, value: str) -> None:
    assert_api_error(alice.get("/folders/tree", orderBy=value), 422, 42201, BAD_SORT.format(value))


@pytest.mark.parametrize(
    ("types", "names"),
    [
        ("folder", ["sub"]),
        ("notebook", ["book"]),
        ("document", ["doc"]),
        ("folder,notebook", ["book", "sub"]),
        ("document,notebook", ["book", "doc"]),
        ("folder,notebook,document", ["book", "doc", "sub"]),
        ("snippet", []),
        ("folder, document", ["doc", "sub"]),
    ],
)
def test_types_to_include_filters(alice: Api, types: str, names: list[str]) -> None:
    parent = alice.make_folder("mixed")
    alice.make_folder("sub", parent=parent["id"])
    alice.make_folder("book", parent=parent["id"], notebook=True)
    alice.make_document("doc", parent=parent["id"])
    body = alice.tree(parent["id"], typesToInclude=types)
    assert sorted(r["name"] for r in body["records"]) == names
    assert body["totalHits"] == len(names)


def test_types_to_include_as_a_repeated_parameter(alice: Api) -> None:
    parent = alice.make_folder("mixed")
    alice.make_folder("sub", parent=parent["id"])
    alice.make_folder("book", parent=parent["id"], notebook=True)
    alice.make_document("doc", parent=parent["id"])
    response = alice.http.get(
        f"/folders/tree/{parent['id']}",
        params=[("typesToInclude", "folder"), ("typesToInclude", "document")],
    )
    assert response.status_code == 200, response.text
    assert sorted(r["name"] for r in response.json()["records"]) == ["doc", "sub"]


def test_the_gallery_is_listed_at_home_only_with_folder(alice: Api) -> None:
    assert "Gallery" in alice.names(typesToInclude="folder")
    assert alice.names(typesToInclude="notebook") == []
    assert alice.names(typesToInclude="document") == []
    notebook = alice.make_folder("book", notebook=True)
    listing = alice.tree(typesToInclude="notebook,document")
    assert [r["id"] for r in listing["records"]] == [notebook["id"]]
    with_folders = alice.names(typesToInclude="folder,notebook")
    assert sorted(with_folders) == sorted([*HOME_ORDER, "Api Inbox", "Projects", "book"])


def test_documents_filter_in_the_api_inbox(alice: Api) -> None:
    inbox = alice.account["Api Inbox"]
    assert alice.tree(inbox, typesToInclude="document")["totalHits"] == 5
    assert alice.tree(inbox, typesToInclude="folder")["totalHits"] == 0


@pytest.mark.parametrize("types", ["bogus", "Folder", "folder,bogus", "documents", "media"])
def test_unknown_types_to_include_are_422(alice: Api, types: str) -> None:
    for path in ("/folders/tree", f"/folders/tree/{alice.account['home']}"):
        assert_api_error(alice.get(path, typesToInclude=types), 422, 42201, BAD_TYPES, [BAD_TYPES])


def test_tree_of_an_unknown_foreign_deleted_or_non_numeric_id(alice: Api, bob: Api) -> None:
    assert_api_error(
        alice.get(f"/folders/tree/{UNKNOWN_ID}"), 404, 50301, NOT_FOUND.format(UNKNOWN_ID), [""]
    )
    assert_api_error(
        alice.get(f"/folders/tree/{bob.account['home']}"),
        401,
        40101,
        UNAUTHORISED.format("alice"),
    )
    gone = alice.make_folder("gone")
    alice.delete(f"/folders/{gone['id']}")
    assert_api_error(alice.get(f"/folders/tree/{gone['id']}"), 401, 40101, DELETED.format("alice"))
    for path in ("/folders/tree/abc", "/folders/tree/GF12"):
        assert_api_error(
            alice.get(path), 400, 40006, errors=["id should be of type java.lang.Long"]
        )


def test_tree_by_id_loads_the_folder_before_checking_parameters(alice: Api, bob: Api) -> None:
    bad = {"pageSize": "0", "typesToInclude": "bogus", "orderBy": "name  asc"}
    assert_api_error(alice.get(f"/folders/tree/{UNKNOWN_ID}", **bad), 404, 50301)
    assert_api_error(alice.get(f"/folders/tree/{bob.account['home']}", **bad), 401, 40101)


def test_tree_checks_binding_then_types_then_order(alice: Api) -> None:
    for path in ("/folders/tree", f"/folders/tree/{alice.account['home']}"):
        assert_api_error(
            alice.get(path, pageSize="0", typesToInclude="bogus", orderBy="name  asc"),
            400,
            40002,
            errors=["pageSize: Page size must be between 1 and 100."],
        )
        assert_api_error(
            alice.get(path, typesToInclude="bogus", orderBy="name  asc"), 422, 42201, BAD_TYPES
        )


# -- POST /documents with parentFolderId ----------------------------------------------------


def test_a_document_made_in_a_folder(alice: Api) -> None:
    home = alice.account["home"]
    folder = alice.make_folder("target")
    document = alice.make_document("placed", parent=folder["id"])
    assert document["parentFolderId"] == folder["id"]
    assert document["grandParentId"] == home
    fetched = alice.get(f"/documents/{document['id']}").json()
    assert fetched["parentFolderId"] == folder["id"]
    assert fetched["grandParentId"] == home
    (record,) = alice.tree(folder["id"])["records"]
    assert record["id"] == document["id"] and record["type"] == "DOCUMENT"
    listed = alice.get("/documents", pageSize=100).json()["documents"]
    assert document["id"] in [d["id"] for d in listed]
    assert "Api Inbox" in alice.names()
    assert "placed" not in alice.names(alice.account["Api Inbox"])


def test_a_document_made_in_a_notebook_is_an_entry(alice: Api) -> None:
    home = alice.account["home"]
    notebook = alice.make_folder("book", notebook=True)
    entry = alice.make_document("entry", parent=notebook["id"])
    assert entry["globalId"] == f"SD{entry['id']}"
    assert entry["parentFolderId"] == notebook["id"]
    assert entry["grandParentId"] == home
    assert alice.get(f"/documents/{entry['id']}").json()["parentFolderId"] == notebook["id"]
    (record,) = alice.tree(notebook["id"])["records"]
    assert record["id"] == entry["id"] and record["type"] == "DOCUMENT"
    listed = alice.get("/documents", pageSize=100).json()["documents"]
    assert entry["id"] in [d["id"] for d in listed]
    folder = alice.make_folder("projects")
    inner_book = alice.make_folder("inner book", parent=folder["id"], notebook=True)
    inner_entry = alice.make_document("inner entry", parent=inner_book["id"])
    assert inner_entry["parentFolderId"] == inner_book["id"]
    assert inner_entry["grandParentId"] == folder["id"]


def test_the_api_inbox_itself_is_a_valid_target(alice: Api) -> None:
    inbox = alice.account["Api Inbox"]
    document = alice.make_document("straight in", parent=inbox)
    assert document["parentFolderId"] == inbox
    assert "straight in" in alice.names(inbox)


def test_a_document_made_in_a_gallery_section_subfolder_is_refused(alice: Api) -> None:
    sub = alice.make_folder("gallery sub", parent=alice.account["Gallery/Documents"])
    assert_api_error(
        alice.post("/documents", {"name": "x", "parentFolderId": sub["id"]}),
        422,
        42201,
        NOT_IN_WORKSPACE.format(sub["id"]),
        [NOT_IN_WORKSPACE.format(sub["id"])],
    )


def test_an_unusable_parent_folder_id_is_401(alice: Api, bob: Api) -> None:
    bobs = bob.make_folder("bob's")
    own_document = alice.make_document("a document, not a folder")
    before = alice.get("/documents").json()["totalHits"]
    for parent in (UNKNOWN_ID, 0, -5, bob.account["home"], bobs["id"], own_document["id"]):
        assert_api_error(
            alice.post("/documents", {"name": "x", "parentFolderId": parent}),
            401,
            40101,
            UNAUTHORISED.format("alice"),
            ["Authorisation error"],
        )
    assert alice.get("/documents").json()["totalHits"] == before
    assert bob.tree(bobs["id"])["totalHits"] == 0


@pytest.mark.parametrize(
    "target",
    [
        "Gallery",
        "Gallery/Images",
        "Gallery/Documents",
        "Gallery/Images/Examples",
        "Templates",
        "Examples",
        "Shared",
        "Shared/LabGroups",
        "Shared/CollaborationGroups",
        "Shared/IndividualShareItems",
    ],
)
def test_a_target_outside_the_workspace_is_422(alice: Api, target: str) -> None:
    parent = alice.account[target]
    assert_api_error(
        alice.post("/documents", {"name": "x", "parentFolderId": parent}),
        422,
        42201,
        NOT_IN_WORKSPACE.format(parent),
        [NOT_IN_WORKSPACE.format(parent)],
    )
    assert "x" not in alice.names(parent)


def test_a_subfolder_of_the_api_inbox_or_templates_is_not_in_the_workspace(alice: Api) -> None:
    for target in ("Api Inbox", "Templates", "Examples"):
        sub = alice.make_folder("sub", parent=alice.account[target])
        assert_api_error(
            alice.post("/documents", {"name": "x", "parentFolderId": sub["id"]}),
            422,
            42201,
            NOT_IN_WORKSPACE.format(sub["id"]),
        )


def test_the_document_body_is_checked_before_the_folder(alice: Api) -> None:
    assert_api_error(
        alice.post("/documents", {"fields": [{}, {}], "parentFolderId": UNKNOWN_ID}), 422, 42201
    )
    assert_api_error(
        alice.post("/documents", {"name": "n" * 256, "parentFolderId": UNKNOWN_ID}), 400, 40002
    )
