"""``/api/v1/groups`` and ``/api/v1/userDetails`` over HTTP: shapes, who sees which group, and
every error row (``GroupApiController``, ``UserDetailsApiController``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.domain.directory import NewUser
from mock_server.domain.groups import NewGroup, NewMember
from tests.http_helpers import API_KEYS, assert_api_error, make_client

GROUP_KEYS = [
    "id",
    "globalId",
    "name",
    "type",
    "sharedFolderId",
    "sharedSnippetFolderId",
    "raid",
    "members",
    "uniqueName",
    "_links",
]
USER_KEYS = [
    "id",
    "username",
    "email",
    "firstName",
    "lastName",
    "homeFolderId",
    "workbenchId",
    "hasPiRole",
    "hasSysAdminRole",
    "_links",
]
NOT_A_MEMBER = "Group with id: {} not found, or the user isn't a member."


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as made:
        yield made


def as_user(username: str) -> dict[str, str]:
    return {"apiKey": API_KEYS[username]}


def add_user(client: TestClient, username: str, **extra: Any) -> dict[str, str]:
    key = f"{username}ApiKey0000000000000000000"[:32]
    new = NewUser(username=username, password=f"{username}-pw-12", api_key=key, **extra)
    client.app.state.mock.directory.create_user(new)  # type: ignore[attr-defined]
    return {"apiKey": key}


def test_groups_lists_the_callers_groups_with_their_members_pi_first(client: TestClient) -> None:
    response = client.get("/api/v1/groups", headers=as_user("bob"))
    assert response.status_code == 200
    [group] = response.json()
    assert list(group) == GROUP_KEYS
    assert group["globalId"] == f"GP{group['id']}"
    assert (group["name"], group["type"], group["raid"], group["_links"]) == (
        "Walsh Lab",
        "LAB_GROUP",
        None,
        [],
    )
    assert [(m["username"], m["role"]) for m in group["members"]] == [
        ("priya", "PI"),
        ("alice", "USER"),
        ("bob", "USER"),
    ]
    assert group["uniqueName"].startswith("WalshLab")


def test_a_user_in_no_group_gets_an_empty_list(client: TestClient) -> None:
    headers = add_user(client, "zoe")
    assert client.get("/api/v1/groups", headers=headers).json() == []
    assert client.get("/api/v1/userDetails/groupMembers", headers=headers).json() == []


def test_groups_are_ordered_by_name(client: TestClient) -> None:
    mock = client.app.state.mock  # type: ignore[attr-defined]
    for name in ("beta", "Alpha", "alpha"):
        mock.groups.create(NewGroup(name, [NewMember("priya", "PI"), NewMember("alice")]))
    names = [g["name"] for g in client.get("/api/v1/groups", headers=as_user("alice")).json()]
    assert names == ["Alpha", "Walsh Lab", "alpha", "beta"]  # Java's String order


def test_a_group_is_found_by_its_members_only(client: TestClient) -> None:
    group_id = client.get("/api/v1/groups", headers=as_user("alice")).json()[0]["id"]
    found = client.get(f"/api/v1/groups/{group_id}", headers=as_user("priya"))
    assert found.status_code == 200 and found.json()["id"] == group_id
    outsider = add_user(client, "zoe")
    refused = client.get(f"/api/v1/groups/{group_id}", headers=outsider)
    assert_api_error(refused, 404, 50301, NOT_A_MEMBER.format(group_id))
    missing = client.get("/api/v1/groups/987654", headers=as_user("alice"))
    assert_api_error(missing, 404, 50301, NOT_A_MEMBER.format(987654))
    assert_api_error(client.get("/api/v1/groups/abc", headers=as_user("alice")), 400, 40006)


def test_group_search_finds_lab_groups_by_name_in_any_case_for_anyone(client: TestClient) -> None:
    outsider = add_user(client, "zoe")
    found = client.get("/api/v1/groups/search", params={"query": "WALSH"}, headers=outsider)
    assert [g["name"] for g in found.json()] == ["Walsh Lab"]
    assert (
        client.get("/api/v1/groups/search", params={"query": "nope"}, headers=outsider).json() == []
    )
    mock = client.app.state.mock  # type: ignore[attr-defined]
    mock.groups.create(
        NewGroup("Walsh collaboration", [NewMember("priya", "PI")], "COLLABORATION_GROUP")
    )
    every = client.get("/api/v1/groups/search", headers=outsider).json()
    assert [g["name"] for g in every] == ["Walsh Lab"]  # lab groups only


def test_whoami_is_the_caller(client: TestClient) -> None:
    response = client.get("/api/v1/userDetails/whoami", headers=as_user("priya"))
    body = response.json()
    assert list(body) == USER_KEYS
    assert (body["username"], body["hasPiRole"], body["hasSysAdminRole"]) == ("priya", True, False)
    assert isinstance(body["homeFolderId"], int)


def test_group_members_are_everyone_in_the_callers_groups_once(client: TestClient) -> None:
    mock = client.app.state.mock  # type: ignore[attr-defined]
    mock.groups.create(NewGroup("Second", [NewMember("priya", "PI"), NewMember("alice")]))
    members = client.get("/api/v1/userDetails/groupMembers", headers=as_user("alice")).json()
    assert sorted(m["username"] for m in members) == ["alice", "bob", "priya"]
    assert all(list(m) == USER_KEYS for m in members)


def test_user_search_needs_three_characters(client: TestClient) -> None:
    for query in (None, "", "ab", "  ab  "):
        params = {} if query is None else {"query": query}
        response = client.get("/api/v1/userDetails/search", params=params, headers=as_user("bob"))
        assert_api_error(response, 422, 42201, "Search term must be at least 3 characters")


def test_user_search_shows_strangers_without_their_private_details(client: TestClient) -> None:
    add_user(client, "zoe", first_name="Zoe", last_name="Okafor-Smith")
    found = client.get(
        "/api/v1/userDetails/search", params={"query": "OKAF"}, headers=as_user("alice")
    ).json()
    assert [u["username"] for u in found] == ["bob", "zoe"]  # by last name
    bob, zoe = found
    assert bob["email"] == "bob.okafor@lab.example.org" and bob["homeFolderId"]
    assert list(zoe) == USER_KEYS
    assert (zoe["email"], zoe["homeFolderId"], zoe["hasPiRole"], zoe["hasSysAdminRole"]) == (
        None,
        None,
        None,
        None,
    )
    assert zoe["firstName"] == "Zoe"


def test_a_form_shared_with_the_owners_groups_is_read_by_their_members(client: TestClient) -> None:
    alice = as_user("alice")
    made = client.post(
        "/api/v1/forms",
        json={"name": "Lab form", "fields": [{"name": "Notes", "type": "Text"}]},
        headers=alice,
    ).json()
    client.put(f"/api/v1/forms/{made['id']}/publish", headers=alice)
    outsider = add_user(client, "zoe")
    for headers in (as_user("bob"), outsider):
        refused = client.get(f"/api/v1/forms/{made['id']}", headers=headers)
        assert_api_error(refused, 401, 40101)
    assert client.put(f"/api/v1/forms/{made['id']}/share", headers=alice).status_code == 200
    assert client.get(f"/api/v1/forms/{made['id']}", headers=as_user("bob")).status_code == 200
    listed = client.get("/api/v1/forms", params={"scope": "all"}, headers=as_user("bob")).json()
    assert made["id"] in [f["id"] for f in listed["forms"]]
    document = client.post(
        "/api/v1/documents", json={"form": {"id": made["id"]}}, headers=as_user("bob")
    )
    assert document.status_code == 201, document.text
    assert_api_error(client.get(f"/api/v1/forms/{made['id']}", headers=outsider), 401, 40101)
