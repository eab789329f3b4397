"""Export jobs over HTTP: starting one, its progress on the fake's clock, the archive's layout
and download, who may export what, and every error row (``ExportApiController``,
``JobsApiController``); the SDK's ``export_and_download`` and ``download_export_selection``
(from PyPI) as its examples and integration tests call them."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rspace_client.eln.eln import ELNClient
from starlette.testclient import TestClient

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, assert_api_error, make_client


def headers(user: str) -> dict[str, str]:
    return {"apiKey": API_KEYS[user]}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as made:
        made.app.state.mock.clock.freeze()  # type: ignore[attr-defined]
        yield made


def advance(client: TestClient, seconds: float) -> None:
    client.app.state.mock.clock.advance(seconds)  # type: ignore[attr-defined]


def start(client: TestClient, path: str, user: str = "alice", **params: Any) -> Any:
    return client.post(f"/api/v1/export/{path}", params=params, headers=headers(user))


def finished(client: TestClient, job_id: int, user: str = "alice") -> dict[str, Any]:
    advance(client, 10)
    body = client.get(f"/api/v1/jobs/{job_id}", headers=headers(user)).json()
    assert body["status"] == "COMPLETED", body
    return dict(body)


def archive(client: TestClient, job: dict[str, Any], user: str = "alice") -> zipfile.ZipFile:
    url = job["_links"][0]["link"]
    response = client.get(url, headers=headers(user))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    name = url.rsplit("/", 1)[1]
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert str(zlib.crc32(response.content)) == job["result"]["checksum"]
    assert len(response.content) == job["result"]["size"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_a_job_starts_runs_on_the_clock_and_completes_with_its_archive(client: TestClient) -> None:
    response = start(client, "html/user")
    assert response.status_code == 202
    job = response.json()
    assert list(job) == ["id", "status", "result", "percentComplete", "_links"]
    assert (job["status"], job["result"], job["percentComplete"]) == ("STARTING", None, -1.0)
    assert job["_links"] == [{"link": f"http://testserver/api/v1/jobs/{job['id']}", "rel": "self"}]
    advance(client, 1)
    running = client.get(f"/api/v1/jobs/{job['id']}", headers=headers("alice")).json()
    assert running["status"] == "STARTED" and 0 < running["percentComplete"] < 100
    assert running["_links"] == [] and running["result"] is None
    done = finished(client, job["id"])
    assert done["percentComplete"] == 100.0
    assert list(done["result"]) == ["expiryDate", "size", "checksum", "algorithm"]
    assert done["result"]["algorithm"] == "CRC32"
    assert done["_links"][0]["rel"] == "enclosure"
    assert "/api/v1/export/RSpace-" in done["_links"][0]["link"]


def test_an_html_archive_is_laid_out_as_rspaces(client: TestClient) -> None:
    job = finished(client, start(client, "html/user").json()["id"])
    with archive(client, job) as zipped:
        names = zipped.namelist()
    top = names[0]
    assert top.startswith("RSpace-") and "-html-alice-" in top and top.endswith("/")
    assert all(n.startswith(top) for n in names)
    inside = {n[len(top) :] for n in names}
    assert {"manifest.txt", "index.html", "a-zIndex.html"} <= inside
    documents = [n for n in inside if n.startswith("doc_") and n.endswith(".html")]
    assert len(documents) == 7  # alice's documents in the default fixtures
    assert all(n.split("/")[0] + ".html" == n.split("/")[1] for n in documents)
    assert any(n.startswith("media_") for n in inside)  # a user export's files, apart


def test_an_xml_selection_holds_what_the_caller_may_read(client: TestClient) -> None:
    mine = client.post("/api/v1/documents", json={"name": "Mine"}, headers=headers("alice")).json()
    theirs = client.post(
        "/api/v1/documents", json={"name": "Theirs"}, headers=headers("bob")
    ).json()
    job = start(client, "xml/selection", selections=f"{mine['id']},{theirs['id']}").json()
    with archive(client, finished(client, job["id"])) as zipped:
        inside = {n.split("/", 1)[1] for n in zipped.namelist()}
        manifest = next(zipped.read(n) for n in zipped.namelist() if n.endswith("manifest.txt"))
    assert {"documentSchema.xsd", "formSchema.xsd", "folderTree.xml", "linkResolver.xml"} <= inside
    folder = f"doc_Mine-{mine['id']}"
    assert {f"{folder}/{folder}.xml", f"{folder}/{folder}_form.xml"} <= inside
    assert not any(f"-{theirs['id']}/" in n for n in inside)
    assert b"scope:SELECTION\n" in manifest and b"Exported by:Alice Moreau\n" in manifest


def test_one_export_at_a_time(client: TestClient) -> None:
    assert start(client, "html/user").status_code == 202
    again = start(client, "xml/user")
    assert_api_error(again, 429, 42901, "There is already a running export job")
    advance(client, 10)
    assert start(client, "xml/user").status_code == 202


def test_who_may_export_whom(client: TestClient) -> None:
    bob = client.get("/api/v1/userDetails/whoami", headers=headers("bob")).json()["id"]
    refused = start(client, f"html/user/{bob}")
    assert_api_error(
        refused, 401, 40101, "Unauthorized attempt by alice to export records belonging to bob"
    )
    assert start(client, f"html/user/{bob}", user="priya").status_code == 202  # bob's PI
    group = client.get("/api/v1/groups", headers=headers("alice")).json()[0]["id"]
    assert_api_error(
        start(client, f"html/group/{group}"),
        401,
        40101,
        "Unauthorized attempt by alice to export a user or group",
    )
    assert_api_error(start(client, "html/group"), 401, 40101)  # alice is no PI
    advance(client, 10)
    job = start(client, "html/group", user="priya").json()  # priya's own lab
    with archive(client, finished(client, job["id"], "priya"), "priya") as zipped:
        assert sum(n.endswith(".html") and "/doc_" in n for n in zipped.namelist()) == 10


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "message"),
    [
        ("pdf/user", {}, 400, 40002, "Errors detected: 1"),
        ("html/everything", {}, 400, 40002, "Errors detected: 1"),
        ("html/selection", {}, 422, 42201, "Please include one or more IDs to export"),
        (
            "html/selection",
            {"selections": "987654"},
            401,
            40101,
            "Unauthorized attempt by alice to export a selection",
        ),
        ("html/selection", {"selections": "1,x"}, 400, 40002, "Errors detected: 1"),
        ("html/user", {"maxLinkLevel": "-1"}, 400, 40002, "Errors detected: 1"),
        ("html/user", {"includeRevisionHistory": "perhaps"}, 400, 40002, "Errors detected: 1"),
        ("html/user/abc", {}, 400, 40006, None),
    ],
)
def test_an_export_that_cannot_start(
    client: TestClient,
    path: str,
    params: dict[str, str],
    status: int,
    code: int,
    message: str | None,
) -> None:
    assert_api_error(start(client, path, **params), status, code, message)


def test_a_bad_format_and_scope_are_both_named(client: TestClient) -> None:
    body = assert_api_error(start(client, "pdf/all"), 400, 40002, "Errors detected: 2")
    assert body["errors"] == [
        "format: Format must be either xml or html.",
        "scope: Scope must be one of user, group, or selection.",
    ]


def test_jobs_are_their_owners(client: TestClient) -> None:
    job = start(client, "html/user").json()["id"]
    assert_api_error(
        client.get(f"/api/v1/jobs/{job}", headers=headers("bob")),
        401,
        40101,
        "Unauthorized attempt by bob to retrieve job by id",
    )
    assert_api_error(
        client.get("/api/v1/jobs/987654", headers=headers("alice")),
        404,
        50301,
        "No job execution with this Id",
    )
    assert_api_error(client.get("/api/v1/jobs/x", headers=headers("alice")), 400, 40006)


def test_an_archive_is_there_until_it_expires(client: TestClient) -> None:
    job = finished(client, start(client, "html/user").json()["id"])
    url = job["_links"][0]["link"]
    assert client.get(url, headers=headers("alice")).status_code == 200
    assert client.get(url.removesuffix(".zip"), headers=headers("alice")).status_code == 200
    advance(client, 49 * 3600)
    assert_api_error(client.get(url, headers=headers("alice")), 404, 50301)
    assert_api_error(
        client.get("/api/v1/export/RSpace-nothing.zip", headers=headers("alice")), 404, 50301
    )
    assert_api_error(client.get("/api/v1/export/a%20b.zip", headers=headers("alice")), 422, 42201)


def test_an_export_is_in_the_activity(client: TestClient) -> None:
    job = finished(client, start(client, "html/user").json()["id"])
    name = job["_links"][0]["link"].rsplit("/", 1)[1]
    found = client.get(
        "/api/v1/activity", params={"actions": "EXPORT"}, headers=headers("alice")
    ).json()
    [event] = found["activities"]
    assert event["payload"]["exportPath"] == {"name": name}
    assert event["payload"]["configuration"] == {"archiveType": "html", "exportScope": "USER"}


def test_the_sdk_exports_and_downloads(rspace_mock: RSpaceMockHandle, tmp_path: Path) -> None:
    log = tmp_path / "progress.log"
    with ELNClient(rspace_mock.base_url, API_KEYS["alice"], max_retries=0) as client:
        zipped = client.export_and_download(
            "html", "user", str(tmp_path), progress_log=str(log), wait_between_requests=0.5
        )
        assert Path(zipped).stat().st_size > 0 and log.stat().st_size > 0
        assert zipfile.ZipFile(zipped).testzip() is None
        document = client.get_documents()["documents"][0]
        selection = tmp_path / "selection.zip"
        client.download_export_selection(
            "xml", str(selection), item_ids=[document["id"]], wait_between_requests=0.5
        )
        inside = zipfile.ZipFile(selection).namelist()
    assert any(n.endswith(f"-{document['id']}.xml") for n in inside)
