"""RSpace's token and document rules hold when several server processes share one state.

Each worker is a separate Python process with its own :class:`MockRSpace` on the same state: a
SQLite file, as ``rspace-mock serve --state FILE --workers N`` runs them, or a PostgreSQL
database, as servers on several hosts share one. Workers wait for a start file, so their
requests really overlap.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server.domain.credentials import sha256_hex
from mock_server.domain.errors import ApiProblem
from mock_server.domain.kinds import DOCUMENTS, TOKENS
from mock_server.domain.oauth import TokenRequest
from mock_server.runtime import MockRSpace, build_mock
from mock_server.settings import DEFAULT_FIXTURES, Settings
from mock_server.storage import open_state

pytestmark = pytest.mark.own_engines

REPO = Path(__file__).resolve().parent.parent
SERVER_URL = "http://127.0.0.1:8080"
WORKERS = 4

WORKER = """
    import json, os, sys, time
    from mock_server.domain.errors import ApiProblem
    from mock_server.domain.oauth import TokenRequest
    from mock_server.runtime import build_mock
    from mock_server.settings import Settings
    from mock_server.storage import open_state

    state, go, task = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    mock = build_mock(Settings(fixtures=None), store=open_state(state))
    while not os.path.exists(go):
        time.sleep(0.002)
    for _ in range(task["repeat"]):
        try:
            if task["kind"] == "grant":
                issued = mock.tokens.grant(TokenRequest(**task["request"]), task["url"])
                print(json.dumps({"access": issued.access_token,
                                  "refresh": issued.refresh_token}), flush=True)
            elif task["kind"] == "upload":
                from mock_server.domain.files import Upload
                user = mock.directory.user_named(task["username"])
                name = f"{os.getpid()}-{_}.bin"
                data = (name * 4000).encode()
                made = mock.files.upload(user, Upload(name, data), None, None)
                print(json.dumps({"id": made.id, "name": name,
                                  "folder": made.parent_folder_id}), flush=True)
            else:
                user = mock.directory.user_named(task["username"])
                # a new name each time: renaming to the name it has is no revision
                document = mock.documents.update(user, task["document_id"],
                                                 {"name": f"renamed by {os.getpid()} #{_}"})
                print(json.dumps({"version": document.version}), flush=True)
        except ApiProblem as problem:
            print(json.dumps({"error": type(problem).__name__}), flush=True)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A state seeded once with the default fixtures, as the first worker would: a SQLite file,
    or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        location = str(tmp_path / "state.db")
    else:
        location = request.getfixturevalue("postgres_dsn")
    build_mock(Settings(fixtures=DEFAULT_FIXTURES), store=open_state(location)).store.close()
    yield location


def fixture_app_and_user() -> tuple[dict[str, Any], dict[str, Any]]:
    data = json.loads(DEFAULT_FIXTURES.read_text())
    return data["apps"][0], data["users"][0]


def run_workers(tmp_path: Path, state: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), str(state), str(go), json.dumps(t)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for t in tasks
    ]
    go.touch()
    results: list[dict[str, Any]] = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        results.extend(json.loads(line) for line in stdout.splitlines())
    return results


def open_mock(state: str) -> MockRSpace:
    return build_mock(Settings(fixtures=None), store=open_state(state))


def accepted(mock: MockRSpace, access_token: str) -> bool:
    try:
        mock.authenticator.authenticate(None, f"Bearer {access_token}", SERVER_URL)
    except ApiProblem:
        return False
    return True


def password_request(**extra: Any) -> dict[str, Any]:
    app, user = fixture_app_and_user()
    return {
        "grant_type": "password",
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "username": user["username"],
        "password": user["password"],
        **extra,
    }


def test_concurrent_password_grants_in_several_processes_leave_exactly_one_valid_pair(
    tmp_path: Path, seeded_state: str
) -> None:
    task = {"kind": "grant", "repeat": 16, "request": password_request(), "url": SERVER_URL}
    issued = run_workers(tmp_path, seeded_state, [task] * WORKERS)
    assert len(issued) == 64 and not [r for r in issued if "error" in r]

    mock = open_mock(seeded_state)
    app, user = fixture_app_and_user()
    rows = [r for r in mock.store.collection(TOKENS).select() if r.client_id == app["clientId"]]
    assert len(rows) == 1
    valid = [r for r in issued if accepted(mock, r["access"])]
    assert len(valid) == 1
    assert rows[0].access_token_hash == sha256_hex(valid[0]["access"])
    assert rows[0].refresh_token_hash == sha256_hex(valid[0]["refresh"])


def test_concurrent_refreshes_with_one_refresh_token_succeed_exactly_once(
    tmp_path: Path, seeded_state: str
) -> None:
    mock = open_mock(seeded_state)
    first = mock.tokens.grant(TokenRequest(**password_request()), SERVER_URL)
    mock.store.close()
    app, _ = fixture_app_and_user()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "refresh_token": first.refresh_token,
    }
    task = {"kind": "grant", "repeat": 2, "request": refresh, "url": SERVER_URL}
    outcomes = run_workers(tmp_path, seeded_state, [task] * WORKERS)

    successes = [o for o in outcomes if "access" in o]
    assert len(successes) == 1
    # RSpace answers 404 for a refresh token that has been used already.
    assert {o["error"] for o in outcomes if "error" in o} == {"NotFound"}
    mock = open_mock(seeded_state)
    assert accepted(mock, successes[0]["access"])
    assert not accepted(mock, first.access_token)


def test_concurrent_document_updates_in_several_processes_lose_no_write(
    tmp_path: Path, seeded_state: str
) -> None:
    mock = open_mock(seeded_state)
    _, user = fixture_app_and_user()
    owner = mock.directory.user_named(user["username"])
    document = mock.documents.create(owner, {"name": "shared page"})
    mock.store.close()
    task = {
        "kind": "update",
        "repeat": 25,
        "username": user["username"],
        "document_id": document.id,
    }
    outcomes = run_workers(tmp_path, seeded_state, [task] * WORKERS)

    assert len(outcomes) == 100 and not [o for o in outcomes if "error" in o]
    # Every update read the version the previous one wrote: the versions are 2..101, once each.
    assert sorted(o["version"] for o in outcomes) == list(range(2, 102))
    stored = open_mock(seeded_state).store.collection(DOCUMENTS).get(document.id)
    assert stored is not None and stored.version == 101


def test_concurrent_uploads_in_several_processes_lose_and_mix_up_no_file(
    tmp_path: Path, seeded_state: str
) -> None:
    _, user = fixture_app_and_user()
    task = {"kind": "upload", "repeat": 10, "username": user["username"]}
    outcomes = run_workers(tmp_path, seeded_state, [task] * WORKERS)

    assert len(outcomes) == 10 * WORKERS and not [o for o in outcomes if "error" in o]
    assert len({o["id"] for o in outcomes}) == len(outcomes)
    # The first upload of each process made the Miscellaneous Api Inbox: one, for all of them.
    assert len({o["folder"] for o in outcomes}) == 1
    mock = open_mock(seeded_state)
    owner = mock.directory.user_named(user["username"])
    for outcome in outcomes:
        file, data = mock.files.content(owner, outcome["id"])
        assert file.name == outcome["name"]
        assert data == (outcome["name"] * 4000).encode()
