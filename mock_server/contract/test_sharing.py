"""Groups and sharing between two users who share a group (``/api/v1/share``,
``/api/v1/groups``): who reads and who may save a shared document. On a real RSpace the two
users (``RSPACE_USERNAME``/``_2`` with their API keys) must be members of one group; the
documents made here are deleted at the end, and their shares with them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from .clauses import expect
from .helpers import (
    DOCUMENTS,
    api_key,
    create_document,
    delete_document,
    require_api_key_users,
    require_writable,
)
from .plugin import TargetFactory
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


# -- the sharing machine ----------------------------------------------------------------------


@dataclass
class _Share:
    id: int
    document: int
    #: ``GROUP`` or ``USER``.
    kind: str
    permission: str


class SharingMachine(RuleBasedStateMachine):
    """Two users of one group make documents, share them with the group or with each other,
    change and revoke the shares and delete the documents; after every step each user reads,
    may save and lists as shared exactly what the model says. The model knows what a PI reads:
    on a real RSpace one of the two may be the other's PI."""

    def __init__(self, factory: TargetFactory) -> None:
        super().__init__()
        self.factory = factory
        self.target: Target = factory.new()
        self.users = self.target.credentials.api_key_users[:2]
        self.group: dict[str, Any] = {}
        self.ids: dict[str, int] = {}
        #: (reader, owner): the reader reads all the owner's work (their PI).
        self.reads_all: set[tuple[str, str]] = set()
        self.documents: dict[int, str] = {}
        self.shares: dict[int, _Share] = {}

    def _as(self, user: UserCredentials) -> dict[str, str]:
        return api_key(user)

    def _other(self, username: str) -> UserCredentials:
        return next(u for u in self.users if u.username != username)

    def _user(self, username: str) -> UserCredentials:
        return next(u for u in self.users if u.username == username)

    @initialize()
    def learn_the_group(self) -> None:
        first, second = self.users
        self.group = _common_group(self.target, first, second)
        pis: set[str] = set()
        for user in self.users:
            whoami = self.target.get("/api/v1/userDetails/whoami", headers=self._as(user))
            me = json_body(whoami, "SHARE-MODEL-1")
            self.ids[user.username] = int(me["id"])
            if me["hasPiRole"]:
                pis.add(user.username)
        roles = {m["username"]: m["role"] for m in self.group["members"]}
        if self.group["type"] == "LAB_GROUP":
            for reader in self.users:
                owner = self._other(reader.username)
                if roles.get(reader.username) == "PI" and owner.username not in pis:
                    self.reads_all.add((reader.username, owner.username))

    # -- the model -----------------------------------------------------------------------

    def _granted(self, reader: str, document: int) -> set[str]:
        owner = self.documents[document]
        return {
            s.permission for s in self.shares.values() if s.document == document and owner != reader
        }

    def _access(self, reader: str, document: int) -> tuple[bool, bool]:
        owner = self.documents[document]
        if owner == reader:
            return True, True
        granted = self._granted(reader, document)
        return bool(granted) or (reader, owner) in self.reads_all, "EDIT" in granted

    def _shared_with(self, reader: str) -> set[int]:
        return {
            s.document
            for s in self.shares.values()
            if self.documents.get(s.document) not in (None, reader)
        }

    # -- the steps -----------------------------------------------------------------------

    @rule(owner=st.integers(0, 1))
    def create(self, owner: int) -> None:
        user = self.users[owner]
        made = create_document(
            self.target,
            user,
            {"name": self.target.run_tag + "machine", "fields": [{"content": "<p>v1</p>"}]},
        )
        expect(made.status_code == 201, "SHARE-MODEL-1", f"POST /documents gave {made.status_code}")
        self.documents[int(json_body(made, "SHARE-MODEL-1")["id"])] = user.username

    @precondition(lambda self: bool(self.documents))
    @rule(
        data=st.data(),
        kind=st.sampled_from(["GROUP", "USER"]),
        permission=st.sampled_from(["READ", "EDIT"]),
    )
    def share(self, data: st.DataObject, kind: str, permission: str) -> None:
        if not self.documents:
            return
        document = data.draw(st.sampled_from(sorted(self.documents)))
        owner = self._user(self.documents[document])
        recipient = (
            {"groups": [{"id": self.group["id"], "permission": permission}]}
            if kind == "GROUP"
            else {
                "users": [
                    {"id": self.ids[self._other(owner.username).username], "permission": permission}
                ]
            }
        )
        response = self.target.post(
            SHARE, json={"itemsToShare": [document], **recipient}, headers=self._as(owner)
        )
        expect(
            response.status_code == 201, "SHARE-MODEL-1", f"POST /share gave {response.status_code}"
        )
        infos = json_body(response, "SHARE-MODEL-1")["shareInfos"]
        already = any(s.document == document and s.kind == kind for s in self.shares.values())
        expect(
            len(infos) == (0 if already else 1),
            "SHARE-MODEL-1",
            f"POST /share reported {len(infos)} shares (shared so before: {already})",
        )
        if infos:
            self.shares[int(infos[0]["id"])] = _Share(
                int(infos[0]["id"]), document, kind, permission
            )

    @precondition(lambda self: bool(self.shares))
    @rule(data=st.data())
    def change(self, data: st.DataObject) -> None:
        """Turn a share's permission round (READ to EDIT, EDIT to READ), then see the other user
        save as the new permission says."""
        if not self.shares:
            return
        share = self.shares[data.draw(st.sampled_from(sorted(self.shares)))]
        owner = self._user(self.documents[share.document])
        permission = "EDIT" if share.permission == "READ" else "READ"
        response = self.target.put(
            SHARE, json={"shareId": share.id, "permission": permission}, headers=self._as(owner)
        )
        expect(
            response.status_code == 204, "SHARE-MODEL-1", f"PUT /share gave {response.status_code}"
        )
        share.permission = permission
        self._check_save(self.users.index(self._other(owner.username)), share.document)

    @precondition(lambda self: bool(self.shares))
    @rule(data=st.data())
    def unshare(self, data: st.DataObject) -> None:
        if not self.shares:
            return
        share = self.shares.pop(data.draw(st.sampled_from(sorted(self.shares))))
        owner = self._user(self.documents[share.document])
        response = self.target.delete(f"{SHARE}/{share.id}", headers=self._as(owner))
        expect(
            response.status_code == 204,
            "SHARE-MODEL-1",
            f"DELETE /share gave {response.status_code}",
        )

    @precondition(lambda self: bool(self.documents))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        if not self.documents:
            return
        document = data.draw(st.sampled_from(sorted(self.documents)))
        owner = self._user(self.documents.pop(document))
        response = self.target.delete(f"{DOCUMENTS}/{document}", headers=self._as(owner))
        expect(
            response.status_code == 204,
            "SHARE-MODEL-1",
            f"DELETE /documents gave {response.status_code}",
        )
        self.target.forget_document(document)
        self.shares = {k: s for k, s in self.shares.items() if s.document != document}

    @precondition(lambda self: bool(self.documents))
    @rule(data=st.data(), reader=st.integers(0, 1))
    def save(self, data: st.DataObject, reader: int) -> None:
        if self.documents:
            self._check_save(reader, data.draw(st.sampled_from(sorted(self.documents))))

    def _check_save(self, reader: int, document: int) -> None:
        user = self.users[reader]
        may_read, may_save = self._access(user.username, document)
        response = self.target.put(
            f"{DOCUMENTS}/{document}",
            json={"fields": [{"content": "<p>saved</p>"}]},
            headers=self._as(user),
        )
        wanted = 200 if may_save else 401 if may_read else 404
        expect(
            response.status_code == wanted,
            "SHARE-MODEL-1",
            f"{user.username}'s save of {document} gave {response.status_code}, not {wanted}",
        )

    # -- what each user sees -------------------------------------------------------------

    @invariant()
    def each_reads_and_lists_what_the_rules_say(self) -> None:
        if not self.ids:
            return
        for user in self.users:
            for document in self.documents:
                may_read, _ = self._access(user.username, document)
                status = self.target.get(
                    f"{DOCUMENTS}/{document}", headers=self._as(user)
                ).status_code
                expect(
                    status == (200 if may_read else 404),
                    "SHARE-MODEL-1",
                    f"{user.username}'s GET of {document} gave {status}",
                )
            listed = set(_shared_with_me(self.target, user, "SHARE-MODEL-1")) & set(self.documents)
            expect(
                listed == self._shared_with(user.username),
                "SHARE-MODEL-1",
                f"{user.username}'s sharedWithMe holds {sorted(listed)}, "
                f"not {sorted(self._shared_with(user.username))}",
            )

    def teardown(self) -> None:
        if self.factory.fresh_each_time:
            self.target.close()
            return
        for document, owner in list(self.documents.items()):
            delete_document(self.target, self._user(owner), document)


@pytest.mark.real_port
@pytest.mark.clause("SHARE-MODEL-1")
def test_sharing_matches_model(target_factory: TargetFactory) -> None:
    probe = target_factory.new()
    require_writable(probe, "the sharing machine creates, shares and deletes documents")
    first, second = require_api_key_users(probe, 2)[:2]
    _common_group(probe, first, second)
    if target_factory.fresh_each_time:
        probe.close()
    target_factory.run_machine(lambda: SharingMachine(target_factory))
