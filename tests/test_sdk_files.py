"""The official RSpace Python SDK (``rspace-client`` 2.7.4), unmodified, on Gallery files:
``ELNClient``'s file calls, attachments through ``<fileId=N>``, ``import_tree``, and
``GalleryFilesystem`` (what Galaxy's RSpace file source is built on) listing, reading,
downloading and uploading against the served fake."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rspace_client.eln.eln import ELNClient
from rspace_client.eln.fs import GalleryFilesystem, GallerySectionMismatch
from rspace_client.exceptions import ApiError

from mock_server.testing import RSpaceMockHandle
from tests.test_http_files import png
from tests.test_sdk_folders import gallery_ids

GRACE = {
    "username": "grace",
    "password": "grace-password-7",
    "apiKey": "graceApiKey000000000000000000007",
}


@pytest.fixture
def api_key(rspace_mock: RSpaceMockHandle) -> str:
    """A user made through the admin API, with an empty Gallery."""
    response = httpx.post(rspace_mock.url("/_mock/users"), json=GRACE, timeout=20)
    assert response.status_code == 201, response.text
    return GRACE["apiKey"]


@pytest.fixture
def sdk(rspace_mock: RSpaceMockHandle, api_key: str) -> Iterator[ELNClient]:
    with ELNClient(rspace_mock.base_url, api_key, max_retries=0) as client:
        yield client


@pytest.fixture
def gallery_fs(rspace_mock: RSpaceMockHandle, api_key: str) -> GalleryFilesystem:
    return GalleryFilesystem(rspace_mock.base_url, api_key)


def test_upload_then_download_gives_back_the_same_bytes(sdk: ELNClient, tmp_path: Path) -> None:
    source = tmp_path / "method.doc"
    source.write_bytes(b"\xd0\xcf\x11\xe0 a Word file" * 100)
    with source.open("rb") as handle:
        uploaded = sdk.upload_file(handle, caption="the method")
    assert uploaded["name"] == "method.doc"
    assert uploaded["caption"] == "the method"
    assert uploaded["contentType"] == "application/msword"
    target = tmp_path / "downloaded.doc"
    sdk.download_file(uploaded["id"], str(target))
    assert target.read_bytes() == source.read_bytes()
    # by global id too
    info = sdk.get_file_info(uploaded["globalId"])
    assert info == uploaded


def test_get_files_lists_by_media_type(sdk: ELNClient) -> None:
    picture = io.BytesIO(png(4, 4))
    picture.name = "plate.png"
    image = sdk.upload_file(picture)
    notes = io.BytesIO(b"notes")
    notes.name = "notes.txt"
    sdk.upload_file(notes)
    images = sdk.get_files()  # the SDK asks for images by default
    assert [f["id"] for f in images["files"]] == [image["id"]]
    documents = sdk.get_files(media_type="document")
    assert [f["name"] for f in documents["files"]] == ["notes.txt"]


def test_update_file_makes_a_new_version(sdk: ELNClient, tmp_path: Path) -> None:
    first = tmp_path / "data.csv"
    first.write_text("a,b\n1,2\n")
    with first.open("rb") as handle:
        uploaded = sdk.upload_file(handle)
    second = tmp_path / "data-v2.csv"
    second.write_text("a,b\n1,2\n3,4\n")
    with second.open("rb") as handle:
        updated = sdk.update_file(handle, uploaded["id"])
    assert (updated["id"], updated["version"], updated["name"]) == (
        uploaded["id"],
        2,
        "data-v2.csv",
    )
    target = tmp_path / "out.csv"
    sdk.download_file(uploaded["id"], str(target))
    assert target.read_text() == "a,b\n1,2\n3,4\n"


def test_upload_into_the_wrong_section_raises_the_servers_error(sdk: ELNClient) -> None:
    documents = gallery_ids(sdk)["Documents"]
    picture = io.BytesIO(png())
    picture.name = "cells.png"
    with pytest.raises(ApiError) as raised:
        sdk.upload_file(picture, folder_id=documents)
    assert "must be either Gallery folder Images" in str(raised.value)


def test_a_document_with_file_markers_lists_the_files(sdk: ELNClient) -> None:
    picture = io.BytesIO(png(10, 5))
    picture.name = "gel.png"
    image = sdk.upload_file(picture)
    document = sdk.create_document(
        name="with an image", fields=[{"content": f"<p>The gel: <fileId={image['id']}></p>"}]
    )
    field = sdk.get_document(document["id"])["fields"][0]
    assert [f["id"] for f in field["files"]] == [image["id"]]
    assert 'class="imageDropped inlineImageThumbnail"' in field["content"]
    assert field["files"][0]["_links"][1]["rel"] == "enclosure"


def test_import_tree_uploads_files_and_links_them_from_documents(
    sdk: ELNClient, tmp_path: Path
) -> None:
    tree = tmp_path / "run-42"
    (tree / "plate1").mkdir(parents=True)
    (tree / "plate2").mkdir()
    for plate in ("plate1", "plate2"):
        for index in range(2):
            (tree / plate / f"{plate}-{index}.txt").write_text(f"{plate} {index}")
    folder = sdk.create_folder("imports")
    result = sdk.import_tree(str(tree), parent_folder_id=folder["id"])
    assert result["status"] == "OK"
    # the tree's folder, its two subfolders and a document per file
    assert len(result["path2Id"]) == 7
    files = sdk.get_files(media_type="document", page_size=100)["files"]
    assert sorted(f["name"] for f in files) == [
        "plate1-0.txt",
        "plate1-1.txt",
        "plate2-0.txt",
        "plate2-1.txt",
    ]
    for file in files:
        linking = result["path2Id"][file["name"][:-4]]
        fields = sdk.get_document(linking[2:])["fields"]
        assert file["id"] in [f["id"] for field in fields for f in field["files"]]


# -- GalleryFilesystem ----------------------------------------------------------------------


def test_gallery_filesystem_uploads_lists_reads_and_downloads_a_file(
    sdk: ELNClient, gallery_fs: GalleryFilesystem
) -> None:
    documents = gallery_ids(sdk)["Documents"]
    folder_path = f"/GF{documents}"
    gallery_fs.makedir(f"{folder_path}/results")
    (made,) = gallery_fs.listdir(folder_path)
    upload = io.BytesIO(b"wavelength,absorbance\n500,0.1\n")
    upload.name = "spectrum.csv"
    placement = gallery_fs.upload(f"{folder_path}/{made}", upload)
    assert not placement.rerouted
    assert placement.section == "Documents"
    assert placement.folder_global_id == made
    (listed,) = gallery_fs.listdir(f"{folder_path}/{made}")
    assert listed == placement.file_global_id and listed.startswith("GL")
    info = gallery_fs.getinfo(f"{folder_path}/{made}/{listed}")
    assert not info.is_dir
    assert info.raw["details"]["size"] == len(b"wavelength,absorbance\n500,0.1\n")
    assert info.raw["rspace"]["name"] == "spectrum.csv"
    downloaded = io.BytesIO()
    gallery_fs.download(f"{folder_path}/{made}/{listed}", downloaded)
    assert downloaded.getvalue() == b"wavelength,absorbance\n500,0.1\n"
    with gallery_fs.openbin(f"{folder_path}/{made}/{listed}") as handle:
        assert handle.read() == b"wavelength,absorbance\n500,0.1\n"


def test_gallery_filesystem_upload_without_a_folder_goes_to_the_sections_inbox(
    gallery_fs: GalleryFilesystem,
) -> None:
    upload = io.BytesIO(png())
    upload.name = "cells.png"
    placement = gallery_fs.upload("", upload)
    assert placement.section == "Images"
    assert placement.path.endswith("Api Inbox")


def test_gallery_filesystem_mismatch_raises_or_reroutes(
    rspace_mock: RSpaceMockHandle, sdk: ELNClient, gallery_fs: GalleryFilesystem
) -> None:
    documents = gallery_ids(sdk)["Documents"]
    picture = io.BytesIO(png())
    picture.name = "cells.png"
    with pytest.raises(GallerySectionMismatch) as raised:
        gallery_fs.upload(f"/GF{documents}", picture)
    assert raised.value.folder_section == "Documents"
    assert raised.value.file_media_type == "Images"
    rerouting = GalleryFilesystem(rspace_mock.base_url, GRACE["apiKey"], on_mismatch="reroute")
    picture.seek(0)
    placement = rerouting.upload(f"/GF{documents}", picture)
    assert placement.rerouted and placement.section == "Images"
