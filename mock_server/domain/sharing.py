"""Sharing documents and notebooks with groups and users: ``/share``.

RSpace's rules (``ShareApiController``, ``ShareApiServiceImpl``, ``SharingHandlerImpl``,
``RecordSharingManagerImpl``, ``RecordGroupSharingDaoHibernateImpl``, ``DocumentSharesBuilder``
in rspace-web). Only an item's owner shares it, only with a group they are in or a user they
share a group with; a group share goes into the group's shared folder (or a folder or notebook
below it), a share with a user into the ``<sharer>-<recipient>`` folder of ``IndividualShareItems``.
Sharing with a recipient who has the item already does nothing. Who may then read or edit what
is in ``permissions.py``.

Simplifications, each where RSpace answers 500 (an unhandled exception) or rolls the request
back: an id that names no item, group or user fails as an item the caller may not share does
(the 401); an item is shared with all its recipients or none; a ``sharedFolderId`` that names no
folder shares into the group's folder, as one outside the group's folder does; a permission
update without a permission is a 400. The query of ``GET /share`` matches without regard to
case, as RSpace's database collation does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import Clock
from .activity import AuditTrail
from .bodies import json_object, long_value, string_value
from .errors import (
    ApiProblem,
    AuthenticationFailed,
    FieldError,
    IllegalArgument,
    NotFound,
    UnreadableBody,
    ValidationFailed,
    not_found,
)
from .folders import FolderService
from .kinds import DOCUMENTS, FOLDERS, GROUPS, SHARES, SNIPPETS, USERS
from .models import Document, Folder, Group, Share, Snippet, User
from .paging import parse_paging, truncate_to_millis
from .permissions import EDIT, READ, Permissions
from .request_params import conversion_error
from .store import Store
from .text import and_list, java_string_order

_SEARCH_CONFIG = "apiShareSearchConfig"
MAX_ITEMS = 255
MAX_SHARED_ITEM_IDS = 1000
#: How many folders a walk up the tree visits at most (a tree deeper than this is not RSpace's).
MAX_PLACES = 1000
_PERMISSION_PATTERN = "(READ|EDIT|read|edit)"
_PERMISSIONS = ("READ", "EDIT", "read", "edit")
INDIVIDUAL_SHARE_ITEMS = "IndividualShareItems"
SHARE_NOT_PERMITTED = (
    "No permissions to share items with group  - ensure that the sharer is the owner of the "
    "items to be shared. Only Notebooks and Documents can be shared."
)


def share_not_found(share_id: object) -> NotFound:
    return not_found("Share", share_id)


def record_not_found(record_id: object) -> NotFound:
    return not_found("Record", record_id)


class _CannotShare(Exception):
    """One item that could not be shared (``AuthorizationException`` in RSpace)."""


class _CannotShareInto(Exception):
    """``IllegalAddChildOperation``: the item cannot go into that folder or notebook."""


# -- the request bodies -----------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    #: ``USER`` or ``GROUP``.
    type: str
    id: int
    #: ``READ`` or ``EDIT``.
    permission: str
    #: A group share's folder (or notebook) in the group's shared folder.
    folder_id: int | None = None


@dataclass(frozen=True)
class ShareRequest:
    """``SharePost``: the items, then the groups and the users to share them with."""

    items: list[int | None]
    recipients: list[Recipient]

    @classmethod
    def from_body(cls, body: object) -> ShareRequest:
        fields = json_object(body)
        errors: list[FieldError] = []
        raw_items = fields.get("itemsToShare", [])
        items: list[int | None] = [
            long_value(v, "itemsToShare") for v in _list(raw_items, "itemsToShare")
        ]
        if raw_items is None or not 1 <= len(items) <= MAX_ITEMS:
            errors.append(
                FieldError(
                    "itemsToShare",
                    items if raw_items is not None else None,
                    "There must be at least 1 document or notebook to share",
                    "sharePost",
                )
            )
        recipients: list[Recipient] = []
        for key, kind in (("groups", "GROUP"), ("users", "USER")):
            for index, entry in enumerate(_list(fields.get(key), key)):
                if entry is None:
                    continue  # Spring's validation skips a null element; so does the fake
                if not isinstance(entry, dict):
                    raise UnreadableBody(f"JSON parse error: {key}[{index}] must be an object")
                recipient_id = long_value(entry.get("id"), f"{key}[{index}].id")
                permission = string_value(entry.get("permission"), f"{key}[{index}].permission")
                folder_id = (
                    long_value(entry.get("sharedFolderId"), f"{key}[{index}].sharedFolderId")
                    if kind == "GROUP"
                    else None
                )
                if recipient_id is None:
                    what = "group" if kind == "GROUP" else "user"
                    errors.append(
                        FieldError(
                            f"{key}[{index}].id",
                            None,
                            f"Must specify id of the {what}",
                            "sharePost",
                        )
                    )
                if permission is not None and permission not in _PERMISSIONS:
                    errors.append(
                        FieldError(
                            f"{key}[{index}].permission",
                            permission,
                            f'must match "{_PERMISSION_PATTERN}"',
                            "sharePost",
                        )
                    )
                if recipient_id is not None:
                    recipients.append(
                        Recipient(kind, recipient_id, _permission(permission), folder_id)
                    )
        if not fields.get("groups") and not fields.get("users"):
            errors.append(
                FieldError(
                    None,
                    None,
                    "At least one user ID or group ID must be provided in the 'users' or "
                    "'groups' list",
                    "sharePost",
                )
            )
        if errors:
            raise ValidationFailed(errors)
        return cls(items, recipients)


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableBody(f"JSON parse error: {what} must be an array")
    return value


def _permission(value: str | None) -> str:
    """A blank permission is read; ``edit`` in any case is edit (``convertPermissionString``)."""
    return EDIT if value is not None and value.strip().lower() == "edit" else READ


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedItem:
    """What a share is of: a document or a notebook."""

    id: int
    name: str
    owner_id: int
    notebook: bool
    snippet: bool = False


@dataclass(frozen=True)
class ShareListing:
    total: int
    page_number: int
    page_size: int
    order_by: str
    query: str | None
    shares: list[tuple[Share, SharedItem]]
    #: ``sharedItemIds`` was given: the answer has ``folderShares`` too.
    with_folder_shares: bool


@dataclass(frozen=True)
class ShareLocation:
    """One share as ``GET /share/document/{id}`` describes it."""

    share: Share
    sharer: User | None
    recipient_name: str
    parent_id: int | None
    grandparent_id: int | None
    path: str | None


@dataclass(frozen=True)
class DocumentShareReport:
    item: SharedItem
    notebook_shares: list[ShareLocation]
    direct_shares: list[ShareLocation]


# -- the service ------------------------------------------------------------------------------


class SharingService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        folders: FolderService,
        permissions: Permissions,
        audit: AuditTrail,
    ) -> None:
        self.store = store
        self.clock = clock
        self.folders = folders
        self.permissions = permissions
        self.audit = audit
        self.shares = store.collection(SHARES)

    def now(self) -> datetime:
        return truncate_to_millis(self.clock.now())

    def item(self, item_id: int) -> SharedItem | None:
        """The document or notebook an id names (not deleted), else ``None``."""
        document = self.store.collection(DOCUMENTS).get(item_id)
        if document is not None:
            if document.deleted:
                return None
            return SharedItem(document.id, document.name, document.owner_id, notebook=False)
        folder = self.store.collection(FOLDERS).get(item_id)
        if folder is not None and folder.notebook and not folder.deleted:
            return SharedItem(folder.id, folder.name, folder.owner_id, notebook=True)
        snippet = self.store.collection(SNIPPETS).get(item_id)
        if snippet is not None and not snippet.deleted:
            return SharedItem(snippet.id, snippet.name, snippet.owner_id, False, snippet=True)
        return None

    # -- POST /share ---------------------------------------------------------------------

    def share(self, user: User, body: object) -> list[tuple[Share, SharedItem]]:
        """Shares each item with each recipient; per item, the first share made (RSpace
        reports one). An item none can be made for is left out; when no item could be
        shared, RSpace's 401 (or 422 for a notebook the item cannot go into)."""
        request = ShareRequest.from_body(body)
        made: list[tuple[Share, SharedItem]] = []
        refused: list[Exception] = []
        with self.store.transaction():
            for item_id in request.items:
                try:
                    item = self._shareable(user, item_id)
                    plan = [self._place(user, item, r) for r in request.recipients]
                except (_CannotShare, _CannotShareInto) as exc:
                    refused.append(exc)
                    continue
                first: Share | None = None
                shared_with: list[dict[str, Any]] = []
                given: set[tuple[str, int]] = set()
                for recipient, folder_id in plan:
                    target = (recipient.type, recipient.id)
                    if folder_id is None or target in given:
                        continue  # already shared with them (before, or earlier in this body)
                    given.add(target)
                    share = Share(
                        id=self.store.next_id("share"),
                        item_id=item.id,
                        owner_id=user.id,
                        target_type=recipient.type,
                        target_id=recipient.id,
                        permission=recipient.permission,
                        created=self.now(),
                        folder_id=folder_id,
                    )
                    self.shares.insert(share)
                    first = first or share
                    shared_with.append(_config_element(recipient, folder_id))
                if first is not None:
                    made.append((first, item))
                    record = self._record(item)
                    if record is not None:
                        self.audit.record_change(user, "SHARE", record, sharing=shared_with)
            if refused and not made:
                into = [e for e in refused if isinstance(e, _CannotShareInto)]
                if into:
                    raise IllegalArgument("Problem sharing: " + and_list([str(e) for e in into]))
                raise AuthenticationFailed(SHARE_NOT_PERMITTED)
            return made

    def _shareable(self, user: User, item_id: int | None) -> SharedItem:
        if item_id is None:
            raise _CannotShare("no item")
        item = self.item(item_id)
        if item is None:
            folder = self.store.collection(FOLDERS).get(item_id)
            if folder is not None and not folder.notebook:
                raise _CannotShare(f"Cannot share folder: {folder.name}.")
            raise _CannotShare(f"no document or notebook {item_id}")
        if item.owner_id != user.id:
            raise _CannotShare(f"Only document owner can share {item.name}")
        return item

    def _place(
        self, user: User, item: SharedItem, recipient: Recipient
    ) -> tuple[Recipient, int | None]:
        """Where the item goes for this recipient (``None``: it is theirs already)."""
        if recipient.type == "GROUP":
            group = self.store.collection(GROUPS).get(recipient.id)
            if group is None or group.member(user.id) is None:
                raise _CannotShare(f"Unauthorized attempt by [{user.username}] to share with group")
            if self._already_shared(item, recipient):
                return recipient, None
            return recipient, self._group_target(user, item, group, recipient.folder_id)
        other = self.store.collection(USERS).get(recipient.id)
        if other is None or not self.permissions.share_a_group(user.id, other.id):
            raise _CannotShare(f"Unauthorized attempt by [{user.username}] to share with user")
        if other.id == user.id or self._already_shared(item, recipient):
            return recipient, None
        return recipient, self._individual_folder(user, other, snippets=item.snippet).id

    def _already_shared(self, item: SharedItem, recipient: Recipient) -> bool:
        return any(
            s.target_type == recipient.type and s.target_id == recipient.id
            for s in self.shares.select(item_id=item.id)
        )

    def _group_target(
        self, user: User, item: SharedItem, group: Group, folder_id: int | None
    ) -> int:
        """``getGroupShareTargetFolder``: the folder asked for when it is in the group's
        folder, else the group's folder; a notebook there must be editable and not the item
        owner's own."""
        root = group.shared_snippet_folder_id if item.snippet else group.shared_folder_id
        if folder_id is None or folder_id == root:
            return root
        folders = self.store.collection(FOLDERS)
        target = folders.get(folder_id)
        if target is None or not self._below(target, root):
            return root
        if target.notebook:
            if not self.permissions.of_notebook(user, target).edit:
                raise _CannotShare(f"{user.username} made unauthorised attempt to share a record")
            if target.owner_id == item.owner_id:
                raise _CannotShareInto(f"can't share document with id {item.id} into own notebook")
        return target.id

    def _below(self, folder: Folder, ancestor_id: int) -> bool:
        """Whether the folder is the ancestor or in it: by its parents, or by a share that put
        it (or a folder above it) there."""
        folders = self.store.collection(FOLDERS)
        pending = [folder.id]
        seen: set[int] = set()
        while pending and len(seen) < MAX_PLACES:
            current_id = pending.pop()
            if current_id == ancestor_id:
                return True
            if current_id in seen:
                continue
            seen.add(current_id)
            current = folders.get(current_id)
            if current is not None and current.parent_id is not None:
                pending.append(current.parent_id)
            pending.extend(s.folder_id for s in self.shares.select(item_id=current_id))
        return False

    def _individual_folder(self, sharer: User, recipient: User, *, snippets: bool) -> Folder:
        """The ``<a>-<b>`` folder (usernames in order) the two users share items in, made the
        first time one shares with the other."""
        parent = self.folders.shared_tree_folder(sharer, INDIVIDUAL_SHARE_ITEMS, snippets=snippets)
        other = self.folders.shared_tree_folder(
            recipient, INDIVIDUAL_SHARE_ITEMS, snippets=snippets
        )
        name = "-".join(sorted((sharer.username, recipient.username), key=java_string_order))
        for place in (parent, other):
            for folder in self.store.collection(FOLDERS).select(parent_id=place.id):
                if folder.name == name and folder.has_type("INDIVIDUAL_SHARED_FOLDER_ROOT"):
                    return folder
        return self.folders.make_system_folder(
            sharer, name, parent, types="SYSTEM:INDIVIDUAL_SHARED_FOLDER_ROOT"
        )

    # -- GET /share ----------------------------------------------------------------------

    def listing(self, user: User, params: Mapping[str, str], item_ids: list[str]) -> ShareListing:
        """The shares of the caller's items (``listSharedRecordsForUser``)."""
        errors: list[FieldError] = []
        page_number, page_size, order_by = parse_paging(params, errors)
        wanted: list[int] = []
        for raw in item_ids:
            for part in raw.split(","):
                if part.strip() == "":
                    continue
                try:
                    wanted.append(int(part.strip()))
                except ValueError:
                    errors.append(
                        conversion_error("sharedItemIds", raw, "java.util.List", _SEARCH_CONFIG)
                    )
                    break
        if len(wanted) > MAX_SHARED_ITEM_IDS:
            errors.append(
                FieldError(
                    "sharedItemIds",
                    wanted,
                    f"Maximum number of ids in sharedItemIds is {MAX_SHARED_ITEM_IDS}.",
                    "apiShareSearchConfig",
                )
            )
        if errors:
            raise ValidationFailed(errors)
        query = params.get("query") or None
        rows: list[tuple[Share, SharedItem]] = []
        for share in self.shares.select(owner_id=user.id):
            if wanted and share.item_id not in wanted:
                continue
            item = self.item(share.item_id)
            if item is None:
                continue
            if query is not None and not self._matches(share, item, query):
                continue
            rows.append((share, item))
        field, direction = order_by.split()
        if field == "created":
            rows.sort(key=lambda row: (row[0].created, row[0].id))
        else:  # RSpace orders by the item's name for anything else
            rows.sort(key=lambda row: (java_string_order(row[1].name.lower()), row[0].id))
        if direction == "desc":
            rows.reverse()
        start = page_number * page_size
        return ShareListing(
            total=len(rows),
            page_number=page_number,
            page_size=page_size,
            order_by=order_by,
            query=query,
            shares=rows[start : start + page_size],
            with_folder_shares=bool(wanted),
        )

    def _matches(self, share: Share, item: SharedItem, query: str) -> bool:
        """The item's name, the recipient's names or the owner's, or the item's global id."""
        if query in (f"SD{item.id}", f"NB{item.id}"):
            return True
        texts = [item.name]
        owner = self.store.collection(USERS).get(item.owner_id)
        if owner is not None:
            texts += [owner.username, owner.first_name, owner.last_name, _full_name(owner)]
        if share.target_type == "USER":
            recipient = self.store.collection(USERS).get(share.target_id)
            if recipient is not None:
                texts += [recipient.username, _full_name(recipient)]
        else:
            group = self.store.collection(GROUPS).get(share.target_id)
            if group is not None:
                texts += [group.name, group.unique_name]
        wanted = query.lower()
        return any(wanted in text.lower() for text in texts)

    # -- PUT and DELETE /share -----------------------------------------------------------

    def _own_share(self, user: User, share_id: int) -> Share:
        share = self.shares.get(share_id)
        if share is None:
            raise share_not_found(share_id)
        item = self.item(share.item_id)
        if item is None or item.owner_id != user.id:
            raise share_not_found(share_id)
        return share

    def update(self, user: User, body: object) -> Share:
        """``PUT /share``: a share's permission."""
        fields = json_object(body)
        share_id = long_value(fields.get("shareId"), "shareId") or 0
        permission = string_value(fields.get("permission"), "permission")
        if permission is not None and permission not in _PERMISSIONS:
            raise ValidationFailed(
                [
                    FieldError(
                        "permission",
                        permission,
                        f'must match "{_PERMISSION_PATTERN}"',
                        "sharePermissionUpdate",
                    )
                ]
            )
        with self.store.transaction():
            share = self._own_share(user, share_id)
            if permission is None:
                raise ValidationFailed(
                    [FieldError("permission", None, "must not be null", "sharePermissionUpdate")]
                )
            share.permission = permission.upper()
            self.shares.put(share)
            return share

    def delete(self, user: User, share_id: int) -> None:
        """``DELETE /share/{id}``: the recipients lose the item at once."""
        with self.store.transaction():
            share = self._own_share(user, share_id)
            self.shares.delete(share.id)
            self.audit.record(user, "GROUP", "UNSHARE", self._unshare_data(share))

    def _record(self, item: SharedItem) -> Document | Folder | Snippet | None:
        if item.snippet:
            return self.store.collection(SNIPPETS).get(item.id)
        if item.notebook:
            return self.store.collection(FOLDERS).get(item.id)
        return self.store.collection(DOCUMENTS).get(item.id)

    def _unshare_data(self, share: Share) -> dict[str, Any]:
        """What RSpace records of an unshare: the share (``RecordGroupSharing``)."""
        record = self._record(self.item(share.item_id) or SharedItem(0, "", 0, False))
        if share.target_type == "GROUP":
            group = self.store.collection(GROUPS).get(share.target_id)
            sharee = {
                "oid": f"GP{share.target_id}",
                "uniqueName": group.unique_name if group else "",
            }
        else:
            user = self.store.collection(USERS).get(share.target_id)
            sharee = {"oid": f"US{share.target_id}", "uniqueName": user.username if user else ""}
        folder = self.store.collection(FOLDERS).get(share.folder_id)
        return {
            "id": share.id,
            "sharedRecordId": {"globalIdentifier": record.global_id if record else None},
            "sharee": sharee,
            "targetFolderId": {"globalIdentifier": folder.global_id}
            if folder is not None and folder.notebook
            else None,
        }

    def forget_item(self, item_id: int) -> None:
        """A deleted item is shared with no one any more."""
        self.shares.delete_where(item_id=item_id)

    # -- GET /share/document/{id} --------------------------------------------------------

    def of_document(self, user: User, record_id: int) -> DocumentShareReport:
        """The shares of one of the caller's documents or notebooks: its own and, for a
        notebook's entry, the notebook's."""
        item = self.item(record_id)
        if item is None or item.owner_id != user.id:
            raise record_not_found(record_id)
        direct = [
            self._location(s, item) for s in self._sorted(self.shares.select(item_id=item.id))
        ]
        implicit: list[ShareLocation] = []
        if not item.notebook:
            document = self.store.collection(DOCUMENTS).get(item.id)
            parent = (
                self.store.collection(FOLDERS).get(document.parent_folder_id)
                if document is not None
                else None
            )
            if parent is not None and parent.notebook:
                implicit = [
                    self._location(s, item, notebook=parent)
                    for s in self._sorted(self.shares.select(item_id=parent.id))
                ]
        return DocumentShareReport(item, implicit, direct)

    @staticmethod
    def _sorted(shares: list[Share]) -> list[Share]:
        return sorted(shares, key=lambda s: s.id)

    def _location(
        self, share: Share, item: SharedItem, notebook: Folder | None = None
    ) -> ShareLocation:
        users = self.store.collection(USERS)
        folders = self.store.collection(FOLDERS)
        sharer = users.get(share.owner_id)
        if share.target_type == "USER":
            recipient = users.get(share.target_id)
            recipient_name = _full_name(recipient) if recipient else ""
        else:
            group = self.store.collection(GROUPS).get(share.target_id)
            recipient_name = group.name if group else ""
        location = notebook if notebook is not None else folders.get(share.folder_id)
        # From the place up to the group's (or the two users') folder; a notebook's entry is
        # placed in the notebook, which the share placed.
        root_id = self._share_root(share)
        chain: list[Folder] = [notebook] if notebook is not None else []
        current = folders.get(share.folder_id)
        while current is not None and len(chain) < MAX_PLACES:
            chain.append(current)
            if current.id == root_id or current.parent_id is None:
                break
            current = folders.get(current.parent_id)
        chain.reverse()
        return ShareLocation(
            share=share,
            sharer=sharer,
            recipient_name=recipient_name,
            parent_id=location.id if location else None,
            grandparent_id=chain[-2].id if len(chain) >= 2 else None,
            path="/".join(f.name for f in chain) if chain else None,
        )

    def _share_root(self, share: Share) -> int:
        """The group's folder (or the two users' folder) a share's place is in."""
        if share.target_type == "GROUP":
            group = self.store.collection(GROUPS).get(share.target_id)
            if group is not None:
                item = self.item(share.item_id)
                if item is not None and item.snippet:
                    return group.shared_snippet_folder_id
                return group.shared_folder_id
        return share.folder_id


def _config_element(recipient: Recipient, folder_id: int | None) -> dict[str, Any]:
    """A ``ShareConfigElement`` as the audit trail records it."""
    group = recipient.type == "GROUP"
    return {
        "userId": None if group else recipient.id,
        "groupid": recipient.id if group else None,
        "groupFolderId": folder_id if group else None,
        "email": None,
        "externalGroupId": None,
        "operation": "write" if recipient.permission == EDIT else "read",
        "autoshare": False,
        "publicationSummary": None,
        "displayContactDetails": False,
        "publishOnInternet": False,
    }


def _full_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}"


__all__ = [
    "ApiProblem",
    "DocumentShareReport",
    "Document",
    "ShareListing",
    "SharingService",
]
