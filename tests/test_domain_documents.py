"""Documents rules on the pure domain: listing parameters, search, create, update, delete."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mock_server.clock import Clock
from mock_server.domain.directory import NewUser
from mock_server.domain.documents import parse_listing
from mock_server.domain.errors import (
    DocumentNotFound,
    IllegalArgument,
    UnreadableBody,
    ValidationFailed,
)
from mock_server.domain.kinds import DOCUMENTS
from mock_server.domain.models import User
from mock_server.runtime import MockRSpace, build_mock
from mock_server.settings import Settings


@pytest.fixture
def mock() -> MockRSpace:
    clock = Clock()
    clock.freeze(datetime(2026, 3, 1, tzinfo=timezone.utc))
    return build_mock(Settings(fixtures=None, random_seed=5), clock=clock)


@pytest.fixture
def alice(mock: MockRSpace) -> User:
    return mock.directory.create_user(NewUser("alice", "pw"))


def test_listing_defaults() -> None:
    listing = parse_listing({}, owner_id=1)
    assert (listing.query.page_number, listing.query.page_size) == (0, 20)
    assert listing.query.order_field == "lastModified" and not listing.query.ascending
    assert listing.query.terms == ()


def test_listing_collects_every_field_error() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_listing({"pageNumber": "-1", "pageSize": "500"}, owner_id=1)
    assert caught.value.errors == [
        "pageNumber: Page number must be 0 or greater.",
        "pageSize: Page size must be between 1 and 100.",
    ]
    assert caught.value.message == "Errors detected: 2"


def test_simple_query_is_a_global_term() -> None:
    listing = parse_listing({"query": "pcr"}, owner_id=1)
    assert [(t.query_type, t.query) for t in listing.query.terms] == [("global", "pcr")]


@pytest.mark.parametrize("text", ['{"terms": []}', "{}", '{"operator": "or"}'])
def test_an_advanced_query_without_terms_is_a_plain_listing(text: str) -> None:
    # DocumentsApiController lists the records (no search) when the query has no terms.
    assert parse_listing({"advancedQuery": text}, owner_id=1).query.terms == ()


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"terms": [{"query": "x", "queryType": "nope"}]}',
        '{"terms": [{"query": "x", "unknown": 1}]}',
        '{"operator": "AND", "terms": [{"query": "x"}]}',
        '{"operator": "xor", "terms": [{"query": "x"}]}',
        "not json",
    ],
)
def test_bad_advanced_query_is_illegal_argument(text: str) -> None:
    with pytest.raises(IllegalArgument):
        parse_listing({"advancedQuery": text}, owner_id=1)


def test_create_defaults(mock: MockRSpace, alice: User) -> None:
    document = mock.documents.create(alice, {})
    assert document.name == "Untitled document"
    assert document.global_id == f"SD{document.id}"
    assert document.parent_folder_id == alice.api_inbox_folder_id
    assert document.grand_parent_id == alice.home_folder_id
    assert [f.name for f in document.fields] == ["Data"]
    assert document.created == mock.clock.now()


def test_create_rejects_a_non_object_body(mock: MockRSpace, alice: User) -> None:
    with pytest.raises(UnreadableBody):
        mock.documents.create(alice, ["not", "an", "object"])


def test_update_bumps_version_and_last_modified(mock: MockRSpace, alice: User) -> None:
    document = mock.documents.create(alice, {"name": "a"})
    mock.clock.advance(60)
    updated = mock.documents.update(alice, document.id, {"fields": [{"content": "x"}]})
    assert updated.version == document.version + 1
    assert updated.last_modified > document.last_modified
    assert updated.fields[0].last_modified == updated.last_modified
    assert updated.name == "a"


def test_partial_field_update_needs_matching_ids(mock: MockRSpace, alice: User) -> None:
    document = mock.documents.create(alice, {})
    with pytest.raises(IllegalArgument, match="Provided fields don't match document fields"):
        mock.documents.update(alice, document.id, {"fields": [{}, {}]})


def test_delete_is_soft_and_hides_the_document(mock: MockRSpace, alice: User) -> None:
    document = mock.documents.create(alice, {})
    mock.documents.delete(alice, document.id)
    stored = mock.store.collection(DOCUMENTS).get(document.id)
    assert stored is not None and stored.deleted
    with pytest.raises(DocumentNotFound):
        mock.documents.get(alice, document.id)
    total, _ = mock.documents.search(parse_listing({}, alice.id))
    assert total == 0


def test_nobody_else_sees_a_document(mock: MockRSpace, alice: User) -> None:
    bob = mock.directory.create_user(NewUser("bob", "pw"))
    document = mock.documents.create(alice, {})
    with pytest.raises(DocumentNotFound):
        mock.documents.get(bob, document.id)
    with pytest.raises(DocumentNotFound):
        mock.documents.delete(bob, document.id)
    assert mock.documents.search(parse_listing({}, bob.id))[0] == 0


def test_sorting_breaks_ties_by_id(mock: MockRSpace, alice: User) -> None:
    ids = [mock.documents.create(alice, {"name": "same"}).id for _ in range(5)]
    _, page = mock.documents.search(parse_listing({"orderBy": "name asc"}, alice.id))
    assert [d.id for d in page] == ids
    _, page = mock.documents.search(parse_listing({"orderBy": "name desc"}, alice.id))
    assert [d.id for d in page] == ids[::-1]
