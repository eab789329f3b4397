"""The kinds of entity the fake stores, declared once for every engine (see ``store.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .document_query import search_text
from .models import Document, Folder, OAuthApp, TokenRow, User
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


def _name_folded(document: Document) -> str:
    # Python's str.lower(), as ``document_query.sort_key`` orders names (SQL's lower() folds
    # ASCII only, so the folded name is a stored value, not an SQL expression).
    return document.name.lower()


def _created(document: Document) -> datetime:
    return document.created


def _last_modified(document: Document) -> datetime:
    return document.last_modified


def _live(document: Document) -> bool:
    return not document.deleted


#: Documents are listed per owner, live ones only, in RSpace's three orders, then by id.
DOCUMENTS: Kind[Document] = Kind(
    name="document",
    type=Document,
    key=("id",),
    #: ``form_id``: form search terms (``document_query.term_condition``); ``parent_folder_id``:
    #: a folder's contents.
    lookups=("form_id", "parent_folder_id"),
    partition="owner_id",
    orders=(
        Order("name", _name_folded, str),
        Order("created", _created, datetime),
        Order("lastModified", _last_modified, datetime),
    ),
    listed=_live,
    text=SearchText(
        columns=("name", "tag_list", "fields", "everything", "created_day", "last_modified_day"),
        values=search_text,
    ),
)

#: Folders and notebooks, found by owner and by parent (a folder's contents).
FOLDERS: Kind[Folder] = Kind(
    name="folder",
    type=Folder,
    key=("id",),
    lookups=("owner_id", "parent_id"),
)

ALL_KINDS: tuple[Kind[Any], ...] = (USERS, APPS, TOKENS, DOCUMENTS, FOLDERS)
