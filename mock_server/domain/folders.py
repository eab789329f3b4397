"""Folders and notebooks: the account's tree, ``/folders`` and where documents may go.

RSpace's rules (``FolderApiController``, ``FolderManagerImpl``, ``DefaultUserFolderCreator``,
``RecordDaoHibernate`` in rspace-web). Each account starts with a home folder holding
``Shared`` (``LabGroups``, ``CollaborationGroups``, ``IndividualShareItems``), ``Examples``, the
``Gallery`` with its media sections, and ``Templates``; ``Api Inbox`` is made the first time a
document is created without a folder. A record is *in the workspace* when no folder on its path
to the home folder is a system folder (the home folder aside): notebooks and documents may only
go there (or, for documents, into the Api Inbox).

Simplifications: one parent per folder (RSpace's group folders have several; there are no
groups yet); a ``parentFolderId`` that names no folder gets the 404 of ``GET /folders/{id}``
where rspace-web lets Hibernate's not-found error through as a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import Clock
from .activity import AuditTrail, record_data
from .bodies import json_object, long_value
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
from .kinds import DOCUMENTS, FOLDERS, MEDIA_FILES, SHARES, SNIPPETS, USERS
from .models import Document, Folder, MediaFile, Snippet, User
from .paging import check_sort, parse_paging, truncate_to_millis
from .permissions import Permissions
from .store import Store

GALLERY = "Gallery"
API_INBOX = "Api Inbox"
SHARED = "Shared"
TEMPLATES = "Templates"
EXAMPLES = "Examples"
#: The Gallery's sections, as an account gets them (``MediaUtils`` names), in creation order.
GALLERY_SECTIONS = (
    "Images",
    "Audios",
    "Videos",
    "Chemistry",
    "Documents",
    "Miscellaneous",
    "PdfDocuments",
    "Snippets",
)
SHARED_CHILDREN = ("LabGroups", "CollaborationGroups", "IndividualShareItems")
SNIPPETS_SHARED = "SNIPPETS_Shared"

DEFAULT_FOLDER_NAME = "Untitled Folder"
DEFAULT_NOTEBOOK_NAME = "Untitled Notebook"
MAX_NAME_LENGTH = 255

#: Folders RSpace gives the owner no CREATE_FOLDER permission in (``Shared`` and the snippet
#: share tree): creating a folder there is refused.
_NO_CREATE_FOLDER = frozenset({SHARED, *SHARED_CHILDREN, SNIPPETS_SHARED}) | {
    f"SNIPPETS_{name}" for name in SHARED_CHILDREN
}

TREE_TYPES = ("notebook", "folder", "document", "snippet")
#: How far up a folder's parents are followed (a tree deeper than this is not RSpace's).
MAX_TREE_DEPTH = 1000
#: The ``Shared`` folder a kind of group's shared folder is listed in.
_GROUP_SHARED_PARENT = {
    "LAB_GROUP": "LabGroups",
    "COLLABORATION_GROUP": "CollaborationGroups",
    "PROJECT_GROUP": "ProjectGroups",
}


def unauthorised(user: User) -> AuthenticationFailed:
    return AuthenticationFailed(
        f"Unauthorized attempt by {user.username} to open an unauthorised folder"
    )


def folder_not_found(folder_id: object) -> NotFound:
    return not_found("Folder", folder_id)


@dataclass(frozen=True)
class TreeItem:
    """One record of a folder listing: a folder, a notebook or a document."""

    id: int
    global_id: str
    name: str
    created: datetime
    last_modified: datetime
    #: ``FOLDER``, ``NOTEBOOK``, ``DOCUMENT`` or ``MEDIA`` (a Gallery file).
    type: str
    owner_id: int
    #: For folders only.
    system: bool | None = None
    shared: bool | None = None


@dataclass(frozen=True)
class TreeListing:
    folder: Folder
    total: int
    page_number: int
    page_size: int
    order_by: str
    items: list[TreeItem]


class FolderService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        permissions: Permissions | None = None,
        audit: AuditTrail | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.folders = store.collection(FOLDERS)
        #: Who may open another user's folders (groups' shared folders, shared notebooks).
        self.permissions = permissions or Permissions(store)
        #: Where deletions and moves are recorded.
        self.audit = audit or AuditTrail(store, clock)

    def now(self) -> datetime:
        return truncate_to_millis(self.clock.now())

    # -- the account's tree ----------------------------------------------------------------

    def create_account_folders(self, user: User) -> None:
        """What RSpace makes when an account is initialised (``initStandardFolderStructure``):
        each folder 2 ms after the one before, the last one now."""
        plan: list[tuple[str, str | None, str, bool, str | None]] = []
        # (name, parent name, types, in the Gallery, section)
        plan.append((SHARED, "home", "SYSTEM", False, None))
        plan += [(name, SHARED, "SYSTEM", False, None) for name in SHARED_CHILDREN]
        plan.append((EXAMPLES, "home", "SYSTEM", False, None))
        plan.append((GALLERY, "home", "SYSTEM:ROOT_MEDIA", True, None))
        for media in GALLERY_SECTIONS:
            plan.append((media, GALLERY, "SYSTEM", True, media))
            if media == "Images":
                plan.append(("Images/Examples", media, "SYSTEM", True, media))
            if media == "Snippets":
                plan.append((SNIPPETS_SHARED, media, "SYSTEM", True, media))
                plan += [
                    (f"SNIPPETS_{name}", SNIPPETS_SHARED, "SYSTEM", True, media)
                    for name in SHARED_CHILDREN
                ]
        plan.append((TEMPLATES, "home", "SYSTEM:TEMPLATE", False, None))
        now = self.now()
        step = timedelta(milliseconds=2)
        first = now - step * len(plan)
        with self.store.transaction():
            home = Folder(
                id=user.home_folder_id,
                owner_id=user.id,
                name=user.username[:MAX_NAME_LENGTH],
                parent_id=None,
                created=first,
                last_modified=first,
                system=True,
                types="ROOT",
            )
            self.folders.put(home)
            made: dict[str, Folder] = {"home": home}
            for index, (key, parent_key, types, gallery, section) in enumerate(plan, start=1):
                at = first + step * index
                folder = Folder(
                    id=self.store.next_id("record"),
                    owner_id=user.id,
                    name=key.rsplit("/", 1)[-1],
                    parent_id=made[parent_key if parent_key is not None else "home"].id,
                    created=at,
                    last_modified=at,
                    system=True,
                    types=types,
                    gallery=gallery,
                    media_type=section,
                )
                self.folders.insert(folder)
                made[key] = folder

    def api_inbox(self, user: User) -> Folder:
        """The home folder's ``Api Inbox``, made the first time it is needed."""
        with self.store.transaction():
            inbox = self.folders.get(user.api_inbox_folder_id)
            if inbox is None:
                now = self.now()
                inbox = Folder(
                    id=user.api_inbox_folder_id,
                    owner_id=user.id,
                    name=API_INBOX,
                    parent_id=user.home_folder_id,
                    created=now,
                    last_modified=now,
                    system=True,
                    types="SYSTEM:API_INBOX",
                )
                self.folders.put(inbox)
            return inbox

    def gallery_section(self, user: User, section: str) -> Folder:
        """The account's Gallery folder of one section (``Images``, ``Documents``, ...)."""
        home = self.folders.get(user.home_folder_id)
        gallery = next(
            (
                f
                for f in self.folders.select(parent_id=user.home_folder_id)
                if f.has_type("ROOT_MEDIA")
            ),
            None,
        )
        if home is None or gallery is None:
            raise ValueError(f"the account of {user.username} has no Gallery")
        for folder in self.folders.select(parent_id=gallery.id):
            if folder.system and folder.name == section:
                return folder
        raise ValueError(f"the Gallery of {user.username} has no {section} folder")

    def gallery_inbox(self, user: User, section: str) -> Folder:
        """A Gallery section's ``Api Inbox``, made the first time a file goes there."""
        with self.store.transaction():
            parent = self.gallery_section(user, section)
            for folder in self.folders.select(parent_id=parent.id):
                if folder.has_type("API_INBOX"):
                    return folder
            return self.make_system_folder(user, API_INBOX, parent, types="SYSTEM:API_INBOX")

    def shared_tree_folder(self, owner: User, name: str, *, snippets: bool) -> Folder:
        """The account's ``Shared/<name>`` (``LabGroups``, ``CollaborationGroups``,
        ``IndividualShareItems``, ``ProjectGroups``) or, with ``snippets``, the Gallery's
        ``Snippets/SNIPPETS_Shared/SNIPPETS_<name>``; made when missing, as RSpace makes
        ``ProjectGroups`` the first time it is needed."""
        with self.store.transaction():
            if snippets:
                top = next(
                    (
                        f
                        for f in self.folders.select(
                            parent_id=self.gallery_section(owner, "Snippets").id
                        )
                        if f.system and f.name == SNIPPETS_SHARED
                    ),
                    None,
                )
                wanted = f"SNIPPETS_{name}"
            else:
                top = next(
                    (
                        f
                        for f in self.folders.select(parent_id=owner.home_folder_id)
                        if f.system and f.name == SHARED
                    ),
                    None,
                )
                wanted = name
            if top is None:
                raise ValueError(f"the account of {owner.username} has no Shared folder")
            for folder in self.folders.select(parent_id=top.id):
                if folder.system and folder.name == wanted:
                    return folder
            return self.make_system_folder(owner, wanted, top, types="SYSTEM")

    def make_system_folder(self, owner: User, name: str, parent: Folder, *, types: str) -> Folder:
        """A folder RSpace makes for the account (a group's shared folder, a share folder)."""
        now = self.now()
        folder = Folder(
            id=self.store.next_id("record"),
            owner_id=owner.id,
            name=name[:MAX_NAME_LENGTH],
            parent_id=parent.id,
            created=now,
            last_modified=now,
            system=True,
            types=types,
            gallery=parent.gallery,
            media_type=parent.media_type,
        )
        self.folders.insert(folder)
        return folder

    # -- reading ---------------------------------------------------------------------------

    def get(self, user: User, folder_id: int) -> Folder:
        """``getFolderSafe``: 404 for no such folder, 401 for another's or a deleted one."""
        folder = self.folders.get(folder_id)
        if folder is None:
            raise folder_not_found(folder_id)
        self._check_open(user, folder)
        return folder

    def _check_open(self, user: User, folder: Folder) -> None:
        if folder.owner_id != user.id and not self.may_open(user, folder):
            raise unauthorised(user)
        if folder.deleted:
            raise AuthenticationFailed(
                f"Unauthorized attempt by {user.username} to open a deleted folder"
            )

    def may_open(self, user: User, folder: Folder) -> bool:
        """Whether a user who does not own the folder may read it: a sysadmin; the PI of the
        owner's lab; a member of a group the folder is in the shared folder of; one of the two
        users of a share folder; a recipient of a notebook."""
        permissions = self.permissions
        if user.has_sysadmin_role or permissions.oversees(user.id, folder.owner_id):
            return True
        if folder.notebook and permissions.of_notebook(user, folder).read:
            return True
        return self.in_shared_space(user, folder)

    def in_shared_space(self, user: User, folder: Folder) -> bool:
        """Whether the folder is, or is in, the shared folder of one of the user's groups or a
        share folder of theirs (where members may also make folders)."""
        groups = self.permissions.groups_of(user.id)
        group_roots = {g.shared_folder_id for g in groups} | {
            g.shared_snippet_folder_id for g in groups
        }
        current: Folder | None = folder
        for _ in range(MAX_TREE_DEPTH):
            if current is None:
                return False
            if current.id in group_roots:
                return True
            if current.has_type("INDIVIDUAL_SHARED_FOLDER_ROOT"):
                return _is_share_folder_of(current, user)
            current = self.parent_of(current)
        return False

    def parent_of(self, folder: Folder) -> Folder | None:
        return self.folders.get(folder.parent_id) if folder.parent_id is not None else None

    def path_to_root(self, user: User, folder: Folder, parent_id: int | None) -> list[Folder]:
        """The ancestors, nearest first, up to the home folder (or the Gallery, for a folder
        in the Gallery); ``parent_id`` must name the folder's parent."""
        if parent_id is not None:
            if parent_id != folder.parent_id:
                raise IllegalArgument(f"Folder {parent_id} is not a parent of {folder.id}")
            self.get(user, parent_id)
        path: list[Folder] = []
        current = folder
        while current.parent_id is not None:
            parent = self.folders.get(current.parent_id)
            if parent is None:
                break
            path.append(parent)
            if parent.has_type("ROOT_MEDIA"):  # a path in the Gallery ends at the Gallery
                break
            current = parent
        return path

    def in_workspace(self, folder: Folder) -> bool:
        """``BaseRecord.isInWorkspace``: no system folder but the home folder on the way up."""
        current: Folder | None = folder
        while current is not None:
            if current.system and not current.has_type("ROOT"):
                return False
            current = self.parent_of(current)
        return True

    # -- creating and deleting --------------------------------------------------------------

    def create(self, user: User, body: object) -> Folder:
        """``POST /folders``: a folder, or a notebook with ``notebook: true``."""
        request = _FolderRequest.from_body(body)
        errors: list[FieldError] = []
        if request.name is not None and len(request.name) > MAX_NAME_LENGTH:
            errors.append(
                FieldError(
                    "name",
                    request.name,
                    f"Name cannot be longer than {MAX_NAME_LENGTH} characters",
                    "apiFolder",
                )
            )
        if request.parent_folder_id is not None and request.parent_folder_id < 1:
            errors.append(
                FieldError(
                    "parentFolderId",
                    request.parent_folder_id,
                    "must be greater than or equal to 1",
                    "apiFolder",
                )
            )
        if errors:
            raise ValidationFailed(errors)
        with self.store.transaction():
            if request.parent_folder_id is None:
                target = self.get(user, user.home_folder_id)
            else:
                target = self.get(user, request.parent_folder_id)
            if target.notebook:
                raise _rejected("Notebooks and folders cannot be created inside notebooks.")
            if target.has_type("ROOT_MEDIA"):
                raise _rejected(
                    "You cannot create a top-level folder in the Gallery; create folder in one "
                    "of the sub-galleries, e.g. Images, Documents"
                )
            if request.notebook and not self.in_workspace(target):
                raise _rejected(
                    "You can only create a Notebook in the Workspace, not the Gallery folder tree"
                )
            # A group's members make folders in its shared folder (its ACL grants all of
            # them CREATE_FOLDER); a share folder grants neither of its users that.
            not_theirs = target.owner_id != user.id and not self.in_shared_space(user, target)
            if (
                not_theirs
                or target.has_type("INDIVIDUAL_SHARED_FOLDER_ROOT")
                or (target.system and target.name in _NO_CREATE_FOLDER)
            ):
                raise AuthenticationFailed(
                    f"Unauthorized attempt by {user.username} to create a folder in [{target.id}]"
                )
            name = (request.name or "").strip()[:MAX_NAME_LENGTH]
            if not name:
                name = DEFAULT_NOTEBOOK_NAME if request.notebook else DEFAULT_FOLDER_NAME
            now = self.now()
            folder = Folder(
                id=self.store.next_id("record"),
                owner_id=user.id,
                name=name,
                parent_id=target.id,
                created=now,
                last_modified=now,
                notebook=request.notebook,
                types="SHARED_FOLDER" if target.shared and not request.notebook else "",
                gallery=target.gallery,
                media_type=target.media_type,
            )
            self.folders.insert(folder)
            return folder

    def delete(self, user: User, folder_id: int) -> None:
        """``DELETE /folders/{id}``: a folder or notebook and, recursively, all it holds."""
        with self.store.transaction():
            folder = self.get(user, folder_id)
            if folder.owner_id != user.id:
                raise unauthorised(user)
            if folder.system:
                raise IllegalArgument("Cannot delete user home folder or a system folder")
            shares = self.store.collection(SHARES)
            documents = self.store.collection(DOCUMENTS)
            files = self.store.collection(MEDIA_FILES)
            pending = [folder]
            while pending:
                current = pending.pop()
                current.deleted = True
                self.folders.put(current)
                shares.delete_where(item_id=current.id)
                self.audit.record_change(user, "DELETE", current)
                for child in self.folders.select(parent_id=current.id):
                    if not child.deleted:
                        pending.append(child)
                for document in documents.select(parent_folder_id=current.id):
                    if not document.deleted:
                        document.deleted = True
                        documents.put(document)
                        shares.delete_where(item_id=document.id)
                        self.audit.record_change(user, "DELETE", document)
                for file in files.select(parent_folder_id=current.id):
                    if not file.deleted:
                        file.deleted = True
                        files.put(file)

    # -- moving -------------------------------------------------------------------------------

    def move(self, user: User, body: object) -> None:
        """``POST /documents/move``: a document, folder or notebook into another folder or
        notebook (``WorkspaceServiceImpl.moveRecords``), checks in RSpace's order."""
        request = _MoveRequest.from_body(body)
        with self.store.transaction():
            target = self.get(user, request.target_folder_id)
            if request.target_folder_id == request.source_folder_id:
                raise IllegalArgument(
                    f"Source and target folder are the same. Id: {request.source_folder_id}"
                )
            documents = self.store.collection(DOCUMENTS)
            document = documents.get(request.doc_id)
            folder = None if document is not None else self.folders.get(request.doc_id)
            item_owner = (
                document.owner_id
                if document is not None and not document.deleted
                else folder.owner_id
                if folder is not None and not folder.deleted
                else None
            )
            if item_owner is None:
                raise folder_not_found(request.doc_id)
            into_other = target.owner_id != user.id
            if (
                item_owner != user.id
                or into_other
                or (target.system and target.name in _NO_CREATE_FOLDER)
            ):
                raise AuthenticationFailed(
                    f"User: {user.id} does not have permission to move record with ID: "
                    f"{request.doc_id}"
                )
            if request.doc_id == request.target_folder_id:
                raise IllegalArgument(f"Attempt to move record with ID: {request.doc_id} to itself")
            current_parent = document.parent_folder_id if document else folder.parent_id  # type: ignore[union-attr]
            if current_parent == target.id:
                raise IllegalArgument(f"Record with ID: {request.doc_id} already in target folder")
            source = self.folders.get(current_parent) if current_parent is not None else None
            if document is not None:
                document.parent_folder_id = target.id
                document.grand_parent_id = (
                    target.parent_id if target.parent_id is not None else user.home_folder_id
                )
                documents.put(document)
                self._record_move(user, document, source, target)
                return
            assert folder is not None
            if folder.system or target.notebook or folder.gallery != target.gallery:
                raise IllegalArgument("Error performing move. ")
            ancestor: Folder | None = target
            while ancestor is not None:  # into itself or below itself
                if ancestor.id == folder.id:
                    raise IllegalArgument("Error performing move. ")
                ancestor = self.parent_of(ancestor)
            folder.parent_id = target.id
            self.folders.put(folder)
            self._record_move(user, folder, source, target)

    def _record_move(
        self, user: User, moved: Document | Folder, source: Folder | None, target: Folder
    ) -> None:
        """``MoveAuditEvent``: the record, and the folders it went from and to."""
        places = {
            "from": {"data": record_data(source)} if source is not None else None,
            "to": {"data": record_data(target)},
        }
        self.audit.record_change(user, "MOVE", moved, **places)

    # -- where a new document goes ------------------------------------------------------------

    def document_target(self, user: User, parent_folder_id: int | None) -> tuple[Folder, int]:
        """The folder or notebook a new document goes into, and its grandparent's id
        (``getApiUploadTargetFolder`` for the workspace)."""
        if parent_folder_id is None:
            return self.api_inbox(user), user.home_folder_id
        target = self.folders.get(parent_folder_id)
        if target is None or target.owner_id != user.id:
            raise unauthorised(user)
        is_inbox = target.has_type("API_INBOX")
        if not (is_inbox or self.in_workspace(target)):
            raise IllegalArgument(
                f"Workspace Target folder (id={target.id}) must be in the workspace, not in the "
                "Gallery, Templates or Shared folders"
            )
        if target.deleted:
            raise AuthenticationFailed(
                f"Unauthorized attempt by {user.username} to open a deleted folder"
            )
        grandparent = target.parent_id if target.parent_id is not None else user.home_folder_id
        return target, grandparent

    # -- listing ---------------------------------------------------------------------------

    def tree(
        self, user: User, folder_id: int | None, params: Mapping[str, str], types: list[str]
    ) -> TreeListing:
        """``GET /folders/tree[/{id}]``: a page of what a folder holds."""
        if folder_id is not None:
            folder = self.get(user, folder_id)  # the folder first, then the parameters
        errors: list[FieldError] = []
        page_number, page_size, order_by = parse_paging(params, errors)
        if errors:
            for error in errors:
                error.object_name = "documentApiPaginationCriteria"
            raise ValidationFailed(errors)
        # Spring binds "a,,b" and "" with the empty items dropped.
        wanted = [t for t in types if t != ""]
        if any(t not in TREE_TYPES for t in wanted):
            raise IllegalArgument(
                "typesToInclude terms must be one of: snippet, folder, document, and notebook"
            )
        check_sort(order_by)
        if folder_id is None:
            folder = self.get(user, user.home_folder_id)
        items = self._children(user, folder, set(wanted))
        field, direction = order_by.split(" ")
        items.sort(key=_tree_key(field), reverse=direction == "desc")
        start = page_number * page_size
        return TreeListing(
            folder=folder,
            total=len(items),
            page_number=page_number,
            page_size=page_size,
            order_by=order_by,
            items=items[start : start + page_size],
        )

    def _linked(self, viewer: User, folder: Folder) -> list[Folder]:
        """Folders RSpace links into another parent too, listed where the viewer sees them:
        their groups' shared folders in ``Shared/LabGroups`` (and the other group kinds), the
        PI's lab members' home folders there too, and their share folders in
        ``IndividualShareItems``."""
        if not (folder.system and folder.owner_id == viewer.id):
            return []
        parent = self.parent_of(folder)
        if parent is None or not parent.system or parent.name not in (SHARED, SNIPPETS_SHARED):
            return []
        snippets = parent.name == SNIPPETS_SHARED
        name = folder.name.removeprefix("SNIPPETS_") if snippets else folder.name
        linked: list[Folder] = []
        if name == "IndividualShareItems":
            for share_folder in self._share_folders_of(viewer):
                if share_folder.parent_id != folder.id and share_folder.gallery == snippets:
                    linked.append(share_folder)
            return linked
        kind = {v: k for k, v in _GROUP_SHARED_PARENT.items()}.get(name)
        if kind is None:
            return []
        for group in self.permissions.groups_of(viewer.id):
            if group.type != kind:
                continue
            folder_id = group.shared_snippet_folder_id if snippets else group.shared_folder_id
            shared = self.folders.get(folder_id)
            if shared is not None and shared.parent_id != folder.id:
                linked.append(shared)
        if kind == "LAB_GROUP" and not snippets:
            users = self.store.collection(USERS)
            for member_id in self.permissions.overseen(viewer.id):
                member = users.get(member_id)
                home = self.folders.get(member.home_folder_id) if member else None
                if home is not None:
                    linked.append(home)
        return linked

    def _share_folders_of(self, viewer: User) -> list[Folder]:
        """The ``<a>-<b>`` share folders the viewer is one of the two users of."""
        found: list[Folder] = []
        shares = self.store.collection(SHARES)
        for share in shares.select(target_id=viewer.id) + shares.select(owner_id=viewer.id):
            if share.target_type == "USER":
                shared = self.folders.get(share.folder_id)
                if shared is not None and shared not in found:
                    found.append(shared)
        return found

    def _shared_into(self, folder: Folder) -> list[TreeItem]:
        """The documents and notebooks shared into a folder (a group's, a share folder, or a
        folder or notebook below a group's)."""
        items: list[TreeItem] = []
        documents = self.store.collection(DOCUMENTS)
        seen: set[int] = set()
        for share in self.store.collection(SHARES).select(folder_id=folder.id):
            if share.item_id in seen:
                continue
            seen.add(share.item_id)
            document = documents.get(share.item_id)
            if document is not None:
                if not document.deleted:
                    items.append(_document_item(document))
                continue
            notebook = self.folders.get(share.item_id)
            if notebook is not None and not notebook.deleted:
                items.append(_folder_item(notebook))
                continue
            snippet = self.store.collection(SNIPPETS).get(share.item_id)
            if snippet is not None and not snippet.deleted:
                items.append(_snippet_item(snippet))
        return items

    def _children(self, viewer: User, folder: Folder, wanted: set[str]) -> list[TreeItem]:
        items: list[TreeItem] = []
        children = self.folders.select(parent_id=folder.id) + self._linked(viewer, folder)
        shared_in = self._shared_into(folder)
        for child in children:
            if child.deleted:
                continue
            item = _folder_item(child)
            if not wanted or item.type.lower() in wanted:
                items.append(item)
        for item in shared_in:
            if not wanted or item.type.lower() in wanted:
                items.append(item)
        if not wanted or "document" in wanted:
            for document in self.store.collection(DOCUMENTS).select(parent_folder_id=folder.id):
                if not document.deleted:
                    items.append(_document_item(document))
            # Files are listed with documents: "document" names both (``RecordTypeFilter``).
            for file in self.store.collection(MEDIA_FILES).select(parent_folder_id=folder.id):
                if not file.deleted:
                    items.append(_file_item(file))
        if not wanted or "snippet" in wanted:
            for snippet in self.store.collection(SNIPPETS).select(parent_folder_id=folder.id):
                if not snippet.deleted:
                    items.append(_snippet_item(snippet))
        return items


def _is_share_folder_of(folder: Folder, user: User) -> bool:
    """A ``<a>-<b>`` share folder (usernames may hold hyphens: any split will do)."""
    name = folder.name
    return any(user.username in (name[:i], name[i + 1 :]) for i, c in enumerate(name) if c == "-")


def _folder_item(folder: Folder) -> TreeItem:
    kind = "NOTEBOOK" if folder.notebook else "FOLDER"
    return TreeItem(
        id=folder.id,
        global_id=folder.global_id,
        name=folder.name,
        created=folder.created,
        last_modified=folder.last_modified,
        type=kind,
        owner_id=folder.owner_id,
        system=None if folder.notebook else folder.system,
        shared=None if folder.notebook else folder.shared,
    )


def _snippet_item(snippet: Snippet) -> TreeItem:
    return TreeItem(
        id=snippet.id,
        global_id=snippet.global_id,
        name=snippet.name,
        created=snippet.created,
        last_modified=snippet.last_modified,
        type="SNIPPET",
        owner_id=snippet.owner_id,
    )


def _document_item(document: Document) -> TreeItem:
    return TreeItem(
        id=document.id,
        global_id=document.global_id,
        name=document.name,
        created=document.created,
        last_modified=document.last_modified,
        type="DOCUMENT",
        owner_id=document.owner_id,
    )


def _file_item(file: MediaFile) -> TreeItem:
    return TreeItem(
        id=file.id,
        global_id=file.global_id,
        name=file.name,
        created=file.created,
        last_modified=file.last_modified,
        type="MEDIA",
        owner_id=file.owner_id,
    )


def _tree_key(field: str) -> Callable[[TreeItem], Any]:
    """RSpace's order for a listing's field, ties by id (as the database returns them)."""
    if field == "name":
        return lambda item: (item.name.lower(), item.id)
    if field == "created":
        return lambda item: (item.created, item.id)
    return lambda item: (item.last_modified, item.id)


def _is_iso_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _rejected(message: str) -> ValidationFailed:
    """A global error of the ``apiFolder`` binding (``errors.reject``): 400, 40002."""
    return ValidationFailed([FieldError(None, None, message, "apiFolder")])


@dataclass(frozen=True)
class _MoveRequest:
    """``MoveRequest``: primitive longs, so an absent or null id reads as 0."""

    doc_id: int
    source_folder_id: int
    target_folder_id: int

    @classmethod
    def from_body(cls, body: object) -> _MoveRequest:
        fields = json_object(body)
        ids = [
            long_value(fields.get(key), key) or 0
            for key in ("docId", "sourceFolderId", "targetFolderId", "currentGrandparentId")
        ]
        return cls(doc_id=ids[0], source_folder_id=ids[1], target_folder_id=ids[2])


@dataclass(frozen=True)
class _FolderRequest:
    """The keys of an ``ApiFolder`` body that RSpace reads; the others are ignored."""

    name: str | None
    notebook: bool
    parent_folder_id: int | None

    @classmethod
    def from_body(cls, body: object) -> _FolderRequest:
        body = json_object(body)
        name = body.get("name")
        if name is not None and not isinstance(name, (str, int, float, bool)):
            raise UnreadableBody("JSON parse error: name must be a string")
        if isinstance(name, bool):
            name = "true" if name else "false"
        elif isinstance(name, (int, float)):
            name = str(name)
        notebook = body.get("notebook", False)
        if isinstance(notebook, str) and notebook.lower() in ("true", "false"):
            notebook = notebook.lower() == "true"
        if notebook is None:
            notebook = False
        if not isinstance(notebook, bool):
            raise UnreadableBody("JSON parse error: notebook must be a boolean")
        for key in ("created", "lastModified"):
            # ``ISO8601DateTimeDeserialiser``: read, then ignored; one it cannot read is
            # Jackson's unreadable body.
            value = body.get(key)
            if value is not None and not _is_iso_datetime(value):
                raise UnreadableBody(f"JSON parse error: {key} is not an ISO-8601 date")
        parent = long_value(body.get("parentFolderId"), "parentFolderId")
        return cls(name=name, notebook=notebook, parent_folder_id=parent)


__all__ = ["ApiProblem", "FolderService", "TreeItem", "TreeListing"]
