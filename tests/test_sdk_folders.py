"""The official RSpace Python SDK (``rspace-client`` 2.7.4), unmodified, on folders and notebooks:
``ELNClient``'s folder calls and ``GalleryFilesystem`` against the served fake."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fs import errors as fs_errors
from rspace_client.eln.eln import ELNClient
from rspace_client.eln.fs import GalleryFilesystem
from rspace_client.exceptions import ApiError, AuthenticationError

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS

GALLERY_SECTIONS = {
    "Images",
    "Audios",
    "Videos",
    "Chemistry",
    "Documents",
    "Miscellaneous",
    "PdfDocuments",
    "Snippets",
}
FRANK = {
    "username": "frank",
    "password": "frank-password-6",
    "apiKey": "frankApiKey000000000000000000006",
}


@pytest.fixture
def sdk(rspace_mock: RSpaceMockHandle) -> Iterator[ELNClient]:
    with ELNClient(rspace_mock.base_url, API_KEYS["alice"], max_retries=0) as client:
        yield client


@pytest.fixture
def bobs_sdk(rspace_mock: RSpaceMockHandle) -> Iterator[ELNClient]:
    with ELNClient(rspace_mock.base_url, API_KEYS["bob"], max_retries=0) as client:
        yield client


@pytest.fixture
def frank(rspace_mock: RSpaceMockHandle) -> str:
    """A user made through the admin API; returns the API key."""
    response = httpx.post(rspace_mock.url("/_mock/users"), json=FRANK, timeout=20)
    assert response.status_code == 201, response.text
    return FRANK["apiKey"]


def gallery_ids(sdk: ELNClient) -> dict[str, int]:
    gallery = next(r for r in sdk.list_folder_tree()["records"] if r["name"] == "Gallery")
    sections = sdk.list_folder_tree(gallery["id"])["records"]
    return {"Gallery": gallery["id"], **{r["name"]: r["id"] for r in sections}}


# -- ELNClient ------------------------------------------------------------------------------


def test_create_folder_in_home_and_a_notebook_inside_it(sdk: ELNClient) -> None:
    home = sdk.list_folder_tree()
    folder = sdk.create_folder("SDK folder")
    assert folder["name"] == "SDK folder"
    assert folder["globalId"] == f"FL{folder['id']}"
    assert folder["parentFolderId"] == home["records"][0]["parentFolderId"]
    notebook = sdk.create_folder("SDK notebook", parent_folder_id=folder["globalId"], notebook=True)
    assert notebook["globalId"] == f"NB{notebook['id']}"
    assert notebook["notebook"] is True
    assert notebook["parentFolderId"] == folder["id"]
    by_int = sdk.create_folder("by number", parent_folder_id=folder["id"])
    assert by_int["parentFolderId"] == folder["id"]


def test_get_folder_by_number_and_by_global_id(sdk: ELNClient) -> None:
    folder = sdk.create_folder("to read")
    by_id = sdk.get_folder(folder["id"])
    assert by_id == sdk.get_folder(folder["globalId"]) == folder
    assert by_id["mediaType"] is None and by_id["pathToRootFolder"] is None
    assert "size" not in by_id


def test_list_folder_tree_of_home_and_of_a_folder(sdk: ELNClient) -> None:
    home = sdk.list_folder_tree()
    names = [r["name"] for r in home["records"]]
    assert {"Shared", "Examples", "Gallery", "Templates", "Api Inbox", "Projects"} <= set(names)
    assert home["totalHits"] == len(names) == 6
    folder = sdk.create_folder("listed")
    sdk.create_folder("sub", parent_folder_id=folder["id"])
    sdk.create_folder("book", parent_folder_id=folder["id"], notebook=True)
    document = sdk.create_document(name="doc", parent_folder_id=folder["id"])
    listing = sdk.list_folder_tree(folder["id"])
    assert listing["totalHits"] == 3
    types = {r["name"]: (r["type"], r["globalId"][:2]) for r in listing["records"]}
    assert types == {"sub": ("FOLDER", "FL"), "book": ("NOTEBOOK", "NB"), "doc": ("DOCUMENT", "SD")}
    only_notebooks = sdk.list_folder_tree(folder["id"], typesToInclude=["notebook"])
    assert [r["name"] for r in only_notebooks["records"]] == ["book"]
    two = sdk.list_folder_tree(folder["id"], typesToInclude=["folder", "document"])
    assert sorted(r["name"] for r in two["records"]) == ["doc", "sub"]
    assert document["parentFolderId"] == folder["id"]


def test_list_folder_tree_with_a_global_id_is_the_servers_400(sdk: ELNClient) -> None:
    gallery = gallery_ids(sdk)["Gallery"]
    with pytest.raises(ApiError) as raised:
        sdk.list_folder_tree(f"GF{gallery}")
    assert raised.value.response_status_code == 400
    assert "id should be of type java.lang.Long" in str(raised.value)


def test_create_document_in_a_folder_and_in_a_notebook(sdk: ELNClient) -> None:
    folder = sdk.create_folder("for documents")
    document = sdk.create_document(name="in folder", parent_folder_id=folder["id"])
    assert document["globalId"] == f"SD{document['id']}"
    assert sdk.get_document(document["id"])["parentFolderId"] == folder["id"]
    notebook = sdk.create_folder("for entries", notebook=True)
    entry = sdk.create_document(name="entry", parent_folder_id=notebook["id"], tags=["nb"])
    assert entry["tags"] == "nb"
    assert sdk.get_document(entry["id"])["parentFolderId"] == notebook["id"]
    (record,) = sdk.list_folder_tree(notebook["id"])["records"]
    assert (record["id"], record["type"]) == (entry["id"], "DOCUMENT")


def test_create_document_outside_the_workspace_raises_api_error(sdk: ELNClient) -> None:
    gallery = gallery_ids(sdk)["Gallery"]
    with pytest.raises(ApiError) as raised:
        sdk.create_document(name="nope", parent_folder_id=gallery)
    assert raised.value.response_status_code == 422
    assert (
        f"Workspace Target folder (id={gallery}) must be in the workspace, not in the Gallery, "
        "Templates or Shared folders"
    ) in str(raised.value)


def test_create_document_in_someone_elses_folder_raises_authentication_error(
    sdk: ELNClient, bobs_sdk: ELNClient
) -> None:
    bobs = bobs_sdk.create_folder("bob's")
    with pytest.raises(AuthenticationError) as raised:
        sdk.create_document(name="intruder", parent_folder_id=bobs["id"])
    assert "Unauthorized attempt by alice to open an unauthorised folder" in str(raised.value)


def test_delete_folder_then_get_folder_is_an_authentication_error(sdk: ELNClient) -> None:
    folder = sdk.create_folder("to delete")
    notebook = sdk.create_folder("nb to delete", notebook=True)
    sdk.delete_folder(folder["id"])
    sdk.delete_folder(notebook["globalId"])
    for gone in (folder, notebook):
        with pytest.raises(AuthenticationError) as raised:
            sdk.get_folder(gone["id"])
        assert "Unauthorized attempt by alice to open a deleted folder" in str(raised.value)
    names = [r["name"] for r in sdk.list_folder_tree()["records"]]
    assert "to delete" not in names and "nb to delete" not in names


def test_deleting_a_system_folder_raises_api_error(sdk: ELNClient) -> None:
    gallery = gallery_ids(sdk)["Gallery"]
    with pytest.raises(ApiError) as raised:
        sdk.delete_folder(gallery)
    assert raised.value.response_status_code == 422
    assert "Cannot delete user home folder or a system folder" in str(raised.value)


def test_get_folder_of_an_unknown_id_is_404(sdk: ELNClient) -> None:
    with pytest.raises(ApiError) as raised:
        sdk.get_folder(987654321)
    assert raised.value.response_status_code == 404


def test_create_folder_errors(sdk: ELNClient, bobs_sdk: ELNClient) -> None:
    gallery = gallery_ids(sdk)["Gallery"]
    with pytest.raises(ApiError) as raised:
        sdk.create_folder("top of gallery", parent_folder_id=gallery)
    assert raised.value.response_status_code == 400
    assert "You cannot create a top-level folder in the Gallery" in str(raised.value)
    notebook = sdk.create_folder("book", notebook=True)
    with pytest.raises(ApiError) as raised:
        sdk.create_folder("nested", parent_folder_id=notebook["id"])
    assert "Notebooks and folders cannot be created inside notebooks." in str(raised.value)
    bobs_home = bobs_sdk.list_folder_tree()["folderId"]
    with pytest.raises(AuthenticationError):
        sdk.create_folder("in bob's", parent_folder_id=bobs_home)
    with pytest.raises(ValueError):
        sdk.create_folder("")


# -- GalleryFilesystem ----------------------------------------------------------------------


def test_gallery_filesystem_finds_the_gallery_and_lists_its_sections(
    rspace_mock: RSpaceMockHandle, sdk: ELNClient
) -> None:
    ids = gallery_ids(sdk)
    gallery_fs = GalleryFilesystem(rspace_mock.base_url, API_KEYS["alice"])
    assert gallery_fs.gallery_id == ids["Gallery"]
    listed = gallery_fs.listdir("/")
    assert sorted(listed) == sorted(f"GF{ids[name]}" for name in GALLERY_SECTIONS)


def test_gallery_filesystem_for_a_brand_new_user(rspace_mock: RSpaceMockHandle, frank: str) -> None:
    gallery_fs = GalleryFilesystem(rspace_mock.base_url, frank)
    assert len(gallery_fs.listdir("/")) == 8


def test_gallery_filesystem_getinfo_of_a_section(
    rspace_mock: RSpaceMockHandle, sdk: ELNClient
) -> None:
    images = gallery_ids(sdk)["Images"]
    gallery_fs = GalleryFilesystem(rspace_mock.base_url, API_KEYS["alice"])
    info = gallery_fs.getinfo(f"/GF{images}")
    assert info.is_dir
    assert info.name == f"GF{images}"
    assert info.globalId == f"GF{images}"
    assert info.raw["rspace"]["name"] == "Images"
    assert info.raw["rspace"]["mediaType"] == "Images"
    assert info.raw["details"]["size"] == 0


def test_gallery_filesystem_makedir_and_removedir(
    rspace_mock: RSpaceMockHandle, sdk: ELNClient
) -> None:
    videos = gallery_ids(sdk)["Videos"]
    gallery_fs = GalleryFilesystem(rspace_mock.base_url, API_KEYS["alice"])
    assert gallery_fs.listdir(f"/GF{videos}") == []
    gallery_fs.makedir(f"/GF{videos}/papers")
    (made,) = gallery_fs.listdir(f"/GF{videos}")
    assert made.startswith("GF")
    info = gallery_fs.getinfo(f"/GF{videos}/{made}")
    assert info.raw["rspace"]["name"] == "papers"
    assert info.raw["rspace"]["mediaType"] == "Videos"
    assert info.raw["rspace"]["parentFolderId"] == videos
    gallery_fs.makedir(f"/GF{videos}/{made}/inner")
    with pytest.raises(fs_errors.DirectoryNotEmpty):
        gallery_fs.removedir(f"/GF{videos}/{made}")
    (inner,) = gallery_fs.listdir(f"/GF{videos}/{made}")
    gallery_fs.removedir(f"/GF{videos}/{made}/{inner}")
    gallery_fs.removedir(f"/GF{videos}/{made}")
    assert gallery_fs.listdir(f"/GF{videos}") == []
    with pytest.raises(AuthenticationError):
        sdk.get_folder(made[2:])


def test_gallery_filesystem_constructor_only_sees_the_first_page_of_home(
    rspace_mock: RSpaceMockHandle, frank: str
) -> None:
    """Ordered like RSpace (lastModified desc), 20 newer home folders push the Gallery off the
    first page the SDK reads, and the constructor fails as it does against RSpace."""
    rspace_mock.clock.freeze()
    with ELNClient(rspace_mock.base_url, frank, max_retries=0) as client:
        for number in range(20):
            rspace_mock.clock.advance(1)
            client.create_folder(f"newer {number:02d}")
    with pytest.raises((StopIteration, RuntimeError)):
        GalleryFilesystem(rspace_mock.base_url, frank)
