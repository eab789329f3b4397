"""A property of RSpace's permission rules: whatever sequence of documents, shares, permission
changes, unshares, moves and deletes happens, what each user can read, edit and list is exactly
what the rules say.

The rules, as a model kept here (``RecordSharingManagerImpl``, ``PermissionFactory``,
``RecordManagerImpl.getViewableRecordsByRole``): the owner reads and edits; a share with a user,
or with a group they are in, lets them read the document (or every entry of a shared notebook)
and, with ``EDIT``, edit it; the PI of a lab group reads the work of its members who are not
PIs and edits none of it; only the owner shares (with their own groups, and with users they
share a group with) and deletes, and a deleted document is shared no more. ``GET /documents``
lists one's own, the lab's for a PI, and what is shared directly; ``filter=sharedWithMe`` only
the last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from tests.http_helpers import make_client

USERS = {
    "alice": "aliceApiKey000000000000000000001",
    "bob": "bobApiKey00000000000000000000002",
    "priya": "priyaApiKey000000000000000000005",
    "zoe": "zoeApiKey00000000000000000000009",
}
#: Walsh Lab: priya (PI), alice, bob. Side project (a collaboration group): bob, zoe, priya.
LAB = {"alice", "bob", "priya"}
COLLABORATION = {"bob", "zoe", "priya"}
FIXTURES: dict[str, Any] = {
    "users": [
        {"username": "alice", "password": "alice-password-1", "apiKey": USERS["alice"]},
        {"username": "bob", "password": "bob-password-2", "apiKey": USERS["bob"]},
        {
            "username": "priya",
            "password": "priya-password-5",
            "apiKey": USERS["priya"],
            "piRole": True,
        },
        {"username": "zoe", "password": "zoe-password-9", "apiKey": USERS["zoe"]},
    ],
    "groups": [
        {"name": "Walsh Lab", "pi": "priya", "members": ["alice", "bob"]},
        {
            "name": "Side project",
            "type": "COLLABORATION_GROUP",
            "pi": "priya",
            "members": ["bob", "zoe"],
        },
    ],
}
PERMISSIONS = st.sampled_from(["READ", "EDIT"])


@dataclass
class Doc:
    id: int
    owner: str
    #: The notebook it is an entry of, if any.
    notebook: int | None = None


@dataclass
class ModelShare:
    id: int
    item: int
    owner: str
    #: ``("GROUP", "Walsh Lab")`` or ``("USER", "bob")``.
    target: tuple[str, str]
    permission: str


@dataclass
class Model:
    docs: dict[int, Doc] = field(default_factory=dict)
    notebooks: dict[int, str] = field(default_factory=dict)
    shares: dict[int, ModelShare] = field(default_factory=dict)

    def groups_of(self, user: str) -> set[str]:
        return {name for name, members in GROUPS.items() if user in members}

    def reaches(self, share: ModelShare, user: str) -> bool:
        kind, name = share.target
        return name == user if kind == "USER" else name in self.groups_of(user)

    def permissions_on(self, user: str, item: int) -> set[str]:
        return {
            s.permission for s in self.shares.values() if s.item == item and self.reaches(s, user)
        }

    def access(self, user: str, doc: Doc) -> tuple[bool, bool]:
        if doc.owner == user:
            return True, True
        granted = self.permissions_on(user, doc.id)
        if doc.notebook is not None:
            granted |= self.permissions_on(user, doc.notebook)
        pi_reads = user == "priya" and doc.owner in LAB and doc.owner != "priya"
        return bool(granted) or pi_reads, "EDIT" in granted

    def shared_with(self, user: str) -> set[int]:
        return {
            s.item
            for s in self.shares.values()
            if s.item in self.docs and s.owner != user and self.reaches(s, user)
        }

    def listed(self, user: str) -> set[int]:
        own = {d.id for d in self.docs.values() if d.owner == user}
        lab = {d.id for d in self.docs.values() if user == "priya" and d.owner in LAB - {"priya"}}
        return own | lab | self.shared_with(user)

    def may_share_with(self, owner: str, target: tuple[str, str]) -> bool:
        kind, name = target
        if kind == "GROUP":
            return name in self.groups_of(owner)
        return any(name in GROUPS[g] for g in self.groups_of(owner))


GROUPS = {"Walsh Lab": LAB, "Side project": COLLABORATION}
TARGETS = st.sampled_from(
    [("GROUP", "Walsh Lab"), ("GROUP", "Side project")] + [("USER", u) for u in USERS]
)


class SharingMachine(RuleBasedStateMachine):
    documents = Bundle("documents")
    shares = Bundle("shares")

    def __init__(self) -> None:
        super().__init__()
        self.client = make_client(fixtures=None)
        self.model = Model()
        self.ids: dict[str, int] = {}
        self.group_ids: dict[str, int] = {}
        self.notebook_of: dict[str, int] = {}

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(
            method, f"/api/v1{path}", headers={"apiKey": USERS[user]}, **kwargs
        )
        assert response.status_code < 500, response.text
        return response

    @initialize()
    def load(self) -> None:
        mock = self.client.app.state.mock  # type: ignore[attr-defined]
        mock.reset(FIXTURES)
        for user in USERS:
            self.ids[user] = self.call(user, "GET", "/userDetails/whoami").json()["id"]
            made = self.call(user, "POST", "/folders", json={"name": "Book", "notebook": True})
            self.notebook_of[user] = made.json()["id"]
            self.model.notebooks[made.json()["id"]] = user
        for group in self.call("priya", "GET", "/groups").json():
            self.group_ids[group["name"]] = group["id"]

    def teardown(self) -> None:
        self.client.close()

    # -- documents ----------------------------------------------------------------------

    @rule(target=documents, owner=st.sampled_from(list(USERS)), in_notebook=st.booleans())
    def create(self, owner: str, in_notebook: bool) -> Any:
        body: dict[str, Any] = {"name": "doc"}
        if in_notebook:
            body["parentFolderId"] = self.notebook_of[owner]
        made = self.call(owner, "POST", "/documents", json=body)
        assert made.status_code == 201, made.text
        doc = Doc(made.json()["id"], owner, self.notebook_of[owner] if in_notebook else None)
        self.model.docs[doc.id] = doc
        return doc.id

    @rule(target=documents, document=consumes(documents), user=st.sampled_from(list(USERS)))
    def delete(self, document: int, user: str) -> Any:
        doc = self.model.docs[document]
        response = self.call(user, "DELETE", f"/documents/{document}")
        if user == doc.owner:
            assert response.status_code == 204
            del self.model.docs[document]
            self.model.shares = {k: s for k, s in self.model.shares.items() if s.item != document}
            return multiple()
        assert response.status_code == 404
        return multiple(document)

    @rule(document=documents, into_notebook=st.booleans())
    def move(self, document: int, into_notebook: bool) -> None:
        doc = self.model.docs.get(document)
        if doc is None:
            return
        owner = doc.owner
        home = self.call(owner, "GET", "/userDetails/whoami").json()["homeFolderId"]
        source = doc.notebook if doc.notebook is not None else self._parent(owner, document)
        target = self.notebook_of[owner] if into_notebook else home
        if source == target:
            return
        response = self.call(
            owner,
            "POST",
            "/documents/move",
            json={"docId": document, "sourceFolderId": source, "targetFolderId": target},
        )
        assert response.status_code in (200, 204), response.text
        doc.notebook = self.notebook_of[owner] if into_notebook else None

    def _parent(self, owner: str, document: int) -> int:
        found = self.call(owner, "GET", f"/documents/{document}").json()
        return int(found["parentFolderId"])

    @rule(document=documents, user=st.sampled_from(list(USERS)))
    def edit(self, document: int, user: str) -> None:
        doc = self.model.docs.get(document)
        if doc is None:
            return
        _, may_edit = self.model.access(user, doc)
        response = self.call(user, "PUT", f"/documents/{document}", json={"tags": "edited"})
        assert response.status_code == (
            200 if may_edit else 401 if self.model.access(user, doc)[0] else 404
        )

    # -- shares -------------------------------------------------------------------------

    @rule(
        target=shares,
        sharer=st.sampled_from(list(USERS)),
        document=documents,
        notebook=st.booleans(),
        recipient=TARGETS,
        permission=PERMISSIONS,
    )
    def share(
        self,
        sharer: str,
        document: int,
        notebook: bool,
        recipient: tuple[str, str],
        permission: str,
    ) -> Any:
        doc = self.model.docs.get(document)
        if doc is None:
            return multiple()
        item = self.notebook_of[doc.owner] if notebook else document
        kind, name = recipient
        target = {"id": self.group_ids[name] if kind == "GROUP" else self.ids[name]}
        target["permission"] = permission
        key = "groups" if kind == "GROUP" else "users"
        response = self.call(sharer, "POST", "/share", json={"itemsToShare": [item], key: [target]})
        allowed = sharer == doc.owner and self.model.may_share_with(sharer, recipient)
        if not allowed:
            assert response.status_code == 401, response.text
            return multiple()
        assert response.status_code == 201, response.text
        infos = response.json()["shareInfos"]
        already = any(s.item == item and s.target == recipient for s in self.model.shares.values())
        self_share = recipient == ("USER", sharer)
        if already or self_share:
            assert infos == []
            return multiple()
        [info] = infos
        share = ModelShare(info["id"], item, sharer, recipient, permission)
        self.model.shares[share.id] = share
        return share.id

    @rule(target=shares, share=consumes(shares), user=st.sampled_from(list(USERS)))
    def unshare(self, share: int, user: str) -> Any:
        known = self.model.shares.get(share)
        response = self.call(user, "DELETE", f"/share/{share}")
        if known is not None and known.owner == user:
            assert response.status_code == 204
            del self.model.shares[share]
            return multiple()
        assert response.status_code == 404
        return multiple(share) if known is not None else multiple()

    @rule(share=shares, permission=PERMISSIONS)
    def change_permission(self, share: int, permission: str) -> None:
        known = self.model.shares.get(share)
        if known is None:
            return
        response = self.call(
            known.owner, "PUT", "/share", json={"shareId": share, "permission": permission}
        )
        assert response.status_code == 204
        known.permission = permission

    # -- what everyone sees ---------------------------------------------------------------

    @invariant()
    def everyone_reads_what_the_rules_say(self) -> None:
        if not self.ids:
            return
        for user in USERS:
            for doc in self.model.docs.values():
                may_read, _ = self.model.access(user, doc)
                status = self.call(user, "GET", f"/documents/{doc.id}").status_code
                assert status == (200 if may_read else 404), (user, doc)

    @invariant()
    def everyone_lists_what_the_rules_say(self) -> None:
        if not self.ids:
            return
        for user in USERS:
            listed = self.call(user, "GET", "/documents", params={"pageSize": 100}).json()
            assert {d["id"] for d in listed["documents"]} == self.model.listed(user), user
            assert listed["totalHits"] == len(self.model.listed(user))
            shared = self.call(
                user, "GET", "/documents", params={"pageSize": 100, "filter": "sharedWithMe"}
            ).json()
            assert {d["id"] for d in shared["documents"]} == self.model.shared_with(user), user


SharingMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_what_each_user_sees_follows_rspaces_rules = SharingMachine.TestCase
