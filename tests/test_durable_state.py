"""``serve --state FILE`` and ``--workers N``: state survives restarts, and every token rule
holds across worker processes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ServedMock
from tests.http_helpers import API_KEYS, APP, grant_form, refresh_form

pytestmark = pytest.mark.own_engines

Serve = Callable[..., ServedMock]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def grant(url: str, **extra: str) -> dict[str, Any]:
    response = requests.post(f"{url}/oauth/token", data=grant_form(**extra), timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def status_code(url: str, headers: dict[str, str]) -> int:
    return requests.get(f"{url}/api/v1/status", headers=headers, timeout=10).status_code


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def simultaneously(count: int, action: Callable[[], requests.Response]) -> list[requests.Response]:
    barrier = threading.Barrier(count)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        response = action()
        with lock:
            results.append(response)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_state_survives_a_restart(serve_mock: Serve, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    # The same address both times: a JWT's issuer must match the server URL.
    port = str(free_port())
    first = serve_mock("--state", str(state), "--port", port)
    pair = grant(first.url)
    jwt = grant(first.url, is_jwt="true")["access_token"]
    created = requests.post(
        f"{first.url}/api/v1/documents",
        json={"name": "kept"},
        headers={"apiKey": API_KEYS["alice"]},
        timeout=10,
    ).json()
    first.stop_cleanly()

    second = serve_mock("--state", str(state), "--port", port)
    assert status_code(second.url, bearer(pair["access_token"])) == 200
    assert status_code(second.url, bearer(jwt)) == 200
    document = requests.get(
        f"{second.url}/api/v1/documents/{created['id']}",
        headers={"apiKey": API_KEYS["alice"]},
        timeout=10,
    )
    assert document.status_code == 200 and document.json()["name"] == "kept"
    # The refresh token issued before the restart rotates as usual.
    refreshed = requests.post(
        f"{second.url}/oauth/token", data=refresh_form(pair["refresh_token"]), timeout=10
    )
    assert refreshed.status_code == 200
    assert status_code(second.url, bearer(jwt)) == 401


def test_fixtures_seed_only_an_empty_state_file(serve_mock: Serve, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    first = serve_mock("--state", str(state))
    doc_id = requests.get(
        f"{first.url}/api/v1/documents", headers={"apiKey": API_KEYS["alice"]}, timeout=10
    ).json()["documents"][0]["id"]
    requests.delete(
        f"{first.url}/api/v1/documents/{doc_id}", headers={"apiKey": API_KEYS["alice"]}, timeout=10
    )
    first.stop_cleanly()
    second = serve_mock("--state", str(state))
    listing = requests.get(
        f"{second.url}/api/v1/documents", headers={"apiKey": API_KEYS["alice"]}, timeout=10
    ).json()
    assert listing["totalHits"] == 6  # the fixtures' seven, less the deleted one; not reseeded


def test_memory_store_refuses_workers(serve_mock: Serve) -> None:
    import subprocess

    from tests.conftest import REPO_ROOT, clean_environment, rspace_mock_command

    result = subprocess.run(
        [*rspace_mock_command(), "serve", "--workers", "2"],
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=REPO_ROOT,
        timeout=30,
    )
    assert result.returncode != 0
    assert "--workers needs --state FILE" in result.stderr
    assert "Traceback" not in result.stderr


def test_64_simultaneous_grants_over_4_workers_leave_one_valid_pair(
    serve_mock: Serve, tmp_path: Path
) -> None:
    server = serve_mock(
        "--state", str(tmp_path / "state.sqlite"), "--workers", "4", "--port", str(free_port())
    )
    url = server.url
    responses = simultaneously(
        64, lambda: requests.post(f"{url}/oauth/token", data=grant_form(), timeout=30)
    )
    assert [r.status_code for r in responses] == [200] * 64
    valid = [r for r in responses if status_code(url, bearer(r.json()["access_token"])) == 200]
    assert len(valid) == 1
    # Exactly one refresh token is current: an is_jwt refresh does not rotate, so each can
    # be tried without disturbing the others.
    current = [
        r
        for r in responses
        if requests.post(
            f"{url}/oauth/token",
            data=refresh_form(r.json()["refresh_token"], is_jwt="true"),
            timeout=10,
        ).status_code
        == 200
    ]
    assert current == valid


def test_concurrent_refreshes_with_one_token_succeed_once_across_workers(
    serve_mock: Serve, tmp_path: Path
) -> None:
    server = serve_mock(
        "--state", str(tmp_path / "state.sqlite"), "--workers", "4", "--port", str(free_port())
    )
    url = server.url
    refresh_token = grant(url)["refresh_token"]
    responses = simultaneously(
        24,
        lambda: requests.post(f"{url}/oauth/token", data=refresh_form(refresh_token), timeout=30),
    )
    assert sorted(r.status_code for r in responses) == [200] + [404] * 23


def test_concurrent_document_updates_lose_no_write_across_workers(
    serve_mock: Serve, tmp_path: Path
) -> None:
    server = serve_mock(
        "--state", str(tmp_path / "state.sqlite"), "--workers", "4", "--port", str(free_port())
    )
    url = server.url
    headers = {"apiKey": API_KEYS["alice"]}
    created = requests.post(f"{url}/api/v1/documents", json={}, headers=headers, timeout=10).json()
    counter = iter(range(1000))
    lock = threading.Lock()

    def update() -> requests.Response:
        with lock:
            n = next(counter)
        return requests.put(
            f"{url}/api/v1/documents/{created['id']}",
            json={"name": f"edit {n}"},
            headers=headers,
            timeout=30,
        )

    responses = simultaneously(32, update)
    assert [r.status_code for r in responses] == [200] * 32
    versions = sorted(r.json()["version"] for r in responses)
    assert versions == list(range(created["version"] + 1, created["version"] + 33))
    final = requests.get(
        f"{url}/api/v1/documents/{created['id']}", headers=headers, timeout=10
    ).json()
    assert final["version"] == created["version"] + 32


def test_clock_is_shared_by_workers_and_survives_restart(serve_mock: Serve, tmp_path: Path) -> None:
    from mock_server import Settings
    from mock_server.runtime import build_mock

    state = tmp_path / "state.sqlite"
    mock = build_mock(Settings(state_file=state))
    mock.clock.advance(7200)
    mock.store.close()
    server = serve_mock("--state", str(state), "--workers", "2", "--port", str(free_port()))
    created = [
        requests.post(
            f"{server.url}/api/v1/documents",
            json={},
            timeout=10,
            headers={"apiKey": API_KEYS["alice"]},
        ).json()["created"]
        for _ in range(6)
    ]
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    for stamp in created:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert timedelta(seconds=7100) < moment - now < timedelta(seconds=7300)
    assert APP["clientId"]


def test_kill_9_during_a_write_burst_loses_no_acknowledged_write(
    serve_mock: Serve, tmp_path: Path
) -> None:
    import signal
    import time

    state = tmp_path / "state.sqlite"
    headers = {"apiKey": API_KEYS["alice"]}
    server = ServedMock("--state", str(state))  # not the fixture's: this one dies by SIGKILL
    acknowledged: list[int] = []
    stop = threading.Event()

    def write_burst() -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                response = session.post(
                    f"{server.url}/api/v1/documents",
                    json={"name": f"burst {len(acknowledged)}"},
                    headers=headers,
                    timeout=5,
                )
            except requests.RequestException:
                return
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])

    writers = [threading.Thread(target=write_burst) for _ in range(4)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.stop()
    stop.set()
    for writer in writers:
        writer.join()
    assert len(acknowledged) >= 100

    restarted = serve_mock("--state", str(state))
    for document_id in acknowledged:
        response = requests.get(
            f"{restarted.url}/api/v1/documents/{document_id}", headers=headers, timeout=10
        )
        assert response.status_code == 200, document_id
    listing = requests.get(
        f"{restarted.url}/api/v1/documents?pageSize=1", headers=headers, timeout=10
    ).json()
    assert listing["totalHits"] >= 4 + len(acknowledged)


def test_uploaded_files_and_their_versions_survive_a_restart(
    serve_mock: Serve, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    headers = {"apiKey": API_KEYS["alice"]}
    first = serve_mock("--state", str(state))
    data = bytes(range(256)) * 40
    made = requests.post(
        f"{first.url}/api/v1/files",
        files={"file": ("raw.bin", data)},
        headers=headers,
        timeout=10,
    ).json()
    replaced = requests.post(
        f"{first.url}/api/v1/files/{made['id']}/file",
        files={"file": ("raw-2.bin", data[::-1])},
        headers=headers,
        timeout=10,
    ).json()
    assert replaced["version"] == 2
    first.stop_cleanly()
    second = serve_mock("--state", str(state))
    info = requests.get(f"{second.url}/api/v1/files/{made['id']}", headers=headers, timeout=10)
    kept = {k: v for k, v in replaced.items() if k != "_links"}  # another port now
    assert {k: v for k, v in info.json().items() if k != "_links"} == kept
    download = requests.get(
        f"{second.url}/api/v1/files/{made['id']}/file", headers=headers, timeout=10
    )
    assert download.content == data[::-1]
