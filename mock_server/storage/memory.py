"""The default store: plain dictionaries behind one re-entrant lock, and for searches an
in-memory SQLite table of the live documents (see :class:`~.sql_search.SearchTable`)."""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..domain.document_query import ORDER_FIELDS, DocumentQuery, sort_key
from ..domain.models import Document, OAuthApp, SystemSwitches, TokenRow, User
from .base import check_storable
from .sql_search import SearchTable

_FIRST_IDS = {"user": 1, "record": 100, "field": 1000}


def _copy_document(document: Document) -> Document:
    """A copy that shares nothing mutable (fields hold only immutable values), several times
    cheaper than ``copy.deepcopy``."""
    duplicate = copy.copy(document)
    duplicate.fields = [copy.copy(field) for field in document.fields]
    return duplicate


class MemoryStore:
    """In-memory state. Objects are copied in and out, so callers never share live state."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._sequences: dict[str, int] = dict(_FIRST_IDS)
            self._users: dict[int, User] = {}
            self._user_ids_by_name: dict[str, int] = {}
            self._user_ids_by_key_hash: dict[str, int] = {}
            self._apps: dict[str, OAuthApp] = {}
            self._tokens: dict[tuple[str, int], TokenRow] = {}
            self._token_keys_by_access: dict[str, tuple[str, int]] = {}
            self._token_keys_by_refresh: dict[str, tuple[str, int]] = {}
            self._documents: dict[int, Document] = {}
            self._document_ids_by_owner: dict[int, list[int]] = {}
            #: (owner id, order field) -> sorted sort keys of the owner's live documents
            self._sorted_keys: dict[tuple[int, str], list[tuple[Any, int]]] = {}
            #: The live documents again, for searches (a search in Python would hold the GIL).
            #: One it replaces closes once the last search still using it lets go of it.
            self._search_table = SearchTable(self._lock)
            self._switches = SystemSwitches()
            self._meta: dict[str, str] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            yield

    def next_id(self, kind: str) -> int:
        with self._lock:
            value = self._sequences.setdefault(kind, 1)
            self._sequences[kind] = value + 1
            return value

    # users
    def add_user(self, user: User) -> None:
        check_storable(user)
        with self._lock:
            if user.username in self._user_ids_by_name:
                raise ValueError(f"user {user.username!r} already exists")
            self._put_user(user)

    def save_user(self, user: User) -> None:
        check_storable(user)
        with self._lock:
            old = self._users.get(user.id)
            if old is not None:
                self._user_ids_by_name.pop(old.username, None)
                if old.api_key_hash:
                    self._user_ids_by_key_hash.pop(old.api_key_hash, None)
            self._put_user(user)

    def _put_user(self, user: User) -> None:
        self._users[user.id] = copy.copy(user)
        self._user_ids_by_name[user.username] = user.id
        if user.api_key_hash:
            self._user_ids_by_key_hash[user.api_key_hash] = user.id

    def get_user(self, user_id: int) -> User | None:
        with self._lock:
            user = self._users.get(user_id)
            return copy.copy(user) if user else None

    def find_user_by_username(self, username: str) -> User | None:
        with self._lock:
            user_id = self._user_ids_by_name.get(username)
            return self.get_user(user_id) if user_id is not None else None

    def find_user_by_api_key_hash(self, api_key_hash: str) -> User | None:
        with self._lock:
            user_id = self._user_ids_by_key_hash.get(api_key_hash)
            return self.get_user(user_id) if user_id is not None else None

    def list_users(self) -> list[User]:
        with self._lock:
            return [copy.copy(u) for u in self._users.values()]

    # OAuth apps
    def add_app(self, app: OAuthApp) -> None:
        check_storable(app)
        with self._lock:
            if app.client_id in self._apps:
                raise ValueError(f"client id {app.client_id!r} already exists")
            self._apps[app.client_id] = copy.copy(app)

    def get_app(self, client_id: str) -> OAuthApp | None:
        with self._lock:
            app = self._apps.get(client_id)
            return copy.copy(app) if app else None

    def delete_app(self, client_id: str) -> None:
        with self._lock:
            self._apps.pop(client_id, None)

    def list_apps(self) -> list[OAuthApp]:
        with self._lock:
            return [copy.copy(a) for a in self._apps.values()]

    # token rows
    def get_token_row(self, client_id: str, user_id: int) -> TokenRow | None:
        with self._lock:
            row = self._tokens.get((client_id, user_id))
            return copy.copy(row) if row else None

    def find_token_by_access_hash(self, access_token_hash: str) -> TokenRow | None:
        with self._lock:
            key = self._token_keys_by_access.get(access_token_hash)
            return self.get_token_row(*key) if key else None

    def find_token_by_refresh_hash(self, refresh_token_hash: str) -> TokenRow | None:
        with self._lock:
            key = self._token_keys_by_refresh.get(refresh_token_hash)
            return self.get_token_row(*key) if key else None

    def save_token_row(self, row: TokenRow) -> None:
        check_storable(row)
        with self._lock:
            key = (row.client_id, row.user_id)
            self._unindex_token(key)
            self._tokens[key] = copy.copy(row)
            if row.access_token_hash:
                self._token_keys_by_access[row.access_token_hash] = key
            self._token_keys_by_refresh[row.refresh_token_hash] = key

    def _unindex_token(self, key: tuple[str, int]) -> None:
        old = self._tokens.get(key)
        if old is None:
            return
        if old.access_token_hash:
            self._token_keys_by_access.pop(old.access_token_hash, None)
        self._token_keys_by_refresh.pop(old.refresh_token_hash, None)

    def delete_token_row(self, client_id: str, user_id: int) -> bool:
        with self._lock:
            key = (client_id, user_id)
            self._unindex_token(key)
            return self._tokens.pop(key, None) is not None

    def delete_tokens_for_client(self, client_id: str) -> int:
        with self._lock:
            keys = [k for k in self._tokens if k[0] == client_id]
            for key in keys:
                self._unindex_token(key)
                del self._tokens[key]
            return len(keys)

    def list_token_rows(self) -> list[TokenRow]:
        with self._lock:
            return [copy.copy(r) for r in self._tokens.values()]

    # documents
    def add_document(self, document: Document) -> None:
        check_storable(document)
        with self._lock:
            old = self._documents.get(document.id)
            if old is not None:
                self._unindex_document(old)
            stored = _copy_document(document)
            self._documents[document.id] = stored
            if old is None or old.owner_id != document.owner_id:
                self._document_ids_by_owner.setdefault(document.owner_id, []).append(document.id)
            self._index_document(stored)
            self._search_table.record(stored)

    def save_document(self, document: Document) -> None:
        check_storable(document)
        with self._lock:
            old = self._documents.get(document.id)
            if old is None:
                raise KeyError(document.id)
            self._unindex_document(old)
            stored = _copy_document(document)
            self._documents[document.id] = stored
            self._index_document(stored)
            self._search_table.record(stored)

    def get_document(self, document_id: int) -> Document | None:
        with self._lock:
            document = self._documents.get(document_id)
            return _copy_document(document) if document else None

    def query_documents(self, query: DocumentQuery) -> tuple[int, list[Document]]:
        if query.filter is not None:
            return 0, []  # the fake has no favourites and shares nothing (see DocumentQuery)
        with self._lock:
            if not query.terms:
                # A plain listing: slice the owner's sorted index, O(page) not O(n log n).
                keys = self._sorted_index(query.owner_id, query.order_field)
                total = len(keys)
                if query.ascending:
                    chosen = keys[query.offset : query.offset + query.page_size]
                else:
                    end = max(total - query.offset, 0)
                    chosen = keys[max(end - query.page_size, 0) : end][::-1]
                return total, [_copy_document(self._documents[k[-1]]) for k in chosen]
            table = self._search_table
        # A search may be long: it runs without the lock (see SearchTable).
        total, page = table.search(query, lambda: self._username_of(query.owner_id))
        return total, [_copy_document(d) for d in page]

    def _sorted_index(self, owner_id: int, order_field: str) -> list[tuple[Any, int]]:
        """Built on the first listing in that order (so a bulk load pays nothing), then kept
        up to date by every write."""
        keys = self._sorted_keys.get((owner_id, order_field))
        if keys is None:
            key = sort_key(order_field)
            owned = (self._documents[i] for i in self._document_ids_by_owner.get(owner_id, []))
            keys = sorted(key(d) for d in owned if d.owner_id == owner_id and not d.deleted)
            self._sorted_keys[(owner_id, order_field)] = keys
        return keys

    def _index_document(self, document: Document) -> None:
        if document.deleted:
            return
        for order_field in ORDER_FIELDS:
            keys = self._sorted_keys.get((document.owner_id, order_field))
            if keys is not None:
                bisect.insort(keys, sort_key(order_field)(document))

    def _unindex_document(self, document: Document) -> None:
        if document.deleted:
            return
        for order_field in ORDER_FIELDS:
            keys = self._sorted_keys.get((document.owner_id, order_field))
            if keys is None:
                continue
            position = bisect.bisect_left(keys, sort_key(order_field)(document))
            if position < len(keys) and keys[position][-1] == document.id:
                del keys[position]

    def _username_of(self, user_id: int) -> str:
        user = self._users.get(user_id)
        return user.username if user else ""

    # settings
    def get_switches(self) -> SystemSwitches:
        with self._lock:
            return copy.copy(self._switches)

    def save_switches(self, switches: SystemSwitches) -> None:
        with self._lock:
            self._switches = copy.copy(switches)

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        check_storable(key, value)
        with self._lock:
            self._meta[key] = value

    def close(self) -> None:
        self._search_table.close()
