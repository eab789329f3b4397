"""Each admin operation through the plugin's Python helpers (in-process app)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mock_server.admin.control import AdminError
from mock_server.testing import RSpaceMockHandle


def token(mock: RSpaceMockHandle, app: dict[str, str], user: str, password: str) -> dict[str, str]:
    with mock.client() as client:
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
                "username": user,
                "password": password,
            },
        )
    assert response.status_code == 200, response.text
    result: dict[str, str] = response.json()
    return result


def status_with(mock: RSpaceMockHandle, headers: dict[str, str]) -> int:
    with mock.client() as client:
        return client.get("/api/v1/status", headers=headers).status_code


def test_users_create_lock_and_api_access(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    mock.users.create("fay", "fay-pw-1", api_key="fayKey1")
    assert status_with(mock, {"apiKey": "fayKey1"}) == 200
    mock.users.lock("fay")
    assert status_with(mock, {"apiKey": "fayKey1"}) == 401
    mock.users.lock("fay", False)
    mock.users.set_api_access("fay", False)
    assert status_with(mock, {"apiKey": "fayKey1"}) == 401
    with pytest.raises(AdminError):
        mock.users.create("fay", "again")


def test_apps_create_and_delete(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    app = mock.apps.create("alice", "Helper app")
    tokens = token(mock, app, "alice", mock.seeded.user("alice")["password"])
    assert status_with(mock, {"Authorization": f"Bearer {tokens['access_token']}"}) == 200
    assert mock.apps.delete(app["clientId"])["revokedTokenRows"] == 1
    assert status_with(mock, {"Authorization": f"Bearer {tokens['access_token']}"}) == 401


def test_users_disconnect_app(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    app = mock.seeded.apps[0]
    tokens = token(mock, app, "alice", mock.seeded.user("alice")["password"])
    assert mock.users.disconnect_app("alice", app["clientId"])["disconnected"] is True
    assert status_with(mock, {"Authorization": f"Bearer {tokens['access_token']}"}) == 401


def test_documents_create_uses_the_mock_clock(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    mock.clock.freeze(datetime(2029, 2, 3, 4, 5, 6, tzinfo=timezone.utc))
    doc = mock.documents.create("bob", "From the helper", tags="a,b")
    assert doc["created"] == "2029-02-03T04:05:06.000Z"


def test_settings_update(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    assert mock.settings.update(apiEnabled=False)["apiEnabled"] is False
    assert status_with(mock, {"apiKey": mock.seeded.user("alice")["apiKey"]}) == 401
    mock.reset()
    assert mock.settings.get()["apiEnabled"] is True


def test_clock_helpers_expire_a_jwt(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    mock.clock.freeze()
    app = mock.seeded.apps[0]
    with mock.client() as client:
        jwt = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
                "username": "alice",
                "password": mock.seeded.user("alice")["password"],
                "is_jwt": "true",
            },
        ).json()["access_token"]
    headers = {"Authorization": f"Bearer {jwt}"}
    mock.clock.advance(3600 + 179)  # within RSpace's 3-minute skew
    assert status_with(mock, headers) == 200
    mock.clock.advance(2)
    assert status_with(mock, headers) == 401


def test_journal_and_faults_helpers(rspace_mock_app: RSpaceMockHandle) -> None:
    mock = rspace_mock_app
    rule = mock.faults.error("/api/v1/status", 500)
    assert status_with(mock, {}) == 500
    assert mock.faults.rules()[0].fired == 1
    mock.faults.remove(rule)
    assert status_with(mock, {}) == 401
    entries = mock.journal.assert_count(2, path="/api/v1/status")
    assert entries[0].fault == "rule 1: error 500"
    mock.journal.clear()
    assert mock.journal.requests() == []


def test_seeded_credentials(rspace_mock_app: RSpaceMockHandle) -> None:
    seeded = rspace_mock_app.seeded
    assert seeded.user("alice")["password"]
    assert {a["name"] for a in seeded.apps} >= {"Lab notebook sync"}
    assert all(len(a["clientSecret"]) == 32 for a in seeded.apps)


def test_login_helper_replaces_the_pair_without_touching_the_journal(
    rspace_mock_app: RSpaceMockHandle,
) -> None:
    mock = rspace_mock_app
    first = mock.login("alice")
    assert set(first) == {"access_token", "refresh_token", "scope", "expires_in"}
    assert status_with(mock, {"Authorization": f"Bearer {first['access_token']}"}) == 200
    mock.login("alice")
    assert status_with(mock, {"Authorization": f"Bearer {first['access_token']}"}) == 401
    assert mock.journal.token_requests() == []
    jwt = mock.login("bob", is_jwt=True)["access_token"]
    assert jwt.count(".") == 2
    assert status_with(mock, {"Authorization": f"Bearer {jwt}"}) == 200
