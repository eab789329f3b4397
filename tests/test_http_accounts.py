"""``/api/v1/sysadmin`` over HTTP: a sysadmin's users and groups, and every error row
(``SysadminApiController``); the SDK's ``get_users`` (from PyPI) pages through them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from rspace_client.eln.eln import ELNClient
from starlette.testclient import TestClient

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, assert_api_error, make_client

NOT_SYSADMIN = "Sysadmin role with valid IP required for admin operations"
SYSADMIN = {"apiKey": API_KEYS["sysadmin1"]}
ALICE = {"apiKey": API_KEYS["alice"]}
TAKEN = (
    "This username ({}) or e-mail address ({}) already exists. Please try a different username "
    "and/or email."
)
NEW_USER = {
    "username": "newbie",
    "password": "newbie-password",
    "email": "newbie@lab.example.org",
    "firstName": "New",
    "lastName": "Member",
    "role": "ROLE_USER",
}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as made:
        yield made


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/sysadmin/users", None),
        ("POST", "/sysadmin/users", NEW_USER),
        ("PUT", "/sysadmin/users/2/enable", None),
        ("PUT", "/sysadmin/users/2/disable", None),
        ("DELETE", "/sysadmin/users/2", None),
        (
            "POST",
            "/sysadmin/groups",
            {"displayName": "x", "members": [{"username": "priya", "roleInGroup": "PI"}]},
        ),
    ],
)
def test_only_a_sysadmin_manages_accounts(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    response = client.request(method, f"/api/v1{path}", json=body, headers=ALICE)
    assert_api_error(response, 401, 40101, NOT_SYSADMIN, ["Authorisation error"])


def test_the_user_listing_pages_by_creation_date_and_filters(client: TestClient) -> None:
    everyone = client.get(
        "/api/v1/sysadmin/users",
        params={"tempAccountsOnly": "false", "pageSize": 2},
        headers=SYSADMIN,
    ).json()
    assert list(everyone) == ["totalHits", "pageNumber", "users", "_links"]
    assert everyone["totalHits"] == 6
    assert [u["username"] for u in everyone["users"]] == ["alice", "bob"]
    assert everyone["users"][0]["workbenchId"] is None
    links = {link["rel"]: link["link"] for link in everyone["_links"]}
    assert links["next"].endswith(
        "/api/v1/sysadmin/users?pageSize=2&pageNumber=1&tempAccountsOnly=false"
    )
    # Temporary accounts only, by default: the fixtures have none.
    assert client.get("/api/v1/sysadmin/users", headers=SYSADMIN).json()["totalHits"] == 0
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    before = client.get(
        "/api/v1/sysadmin/users",
        params={"tempAccountsOnly": "false", "createdBefore": "2000-01-01"},
        headers=SYSADMIN,
    ).json()
    assert before["totalHits"] == 0
    recent = client.get(
        "/api/v1/sysadmin/users",
        params={
            "tempAccountsOnly": "false",
            "createdBefore": tomorrow,
            "orderBy": "creationDate desc",
        },
        headers=SYSADMIN,
    ).json()
    assert [u["username"] for u in recent["users"]][0] == "sysadmin1"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "0"}, "pageSize"),
        ({"pageNumber": "-1"}, "pageNumber"),
        ({"orderBy": "name asc"}, "orderBy"),
        ({"createdBefore": "01/02/2020"}, "createdBefore"),
        ({"lastLoginBefore": "2020-13-01"}, "lastLoginBefore"),
        ({"tempAccountsOnly": "maybe"}, "tempAccountsOnly"),
    ],
)
def test_bad_listing_parameters_are_a_400_even_for_others(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    # The parameters are checked before the caller (RSpace binds them first).
    body = assert_api_error(
        client.get("/api/v1/sysadmin/users", params=params, headers=ALICE), 400, 40002
    )
    assert body["data"]["validationErrors"][0]["field"] == field


def test_a_new_user_can_use_the_api_with_the_roles_given(client: TestClient) -> None:
    made = client.post(
        "/api/v1/sysadmin/users", json={**NEW_USER, "role": "ROLE_PI"}, headers=SYSADMIN
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["username"], body["hasPiRole"], body["hasSysAdminRole"]) == ("newbie", True, False)
    listed = client.get(
        "/api/v1/sysadmin/users",
        params={"tempAccountsOnly": "false", "pageSize": 100},
        headers=SYSADMIN,
    ).json()
    assert "newbie" in [u["username"] for u in listed["users"]]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"username": " "}, ["username: must not be blank"]),
        ({"password": "short"}, ["password: size must be between 8 and 2147483647"]),
        ({"email": "not-an-email"}, ["email: must be a well-formed email address"]),
        (
            {"role": "ROLE_KING"},
            ['role: must match "(ROLE_USER)|(ROLE_PI)|(ROLE_ADMIN)|(ROLE_SYSADMIN)"'],
        ),
        ({"apiKey": "short"}, ["apiKey: size must be between 16 and 32"]),
    ],
)
def test_a_user_body_that_fails_validation_is_a_400(
    client: TestClient, changes: dict[str, str], errors: list[str]
) -> None:
    response = client.post("/api/v1/sysadmin/users", json={**NEW_USER, **changes}, headers=SYSADMIN)
    assert_api_error(response, 400, 40002, f"Errors detected: {len(errors)}", errors)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"username": "alice"},
            TAKEN.format("alice", "newbie@lab.example.org"),
        ),
        (
            {"email": "BOB.OKAFOR@lab.example.org"},
            TAKEN.format("newbie", "BOB.OKAFOR@lab.example.org"),
        ),
        ({"firstName": None}, "Please fill in all the fields."),
        (
            {"role": "ROLE_PI", "createGroupForPi": True},
            "Please type an initial group name and choose a community.",
        ),
    ],
)
def test_a_user_that_cannot_be_made_is_a_422(
    client: TestClient, changes: dict[str, Any], message: str
) -> None:
    response = client.post("/api/v1/sysadmin/users", json={**NEW_USER, **changes}, headers=SYSADMIN)
    assert_api_error(response, 422, 42201, message)


def test_a_disabled_user_is_refused_until_enabled(client: TestClient) -> None:
    alice_id = client.get("/api/v1/userDetails/whoami", headers=ALICE).json()["id"]
    assert (
        client.put(f"/api/v1/sysadmin/users/{alice_id}/disable", headers=SYSADMIN).status_code
        == 204
    )
    assert_api_error(client.get("/api/v1/status", headers=ALICE), 401, 40101)
    assert (
        client.put(f"/api/v1/sysadmin/users/{alice_id}/disable", headers=SYSADMIN).status_code
        == 204
    )
    assert (
        client.put(f"/api/v1/sysadmin/users/{alice_id}/enable", headers=SYSADMIN).status_code == 204
    )
    assert client.get("/api/v1/status", headers=ALICE).status_code == 200
    assert_api_error(
        client.put("/api/v1/sysadmin/users/987654/enable", headers=SYSADMIN), 404, 50301
    )
    assert_api_error(client.put("/api/v1/sysadmin/users/abc/enable", headers=SYSADMIN), 400, 40006)


def test_only_an_account_older_than_a_year_is_deleted(client: TestClient) -> None:
    made = client.post("/api/v1/sysadmin/users", json=NEW_USER, headers=SYSADMIN).json()
    response = client.delete(f"/api/v1/sysadmin/users/{made['id']}", headers=SYSADMIN)
    assert_api_error(response, 422, 42201, "Can only delete users created more than a year ago")
    mock = client.app.state.mock  # type: ignore[attr-defined]
    mock.clock.advance(400 * 24 * 3600)
    assert (
        client.delete(f"/api/v1/sysadmin/users/{made['id']}", headers=SYSADMIN).status_code == 204
    )
    assert_api_error(
        client.delete(f"/api/v1/sysadmin/users/{made['id']}", headers=SYSADMIN), 404, 50301
    )


def test_a_sysadmin_group_has_its_pi_and_members(client: TestClient) -> None:
    body = {
        "displayName": "Okafor Lab",
        "members": [
            {"username": "priya", "roleInGroup": "PI"},
            {"username": "bob", "roleInGroup": "RS_LAB_ADMIN"},
        ],
    }
    made = client.post("/api/v1/sysadmin/groups", json=body, headers=SYSADMIN)
    assert made.status_code == 201, made.text
    group = made.json()
    assert [(m["username"], m["role"]) for m in group["members"]] == [
        ("priya", "PI"),
        ("bob", "LAB_ADMIN"),
    ]
    assert group["sharedFolderId"] and group["type"] == "LAB_GROUP"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"displayName": "", "members": [{"username": "priya", "roleInGroup": "PI"}]},
            400,
            "Errors detected: 1",
        ),
        ({"displayName": "x", "members": []}, 400, "Errors detected: 1"),
        (
            {"displayName": "x", "members": [{"username": "priya", "roleInGroup": "BOSS"}]},
            400,
            "Errors detected: 1",
        ),
        (
            {"displayName": "x", "members": [{"username": "", "roleInGroup": "PI"}]},
            400,
            "Errors detected: 1",
        ),
        (
            {
                "displayName": "x",
                "type": "TEAM",
                "members": [{"username": "priya", "roleInGroup": "PI"}],
            },
            400,
            None,
        ),
        (
            {"displayName": "x", "members": [{"username": "ghost", "roleInGroup": "PI"}]},
            422,
            "Please create these users before creating a group: ghost",
        ),
        (
            {"displayName": "x", "members": [{"username": "bob", "roleInGroup": "DEFAULT"}]},
            422,
            "Exactly one user must be the group's PI.",
        ),
        (
            {"displayName": "x", "members": [{"username": "bob", "roleInGroup": "PI"}]},
            422,
            "PI does not have a PI role",
        ),
        (
            {
                "displayName": "x",
                "type": "PROJECT_GROUP",
                "members": [{"username": "bob", "roleInGroup": "DEFAULT"}],
            },
            422,
            "Project group should have at least 1 GROUP_OWNER.",
        ),
    ],
)
def test_a_group_body_that_breaks_the_rules(
    client: TestClient, body: dict[str, Any], status: int, message: str | None
) -> None:
    response = client.post("/api/v1/sysadmin/groups", json=body, headers=SYSADMIN)
    internal = {400: 40002 if message else 40009, 422: 42201}[status]
    assert_api_error(response, status, internal, message)


def test_the_sdk_pages_through_users(rspace_mock: RSpaceMockHandle) -> None:
    with ELNClient(rspace_mock.base_url, API_KEYS["sysadmin1"], max_retries=0) as client:
        tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
        page = client.get_users(page_size=2, tempaccount_only=False, created_before=tomorrow)
        names = [u["username"] for u in page["users"]]
        while client.link_exists(page, "next"):
            page = client.get_link_contents(page, "next")
            names += [u["username"] for u in page["users"]]
    assert names == ["alice", "bob", "carol", "dave", "priya", "sysadmin1"]
