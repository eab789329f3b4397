"""Where things live: folders and notebooks, documents placed in them, Gallery files and
attachments (``/api/v1/folders``, ``/api/v1/files``). RSpace's API deletes no file: on a real
RSpace the files these tests upload stay in the test user's Gallery (names carry the run tag);
folders and documents are deleted at the end."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx
import pytest

from .clauses import expect
from .helpers import DOCUMENTS, api_key, create_document, require_api_key_users, require_writable
from .shapes import check_error, json_body
from .target import Target, UserCredentials

FOLDERS = "/api/v1/folders"
FILES = "/api/v1/files"
FILE_KEYS = [
    "id",
    "globalId",
    "name",
    "caption",
    "contentType",
    "created",
    "size",
    "version",
    "parentFolderId",
    "_links",
]
GALLERY_SECTIONS = ("Images", "Documents")


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def _discard(_response: object) -> None:
    """Clean-up answers are not checked."""


def _folder(target: Target, user: UserCredentials, body: dict[str, Any]) -> dict[str, Any]:
    response = target.post(FOLDERS, json=body, headers=api_key(user))
    expect(response.status_code == 201, "FOLDERS-CREATE-1", f"POST /folders: {response.text}")
    made: dict[str, Any] = response.json()
    target.on_close(
        lambda: _discard(target.delete(f"{FOLDERS}/{made['id']}", headers=api_key(user)))
    )
    return made


def _tree(target: Target, user: UserCredentials, folder_id: int | None) -> dict[str, Any]:
    path = f"{FOLDERS}/tree" + (f"/{folder_id}" if folder_id is not None else "")
    response = target.get(path, params={"pageSize": 100}, headers=api_key(user))
    body: dict[str, Any] = json_body(response, "FOLDERS-TREE-1")
    return body


def _gallery_sections(target: Target, user: UserCredentials) -> dict[str, int]:
    home = _tree(target, user, None)
    gallery = next((r for r in home["records"] if r["name"] == "Gallery"), None)
    expect(gallery is not None, "FILES-PLACE-1", "no Gallery in the home folder's first page")
    assert gallery is not None
    sections = _tree(target, user, gallery["id"])["records"]
    return {r["name"]: r["id"] for r in sections if r["name"] in GALLERY_SECTIONS}


def _upload(
    target: Target,
    user: UserCredentials,
    name: str,
    data: bytes,
    folder_id: int | None = None,
    clause: str = "FILES-ROUNDTRIP-1",
) -> httpx.Response:
    form = {"folderId": str(folder_id)} if folder_id is not None else {}
    return target.post(
        FILES, files={"file": (target.run_tag + name, data)}, data=form, headers=api_key(user)
    )


def _uploaded(target: Target, user: UserCredentials, name: str, data: bytes) -> dict[str, Any]:
    response = _upload(target, user, name, data)
    expect(response.status_code == 201, "FILES-ROUNDTRIP-1", f"POST /files: {response.text}")
    made: dict[str, Any] = response.json()
    return made


@pytest.mark.clause("FOLDERS-CREATE-1")
def test_a_folder_and_a_notebook_are_made_read_and_deleted(target: Target) -> None:
    require_writable(target, "creates folders")
    user = require_api_key_users(target)[0]
    folder = _folder(target, user, {"name": target.run_tag + "folder"})
    expect(folder["globalId"] == f"FL{folder['id']}", "FOLDERS-CREATE-1", str(folder))
    expect(folder["notebook"] is False, "FOLDERS-CREATE-1", "a folder says notebook: true")
    book = _folder(
        target,
        user,
        {"name": target.run_tag + "book", "notebook": True, "parentFolderId": folder["id"]},
    )
    expect(book["globalId"] == f"NB{book['id']}", "FOLDERS-CREATE-1", str(book))
    expect(book["parentFolderId"] == folder["id"], "FOLDERS-CREATE-1", "notebook not in folder")
    read = target.get(f"{FOLDERS}/{book['id']}", headers=api_key(user))
    expect(read.status_code == 200, "FOLDERS-CREATE-1", f"GET /folders/{{id}}: {read.text}")
    expect(
        read.json()["name"] == book["name"] and read.json()["notebook"] is True,
        "FOLDERS-CREATE-1",
        "GET /folders/{id} differs from what POST answered",
    )
    deleted = target.delete(f"{FOLDERS}/{folder['id']}", headers=api_key(user))
    expect(deleted.status_code == 204, "FOLDERS-CREATE-1", f"DELETE: {deleted.status_code}")
    for gone in (folder["id"], book["id"]):
        again = target.get(f"{FOLDERS}/{gone}", headers=api_key(user))
        expect(again.status_code == 401, "FOLDERS-CREATE-1", "a deleted folder is still there")


@pytest.mark.clause("FOLDERS-RULES-1")
def test_nothing_goes_inside_a_notebook_and_documents_stay_out_of_the_gallery(
    target: Target,
) -> None:
    require_writable(target, "creates folders")
    user = require_api_key_users(target)[0]
    book = _folder(target, user, {"name": target.run_tag + "book", "notebook": True})
    for nested in (True, False):
        response = target.post(
            FOLDERS,
            json={
                "name": target.run_tag + "inner",
                "notebook": nested,
                "parentFolderId": book["id"],
            },
            headers=api_key(user),
        )
        check_error(response, "FOLDERS-RULES-1", 400, 40002)
    images = _gallery_sections(target, user)["Images"]
    response = target.post(
        DOCUMENTS,
        json={"name": target.run_tag + "x", "parentFolderId": images},
        headers=api_key(user),
    )
    check_error(response, "FOLDERS-RULES-1", 422, 42201)


@pytest.mark.clause("FOLDERS-TREE-1")
def test_a_notebook_entry_is_listed_in_its_notebook(target: Target) -> None:
    require_writable(target, "creates folders and documents")
    user = require_api_key_users(target)[0]
    book = _folder(target, user, {"name": target.run_tag + "book", "notebook": True})
    response = create_document(
        target, user, {"name": target.run_tag + "entry", "parentFolderId": book["id"]}
    )
    expect(response.status_code == 201, "FOLDERS-TREE-1", f"POST /documents: {response.text}")
    entry = response.json()
    expect(entry["parentFolderId"] == book["id"], "FOLDERS-TREE-1", "entry not in the notebook")
    listing = _tree(target, user, book["id"])
    expect(listing["folderId"] == book["id"], "FOLDERS-TREE-1", "folderId of the listing")
    records = listing["records"]
    expect(
        [(r["id"], r["type"], r["globalId"]) for r in records]
        == [(entry["id"], "DOCUMENT", entry["globalId"])],
        "FOLDERS-TREE-1",
        f"the notebook lists {records}",
    )
    home = _tree(target, user, None)
    listed = {r["id"]: r["type"] for r in home["records"]}
    expect(listed.get(book["id"]) == "NOTEBOOK", "FOLDERS-TREE-1", "notebook not in home")


@pytest.mark.clause("FILES-ROUNDTRIP-1")
def test_an_uploaded_file_comes_back_byte_for_byte_and_a_replacement_is_a_version(
    target: Target,
) -> None:
    require_writable(target, "uploads a file")
    user = require_api_key_users(target)[0]
    data = bytes(range(256)) * 8
    made = _uploaded(target, user, "data.bin", data)
    expect(list(made) == FILE_KEYS, "FILES-ROUNDTRIP-1", f"ApiFile keys {list(made)}")
    expect(made["globalId"] == f"GL{made['id']}", "FILES-ROUNDTRIP-1", made["globalId"])
    expect((made["size"], made["version"]) == (len(data), 1), "FILES-ROUNDTRIP-1", str(made))
    rels = [link["rel"] for link in made["_links"]]
    expect(rels == ["self", "enclosure"], "FILES-ROUNDTRIP-1", f"links {rels}")
    info = target.get(f"{FILES}/{made['id']}", headers=api_key(user))
    expect(info.status_code == 200 and info.json() == made, "FILES-ROUNDTRIP-1", info.text)
    download = target.get(f"{FILES}/{made['id']}/file", headers=api_key(user))
    expect(download.status_code == 200, "FILES-ROUNDTRIP-1", f"download: {download.status_code}")
    expect(download.content == data, "FILES-ROUNDTRIP-1", "the download differs from the upload")
    replaced = target.post(
        f"{FILES}/{made['id']}/file",
        files={"file": (target.run_tag + "data-2.bin", data[::-1])},
        headers=api_key(user),
    )
    expect(replaced.status_code == 201, "FILES-ROUNDTRIP-1", f"replace: {replaced.text}")
    newer = replaced.json()
    expect(
        (newer["id"], newer["version"]) == (made["id"], 2),
        "FILES-ROUNDTRIP-1",
        f"a replacement is {newer['id']} v{newer['version']}",
    )
    again = target.get(f"{FILES}/{made['id']}/file", headers=api_key(user))
    expect(again.content == data[::-1], "FILES-ROUNDTRIP-1", "the replacement's bytes differ")


@pytest.mark.clause("FILES-PLACE-1")
def test_a_file_goes_into_its_sections_inbox_and_not_into_another_section(
    target: Target,
) -> None:
    require_writable(target, "uploads a file")
    user = require_api_key_users(target)[0]
    made = _uploaded(target, user, "notes.txt", b"notes")
    inbox = target.get(
        f"{FOLDERS}/{made['parentFolderId']}",
        params={"includePathToRootFolder": "true"},
        headers=api_key(user),
    )
    expect(inbox.status_code == 200, "FILES-PLACE-1", f"its folder: {inbox.text}")
    folder = inbox.json()
    expect(
        (folder["name"], folder["mediaType"]) == ("Api Inbox", "Documents"),
        "FILES-PLACE-1",
        f"a .txt went to {folder['name']} ({folder['mediaType']})",
    )
    documents = _gallery_sections(target, user)["Documents"]
    response = _upload(target, user, "cells.png", _png(), folder_id=documents)
    check_error(
        response,
        "FILES-PLACE-1",
        422,
        42201,
        f"Target folder (id={documents}) must be either Gallery folder Images or a subfolder "
        "of Images",
    )


@pytest.mark.clause("FILES-ISOLATION-1")
def test_another_users_file_is_not_found(target: Target) -> None:
    require_writable(target, "uploads a file")
    owner, other = require_api_key_users(target, 2)[:2]
    made = _uploaded(target, owner, "private.txt", b"private")
    for path in (f"{FILES}/{made['id']}", f"{FILES}/{made['id']}/file"):
        check_error(target.get(path, headers=api_key(other)), "FILES-ISOLATION-1", 404, 50301)
    replaced = target.post(
        f"{FILES}/{made['id']}/file",
        files={"file": (target.run_tag + "x.txt", b"x")},
        headers=api_key(other),
    )
    check_error(replaced, "FILES-ISOLATION-1", 404, 50301)
    listed = target.get(
        FILES, params={"pageSize": 100, "mediaType": "document"}, headers=api_key(other)
    )
    ids = [f["id"] for f in json_body(listed, "FILES-ISOLATION-1")["files"]]
    expect(made["id"] not in ids, "FILES-ISOLATION-1", "another user's file is listed")
    still = target.get(f"{FILES}/{made['id']}/file", headers=api_key(owner))
    expect(still.content == b"private", "FILES-ISOLATION-1", "another user replaced the file")


@pytest.mark.clause("FILES-ATTACH-1")
def test_a_file_marker_attaches_the_file_to_the_field(target: Target) -> None:
    require_writable(target, "uploads a file and creates a document")
    user = require_api_key_users(target)[0]
    made = _uploaded(target, user, "protocol.pdf", b"%PDF-1.4 protocol")
    response = create_document(
        target,
        user,
        {"name": target.run_tag + "with file", "fields": [{"content": f"<fileId={made['id']}>"}]},
    )
    expect(response.status_code == 201, "FILES-ATTACH-1", f"POST /documents: {response.text}")
    field = response.json()["fields"][0]
    expect(
        [f["id"] for f in field["files"]] == [made["id"]],
        "FILES-ATTACH-1",
        f"the field lists {[f['id'] for f in field['files']]}",
    )
    expect("<fileId=" not in field["content"], "FILES-ATTACH-1", "the marker stayed in the HTML")
    expect(f"attachOnText_{made['id']}" in field["content"], "FILES-ATTACH-1", "no attachment")
    unknown = 987654321987
    refused = create_document(
        target, user, {"name": target.run_tag + "x", "fields": [{"content": f"<fileId={unknown}>"}]}
    )
    check_error(
        refused,
        "FILES-ATTACH-1",
        422,
        42201,
        f"Attachment with fileId={unknown} from field 1 cannot be accessed",
    )
