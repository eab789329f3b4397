"""``/api/v1/activity`` over HTTP: what the audit trail records of each change, who sees whose
activity, the filters and every error row (``ActivityApiController``, ``AuditTrailImpl``); and
the SDK's ``get_activity`` (from PyPI) as its ``get_activity.py`` example calls it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from rspace_client.eln.eln import ELNClient
from starlette.testclient import TestClient

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, assert_api_error, make_client

SET_MISMATCH = (
    "Failed to convert property value of type java.lang.String[] to required type "
    "java.util.Set for property {}"
)
ACTIVITY_KEYS = ["username", "fullName", "domain", "action", "timestamp", "payload", "_links"]


def headers(user: str) -> dict[str, str]:
    return {"apiKey": API_KEYS[user]}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as made:
        yield made


def activity(client: TestClient, user: str = "alice", **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/activity", params=params, headers=headers(user))
    assert response.status_code == 200, response.text
    return dict(response.json())


def actions_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["domain"], a["action"]) for a in body["activities"]]


def test_a_documents_life_is_recorded_in_order(client: TestClient) -> None:
    made = client.post(
        "/api/v1/documents",
        json={"name": "Plan", "fields": [{"content": "v1"}]},
        headers=headers("alice"),
    ).json()
    oid = f"SD{made['id']}"
    client.put(
        f"/api/v1/documents/{made['id']}",
        json={"name": "Plan B", "tags": "t", "fields": [{"content": "v2"}]},
        headers=headers("alice"),
    )
    client.put(
        f"/api/v1/documents/{made['id']}", json={"tags": "only tags"}, headers=headers("alice")
    )
    client.delete(f"/api/v1/documents/{made['id']}", headers=headers("alice"))
    body = activity(client, oid=oid, orderBy="date asc")
    assert actions_of(body) == [
        ("RECORD", "CREATE"),
        ("RECORD", "WRITE"),
        ("RECORD", "RENAME"),
        ("RECORD", "WRITE"),
        ("RECORD", "DELETE"),
    ]
    first = body["activities"][0]
    assert list(first) == ACTIVITY_KEYS
    assert (first["username"], first["fullName"], first["_links"]) == ("alice", "Alice Moreau", [])
    assert first["payload"] == {
        "id": oid,
        "name": "Plan",
        "type": "NORMAL",
        "userVersion": {"version": "1"},
    }
    rename = body["activities"][2]["payload"]
    assert (rename["from"], rename["to"], rename["name"]) == ("Plan", "Plan B", "Plan B")
    assert list(rename) == sorted(rename)
    # Newest first by default.
    assert actions_of(activity(client, oid=oid))[0] == ("RECORD", "DELETE")


def test_shares_moves_and_folder_deletions_are_recorded(client: TestClient) -> None:
    alice = headers("alice")
    document = client.post("/api/v1/documents", json={"name": "Moved"}, headers=alice).json()
    folder = client.post("/api/v1/folders", json={"name": "Target"}, headers=alice).json()
    client.post(
        "/api/v1/documents/move",
        json={
            "docId": document["id"],
            "sourceFolderId": document["parentFolderId"],
            "targetFolderId": folder["id"],
        },
        headers=alice,
    )
    group = client.get("/api/v1/groups", headers=alice).json()[0]
    share = client.post(
        "/api/v1/share",
        json={"itemsToShare": [document["id"]], "groups": [{"id": group["id"]}]},
        headers=alice,
    ).json()["shareInfos"][0]
    client.delete(f"/api/v1/share/{share['id']}", headers=alice)
    client.delete(f"/api/v1/folders/{folder['id']}", headers=alice)
    body = activity(client, oid=f"SD{document['id']}", orderBy="date asc")
    assert actions_of(body) == [
        ("RECORD", "CREATE"),
        ("RECORD", "MOVE"),
        ("RECORD", "SHARE"),
        ("GROUP", "UNSHARE"),
        ("RECORD", "DELETE"),
    ]
    move = body["activities"][1]["payload"]
    assert move["to"] == {"data": {"id": f"FL{folder['id']}", "name": "Target", "type": "FOLDER"}}
    shared = body["activities"][2]["payload"]["sharing"][0]
    assert (shared["groupid"], shared["operation"]) == (group["id"], "read")
    unshare = body["activities"][3]["payload"]
    assert unshare["sharee"]["oid"] == f"GP{group['id']}"
    folder_events = activity(client, oid=f"FL{folder['id']}", domains="FOLDER")
    assert actions_of(folder_events) == [("FOLDER", "DELETE")]


def test_reads_folders_and_files_are_not_recorded_but_searches_are(client: TestClient) -> None:
    alice = headers("alice")
    before = activity(client)["totalHits"]
    folder = client.post("/api/v1/folders", json={"name": "Quiet"}, headers=alice).json()
    client.get(f"/api/v1/folders/{folder['id']}", headers=alice)
    after = activity(client)
    # The search before this one is there; this one is not among its own results.
    assert after["totalHits"] == before + 1
    assert actions_of(after)[0] == ("AUDIT", "SEARCH")
    assert after["activities"][0]["payload"] == {}


def test_each_sees_their_own_a_pi_their_labs_a_sysadmin_everyones(client: TestClient) -> None:
    client.post("/api/v1/documents", json={"name": "bob's"}, headers=headers("bob"))
    mine = activity(client, "alice", actions="CREATE")
    assert {a["username"] for a in mine["activities"]} == {"alice"}
    assert activity(client, "alice", usernames="bob")["totalHits"] == 0  # dropped silently
    lab = activity(client, "priya", actions="CREATE", pageSize=100)
    assert {a["username"] for a in lab["activities"]} == {"alice", "bob"}
    only_bob = activity(client, "priya", actions="CREATE", usernames="bob", pageSize=100)
    assert {a["username"] for a in only_bob["activities"]} == {"bob"}
    everyone = activity(client, "sysadmin1", actions="SEARCH", pageSize=100)
    assert {"alice", "priya"} <= {a["username"] for a in everyone["activities"]}


def test_filters_by_action_domain_and_date(client: TestClient) -> None:
    alice = headers("alice")
    client.post(
        "/api/v1/documents", json={"name": "x", "fields": [{"content": "c"}]}, headers=alice
    )
    writes = activity(client, actions="WRITE", domains="RECORD")
    assert {(a["domain"], a["action"]) for a in writes["activities"]} == {("RECORD", "WRITE")}
    both = activity(client, actions=["CREATE", "WRITE"], pageSize=100)
    assert {a["action"] for a in both["activities"]} == {"CREATE", "WRITE"}
    today = date.today()
    assert activity(client, dateFrom=(today + timedelta(days=2)).isoformat())["totalHits"] == 0
    assert activity(client, dateTo=(today - timedelta(days=2)).isoformat())["totalHits"] == 0
    todays = activity(
        client, dateFrom=today.isoformat(), dateTo=(today + timedelta(days=1)).isoformat()
    )
    assert todays["totalHits"] > 0


def test_a_search_looks_back_at_most_183_days_and_its_links_say_so(client: TestClient) -> None:
    body = activity(client, dateFrom="2000-01-01", dateTo="2026-06-30", pageSize=1)
    self_link = next(link["link"] for link in body["_links"] if link["rel"] == "self")
    assert "dateFrom=2025-12-29" in self_link and "dateTo=2026-06-30" in self_link
    assert "pageSize=1" in self_link


def test_paging_links(client: TestClient) -> None:
    alice = headers("alice")
    for index in range(3):
        client.post("/api/v1/documents", json={"name": f"d{index}"}, headers=alice)
    body = activity(client, actions="CREATE", pageSize=2, orderBy="date asc")
    assert body["pageNumber"] == 0 and len(body["activities"]) == 2
    rels = [link["rel"] for link in body["_links"]]
    assert rels[-1] == "self" and "next" in rels
    assert all("/api/v1/activity?" in link["link"] for link in body["_links"])


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"pageSize": "0"}, ["pageSize: Page size must be between 1 and 100."]),
        ({"pageNumber": "-1"}, ["pageNumber: Page number must be 0 or greater."]),
        ({"orderBy": "name asc"}, ['orderBy: must match "(date desc)|(date asc)"']),
        ({"orderBy": ""}, ['orderBy: must match "(date desc)|(date asc)"']),
        (
            {"actions": "COPY"},
            ["actions: " + SET_MISMATCH.format("actions")],
        ),
        (
            {"domains": "record"},
            ["domains: " + SET_MISMATCH.format("domains")],
        ),
        (
            {"dateFrom": "yesterday"},
            [
                "dateFrom: Failed to convert property value of type java.lang.String to required "
                "type java.util.Date for property dateFrom"
            ],
        ),
        (
            {"dateFrom": "2026-03-02", "dateTo": "2026-03-01"},
            ["dateFrom: Minimum date is later than maximum date."],
        ),
        ({"oid": "XX12"}, ["oid: XX12 is invalid."]),
        (
            {"oid": "sd12"},
            ['oid: must match "([A-Z][A-Z])(\\d+)(v(\\d+))?"', "oid: sd12 is invalid."],
        ),
    ],
)
def test_bad_search_parameters_are_a_400(
    client: TestClient, params: dict[str, str], errors: list[str]
) -> None:
    response = client.get("/api/v1/activity", params=params, headers=headers("alice"))
    assert_api_error(response, 400, 40002, f"Errors detected: {len(errors)}", errors)


def test_the_sdk_get_activity_example_flow(rspace_mock: RSpaceMockHandle) -> None:
    with ELNClient(rspace_mock.base_url, API_KEYS["alice"], max_retries=0) as client:
        made = client.create_document(name="Example", fields=[{"content": "text"}])
        recent = client.get_activity(
            date_from=date.today() - timedelta(days=7),
            domains=["RECORD"],
            actions=["CREATE", "WRITE"],
        )
        assert {a["action"] for a in recent["activities"]} == {"CREATE", "WRITE"}
        for_document = client.get_activity(global_id=made["globalId"])
        assert {a["payload"]["id"] for a in for_document["activities"]} == {made["globalId"]}
        assert [a["action"] for a in for_document["activities"]] == ["WRITE", "CREATE"]
