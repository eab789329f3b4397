"""Folders, notebooks and Gallery files made through the admin API and the CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.cli import main
from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS
from tests.test_http_files import png


def admin(mock: RSpaceMockHandle, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(mock.url(f"/_mock{path}"), json=body, timeout=20)


def api(mock: RSpaceMockHandle, path: str) -> httpx.Response:
    return httpx.get(mock.api_url + path, headers={"apiKey": API_KEYS["bob"]}, timeout=20)


def test_the_admin_api_makes_a_notebook_on_a_path_and_a_file_in_a_gallery_folder(
    rspace_mock: RSpaceMockHandle,
) -> None:
    made = admin(rspace_mock, "/folders", {"owner": "bob", "path": "Runs/Week 1", "notebook": True})
    assert made.status_code == 201, made.text
    notebook = made.json()
    assert notebook["globalId"] == f"NB{notebook['id']}" and notebook["notebook"] is True
    runs = api(rspace_mock, f"/folders/{notebook['parentFolderId']}").json()
    assert runs["name"] == "Runs" and runs["notebook"] is False
    gels = admin(rspace_mock, "/folders", {"owner": "bob", "path": "Gallery/Images/Gels"}).json()
    assert gels["globalId"].startswith("GF")
    upload = admin(
        rspace_mock,
        "/files",
        {
            "owner": "bob",
            "name": "gel.png",
            "folder": "Gallery/Images/Gels",
            "caption": "gel",
            "base64": base64.b64encode(png()).decode(),
        },
    )
    assert upload.status_code == 201, upload.text
    file = upload.json()
    assert file["parentFolderId"] == gels["id"] and file["size"] == len(png())
    assert api(rspace_mock, f"/files/{file['id']}/file").content == png()
    text = admin(rspace_mock, "/files", {"owner": "bob", "name": "n.txt", "text": "hi"}).json()
    assert api(rspace_mock, f"/files/{text['id']}").json()["contentType"] == "text/plain"


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/folders", {"owner": "nobody", "path": "x"}, 404, "no user 'nobody'"),
        ("/folders", {"owner": "bob"}, 400, "path"),
        ("/folders", {"owner": "bob", "path": "Gallery/top"}, 400, "top-level folder"),
        ("/folders", {"owner": "bob", "path": "x", "colour": "red"}, 400, "colour"),
        ("/files", {"owner": "bob", "name": "a.txt"}, 400, "exactly one of text, base64"),
        ("/files", {"owner": "bob", "name": "a.png", "text": "no"}, 400, "does not match"),
        ("/files", {"owner": "bob", "name": "a.txt", "text": "x", "folder": "No"}, 404, "'No'"),
        ("/files", {"owner": "bob", "name": "a.txt", "base64": "%%"}, 400, "not valid base64"),
    ],
)
def test_the_admin_api_explains_what_it_refuses(
    rspace_mock: RSpaceMockHandle, path: str, body: dict[str, Any], status: int, says: str
) -> None:
    response = admin(rspace_mock, path, body)
    assert response.status_code == status, response.text
    assert says in response.json()["error"]


def test_the_cli_makes_a_folder_and_uploads_a_local_file(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = rspace_mock.base_url
    assert (
        main(
            ["create-folder", "--owner", "bob", "--path", "Gallery/Documents/Papers", "--url", url]
        )
        == 0
    )
    folder = json.loads(capsys.readouterr().out)
    local = tmp_path / "paper.pdf"
    local.write_bytes(b"%PDF-1.7 paper")
    code = main(
        [
            "upload-file",
            str(local),
            "--owner",
            "bob",
            "--folder",
            "Gallery/Documents/Papers",
            "--caption",
            "a paper",
            "--url",
            url,
        ]
    )
    assert code == 0
    file = json.loads(capsys.readouterr().out)
    assert file["name"] == "paper.pdf" and file["parentFolderId"] == folder["id"]
    assert api(rspace_mock, f"/files/{file['id']}").json()["caption"] == "a paper"
    assert main(["upload-file", str(tmp_path / "missing.bin"), "--owner", "bob", "--url", url]) != 0
