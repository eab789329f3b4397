"""The kinds of entity the fake stores, declared once for every engine (see ``store.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .document_query import search_text
from .models import (
    AuditEvent,
    Document,
    ExportArchive,
    ExportJob,
    FileContent,
    Folder,
    Form,
    FormIcon,
    Group,
    InventoryContainer,
    InventorySample,
    InventorySubSample,
    LoginFailures,
    MediaFile,
    OAuthApp,
    Share,
    Snippet,
    TokenRow,
    User,
    WebSession,
)
from .store import Kind, Order, SearchText

#: The first value of each sequence: RSpace's ids of different kinds never look alike.
FIRST_IDS = {"user": 1, "record": 100, "field": 1000}

USERS: Kind[User] = Kind(
    name="user",
    type=User,
    key=("id",),
    unique=("username", "api_key_hash"),
)

APPS: Kind[OAuthApp] = Kind(
    name="oauth_app",
    type=OAuthApp,
    key=("client_id",),
    lookups=("owner_id",),
)

#: RSpace's ``OAuthToken`` rows: one per (client id, user).
TOKENS: Kind[TokenRow] = Kind(
    name="token",
    type=TokenRow,
    key=("client_id", "user_id"),
    unique=("access_token_hash", "refresh_token_hash"),
    lookups=("client_id",),
)


def _name_folded(record: Document | MediaFile) -> str:
    # Python's str.lower(), as ``document_query.sort_key`` orders names (SQL's lower() folds
    # ASCII only, so the folded name is a stored value, not an SQL expression).
    return record.name.lower()


def _created(record: Document | MediaFile) -> datetime:
    return record.created


def _last_modified(record: Document | MediaFile) -> datetime:
    return record.last_modified


#: RSpace's three listing orders (``orderBy``) of documents and of files, then by id.
_LISTING_ORDERS: tuple[Order[Any], ...] = (
    Order("name", _name_folded, str),
    Order("created", _created, datetime),
    Order("lastModified", _last_modified, datetime),
)


def _live(record: Document | MediaFile) -> bool:
    return not record.deleted


#: Documents are listed per owner, live ones only, in RSpace's three orders, then by id.
DOCUMENTS: Kind[Document] = Kind(
    name="document",
    type=Document,
    key=("id",),
    #: ``form_id``: form search terms (``document_query.term_condition``); ``parent_folder_id``:
    #: a folder's contents.
    lookups=("form_id", "parent_folder_id"),
    partition="owner_id",
    orders=_LISTING_ORDERS,
    listed=_live,
    text=SearchText(
        columns=("name", "tags", "content", "created", "last_modified"),
        values=search_text,
        version=2,
    ),
)

#: Folders and notebooks, found by owner and by parent (a folder's contents).
FOLDERS: Kind[Folder] = Kind(
    name="folder",
    type=Folder,
    key=("id",),
    lookups=("owner_id", "parent_id"),
)


#: Gallery files, listed per owner (``GET /files``) in RSpace's three orders, narrowed by their
#: ``api_type``; found by folder for a Gallery folder's listing.
MEDIA_FILES: Kind[MediaFile] = Kind(
    name="media_file",
    type=MediaFile,
    key=("id",),
    lookups=("parent_folder_id", "api_type"),
    partition="owner_id",
    orders=_LISTING_ORDERS,
    listed=_live,
)

#: The bytes of each version of each file, apart from the file so that listings never read them.
FILE_CONTENTS: Kind[FileContent] = Kind(
    name="file_content",
    type=FileContent,
    key=("file_id", "version"),
)

#: Forms, every version of each (found by ``stable_id``); their field definitions inside.
FORMS: Kind[Form] = Kind(
    name="form",
    type=Form,
    key=("id",),
    lookups=("stable_id", "owner_id"),
)

#: Forms' icons, apart from the forms so that listings never read them.
FORM_ICONS: Kind[FormIcon] = Kind(
    name="form_icon",
    type=FormIcon,
    key=("id",),
    lookups=("form_id",),
)

#: Lab, collaboration and project groups (members and their roles inside).
GROUPS: Kind[Group] = Kind(
    name="group",
    type=Group,
    key=("id",),
    unique=("unique_name",),
    lookups=("type",),
)

#: Shares of documents and notebooks, found by item, by sharer and by recipient.
SHARES: Kind[Share] = Kind(
    name="share",
    type=Share,
    key=("id",),
    lookups=("item_id", "owner_id", "target_id", "folder_id"),
)

#: Snippets, found by owner and by folder.
SNIPPETS: Kind[Snippet] = Kind(
    name="snippet",
    type=Snippet,
    key=("id",),
    lookups=("owner_id", "parent_folder_id"),
)

#: The audit trail, found by user.
AUDIT_EVENTS: Kind[AuditEvent] = Kind(
    name="audit_event",
    type=AuditEvent,
    key=("id",),
    lookups=("user_id",),
)

#: Export jobs, found by who started them; their zips apart, so that a job's reading does not
#: read its archive.
EXPORT_JOBS: Kind[ExportJob] = Kind(
    name="export_job",
    type=ExportJob,
    key=("id",),
    lookups=("user_id",),
)
EXPORT_ARCHIVES: Kind[ExportArchive] = Kind(
    name="export_archive",
    type=ExportArchive,
    key=("file_name",),
    lookups=("job_id",),
)

#: Signed-in browsers, found by user (sign-out everywhere, a sysadmin's lock).
WEB_SESSIONS: Kind[WebSession] = Kind(
    name="web_session",
    type=WebSession,
    key=("id_hash",),
    lookups=("user_id",),
)
#: Failed sign-ins, by username, for the lockout policy.
LOGIN_FAILURES: Kind[LoginFailures] = Kind(
    name="login_failures",
    type=LoginFailures,
    key=("username",),
)

#: Inventory: samples by owner, subsamples by sample and by where they are, containers (and
#: each user's workbench) by owner and type.
INVENTORY_SAMPLES: Kind[InventorySample] = Kind(
    name="inventory_sample",
    type=InventorySample,
    key=("id",),
    lookups=("owner_id",),
)
INVENTORY_SUBSAMPLES: Kind[InventorySubSample] = Kind(
    name="inventory_subsample",
    type=InventorySubSample,
    key=("id",),
    lookups=("sample_id", "container_id"),
)
INVENTORY_CONTAINERS: Kind[InventoryContainer] = Kind(
    name="inventory_container",
    type=InventoryContainer,
    key=("id",),
    lookups=("owner_id", "c_type"),
)

ALL_KINDS: tuple[Kind[Any], ...] = (
    USERS,
    APPS,
    TOKENS,
    DOCUMENTS,
    FOLDERS,
    MEDIA_FILES,
    FILE_CONTENTS,
    FORMS,
    FORM_ICONS,
    GROUPS,
    SHARES,
    SNIPPETS,
    AUDIT_EVENTS,
    EXPORT_JOBS,
    EXPORT_ARCHIVES,
    WEB_SESSIONS,
    LOGIN_FAILURES,
    INVENTORY_SAMPLES,
    INVENTORY_SUBSAMPLES,
    INVENTORY_CONTAINERS,
)
