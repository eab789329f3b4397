"""The storage codec: every entity survives a trip through JSON text, equal and unshared."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.domain.models import (
    Document,
    Field,
    FileContent,
    Folder,
    Form,
    FormField,
    MediaFile,
    OAuthApp,
    SystemSwitches,
    TokenRow,
    User,
)
from mock_server.storage import codec

pytestmark = pytest.mark.own_engines

ENTITY_TYPES = [
    User,
    OAuthApp,
    TokenRow,
    Document,
    Field,
    Form,
    FormField,
    SystemSwitches,
    Folder,
    MediaFile,
    FileContent,
]


def values_of(hint: Any) -> st.SearchStrategy[Any]:
    """Any value of a type hint, datetimes aware in UTC (as the fake's clock gives them)."""
    if hint is datetime:
        return st.datetimes(timezones=st.just(timezone.utc))
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return st.none() | values_of(inner)
    origin = typing.get_origin(hint)
    if origin is list:
        return st.lists(values_of(args[0]), max_size=3)
    if origin is tuple:
        return st.lists(values_of(args[0]), max_size=3).map(tuple)
    if dataclasses.is_dataclass(hint):
        return entities_of(typing.cast(type, hint))
    if hint is float:  # the domain keeps finite numbers only (a form's bounds and defaults)
        return st.floats(allow_nan=False, allow_infinity=False)
    return st.from_type(hint)  # bool, int, str: any, lone surrogates included


def entities_of(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: values_of(hints[f.name]) for f in dataclasses.fields(cls)})


@pytest.mark.parametrize("cls", ENTITY_TYPES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_every_entity_round_trips_through_json_text(cls: type, data: st.DataObject) -> None:
    entity = data.draw(entities_of(cls))
    text = codec.dumps(entity)
    assert text.isascii()  # a lone surrogate stays an escape that any database accepts
    assert codec.loads(cls, text) == entity


@given(entities_of(Document))
def test_datetimes_are_utc_microseconds_and_come_back_aware(document: Document) -> None:
    data = json.loads(codec.dumps(document))
    assert data["created"] == codec.to_micros(document.created)
    decoded = codec.loads(Document, codec.dumps(document))
    assert decoded.created.tzinfo is not None and decoded.created == document.created


@given(entities_of(Document))
def test_a_copy_shares_no_mutable_part(document: Document) -> None:
    twin = codec.copier(Document)(document)
    assert twin == document and twin is not document
    assert twin.fields is not document.fields
    assert all(a is not b for a, b in zip(twin.fields, document.fields, strict=True))


def test_a_naive_datetime_is_taken_as_utc() -> None:
    naive = datetime(2026, 9, 14, 8, 31, 2, 120_000)
    assert codec.from_micros(codec.to_micros(naive)) == naive.replace(tzinfo=timezone.utc)


def test_missing_attributes_take_their_defaults() -> None:
    row = codec.loads(
        TokenRow,
        '{"client_id":"c","user_id":1,"refresh_token_hash":"r",'
        '"access_token_hash":null,"expiry":null}',
    )
    assert row.scope == "all"
