"""Fixtures that declare folders, notebooks, Gallery files and documents placed in them, and
what the default fixtures give a user: a notebook with entries and files in the Gallery."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.domain.fixtures import FixtureError
from tests.http_helpers import API_KEYS
from tests.test_http_files import png

ALICE = {"username": "alice", "password": "alice-password-1", "apiKey": "a" * 32}


def client_for(tmp_path: Path, data: dict[str, Any]) -> TestClient:
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(data))
    return TestClient(create_app(Settings(fixtures=path, random_seed=1)))


def tree(client: TestClient, folder_id: int | None = None) -> dict[str, Any]:
    path = "/api/v1/folders/tree" + (f"/{folder_id}" if folder_id else "")
    response = client.get(path, params={"pageSize": 100}, headers={"apiKey": ALICE["apiKey"]})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def child(client: TestClient, folder_id: int | None, name: str) -> dict[str, Any]:
    records = {r["name"]: r for r in tree(client, folder_id)["records"]}
    assert name in records, sorted(records)
    return records[name]


def test_folders_notebooks_files_and_documents_go_where_the_fixtures_say(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "run.csv").write_text("well,A450\nA1,0.1\n")
    client = client_for(
        tmp_path,
        {
            "users": [ALICE],
            "folders": [
                {"owner": "alice", "path": "Projects/PCR"},
                {"owner": "alice", "path": "Projects/PCR/Bench book", "notebook": True},
                {"owner": "alice", "path": "Gallery/Images/Gels"},
            ],
            "files": [
                {
                    "owner": "alice",
                    "name": "gel.png",
                    "folder": "Gallery/Images/Gels",
                    "caption": "a gel",
                    "base64": base64.b64encode(png(8, 4)).decode(),
                },
                {"owner": "alice", "name": "run.csv", "path": "data/run.csv", "ref": "run"},
                {"owner": "alice", "name": "note.txt", "text": "plain words"},
            ],
            "documents": [
                {
                    "owner": "alice",
                    "name": "Entry 1",
                    "folder": "Projects/PCR/Bench book",
                    "fields": [{"content": "<p>Gel: <fileId=gel.png> data: <fileId=run></p>"}],
                },
                {"owner": "alice", "name": "Loose"},
            ],
        },
    )
    projects = child(client, None, "Projects")
    pcr = child(client, projects["id"], "PCR")
    notebook = child(client, pcr["id"], "Bench book")
    assert notebook["type"] == "NOTEBOOK"
    (entry,) = tree(client, notebook["id"])["records"]
    assert entry["name"] == "Entry 1"
    document = client.get(
        f"/api/v1/documents/{entry['id']}", headers={"apiKey": ALICE["apiKey"]}
    ).json()
    files = document["fields"][0]["files"]
    assert [f["name"] for f in files] == ["gel.png", "run.csv"]
    gallery = child(client, None, "Gallery")
    gels = child(client, child(client, gallery["id"], "Images")["id"], "Gels")
    (gel,) = tree(client, gels["id"])["records"]
    assert gel["type"] == "MEDIA" and gel["name"] == "gel.png"
    download = client.get(
        f"/api/v1/files/{files[1]['id']}/file", headers={"apiKey": ALICE["apiKey"]}
    )
    assert download.content == b"well,A450\nA1,0.1\n"
    loose = next(
        d
        for d in client.get("/api/v1/documents", headers={"apiKey": ALICE["apiKey"]}).json()[
            "documents"
        ]
        if d["name"] == "Loose"
    )
    inbox = client.get(
        f"/api/v1/folders/{loose['parentFolderId']}", headers={"apiKey": ALICE["apiKey"]}
    ).json()
    assert inbox["name"] == "Api Inbox"


@pytest.mark.parametrize(
    ("section", "entry", "problem"),
    [
        ("folders", {"owner": "alice", "path": "/"}, "'path' must name a folder"),
        ("folders", {"owner": "alice", "path": "Gallery/x"}, "top-level folder in the Gallery"),
        ("folders", {"owner": "nobody", "path": "x"}, "nobody"),
        ("files", {"owner": "alice", "name": "a.txt"}, "exactly one of text, base64, path"),
        (
            "files",
            {"owner": "alice", "name": "a.txt", "text": "x", "base64": "eA=="},
            "exactly one of text, base64, path",
        ),
        ("files", {"owner": "alice", "name": "a.txt", "base64": "***"}, "not valid base64"),
        ("files", {"owner": "alice", "name": "a.txt", "path": "missing.bin"}, "cannot read"),
        ("files", {"owner": "alice", "name": "a.png", "text": "x"}, "does not match"),
        (
            "files",
            {"owner": "alice", "name": "a.txt", "text": "x", "folder": "Nowhere"},
            "no folder 'Nowhere' of alice",
        ),
        (
            "files",
            {"owner": "alice", "name": "a.txt", "text": "x", "folder": "Gallery/Images"},
            "must be either Gallery folder Documents",
        ),
        ("files", {"owner": "alice", "name": "a.txt", "text": "x", "size": 3}, "unknown key"),
        (
            "documents",
            {"owner": "alice", "fields": [{"content": "<fileId=nothing.png>"}]},
            "no file 'nothing.png' of alice",
        ),
        ("documents", {"owner": "alice", "folder": "Gallery"}, "must be in the workspace"),
    ],
)
def test_a_bad_place_or_file_stops_the_start_naming_the_entry(
    tmp_path: Path, section: str, entry: dict[str, Any], problem: str
) -> None:
    with pytest.raises(FixtureError) as raised:
        client_for(tmp_path, {"users": [ALICE], section: [entry]})
    message = str(raised.value)
    assert f"{section}[0]" in message
    assert problem in message


def test_the_default_fixtures_give_alice_a_notebook_with_entries_and_gallery_files() -> None:
    client = TestClient(create_app(Settings(random_seed=1)))
    headers = {"apiKey": API_KEYS["alice"]}
    files = client.get("/api/v1/files", headers=headers).json()
    assert files["totalHits"] >= 2
    images = client.get("/api/v1/files", params={"mediaType": "image"}, headers=headers).json()
    assert images["totalHits"] >= 1
    home = client.get("/api/v1/folders/tree", headers=headers, params={"pageSize": 100}).json()
    notebooks: list[dict[str, Any]] = []
    pending = [r for r in home["records"] if r["type"] in ("FOLDER", "NOTEBOOK")]
    while pending:
        record = pending.pop()
        if record["name"] in ("Gallery", "Shared", "Templates", "Examples"):
            continue
        if record["type"] == "NOTEBOOK":
            notebooks.append(record)
            continue
        listing = client.get(f"/api/v1/folders/tree/{record['id']}", headers=headers).json()
        pending += [r for r in listing["records"] if r["type"] in ("FOLDER", "NOTEBOOK")]
    assert notebooks, "a notebook somewhere in alice's workspace"
    entries = client.get(f"/api/v1/folders/tree/{notebooks[0]['id']}", headers=headers).json()
    assert entries["totalHits"] >= 2
    attached = [
        f
        for record in entries["records"]
        for field in client.get(f"/api/v1/documents/{record['id']}", headers=headers).json()[
            "fields"
        ]
        for f in field["files"]
    ]
    assert attached, "an entry shows a Gallery file"
