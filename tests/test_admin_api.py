"""Each admin operation over HTTP (``/_mock/``) against a real port, and its effect on the
fake as an RSpace client sees it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mock_server.settings import Settings
from mock_server.testing import RSpaceMockHandle, ThreadedServer


class Admin:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base = base_url + "/_mock"
        self.headers = {"X-Admin-Token": token} if token else {}

    def call(self, verb: str, endpoint: str, json: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            verb, self.base + endpoint, json=json, params=params, headers=self.headers, timeout=5
        )

    def ok(self, verb: str, endpoint: str, json: Any = None, **params: Any) -> Any:
        response = self.call(verb, endpoint, json, **params)
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
def admin(rspace_mock: RSpaceMockHandle) -> Admin:
    return Admin(rspace_mock.base_url)


def token_for(mock: RSpaceMockHandle, app: dict[str, str], user: str, password: str) -> Any:
    return requests.post(
        mock.token_url,
        data={
            "grant_type": "password",
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "username": user,
            "password": password,
        },
        timeout=5,
    )


def bearer(mock: RSpaceMockHandle, token: str, path: str = "/status") -> requests.Response:
    return requests.get(
        mock.api_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def test_index_lists_the_endpoints(admin: Admin) -> None:
    assert "POST /_mock/reset" in admin.ok("GET", "")["endpoints"]


def test_create_user_then_the_user_can_use_the_api(
    admin: Admin, rspace_mock: RSpaceMockHandle
) -> None:
    created = admin.call(
        "POST", "/users", {"username": "erin", "password": "erin-pw-1", "apiKey": "erinKey42"}
    )
    assert created.status_code == 201
    assert created.json()["username"] == "erin"
    assert "password" not in created.json()
    status = requests.get(
        rspace_mock.api_url + "/status", headers={"apiKey": "erinKey42"}, timeout=5
    )
    assert status.status_code == 200
    assert "erin" in {u["username"] for u in admin.ok("GET", "/users")["users"]}


def test_create_user_twice_is_a_409(admin: Admin) -> None:
    response = admin.call("POST", "/users", {"username": "alice", "password": "x"})
    assert response.status_code == 409
    assert "already exists" in response.json()["error"]


def test_create_user_with_unknown_field_is_a_clear_400(admin: Admin) -> None:
    response = admin.call("POST", "/users", {"username": "x", "password": "y", "pasword": "z"})
    assert response.status_code == 400
    assert "pasword" in response.json()["error"]


def test_create_app_returns_the_secret_once_and_it_works(
    admin: Admin, rspace_mock: RSpaceMockHandle
) -> None:
    app = admin.ok("POST", "/apps", {"owner": "bob", "name": "My app"})
    assert set(app) == {"appName", "clientId", "clientSecret", "owner"}
    assert len(app["clientId"]) == 39 and len(app["clientSecret"]) == 32
    listed = admin.ok("GET", "/apps")["apps"]
    assert {"appName": "My app", "clientId": app["clientId"], "owner": "bob"} in listed
    assert all("clientSecret" not in a for a in listed)
    password = rspace_mock.seeded.user("bob")["password"]
    assert token_for(rspace_mock, app, "bob", password).status_code == 200


def test_disconnect_app_revokes_the_users_pair(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    app = rspace_mock.seeded.apps[0]
    tokens = token_for(
        rspace_mock, app, "alice", rspace_mock.seeded.user("alice")["password"]
    ).json()
    assert bearer(rspace_mock, tokens["access_token"]).status_code == 200
    result = admin.ok("DELETE", f"/users/alice/apps/{app['clientId']}")
    assert result["disconnected"] is True
    assert bearer(rspace_mock, tokens["access_token"]).status_code == 401


def test_delete_app_kills_all_its_tokens(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    app = rspace_mock.seeded.apps[0]
    alice = token_for(rspace_mock, app, "alice", rspace_mock.seeded.user("alice")["password"])
    bob = token_for(rspace_mock, app, "bob", rspace_mock.seeded.user("bob")["password"])
    result = admin.ok("DELETE", f"/apps/{app['clientId']}")
    assert result["revokedTokenRows"] == 2
    for tokens in (alice.json(), bob.json()):
        assert bearer(rspace_mock, tokens["access_token"]).status_code == 401
    assert admin.call("DELETE", f"/apps/{app['clientId']}").status_code == 404


def test_create_document_appears_in_the_owners_listing(
    admin: Admin, rspace_mock: RSpaceMockHandle
) -> None:
    doc = admin.ok("POST", "/documents", {"owner": "bob", "name": "Made by admin", "tags": "t1"})
    assert doc["globalId"] == f"SD{doc['id']}"
    listing = requests.get(
        rspace_mock.api_url + "/documents",
        headers={"apiKey": rspace_mock.seeded.user("bob")["apiKey"]},
        timeout=5,
    ).json()
    assert "Made by admin" in {d["name"] for d in listing["documents"]}


def test_reset_returns_to_the_fixtures(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    admin.ok("POST", "/users", {"username": "temp", "password": "pw"})
    admin.ok("POST", "/faults", {"path": "/api/*", "action": "error", "status": 500})
    admin.ok("POST", "/clock/advance", {"seconds": 100})
    report = admin.ok("POST", "/reset")
    assert report["users"] == len(rspace_mock.seeded.users)
    assert "temp" not in {u["username"] for u in admin.ok("GET", "/users")["users"]}
    assert admin.ok("GET", "/faults")["faults"] == []
    assert abs(admin.ok("GET", "/clock")["offsetSeconds"]) < 1


def test_load_fixtures_replaces_everything_and_resets_return_to_them(
    admin: Admin, rspace_mock: RSpaceMockHandle
) -> None:
    fixtures = {
        "users": [{"username": "solo", "password": "solo-pw", "apiKey": "soloKey1"}],
        "apps": [{"owner": "solo", "name": "Solo app"}],
        "documents": [{"owner": "solo", "name": "Only doc"}],
    }
    try:
        report = admin.ok("PUT", "/fixtures", fixtures)
        assert report["users"] == 1 and report["documents"] == 1
        (generated,) = report["generatedCredentials"]
        assert generated["clientSecret"]
        assert [u["username"] for u in admin.ok("GET", "/users")["users"]] == ["solo"]
        admin.ok("POST", "/reset")
        assert [u["username"] for u in admin.ok("GET", "/users")["users"]] == ["solo"]
    finally:
        rspace_mock.mock.fixture_data = {}
        rspace_mock.control.load_fixtures(_default_fixtures())


def _default_fixtures() -> dict[str, Any]:
    import json

    from mock_server.settings import DEFAULT_FIXTURES

    data: dict[str, Any] = json.loads(DEFAULT_FIXTURES.read_text())
    return data


def test_bad_fixtures_are_refused_and_state_is_kept(admin: Admin) -> None:
    response = admin.call("PUT", "/fixtures", {"users": [{"username": "x"}]})
    assert response.status_code == 400
    assert "password" in response.json()["error"]
    assert "alice" in {u["username"] for u in admin.ok("GET", "/users")["users"]}


def test_lock_user_and_switch_api_access(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    key = {"apiKey": rspace_mock.seeded.user("alice")["apiKey"]}
    admin.ok("PATCH", "/users/alice", {"accountLocked": True})
    locked = requests.get(rspace_mock.api_url + "/status", headers=key, timeout=5)
    assert locked.status_code == 401
    assert "locked or disabled" in locked.json()["message"]
    admin.ok("PATCH", "/users/alice", {"accountLocked": False, "apiAccess": False})
    denied = requests.get(rspace_mock.api_url + "/status", headers=key, timeout=5)
    assert denied.json()["message"] == "Access to API has been disabled for user 'alice'"
    assert admin.call("PATCH", "/users/nobody", {"apiAccess": True}).status_code == 404


def test_settings_switch_oauth_and_api_off(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    app = rspace_mock.seeded.apps[0]
    password = rspace_mock.seeded.user("alice")["password"]
    settings = admin.ok("PATCH", "/settings", {"oauthEnabled": False})
    assert settings["oauthEnabled"] is False
    refused = token_for(rspace_mock, app, "alice", password)
    assert refused.json()["message"] == (
        "OAuth authentication has been disabled by RSpace administrator."
    )
    admin.ok("PATCH", "/settings", {"oauthEnabled": True, "apiEnabled": False})
    key = {"apiKey": rspace_mock.seeded.user("alice")["apiKey"]}
    off = requests.get(rspace_mock.api_url + "/status", headers=key, timeout=5)
    assert off.json()["message"] == "Access to API has been disabled by RSpace administrator."


def test_settings_quirk_and_token_ttl(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    settings = admin.ok(
        "PATCH", "/settings", {"quirks": {"refreshKeepsExpiry": True}, "tokenTtlSeconds": 60}
    )
    assert settings["quirks"] == {"refreshKeepsExpiry": True}
    app = rspace_mock.seeded.apps[0]
    tokens = token_for(rspace_mock, app, "alice", rspace_mock.seeded.user("alice")["password"])
    assert tokens.json()["expires_in"] == 59
    admin.ok("POST", "/reset")
    after_reset = admin.ok("GET", "/settings")
    assert after_reset["tokenTtlSeconds"] == 3600
    assert after_reset["quirks"] == {"refreshKeepsExpiry": False}


def test_settings_reject_unknown_keys_and_bad_values(admin: Admin) -> None:
    assert admin.call("PATCH", "/settings", {"oauth": False}).status_code == 400
    assert admin.call("PATCH", "/settings", {"oauthEnabled": "no"}).status_code == 400
    bad_limit = admin.call("PATCH", "/settings", {"throttleLimits": {"user_per_hour": -1}})
    assert bad_limit.status_code == 400


def test_clock_freeze_set_advance_unfreeze(admin: Admin) -> None:
    frozen = admin.ok("POST", "/clock/freeze", {"at": "2030-01-01T00:00:00Z"})
    assert frozen == {"now": "2030-01-01T00:00:00.000Z", "frozen": True, "offsetSeconds": 0.0}
    assert admin.ok("POST", "/clock/advance", {"seconds": 90})["now"] == "2030-01-01T00:01:30.000Z"
    assert admin.ok("POST", "/clock/set", {"at": "2031-06-01T12:00:00Z"})["now"].startswith(
        "2031-06-01T12:00:00"
    )
    running = admin.ok("POST", "/clock/unfreeze")
    assert running["frozen"] is False and running["now"].startswith("2031-06-01T12:00")
    assert admin.ok("GET", "/clock")["now"].startswith("2031-06-01T12:0")
    assert admin.ok("POST", "/clock/reset")["offsetSeconds"] == 0.0
    assert admin.call("POST", "/clock/set", {"at": "tomorrow"}).status_code == 400


def test_clock_drives_document_timestamps(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    admin.ok("POST", "/clock/freeze", {"at": "2030-05-05T05:05:05Z"})
    doc = admin.ok("POST", "/documents", {"owner": "alice"})
    assert doc["created"] == "2030-05-05T05:05:05.000Z"


def test_journal_read_filter_and_clear(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    key = {"apiKey": rspace_mock.seeded.user("bob")["apiKey"]}
    requests.get(rspace_mock.api_url + "/documents", headers=key, timeout=5)
    requests.get(rspace_mock.api_url + "/status", timeout=5)
    entries = admin.ok("GET", "/journal")["entries"]
    assert [e["path"] for e in entries] == ["/api/v1/documents", "/api/v1/status"]
    assert entries[0]["username"] == "bob"
    assert entries[0]["request_headers"]["apikey"] == "***"
    assert [e["status"] for e in admin.ok("GET", "/journal", user="bob")["entries"]] == [200]
    assert len(admin.ok("GET", "/journal", path="/api/v1/status", method="GET")["entries"]) == 1
    assert len(admin.ok("GET", "/journal", since=entries[0]["id"])["entries"]) == 1
    assert admin.ok("DELETE", "/journal")["cleared"] == 2
    assert admin.ok("GET", "/journal")["entries"] == []


def test_admin_calls_are_not_journaled(admin: Admin) -> None:
    admin.ok("GET", "/users")
    assert admin.ok("GET", "/journal")["entries"] == []


def test_faults_add_list_remove_clear(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    rule = admin.call(
        "POST", "/faults", {"path": "/api/v1/status", "action": "error", "status": 503}
    )
    assert rule.status_code == 201
    assert rule.json()["action"]["status"] == 503
    assert requests.get(rspace_mock.api_url + "/status", timeout=5).status_code == 503
    listed = admin.ok("GET", "/faults")["faults"]
    assert listed[0]["fired"] == 1 and listed[0]["exhausted"] is True
    second = admin.ok("POST", "/faults", {"path": "/oauth/token", "action": "drop", "times": None})
    assert admin.ok("DELETE", f"/faults/{second['id']}") == {"removed": second["id"]}
    assert admin.call("DELETE", f"/faults/{second['id']}").status_code == 404
    admin.ok("POST", "/faults", {"path": "/x", "action": "delay", "delay_seconds": 1})
    assert admin.ok("DELETE", "/faults") == {"faults": []}


def test_bad_fault_rules_are_clear_400s(admin: Admin) -> None:
    for rule, word in (
        ({"path": "/api/*"}, "action"),
        ({"action": "explode"}, "action"),
        ({"action": "error", "status": 200}, "status"),
        ({"action": "delay"}, "delay_seconds"),
        ({"action": "error", "probability": 2}, "probability"),
        ({"action": "error", "nth": 0}, "nth"),
        ({"action": "error", "colour": "red"}, "colour"),
    ):
        response = admin.call("POST", "/faults", rule)
        assert response.status_code == 400, rule
        assert word in response.json()["error"]


def test_admin_can_be_switched_off_and_then_rspace_answers_404() -> None:
    with ThreadedServer(Settings(port=0, admin_enabled=False)) as server:
        response = requests.get(server.base_url + "/_mock/clock", timeout=5)
        assert response.status_code == 404
        assert response.json()["message"] == "No handler found for GET /_mock/clock"


def test_admin_token_is_required_when_configured() -> None:
    with ThreadedServer(Settings(port=0, admin_token="s3cret-admin")) as server:
        assert requests.get(server.base_url + "/_mock/clock", timeout=5).status_code == 401
        wrong = Admin(server.base_url, "wrong")
        assert wrong.call("GET", "/clock").status_code == 401
        right = Admin(server.base_url, "s3cret-admin")
        assert right.ok("GET", "/clock")["frozen"] is False


@pytest.mark.parametrize(
    ("host", "token", "admin", "warned"),
    [
        ("0.0.0.0", None, True, True),
        ("::", None, True, True),
        ("192.168.1.20", None, True, True),
        ("0.0.0.0", "t", True, False),
        ("0.0.0.0", None, False, False),
        ("127.0.0.1", None, True, False),
        ("127.0.0.2", None, True, False),
        ("::1", None, True, False),
        ("localhost", None, True, False),
    ],
)
def test_an_open_admin_api_on_a_public_address_is_warned_about(
    host: str, token: str | None, admin: bool, warned: bool
) -> None:
    settings = Settings(host=host, admin_token=token, admin_enabled=admin)
    warning = settings.admin_exposure_warning()
    assert (warning is not None) == warned
    if warning is not None:
        assert f"--host {host} without --admin-token" in warning
        assert "reset the fake" in warning and "read the journal" in warning


def test_a_threaded_server_with_an_open_admin_api_warns_when_it_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level("WARNING", logger="rspace_mock"),
        ThreadedServer(Settings(host="0.0.0.0", port=0)),
    ):
        assert "without --admin-token leaves the admin API (/_mock/) open" in caplog.text


def test_malformed_admin_requests_are_clear_400s(admin: Admin) -> None:
    not_json = requests.post(
        admin.base + "/users",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"].startswith("bad request:")
    bad_id = admin.call("DELETE", "/faults/abc")
    assert bad_id.status_code == 400
    assert "rule_id" in bad_id.json()["error"]
    assert admin.call("POST", "/users", ["not", "an", "object"]).status_code == 400


def test_create_group_then_its_members_see_it(admin: Admin, rspace_mock: RSpaceMockHandle) -> None:
    made = admin.call(
        "POST",
        "/groups",
        {"name": "Side project", "type": "COLLABORATION_GROUP", "pi": "priya", "members": ["bob"]},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["name"], body["type"]) == ("Side project", "COLLABORATION_GROUP")
    seen = requests.get(
        rspace_mock.api_url + f"/groups/{body['id']}",
        headers={"apiKey": rspace_mock.seeded.user("bob")["apiKey"]},
        timeout=5,
    )
    assert seen.status_code == 200 and seen.json()["sharedFolderId"] == body["sharedFolderId"]
    assert {g["name"] for g in admin.ok("GET", "/groups")["groups"]} == {
        "Walsh Lab",
        "Side project",
    }


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "x", "members": ["alice"]}, 400, "Exactly one user must be the group's PI."),
        ({"name": "x", "pi": "alice"}, 400, "PI does not have a PI role"),
        ({"name": "x", "pi": "priya", "members": ["nobody"]}, 400, "Please create these users"),
        ({"name": "x"}, 400, "Group must contain between 1 and 20 members"),
        ({"name": "x", "pi": "priya", "colour": "red"}, 400, "unknown key(s) colour"),
        ({"name": "x", "type": "TEAM", "pi": "priya"}, 400, "[TEAM] is not a group type"),
    ],
)
def test_a_group_that_breaks_the_rules_is_a_clear_400(
    admin: Admin, body: dict[str, Any], status: int, message: str
) -> None:
    response = admin.call("POST", "/groups", body)
    assert response.status_code == status
    assert message in response.json()["error"]
