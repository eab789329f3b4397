"""Groups: lab groups (a PI and their lab), collaboration groups and project groups.

RSpace's rules (``GroupApiController``, ``GroupManagerImpl``, ``DefaultGroupCreationStrategy``,
``SysadminApiController.createGroup`` in rspace-web). A group gets a shared folder
``<name>_SHARED`` and a snippet folder ``<name>_SHARED_SNIPPETS``, owned by its creator (the PI
of a lab group) and found by every member under ``Shared/LabGroups`` (or
``CollaborationGroups``, ``ProjectGroups``) and ``Gallery/Snippets/SNIPPETS_Shared/...``.

Simplification: RSpace links a group's folder into every member's ``Shared`` tree (a folder
with several parents); the fake keeps it in its creator's and lists it in every member's (see
``FolderService.tree``). A group's unique name ends with four characters made from its id where
RSpace draws them at random, so that a run is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..clock import Clock
from .errors import IllegalArgument, NotFound
from .folders import FolderService
from .kinds import GROUPS, USERS
from .models import Folder, Group, GroupMember, User
from .permissions import LAB_ADMIN, LAB_GROUP, MEMBER, PI, Permissions
from .store import Store
from .text import java_string_order

GROUP_TYPES = ("LAB_GROUP", "COLLABORATION_GROUP", "PROJECT_GROUP")
GROUP_OWNER = "GROUP_OWNER"
#: ``RoleInGroup`` names, as a group body gives them.
ROLES_IN_GROUP = (MEMBER, LAB_ADMIN, PI, GROUP_OWNER)
#: How ``ApiUserGroupInfo`` reports a role, and where it sorts members.
_API_ROLE = {PI: "PI", LAB_ADMIN: "LAB_ADMIN", GROUP_OWNER: "GROUP_OWNER", MEMBER: "USER"}
_ROLE_RANK = {PI: 1, LAB_ADMIN: 2}
#: The ``Shared`` folder each type of group's folder is listed in.
SHARED_PARENT = {
    "LAB_GROUP": "LabGroups",
    "COLLABORATION_GROUP": "CollaborationGroups",
    "PROJECT_GROUP": "ProjectGroups",
}
MAX_MEMBERS = 20
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class NewMember:
    username: str
    #: ``DEFAULT``, ``RS_LAB_ADMIN``, ``PI`` or ``GROUP_OWNER``.
    role: str = MEMBER
    #: A lab admin's "view all" of the group's work.
    view_all: bool = False


@dataclass(frozen=True)
class NewGroup:
    name: str
    members: Sequence[NewMember]
    type: str = LAB_GROUP


def api_role(member: GroupMember) -> str:
    return _API_ROLE.get(member.role, "USER")


def unique_name_for(name: str, group_id: int) -> str:
    """``createAndSetUniqueGroupName``: the name's letters and digits and four more."""
    suffix = ""
    value = group_id
    for _ in range(4):
        value, digit = divmod(value, 36)
        suffix = _BASE36[digit] + suffix
    return (re.sub(r"[^A-Za-z0-9]", "", name) or "Group") + suffix


def group_not_found(group_id: object) -> NotFound:
    return NotFound(f"Group with id: {group_id} not found, or the user isn't a member.")


class GroupService:
    def __init__(
        self, store: Store, clock: Clock, folders: FolderService, permissions: Permissions
    ) -> None:
        self.store = store
        self.clock = clock
        self.folders = folders
        self.permissions = permissions
        self.groups = store.collection(GROUPS)

    # -- making ----------------------------------------------------------------------------

    def create(self, new: NewGroup, creator: User | None = None) -> Group:
        """A group as ``POST /sysadmin/groups`` checks and makes it (422s in its words); its
        folders belong to its PI (a project group's to ``creator``, its first owner else)."""
        name = new.name.strip() if isinstance(new.name, str) else ""
        if not name:
            raise IllegalArgument("Please provide a name for the group")
        if new.type not in GROUP_TYPES:
            raise IllegalArgument(
                f"[{new.type}] is not a group type. Please choose one of "
                f"[{', '.join(GROUP_TYPES)}]."
            )
        if not 1 <= len(new.members) <= MAX_MEMBERS:
            raise IllegalArgument(f"Group must contain between 1 and {MAX_MEMBERS} members")
        users = self.store.collection(USERS)
        with self.store.transaction():
            found: list[tuple[User, NewMember]] = []
            missing: list[str] = []
            for member in new.members:
                if member.role not in ROLES_IN_GROUP:
                    raise IllegalArgument(
                        f"[{member.role}] is not a role in a group. Please choose one of "
                        f"[{', '.join(ROLES_IN_GROUP)}]."
                    )
                user = users.find("username", member.username)
                if user is None:
                    missing.append(member.username)
                else:
                    found.append((user, member))
            if missing:
                raise IllegalArgument(
                    "Please create these users before creating a group: " + ", ".join(missing)
                )
            if len({u.id for u, _ in found}) != len(found):
                raise IllegalArgument("A user can be a member of a group only once")
            pis = [u for u, m in found if m.role == PI]
            if new.type == "PROJECT_GROUP":
                owners = [u for u, m in found if m.role == GROUP_OWNER]
                if not owners:
                    raise IllegalArgument("Project group should have at least 1 GROUP_OWNER.")
                owner = creator or owners[0]
            else:
                if len(pis) != 1:
                    raise IllegalArgument("Exactly one user must be the group's PI.")
                if not pis[0].has_pi_role:
                    raise IllegalArgument("PI does not have a PI role")
                owner = pis[0]
            group_id = self.store.next_id("group")
            members = [
                GroupMember(
                    user.id,
                    _role_in(new.type, member.role),
                    view_all=member.view_all and member.role == LAB_ADMIN,
                )
                for user, member in found
            ]
            group = Group(
                id=group_id,
                name=name,
                unique_name=unique_name_for(name, group_id),
                type=new.type,
                members=members,
            )
            shared = self._shared_parent(owner, SHARED_PARENT[new.type], snippets=False)
            snippets = self._shared_parent(owner, SHARED_PARENT[new.type], snippets=True)
            group.shared_folder_id = self._group_folder(owner, f"{name}_SHARED", shared).id
            group.shared_snippet_folder_id = self._group_folder(
                owner, f"{name}_SHARED_SNIPPETS", snippets
            ).id
            self.groups.insert(group)
            return group

    def _shared_parent(self, owner: User, name: str, *, snippets: bool) -> Folder:
        """The owner's ``Shared/<name>`` (or ``SNIPPETS_<name>``), made when missing (an account
        gets ``ProjectGroups`` the first time it is needed)."""
        return self.folders.shared_tree_folder(owner, name, snippets=snippets)

    def _group_folder(self, owner: User, name: str, parent: Folder) -> Folder:
        return self.folders.make_system_folder(
            owner, name, parent, types="SYSTEM:SHARED_GROUP_FOLDER_ROOT"
        )

    # -- reading ---------------------------------------------------------------------------

    def of_user(self, user: User) -> list[Group]:
        """``GET /groups``: the caller's groups, by name (Java's String order)."""
        return sorted(self.permissions.groups_of(user.id), key=lambda g: java_string_order(g.name))

    def get(self, user: User, group_id: int) -> Group:
        """``GET /groups/{id}``: a member's (or a sysadmin's) view; a 404 for anyone else."""
        group = self.groups.get(group_id)
        if group is None or not (user.has_sysadmin_role or group.member(user.id)):
            raise group_not_found(group_id)
        return group

    def search(self, query: str | None) -> list[Group]:
        """``GET /groups/search``: lab groups whose name holds the query, in any case (all of
        the system's lab groups, the caller's or not)."""
        wanted = (query or "")[:255].lower()
        found = [g for g in self.groups.select(type=LAB_GROUP) if wanted in g.name.lower()]
        return sorted(found, key=lambda g: g.id)

    def members_sorted(self, group: Group) -> list[tuple[User, GroupMember]]:
        """The members as ``ApiGroupInfo`` lists them: the PI, lab admins, then the rest, each
        by username."""
        users = self.store.collection(USERS)
        pairs = [(users.get(m.user_id), m) for m in group.members]
        present = [(u, m) for u, m in pairs if u is not None]
        return sorted(
            present,
            key=lambda pair: (
                _ROLE_RANK.get(pair[1].role, 10),
                java_string_order(pair[0].username),
            ),
        )

    def members_of_groups(self, user: User) -> list[User]:
        """``GET /userDetails/groupMembers``: everyone in the caller's groups (the caller too),
        each once, group by group and by username within a group."""
        users = self.store.collection(USERS)
        seen: dict[int, User] = {}
        for group in self.permissions.groups_of(user.id):
            members = [users.get(m.user_id) for m in group.members]
            for member in sorted(
                (m for m in members if m), key=lambda u: java_string_order(u.username)
            ):
                seen.setdefault(member.id, member)
        return list(seen.values())

    def connected(self, user: User) -> set[int]:
        """The caller and everyone in a group with them: who ``/userDetails/search`` shows in
        full."""
        ids = {user.id}
        for group in self.permissions.groups_of(user.id):
            ids.update(group.member_ids)
        return ids


def _role_in(group_type: str, role: str) -> str:
    """A lab or collaboration group has no group owners (they join as members)."""
    if group_type != "PROJECT_GROUP" and role == GROUP_OWNER:
        return MEMBER
    return role
