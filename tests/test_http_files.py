"""``/api/v1/files`` over HTTP: uploads into the Gallery, listings, details, downloads and
replacements, each error row; Gallery files in folder listings; ``<fileId=N>`` and ``<docId=N>``
markers in document fields; the journal keeps no file bytes."""

from __future__ import annotations

import base64
import struct
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, assert_api_error
from tests.test_http_folders import DATE, ERIN, Api, by_name

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
FILE_NOT_FOUND = (
    "File with id [{}] could not be retrieved - possibly it has been deleted, does not exist, "
    "or you do not have permission to access it."
)
WRONG_SECTION = "Target folder (id={}) must be either Gallery folder {} or a subfolder of {}"
UNAUTHORISED = "Unauthorized attempt by {} to open an unauthorised folder"
MISMATCH = (
    "File {} was rejected: its content does not match the {} type claimed by its file extension."
)
CANNOT_ACCESS = "Attachment with fileId={} from {} cannot be accessed"
UNKNOWN_ID = 987654321


def png(width: int = 1, height: int = 1) -> bytes:
    """A real PNG of the given size (one grey channel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
JPEG = JPEG_HEADER + b"\xff\xc0\x00\x11\x08\x00\x20\x00\x40\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"


class Files(Api):
    """One user's calls, with multipart uploads."""

    def upload(
        self, name: str, data: bytes, *, folder: int | str | None = None, caption: str | None = None
    ) -> httpx.Response:
        form: dict[str, str] = {}
        if folder is not None:
            form["folderId"] = str(folder)
        if caption is not None:
            form["caption"] = caption
        return self.http.post("/files", files={"file": (name, data)}, data=form)

    def uploaded(self, name: str, data: bytes, **kwargs: Any) -> dict[str, Any]:
        response = self.upload(name, data, **kwargs)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def replace(self, file_id: int | str, name: str, data: bytes) -> httpx.Response:
        return self.http.post(f"/files/{file_id}/file", files={"file": (name, data)})

    def section(self, name: str) -> int:
        return self.account[f"Gallery/{name}"]


@pytest.fixture
def alice(rspace_mock: RSpaceMockHandle) -> Iterator[Files]:
    api = Files(rspace_mock, "alice", API_KEYS["alice"])
    yield api
    api.close()


@pytest.fixture
def bob(rspace_mock: RSpaceMockHandle) -> Iterator[Files]:
    api = Files(rspace_mock, "bob", API_KEYS["bob"])
    yield api
    api.close()


@pytest.fixture
def erin(rspace_mock: RSpaceMockHandle) -> Iterator[Files]:
    response = httpx.post(rspace_mock.url("/_mock/users"), json=ERIN, timeout=20)
    assert response.status_code == 201, response.text
    api = Files(rspace_mock, "erin", ERIN["apiKey"])
    yield api
    api.close()


# -- POST /files ------------------------------------------------------------------------------


def test_an_upload_answers_201_with_the_file_in_rspaces_shape(erin: Files) -> None:
    response = erin.upload("notes.txt", b"hello, lab", caption="  first notes  ")
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert list(body) == FILE_KEYS
    assert body["globalId"] == f"GL{body['id']}"
    assert body["name"] == "notes.txt"
    assert body["caption"] == "first notes"  # trimmed
    assert body["contentType"] == "text/plain"
    assert DATE.match(body["created"])
    assert (body["size"], body["version"]) == (10, 1)
    assert body["_links"] == [
        {"link": f"{erin.url}/files/{body['id']}", "rel": "self"},
        {"link": f"{erin.url}/files/{body['id']}/file", "rel": "enclosure"},
    ]


@pytest.mark.parametrize(
    ("name", "section", "content_type"),
    [
        ("photo.png", "Images", "image/x-png"),
        ("PHOTO.PNG", "Images", "image/x-png"),
        ("scan.gif", "Images", "image/gif"),
        ("report.pdf", "Documents", "application/pdf"),
        ("table.csv", "Documents", "text/csv"),
        ("talk.mp3", "Audios", "audio/mpeg"),
        ("clip.mp4", "Videos", "video/mp4"),
        ("aspirin.mol", "Chemistry", "application/octet-stream"),
        ("archive.zip", "Miscellaneous", "application/zip"),
        ("README", "Miscellaneous", "application/octet-stream"),
        ("data.h5", "Miscellaneous", "application/octet-stream"),
    ],
)
def test_without_a_folder_a_file_goes_to_its_sections_api_inbox(
    erin: Files, name: str, section: str, content_type: str
) -> None:
    data = {"Images": png() if name.lower().endswith("png") else GIF}.get(section, b"bytes")
    body = erin.uploaded(name, data)
    assert body["contentType"] == content_type
    inbox = erin.folder(body["parentFolderId"], includePathToRootFolder="true")
    assert inbox["name"] == "Api Inbox"
    assert inbox["globalId"] == f"GF{inbox['id']}"
    assert inbox["mediaType"] == section
    assert [p["name"] for p in inbox["pathToRootFolder"]] == [section, "Gallery"]
    assert inbox["parentFolderId"] == erin.section(section)


def test_each_section_has_one_api_inbox_whatever_the_uploads(erin: Files) -> None:
    first = erin.uploaded("a.txt", b"a")
    second = erin.uploaded("b.pdf", b"b")
    other = erin.uploaded("c.zip", b"c")
    assert first["parentFolderId"] == second["parentFolderId"] != other["parentFolderId"]
    inboxes = [
        r for r in erin.tree(erin.section("Documents"))["records"] if r["name"] == "Api Inbox"
    ]
    assert len(inboxes) == 1


def test_concurrent_first_uploads_make_one_inbox_and_lose_no_file(
    rspace_mock: RSpaceMockHandle, erin: Files
) -> None:
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def upload(index: int) -> None:
        with httpx.Client(base_url=erin.url, headers={"apiKey": ERIN["apiKey"]}, timeout=30) as c:
            response = c.post("/files", files={"file": (f"f{index}.txt", f"body {index}".encode())})
        with lock:
            results.append(response)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    parents = {r.json()["parentFolderId"] for r in results}
    assert len(parents) == 1
    ids = {r.json()["id"] for r in results}
    assert len(ids) == 12
    for response in results:
        body = response.json()
        index = body["name"][1:-4]
        download = erin.get(f"/files/{body['id']}/file")
        assert download.content == f"body {index}".encode()


def test_a_file_goes_into_the_named_section_folder_or_a_folder_below_it(erin: Files) -> None:
    images = erin.section("Images")
    direct = erin.uploaded("a.png", png(), folder=images)
    assert direct["parentFolderId"] == images
    sub = erin.make_folder("microscopy", images)
    below = erin.uploaded("b.png", png(), folder=sub["id"])
    assert below["parentFolderId"] == sub["id"]
    assert [r["id"] for r in erin.tree(sub["id"])["records"]] == [below["id"]]


@pytest.mark.parametrize("place", ["Documents", "home", "Gallery", "Workspace folder"])
def test_a_folder_outside_the_files_section_is_refused_with_422(erin: Files, place: str) -> None:
    folder = (
        erin.make_folder("plain")["id"]
        if place == "Workspace folder"
        else erin.account[place if place in ("home", "Gallery") else f"Gallery/{place}"]
    )
    response = erin.upload("a.png", png(), folder=folder)
    assert_api_error(response, 422, 42201, WRONG_SECTION.format(folder, "Images", "Images"))


def test_an_unknown_or_anothers_folder_is_refused_with_401(erin: Files, bob: Files) -> None:
    for folder in (UNKNOWN_ID, bob.section("Documents")):
        response = erin.upload("a.txt", b"x", folder=folder)
        assert_api_error(response, 401, 40101, UNAUTHORISED.format("erin"))


@pytest.mark.parametrize("raw", ["abc", "1.5", "99999999999999999999"])
def test_a_folder_id_that_is_no_long_is_400(erin: Files, raw: str) -> None:
    response = erin.upload("a.txt", b"x", folder=raw)
    body = assert_api_error(response, 400, 40006)
    assert body["errors"] == ["folderId should be of type java.lang.Long"]


def test_an_empty_folder_id_means_none(erin: Files) -> None:
    body = erin.uploaded("a.txt", b"x", folder="")
    assert erin.folder(body["parentFolderId"])["name"] == "Api Inbox"


def test_a_caption_over_250_characters_is_422_and_a_blank_one_is_none(erin: Files) -> None:
    response = erin.upload("a.txt", b"x", caption="c" * 251)
    assert_api_error(response, 422, 42201, "caption cannot be greater than 250 characters.")
    assert erin.uploaded("a.txt", b"x", caption="c" * 250)["caption"] == "c" * 250
    assert erin.uploaded("a.txt", b"x", caption="   ")["caption"] is None


def test_a_request_with_no_file_part_is_400_40004(erin: Files) -> None:
    response = erin.http.post("/files", files={"other": ("a.txt", b"x")}, data={"caption": "c"})
    assert_api_error(
        response, 400, 40004, "Required part 'file' is not present.", ["file part is missing"]
    )
    # a field named file that is no file part
    response = erin.http.post("/files", files={"file": (None, b"x")})
    assert_api_error(response, 400, 40004, errors=["file part is missing"])


def test_a_request_that_is_not_multipart_is_400_40004(erin: Files) -> None:
    for response in (
        erin.http.post("/files", data={"file": "x"}),
        erin.http.post("/files", json={"file": "x"}),
        erin.http.post("/files"),
    ):
        assert_api_error(
            response,
            400,
            40004,
            "Current request is not a multipart request",
            ["file part is missing"],
        )


@pytest.mark.parametrize(
    ("name", "data", "claimed"),
    [
        ("fake.png", b"just text", "image/png"),
        ("empty.png", b"", "image/png"),
        ("gif.png", GIF, "image/png"),
        ("png.jpg", png(), "image/jpeg"),
        ("fake.tiff", b"GIF89a....", "image/tiff"),
    ],
)
def test_an_image_whose_bytes_are_not_its_type_is_422(
    erin: Files, name: str, data: bytes, claimed: str
) -> None:
    response = erin.upload(name, data)
    body = assert_api_error(response, 422, 42201, MISMATCH.format(name, claimed))
    assert body["messageCode"] == "errors.upload.imageContentMismatch"
    assert erin.get("/files").json()["totalHits"] == 0


def test_other_files_are_not_checked_and_may_be_empty(erin: Files) -> None:
    assert erin.uploaded("empty.txt", b"")["size"] == 0
    assert erin.uploaded("odd.pdf", png())["contentType"] == "application/pdf"


def test_an_empty_file_name_is_422(erin: Files) -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename=""\r\n\r\n'
        f"x\r\n--{boundary}--\r\n"
    ).encode()
    response = erin.http.post(
        "/files",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_api_error(response, 422, 42201, "Can't give record an empty name []")


def test_an_upload_over_the_limit_is_refused_and_stores_nothing(
    rspace_mock: RSpaceMockHandle, erin: Files
) -> None:
    limit = rspace_mock.app.state.mock.settings.max_upload_bytes
    assert limit == 52_428_800  # RSpace's files.maxUploadSize default
    response = erin.upload("big.bin", b"\0" * (limit + 1))
    body = assert_api_error(response, 400, 40004)
    assert "exceeds the configured maximum (52428800)" in body["message"]
    assert erin.get("/files").json()["totalHits"] == 0


def test_an_upload_needs_authentication_first(rspace_mock: RSpaceMockHandle) -> None:
    response = httpx.post(rspace_mock.api_url + "/files", headers={"apiKey": "wrong"}, timeout=20)
    assert_api_error(response, 401, 40101)


# -- GET /files/{id} and /files/{id}/file ----------------------------------------------------------


def test_a_files_details_are_what_the_upload_answered(erin: Files) -> None:
    created = erin.uploaded("a.gif", GIF, caption="logo")
    response = erin.get(f"/files/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_a_download_gives_the_exact_bytes_with_rspaces_headers(erin: Files) -> None:
    data = bytes(range(256)) * 50
    created = erin.uploaded("raw data.bin", data)
    response = erin.get(f"/files/{created['id']}/file")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    # RSpace's file store name: the base name, an underscore and the upload's milliseconds
    assert disposition.startswith('attachment; filename="raw data_') and disposition.endswith(
        '.bin"'
    )


@pytest.mark.parametrize("path", ["/files/{}", "/files/{}/file"])
def test_an_unknown_anothers_or_non_file_id_is_404(erin: Files, bob: Files, path: str) -> None:
    bobs = bob.uploaded("secret.txt", b"bob's")["id"]
    document = erin.make_document("not a file")["id"]
    folder = erin.section("Images")
    for file_id in (UNKNOWN_ID, bobs, document, folder):
        response = erin.get(path.format(file_id))
        assert_api_error(response, 404, 50301, FILE_NOT_FOUND.format(file_id), [""])


@pytest.mark.parametrize("path", ["/files/{}", "/files/{}/file"])
def test_a_file_id_that_is_no_long_is_400(erin: Files, path: str) -> None:
    assert_api_error(erin.get(path.format("abc")), 400, 40006)


# -- POST /files/{id}/file ---------------------------------------------------------------------


def test_a_replacement_is_a_new_version_of_the_same_file(
    rspace_mock: RSpaceMockHandle, erin: Files
) -> None:
    created = erin.uploaded("plot.png", png(2, 2), caption="v1 plot")
    rspace_mock.clock.advance(5)
    response = erin.replace(created["id"], "plot-v2.PNG", png(3, 3))
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == FILE_KEYS
    assert body["id"] == created["id"]
    assert body["version"] == 2
    assert body["name"] == "plot-v2.PNG"
    assert body["size"] == len(png(3, 3))
    for kept in ("caption", "contentType", "created", "parentFolderId", "_links"):
        assert body[kept] == created[kept]
    assert erin.get(f"/files/{created['id']}/file").content == png(3, 3)
    assert erin.get(f"/files/{created['id']}").json() == body


@pytest.mark.parametrize(("old", "new"), [("doc", "docx"), ("csv", "xlsx"), ("ppt", "pptx")])
def test_a_replacement_may_upgrade_an_office_format(erin: Files, old: str, new: str) -> None:
    created = erin.uploaded(f"a.{old}", b"1")
    assert erin.replace(created["id"], f"a.{new}", b"2").status_code == 201


@pytest.mark.parametrize(
    ("old", "new"), [("plot.png", "plot.jpg"), ("a.docx", "a.doc"), ("a.txt", "a")]
)
def test_a_replacement_of_another_type_is_422(erin: Files, old: str, new: str) -> None:
    data = png() if old.endswith("png") else b"1"
    created = erin.uploaded(old, data)
    response = erin.replace(created["id"], new, JPEG if new.endswith("jpg") else b"2")
    old_ext = old.rsplit(".", 1)[1]
    new_ext = new.rsplit(".", 1)[1] if "." in new else new
    assert_api_error(response, 422, 42201, f"Cannot update .{old_ext} file with .{new_ext}")
    assert erin.get(f"/files/{created['id']}").json()["version"] == 1


def test_a_replacement_image_must_be_an_image(erin: Files) -> None:
    created = erin.uploaded("a.png", png())
    response = erin.replace(created["id"], "b.png", b"text")
    assert_api_error(response, 422, 42201, MISMATCH.format("b.png", "image/png"))


def test_replacing_an_unknown_or_anothers_file_is_404(erin: Files, bob: Files) -> None:
    bobs = bob.uploaded("b.txt", b"b")["id"]
    for file_id in (UNKNOWN_ID, bobs):
        response = erin.replace(file_id, "x.txt", b"x")
        assert_api_error(response, 404, 50301, FILE_NOT_FOUND.format(file_id))
    assert bob.get(f"/files/{bobs}/file").content == b"b"


def test_a_replacement_without_a_file_part_is_400(erin: Files) -> None:
    created = erin.uploaded("a.txt", b"x")
    response = erin.http.post(f"/files/{created['id']}/file", data={"x": "y"})
    assert_api_error(response, 400, 40004)


# -- GET /files ------------------------------------------------------------------------------------


@pytest.fixture
def gallery(rspace_mock: RSpaceMockHandle, erin: Files) -> dict[str, dict[str, Any]]:
    """Five files of four classes, one second apart, names out of time order."""
    rspace_mock.clock.freeze(rspace_mock.clock.now())
    made = {}
    for name, data in [
        ("b.png", png()),
        ("D.txt", b"d"),
        ("a.mp3", b"a"),
        ("c.mol", b"c"),
        ("e.gif", GIF),
    ]:
        rspace_mock.clock.advance(1)
        made[name] = erin.uploaded(name, data)
    return made


def test_the_listing_is_rspaces_shape_newest_first_by_default(
    erin: Files, gallery: dict[str, dict[str, Any]]
) -> None:
    response = erin.get("/files")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["totalHits", "pageNumber", "files", "_links"]
    assert body["totalHits"] == 5
    assert [f["name"] for f in body["files"]] == ["e.gif", "c.mol", "a.mp3", "D.txt", "b.png"]
    assert body["files"][0] == gallery["e.gif"]
    assert body["_links"] == [{"link": f"{erin.url}/files?pageNumber=0", "rel": "self"}]


@pytest.mark.parametrize(
    ("media_type", "names"),
    [
        ("image", ["b.png", "e.gif"]),
        ("av", ["a.mp3"]),
        ("chemistry", ["c.mol"]),
        ("document", ["D.txt"]),
        ("", []),
    ],
)
def test_the_media_type_narrows_the_listing(
    erin: Files, gallery: dict[str, Any], media_type: str, names: list[str]
) -> None:
    body = erin.get("/files", mediaType=media_type, orderBy="name asc").json()
    assert [f["name"] for f in body["files"]] == names
    assert body["totalHits"] == len(names)


def test_orders_and_pages_with_rspaces_links(erin: Files, gallery: dict[str, Any]) -> None:
    names = lambda body: [f["name"] for f in body["files"]]  # noqa: E731
    assert names(erin.get("/files", orderBy="name asc").json()) == [
        "a.mp3",
        "b.png",
        "c.mol",
        "D.txt",
        "e.gif",
    ]
    assert names(erin.get("/files", orderBy="created asc").json())[0] == "b.png"
    page = erin.get("/files", orderBy="name desc", pageSize=2, pageNumber=1).json()
    assert names(page) == ["c.mol", "b.png"]
    base = f"{erin.url}/files?pageSize=2&pageNumber="
    assert page["_links"] == [
        {"link": f"{base}0&orderBy=name%20desc", "rel": "prev"},
        {"link": f"{base}2&orderBy=name%20desc", "rel": "next"},
        {"link": f"{base}1&orderBy=name%20desc", "rel": "self"},
    ]
    typed = erin.get("/files", mediaType="image").json()
    assert typed["_links"] == [
        {"link": f"{erin.url}/files?pageNumber=0&mediaType=image", "rel": "self"}
    ]


def test_the_listing_shows_only_the_callers_own_live_files(
    erin: Files, bob: Files, gallery: dict[str, Any]
) -> None:
    bob.uploaded("bobs.txt", b"b")
    assert "bobs.txt" not in [f["name"] for f in erin.get("/files", pageSize=100).json()["files"]]
    folder = erin.make_folder("to delete", erin.section("Documents"))
    erin.uploaded("gone.txt", b"g", folder=folder["id"])
    assert erin.get("/files").json()["totalHits"] == 6
    assert erin.delete(f"/folders/{folder['id']}").status_code == 204
    assert erin.get("/files").json()["totalHits"] == 5


@pytest.mark.parametrize(
    ("params", "code", "error"),
    [
        (
            {"mediaType": "images"},
            40002,
            'mediaType: must match "(image)|(document)|(av)||(chemistry)"',
        ),
        (
            {"mediaType": "IMAGE"},
            40002,
            'mediaType: must match "(image)|(document)|(av)||(chemistry)"',
        ),
        ({"pageSize": "0"}, 40002, "pageSize: Page size must be between 1 and 100."),
        ({"pageNumber": "-1"}, 40002, "pageNumber: Page number must be 0 or greater."),
        ({"orderBy": "size asc"}, 40002, None),
    ],
)
def test_bad_listing_parameters_are_400(
    erin: Files, params: dict[str, str], code: int, error: str | None
) -> None:
    body = assert_api_error(erin.get("/files", **params), 400, code)
    if error is not None:
        assert body["errors"] == [error]


def test_an_order_with_two_spaces_is_422(erin: Files) -> None:
    assert_api_error(erin.get("/files", orderBy="name  asc"), 422, 42201)


# -- the Gallery in folder listings ------------------------------------------------------------


def test_gallery_files_are_media_records_of_their_folders_listing(erin: Files) -> None:
    images = erin.section("Images")
    file = erin.uploaded("cells.png", png(), folder=images)
    listing = erin.tree(images)
    record = by_name(listing)["cells.png"]
    assert list(record) == [
        "id",
        "globalId",
        "name",
        "created",
        "lastModified",
        "parentFolderId",
        "type",
        "_links",
        "owner",
    ]
    assert record["type"] == "MEDIA"
    assert record["globalId"] == file["globalId"]
    assert record["parentFolderId"] == images
    assert record["_links"] == [{"link": f"{erin.url}/files/{file['id']}", "rel": "self"}]
    assert record["owner"]["username"] == "erin"
    # "document" covers files too; "folder" leaves them out
    assert "cells.png" in erin.names(images, typesToInclude="document")
    assert "cells.png" not in erin.names(images, typesToInclude="folder")


# -- markers in document fields ----------------------------------------------------------------


def _field(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    field: dict[str, Any] = response.json()["fields"][0]
    return field


def test_file_markers_become_rspaces_attachment_html_and_the_fields_files(erin: Files) -> None:
    image = erin.uploaded("cells.png", png(1000, 500))
    pdf = erin.uploaded("protocol.pdf", b"%PDF-1.4")
    note = erin.make_document("linked note")
    content = (
        f"<p>Image <fileId={image['id']}> pdf <fileId={pdf['id']}> see <docId={note['id']}></p>"
    )
    field = _field(
        erin.post("/documents", {"name": "with files", "fields": [{"content": content}]})
    )
    html = field["content"]
    # the image at page width (644) keeping its aspect ratio, tagged with the field's id
    assert (
        f'<img id="{field["id"]}-{image["id"]}" class="imageDropped inlineImageThumbnail"' in html
    )
    assert 'width="644" height="322" data-size="644-322"' in html
    assert f"sourceId={image['id']}&amp;sourceParentId={field['id']}" in html
    assert 'alt="image cells.png"' in html
    assert f'id="attachOnText_{pdf["id"]}" data-type="Documents"' in html
    assert f'href="/Streamfile/{pdf["id"]}"' in html
    assert 'src="/images/icons/pdf.png"' in html
    assert (
        f'<a id="{note["id"]}" data-globalid="{note["globalId"]}" class="linkedRecord '
        f'mceNonEditable" href="/globalId/{note["globalId"]}" data-name="linked note">'
        f"{note['globalId']}: linked note</a>"
    ) in html
    assert "<fileId=" not in html and "<docId=" not in html
    assert [f["id"] for f in field["files"]] == [image["id"], pdf["id"]]
    assert field["files"][0] == erin.get(f"/files/{image['id']}").json()


def test_updating_a_field_links_its_new_files_and_drops_removed_ones(erin: Files) -> None:
    doc = erin.make_document("grows")
    first = erin.uploaded("one.txt", b"1")
    second = erin.uploaded("two.csv", b"2")
    put = erin.http.put(
        f"/documents/{doc['id']}", json={"fields": [{"content": f"<fileId={first['id']}>"}]}
    )
    assert [f["id"] for f in _field(put)["files"]] == [first["id"]]
    put = erin.http.put(
        f"/documents/{doc['id']}", json={"fields": [{"content": f"<docId={second['id']}>"}]}
    )
    field = _field(put)
    assert [f["id"] for f in field["files"]] == [second["id"]]
    assert _field(erin.get(f"/documents/{doc['id']}"))["files"] == field["files"]


@pytest.mark.parametrize("field_spec", ["plain", "named", "with id"])
def test_a_marker_for_a_file_the_caller_cannot_see_is_422(
    erin: Files, bob: Files, field_spec: str
) -> None:
    bobs = bob.uploaded("private.txt", b"b")["id"]
    for file_id in (bobs, UNKNOWN_ID):
        field: dict[str, Any] = {"content": f"<p><fileId={file_id}></p>"}
        described = "field 1"
        if field_spec == "named":
            field["name"] = "Data"
            described = 'field 1 "Data"'
        if field_spec == "with id":
            doc = erin.make_document("target")
            field["id"] = doc["fields"][0]["id"]
            described = f"field with id: {field['id']}"
            response = erin.http.put(f"/documents/{doc['id']}", json={"fields": [field]})
        else:
            response = erin.post("/documents", {"name": "x", "fields": [field]})
        assert_api_error(response, 422, 42201, CANNOT_ACCESS.format(file_id, described))


def test_audio_and_video_markers_are_422(erin: Files) -> None:
    audio = erin.uploaded("talk.mp3", b"a")["id"]
    response = erin.post("/documents", {"fields": [{"content": f"<fileId={audio}>"}]})
    assert_api_error(
        response,
        422,
        42201,
        "Linking to audio/video attachments is not supported in current version of RSpace "
        f"API (fileId {audio})",
    )


def test_a_marker_for_anothers_folder_is_401_and_overflowing_digits_422(
    erin: Files, bob: Files
) -> None:
    response = erin.post(
        "/documents", {"fields": [{"content": f"<docId={bob.section('Images')}>"}]}
    )
    assert_api_error(response, 401, 40101, UNAUTHORISED.format("erin"))
    digits = "9" * 20
    response = erin.post("/documents", {"fields": [{"content": f"<fileId={digits}>"}]})
    assert_api_error(response, 422, 42201, f'For input string: "{digits}"')


def test_a_refused_marker_saves_nothing(erin: Files) -> None:
    before = erin.get("/documents").json()["totalHits"]
    erin.post("/documents", {"fields": [{"content": f"<fileId={UNKNOWN_ID}>"}]})
    assert erin.get("/documents").json()["totalHits"] == before


# -- the journal ------------------------------------------------------------------------------


def test_the_journal_keeps_no_uploaded_or_downloaded_bytes(
    rspace_mock: RSpaceMockHandle, erin: Files
) -> None:
    secret_bytes = b"PAYLOAD-7f3a9c-UNIQUE"
    created = erin.uploaded("payload.txt", secret_bytes, caption="shown caption")
    assert erin.get(f"/files/{created['id']}/file").content == secret_bytes
    entries = httpx.get(rspace_mock.url("/_mock/journal"), timeout=20).json()["entries"]
    text = repr(entries)
    assert "PAYLOAD-7f3a9c" not in text
    upload = next(e for e in entries if e["path"] == "/api/v1/files" and e["method"] == "POST")
    assert "shown caption" in upload["request_body"]
    assert f"({len(secret_bytes)} bytes of a file, not kept)" in upload["request_body"]
    download = next(e for e in entries if e["path"].endswith("/file"))
    assert download["response_body"] == f"({len(secret_bytes)} bytes of a download, not kept)"
