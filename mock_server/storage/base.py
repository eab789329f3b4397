"""The storage interface. The domain talks only to this; backends implement it."""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from typing import Protocol

from ..domain.document_query import DocumentQuery
from ..domain.models import Document, OAuthApp, SystemSwitches, TokenRow, User
from ..domain.text import is_unicode_text


class UnstorableText(ValueError):
    """A string no store may keep: it holds a lone surrogate, which no response could carry."""


#: Per entity class, the fields that can hold text (``str``, or a list of entities), found once.
_TEXT_FIELDS: dict[type, tuple[str, ...]] = {}


def _text_fields(kind: type) -> tuple[str, ...]:
    names = _TEXT_FIELDS.get(kind)
    if names is None:
        fields = dataclasses.fields(kind) if dataclasses.is_dataclass(kind) else ()
        # The annotations are strings ("str | None", "list[Field]"): postponed evaluation.
        names = tuple(f.name for f in fields if "str" in str(f.type) or "list" in str(f.type))
        _TEXT_FIELDS[kind] = names
    return names


def check_storable(*values: object) -> None:
    """Refuse strings that are not Unicode text, in plain values or in an entity's fields
    (and a document's ``fields``). The domain refuses them first; this makes sure no store
    keeps one whatever the caller, since every later response that includes it would fail."""
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not is_unicode_text(value):
                raise UnstorableText(f"not Unicode text (a lone surrogate): {value[:60]!r}")
        elif isinstance(value, list):
            pending.extend(value)
        else:
            pending.extend(getattr(value, name) for name in _text_fields(type(value)))


class Store(Protocol):
    """Everything the fake RSpace remembers.

    Every read-modify-write of the domain runs inside :meth:`transaction`, which makes it
    atomic against other threads (and, for a database backend, other processes).
    """

    def transaction(self) -> AbstractContextManager[None]: ...

    def next_id(self, kind: str) -> int:
        """The next id of a sequence (``user``, ``record``, ``field``)."""
        ...

    # users
    def add_user(self, user: User) -> None: ...
    def save_user(self, user: User) -> None: ...
    def get_user(self, user_id: int) -> User | None: ...
    def find_user_by_username(self, username: str) -> User | None: ...
    def find_user_by_api_key_hash(self, api_key_hash: str) -> User | None: ...
    def list_users(self) -> list[User]: ...

    # OAuth apps
    def add_app(self, app: OAuthApp) -> None: ...
    def get_app(self, client_id: str) -> OAuthApp | None: ...
    def delete_app(self, client_id: str) -> None: ...
    def list_apps(self) -> list[OAuthApp]: ...

    # token rows, one per (client id, user)
    def get_token_row(self, client_id: str, user_id: int) -> TokenRow | None: ...
    def find_token_by_access_hash(self, access_token_hash: str) -> TokenRow | None: ...
    def find_token_by_refresh_hash(self, refresh_token_hash: str) -> TokenRow | None: ...
    def save_token_row(self, row: TokenRow) -> None: ...
    def delete_token_row(self, client_id: str, user_id: int) -> bool: ...
    def delete_tokens_for_client(self, client_id: str) -> int: ...
    def list_token_rows(self) -> list[TokenRow]: ...

    # documents
    def add_document(self, document: Document) -> None: ...
    def save_document(self, document: Document) -> None: ...
    def get_document(self, document_id: int) -> Document | None: ...
    def query_documents(self, query: DocumentQuery) -> tuple[int, list[Document]]:
        """``(total hits, documents of the requested page)`` for a listing."""
        ...

    # system settings and small values (e.g. the JWT signing key)
    def get_switches(self) -> SystemSwitches: ...
    def save_switches(self, switches: SystemSwitches) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    def clear(self) -> None:
        """Forget everything (used to reset to fixtures)."""
        ...

    def close(self) -> None: ...
