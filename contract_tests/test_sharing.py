"""Groups and sharing between two users who share a group (``/api/v1/share``,
``/api/v1/groups``): who reads and who may save a shared document. On a real RSpace the two
users (``RSPACE_USERNAME``/``_2`` with their API keys) must be members of one group; the
documents made here are deleted at the end, and their shares with them."""

from __future__ import annotations

from typing import Any

import pytest

from .clauses import expect
from .helpers import DOCUMENTS, api_key, create_document, require_api_key_users, require_writable
from .shapes import check_error, json_body
from .target import Target, UserCredentials

SHARE = "/api/v1/share"
NOT_PERMITTED = (
    "No permissions to share items with group  - ensure that the sharer is the owner of the "
    "items to be shared. Only Notebooks and Documents can be shared."
)


def _common_group(target: Target, owner: UserCredentials, other: UserCredentials) -> dict[str, Any]:
    groups = target.get("/api/v1/groups", headers=api_key(owner))
    for group in json_body(groups, "SHARE-GROUP-1"):
        if other.username in [m["username"] for m in group["members"]]:
            return dict(group)
    pytest.skip(f"{owner.username} and {other.username} share no group")


def _shared_document(
    target: Target, clause: str, permission: str = "READ"
) -> tuple[UserCredentials, UserCredentials, int, int]:
    require_writable(target, "creates and shares a document")
    owner, other = require_api_key_users(target, 2)[:2]
    group = _common_group(target, owner, other)
    made = create_document(
        target, owner, {"name": target.run_tag + "shared", "fields": [{"content": "<p>v1</p>"}]}
    )
    document = int(json_body(made, clause)["id"])
    shared = target.post(
        SHARE,
        json={
            "itemsToShare": [document],
            "groups": [{"id": group["id"], "permission": permission}],
        },
        headers=api_key(owner),
    )
    expect(shared.status_code == 201, clause, f"POST /share gave {shared.status_code}")
    infos = json_body(shared, clause)["shareInfos"]
    expect(len(infos) == 1, clause, f"POST /share reported {len(infos)} shares, not 1")
    return owner, other, document, int(infos[0]["id"])


def _shared_with_me(target: Target, user: UserCredentials, clause: str) -> list[int]:
    listed = target.get(
        DOCUMENTS, params={"filter": "sharedWithMe", "pageSize": 100}, headers=api_key(user)
    )
    return [int(d["id"]) for d in json_body(listed, clause)["documents"]]


@pytest.mark.clause("SHARE-GROUP-1")
def test_a_group_share_is_read_until_unshared(target: Target) -> None:
    owner, other, document, share = _shared_document(target, "SHARE-GROUP-1")
    read = target.get(f"{DOCUMENTS}/{document}", headers=api_key(other))
    expect(read.status_code == 200, "SHARE-GROUP-1", f"the recipient's GET gave {read.status_code}")
    expect(
        document in _shared_with_me(target, other, "SHARE-GROUP-1"),
        "SHARE-GROUP-1",
        "the shared document is not in the recipient's sharedWithMe listing",
    )
    unshared = target.delete(f"{SHARE}/{share}", headers=api_key(owner))
    expect(
        unshared.status_code == 204, "SHARE-GROUP-1", f"DELETE /share gave {unshared.status_code}"
    )
    gone = target.get(f"{DOCUMENTS}/{document}", headers=api_key(other))
    check_error(gone, "SHARE-GROUP-1", 404, 50301)
    expect(
        document not in _shared_with_me(target, other, "SHARE-GROUP-1"),
        "SHARE-GROUP-1",
        "an unshared document is still in the recipient's sharedWithMe listing",
    )


@pytest.mark.clause("SHARE-READONLY-1")
def test_a_read_share_cannot_be_saved_until_made_edit(target: Target) -> None:
    owner, other, document, share = _shared_document(target, "SHARE-READONLY-1")
    saved = target.put(
        f"{DOCUMENTS}/{document}",
        json={"fields": [{"content": "<p>v2</p>"}]},
        headers=api_key(other),
    )
    check_error(
        saved,
        "SHARE-READONLY-1",
        401,
        40101,
        f"Unauthorised attempt by user {other.username} to save document [{document}]",
    )
    content = json_body(
        target.get(f"{DOCUMENTS}/{document}", headers=api_key(owner)), "SHARE-READONLY-1"
    )
    expect(
        "v1" in content["fields"][0]["content"],
        "SHARE-READONLY-1",
        "a refused save changed the content",
    )
    changed = target.put(
        SHARE, json={"shareId": share, "permission": "EDIT"}, headers=api_key(owner)
    )
    expect(changed.status_code == 204, "SHARE-READONLY-1", f"PUT /share gave {changed.status_code}")
    again = target.put(
        f"{DOCUMENTS}/{document}",
        json={"fields": [{"content": "<p>v2</p>"}]},
        headers=api_key(other),
    )
    expect(
        again.status_code == 200,
        "SHARE-READONLY-1",
        f"an EDIT recipient's save gave {again.status_code}",
    )


@pytest.mark.clause("SHARE-OWNER-1")
def test_only_the_owner_shares(target: Target) -> None:
    require_writable(target, "creates a document")
    owner, other = require_api_key_users(target, 2)[:2]
    group = _common_group(target, owner, other)
    made = create_document(target, owner, {"name": target.run_tag + "not yours"})
    document = int(json_body(made, "SHARE-OWNER-1")["id"])
    refused = target.post(
        SHARE,
        json={"itemsToShare": [document], "groups": [{"id": group["id"]}]},
        headers=api_key(other),
    )
    check_error(refused, "SHARE-OWNER-1", 401, 40101, NOT_PERMITTED)
