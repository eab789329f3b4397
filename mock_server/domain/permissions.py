"""Who may see and change what: RSpace's record permissions, written once for every resource.

RSpace keeps an access-control list per record and per user (``PermissionFactory``,
``RecordSharingManagerImpl``, ``PermissionUtils``); the fake derives the same answers from the
owner, the groups and the shares:

- the owner reads and edits their records; a sysadmin reads everyone's;
- a share (``RecordGroupSharing``) with a user, or with a group they are in, lets them read the
  document or notebook (and a notebook's entries), and edit it when the share says ``EDIT``;
- the PI of a lab group reads the work of its members who are not PIs, and so does a lab admin
  the PI gave "view all" to (``createDefaultPermissionsForGroupPI``: read, no write);
- only the owner renames, deletes or shares a record: an ``EDIT`` share grants no more than
  writing its content and tags.

Simplification: RSpace also lets the PI and lab admins of a group rename what is in the group's
shared folder (the folder's ACL); the fake leaves renaming to the owner.

A share or a membership that goes away takes its permission with it at once: nothing is cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import FOLDERS, GROUPS, SHARES, USERS
from .models import Document, Folder, Group, Share, Snippet, User
from .store import Store

READ = "READ"
EDIT = "EDIT"
LAB_GROUP = "LAB_GROUP"
#: ``RoleInGroup``.
PI = "PI"
LAB_ADMIN = "RS_LAB_ADMIN"
MEMBER = "DEFAULT"


@dataclass(frozen=True)
class Access:
    """What one user may do with one record."""

    read: bool
    edit: bool


NO_ACCESS = Access(False, False)
OWNER_ACCESS = Access(True, True)
READ_ONLY = Access(True, False)


class Permissions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.groups = store.collection(GROUPS)
        self.shares = store.collection(SHARES)
        self.folders = store.collection(FOLDERS)
        self.users = store.collection(USERS)

    # -- groups ------------------------------------------------------------------------------

    def groups_of(self, user_id: int) -> list[Group]:
        """The groups a user is a member of (any role), by id."""
        found = [g for g in self.groups.select() if g.member(user_id) is not None]
        return sorted(found, key=lambda g: g.id)

    def share_a_group(self, first_id: int, second_id: int) -> bool:
        return any(g.member(second_id) is not None for g in self.groups_of(first_id))

    def _overseen_groups(self, reader_id: int) -> list[Group]:
        """The lab groups whose members' work ``reader`` reads: those they are the PI of, or a
        lab admin with "view all" in."""
        found = []
        for group in self.groups_of(reader_id):
            reader = group.member(reader_id)
            if group.type != LAB_GROUP or reader is None:
                continue
            if reader.role == PI or (reader.role == LAB_ADMIN and reader.view_all):
                found.append(group)
        return found

    def oversees(self, reader_id: int, owner_id: int) -> bool:
        """Whether ``reader`` reads ``owner``'s work by their role in a lab group both are in:
        its PI, or a lab admin given "view all". A PI's own work (a user with the PI role) is
        private to them unless shared."""
        return owner_id in self.overseen(reader_id)

    def overseen(self, reader_id: int) -> list[int]:
        """Everyone whose work ``reader`` reads by their role (see :meth:`oversees`)."""
        ids = {i for g in self._overseen_groups(reader_id) for i in g.member_ids} - {reader_id}
        private = {i for i in ids if (u := self.users.get(i)) is None or u.has_pi_role}
        return sorted(ids - private)

    # -- shares ------------------------------------------------------------------------------

    def shares_reaching(self, user_id: int, item_id: int) -> list[Share]:
        """The shares of one item whose recipient is the user or a group the user is in."""
        shares = self.shares.select(item_id=item_id)
        if not shares:
            return []
        group_ids = {g.id for g in self.groups_of(user_id)}
        return [s for s in shares if _reaches(s, user_id, group_ids)]

    def shared_item_ids(self, user_id: int) -> dict[int, str]:
        """Every item shared with the user (directly or through a group) by someone else, with
        the best permission they have on it."""
        best: dict[int, str] = {}
        targets = [("USER", user_id)] + [("GROUP", g.id) for g in self.groups_of(user_id)]
        for target_type, target_id in targets:
            for share in self.shares.select(target_id=target_id):
                if share.target_type != target_type or share.owner_id == user_id:
                    continue
                if best.get(share.item_id) != EDIT:
                    best[share.item_id] = share.permission
        return best

    # -- records -----------------------------------------------------------------------------

    def of_document(self, user: User, document: Document) -> Access:
        """What ``user`` may do with a document: its own shares count, and those of the
        notebook it is an entry of."""
        if document.deleted:
            return NO_ACCESS
        if document.owner_id == user.id:
            return OWNER_ACCESS
        item_ids = [document.id]
        parent = self.folders.get(document.parent_folder_id)
        if parent is not None and parent.notebook and not parent.deleted:
            item_ids.append(parent.id)
        return self._by_shares_and_role(user, document.owner_id, item_ids)

    def of_notebook(self, user: User, notebook: Folder) -> Access:
        if notebook.deleted:
            return NO_ACCESS
        if notebook.owner_id == user.id:
            return OWNER_ACCESS
        return self._by_shares_and_role(user, notebook.owner_id, [notebook.id])

    def may_read_snippet(self, user: User, snippet: Snippet) -> bool:
        """The owner, a recipient of a share of it, or a sysadmin (no PI reads a snippet)."""
        if snippet.deleted:
            return False
        if snippet.owner_id == user.id or user.has_sysadmin_role:
            return True
        return bool(self.shares_reaching(user.id, snippet.id))

    def _by_shares_and_role(self, user: User, owner_id: int, item_ids: list[int]) -> Access:
        permissions = {s.permission for i in item_ids for s in self.shares_reaching(user.id, i)}
        if EDIT in permissions:
            return OWNER_ACCESS
        if permissions or user.has_sysadmin_role or self.oversees(user.id, owner_id):
            return READ_ONLY
        return NO_ACCESS


def _reaches(share: Share, user_id: int, group_ids: set[int]) -> bool:
    if share.target_type == "USER":
        return share.target_id == user_id
    return share.target_id in group_ids
