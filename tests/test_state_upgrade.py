"""A state file written by rspace-mock 0.1.0 is upgraded when today's server starts on it.

``tests/data/state-0.1.0.sqlite`` (see ``tests/data/README.md``) holds alice's token pair, a
document of hers, throttling switched on and a frozen clock. Served by today's server, all of
it must still be there, and the file must be in today's format afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import httpx

from mock_server.storage.engines.sqlite_file import ENGINE_USER_VERSION, LEGACY_TABLES
from tests.conftest import ServedMock

DATA = Path(__file__).resolve().parent / "data" / "state-0.1.0.sqlite"
ALICE_KEY = "aliceApiKey000000000000000000001"
CLIENT_ID = "NRQWELLON52GKYTPN5VS243ZNZRS2YLQOAWTAMI"
CLIENT_SECRET = "c2VjcmV0LWZvci1sYWItbm90ZWJvb2sx"
REFRESH_TOKEN = "eMn1kUQvGekXVVt1X5PAEZ88rO5GK3cX"


def test_a_state_file_of_0_1_0_is_upgraded_with_everything_in_it(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    shutil.copy(DATA, state)
    server = ServedMock("--state", str(state))
    try:
        assert "kept from before" in server.stdout
        with httpx.Client(base_url=server.url, timeout=30) as client:
            document = client.get("/api/v1/documents/114", headers={"apiKey": ALICE_KEY})
            assert document.status_code == 200, document.text
            body = document.json()
            assert body["name"] == "Made by 0.1.0" and body["tags"] == "legacy,upgrade"
            assert "kept across the upgrade" in body["fields"][0]["content"]
            # The search text of an upgraded document is there too.
            found = client.get(
                "/api/v1/documents", params={"query": "upgrade"}, headers={"apiKey": ALICE_KEY}
            )
            assert [d["id"] for d in found.json()["documents"]] == [114]
            # The next document gets the next id, not one already used.
            created = client.post(
                "/api/v1/documents", json={"name": "after"}, headers={"apiKey": ALICE_KEY}
            )
            assert created.status_code == 201, created.text
            assert created.json()["id"] > 114
            # The token pair: the refresh token still works, once.
            grant = {
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
            }
            refreshed = client.post("/oauth/token", data=grant)
            assert refreshed.status_code == 200, refreshed.text
            assert client.post("/oauth/token", data=grant).status_code == 404
            # The instruments' settings: the frozen clock and throttling.
            clock = client.get("/_mock/clock").json()
            assert clock["frozen"] is True and clock["now"].startswith("2030-01-02T03:04:05")
            assert client.get("/_mock/settings").json()["throttling"] is True
    finally:
        server.stop_cleanly()
    with contextlib.closing(sqlite3.connect(state)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == ENGINE_USER_VERSION
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & set(LEGACY_TABLES)


def test_an_upgraded_file_opens_again_as_it_is(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    shutil.copy(DATA, state)
    for _ in range(2):
        server = ServedMock("--state", str(state))
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                listed = client.get("/api/v1/documents", headers={"apiKey": ALICE_KEY})
                assert listed.status_code == 200 and listed.json()["totalHits"] == 5
        finally:
            server.stop_cleanly()
