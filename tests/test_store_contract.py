"""The storage contract: every backend behaves like the reference in-memory store.

Each test runs against both :class:`MemoryStore` and :class:`SqliteStore`; the property tests
check that both answer any document listing with the total and the page that the reference
meaning of a query (``document_query.matches`` and ``sort_key``) gives, and the same documents.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.domain.document_query import (
    ORDER_FIELDS,
    DocumentQuery,
    SearchTerm,
    matches,
    sort_key,
)
from mock_server.domain.forms import form_by_id
from mock_server.domain.models import (
    Document,
    Field,
    OAuthApp,
    SystemSwitches,
    TokenRow,
    User,
)
from mock_server.storage import MemoryStore, Store
from mock_server.storage.base import UnstorableText
from mock_server.storage.sqlite import SqliteStore

T0 = datetime(2026, 9, 14, 8, 31, 2, 120_000, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def make_user(user_id: int, username: str, api_key_hash: str | None = None) -> User:
    return User(
        id=user_id,
        username=username,
        password_hash="00$11",
        email=f"{username}@lab.example.org",
        first_name=username.title(),
        last_name="Tester",
        api_key_hash=api_key_hash,
        home_folder_id=user_id * 10,
        api_inbox_folder_id=user_id * 10 + 1,
    )


def make_document(
    document_id: int,
    owner_id: int = 1,
    name: str = "Untitled document",
    created: datetime = T0,
    last_modified: datetime | None = None,
    tags: str | None = None,
    content: str = "<p>notes</p>",
    deleted: bool = False,
) -> Document:
    return Document(
        id=document_id,
        owner_id=owner_id,
        name=name,
        form_id=3,
        created=created,
        last_modified=last_modified or created,
        parent_folder_id=owner_id * 10 + 1,
        grand_parent_id=owner_id * 10,
        fields=[
            Field(
                id=document_id * 10,
                name="Data",
                type="text",
                content=content,
                last_modified=last_modified or created,
                column_index=0,
            )
        ],
        tags=tags,
        deleted=deleted,
    )


def listing(store: Store, **query: object) -> tuple[int, list[int]]:
    total, page = store.query_documents(DocumentQuery(**query))  # type: ignore[arg-type]
    return total, [d.id for d in page]


# sequences


def test_sequences_start_where_rspace_ids_start(store: Store) -> None:
    assert [store.next_id("user"), store.next_id("user")] == [1, 2]
    assert store.next_id("record") == 100
    assert store.next_id("field") == 1000


def test_unknown_sequence_starts_at_one(store: Store) -> None:
    assert [store.next_id("folder"), store.next_id("folder")] == [1, 2]


def test_ids_handed_out_in_a_transaction_are_not_handed_out_again(store: Store) -> None:
    with store.transaction():
        inside = [store.next_id("record") for _ in range(3)]
    assert inside == [100, 101, 102]
    assert store.next_id("record") == 103


def test_clear_inside_a_transaction_restarts_sequences(store: Store) -> None:
    with store.transaction():
        store.next_id("user")
        store.clear()
        assert store.next_id("user") == 1
    assert store.next_id("user") == 2


# users


def test_user_round_trips_every_attribute(store: Store) -> None:
    user = make_user(1, "alice", api_key_hash="ab" * 32)
    user.account_locked, user.api_access, user.has_pi_role = True, False, True
    store.add_user(user)
    assert store.get_user(1) == user
    assert store.find_user_by_username("alice") == user
    assert store.find_user_by_api_key_hash("ab" * 32) == user


def test_adding_an_existing_username_is_refused(store: Store) -> None:
    store.add_user(make_user(1, "alice"))
    with pytest.raises(ValueError):
        store.add_user(make_user(2, "alice"))


def test_users_are_copied_in_and_out(store: Store) -> None:
    user = make_user(1, "alice")
    store.add_user(user)
    user.email = "changed@example.org"
    fetched = store.get_user(1)
    assert fetched is not None and fetched.email == "alice@lab.example.org"
    fetched.account_locked = True
    assert store.get_user(1) == make_user(1, "alice")


def test_saving_a_user_moves_its_username_and_api_key_lookups(store: Store) -> None:
    store.add_user(make_user(1, "alice", api_key_hash="old"))
    store.save_user(make_user(1, "alicia", api_key_hash="new"))
    assert store.find_user_by_username("alice") is None
    assert store.find_user_by_api_key_hash("old") is None
    assert store.find_user_by_username("alicia") == make_user(1, "alicia", "new")
    assert store.find_user_by_api_key_hash("new") == make_user(1, "alicia", "new")


def test_revoking_an_api_key_removes_its_lookup(store: Store) -> None:
    store.add_user(make_user(1, "alice", api_key_hash="key"))
    store.save_user(make_user(1, "alice", api_key_hash=None))
    assert store.find_user_by_api_key_hash("key") is None


def test_unknown_users_are_none(store: Store) -> None:
    assert store.get_user(42) is None
    assert store.find_user_by_username("nobody") is None
    assert store.find_user_by_api_key_hash("nothing") is None


def test_list_users_returns_every_user(store: Store) -> None:
    for user_id, name in [(1, "alice"), (2, "bob"), (3, "carol")]:
        store.add_user(make_user(user_id, name))
    assert [u.username for u in store.list_users()] == ["alice", "bob", "carol"]


# OAuth apps


def test_apps_are_listed_in_the_order_they_were_added(store: Store) -> None:
    for client_id in ["ZZZ", "AAA", "MMM"]:
        store.add_app(OAuthApp(client_id, f"app {client_id}", 1, "f" * 64))
    assert [a.client_id for a in store.list_apps()] == ["ZZZ", "AAA", "MMM"]
    assert store.get_app("AAA") == OAuthApp("AAA", "app AAA", 1, "f" * 64)


def test_adding_an_existing_client_id_is_refused(store: Store) -> None:
    store.add_app(OAuthApp("CID", "one", 1, "a"))
    with pytest.raises(ValueError):
        store.add_app(OAuthApp("CID", "two", 1, "b"))


def test_deleted_app_is_gone_and_deleting_twice_is_harmless(store: Store) -> None:
    store.add_app(OAuthApp("CID", "one", 1, "a"))
    store.delete_app("CID")
    store.delete_app("CID")
    assert store.get_app("CID") is None
    assert store.list_apps() == []


# token rows


def token_row(
    client_id: str = "CID", user_id: int = 1, refresh: str = "r1", access: str | None = "a1"
) -> TokenRow:
    expiry = T0 + timedelta(hours=1) if access else None
    return TokenRow(client_id, user_id, refresh, access, expiry)


def test_token_row_is_found_by_key_and_both_hashes(store: Store) -> None:
    row = token_row()
    store.save_token_row(row)
    assert store.get_token_row("CID", 1) == row
    assert store.find_token_by_access_hash("a1") == row
    assert store.find_token_by_refresh_hash("r1") == row


def test_jwt_first_row_has_no_access_token_and_no_expiry(store: Store) -> None:
    store.save_token_row(token_row(access=None))
    row = store.get_token_row("CID", 1)
    assert row is not None and row.access_token_hash is None and row.expiry is None
    assert store.find_token_by_refresh_hash("r1") == row


def test_saving_a_token_row_forgets_the_previous_hashes(store: Store) -> None:
    # One row per (client, user): a new grant makes the previous tokens unknown at once.
    store.save_token_row(token_row(refresh="r1", access="a1"))
    store.save_token_row(token_row(refresh="r2", access="a2"))
    assert store.find_token_by_access_hash("a1") is None
    assert store.find_token_by_refresh_hash("r1") is None
    assert store.find_token_by_access_hash("a2") == token_row(refresh="r2", access="a2")
    assert len(store.list_token_rows()) == 1


def test_token_rows_are_kept_per_client_and_user(store: Store) -> None:
    store.save_token_row(token_row("C1", 1, "r1", "a1"))
    store.save_token_row(token_row("C1", 2, "r2", "a2"))
    store.save_token_row(token_row("C2", 1, "r3", "a3"))
    assert store.delete_tokens_for_client("C1") == 2
    assert [(r.client_id, r.user_id) for r in store.list_token_rows()] == [("C2", 1)]
    assert store.find_token_by_access_hash("a1") is None


def test_delete_token_row_says_whether_there_was_one(store: Store) -> None:
    store.save_token_row(token_row())
    assert store.delete_token_row("CID", 1) is True
    assert store.delete_token_row("CID", 1) is False
    assert store.find_token_by_refresh_hash("r1") is None


def test_token_expiry_round_trips_to_the_microsecond(store: Store) -> None:
    row = token_row()
    row.expiry = datetime(2031, 2, 3, 4, 5, 6, 789_012, tzinfo=timezone.utc)
    store.save_token_row(row)
    fetched = store.get_token_row("CID", 1)
    assert fetched is not None and fetched.expiry == row.expiry


# documents


def test_document_round_trips_every_attribute(store: Store) -> None:
    document = make_document(100, tags="PCR,gradient", content="<p>61 &deg;C</p> ünïcode")
    document.tag_meta_data, document.version, document.signed = "meta", 3, True
    document.grand_parent_id = None
    store.add_document(document)
    assert store.get_document(100) == document


def test_documents_are_copied_in_and_out(store: Store) -> None:
    document = make_document(100)
    store.add_document(document)
    document.fields[0].content = "changed"
    fetched = store.get_document(100)
    assert fetched is not None and fetched.fields[0].content == "<p>notes</p>"
    fetched.fields[0].content = "changed again"
    again = store.get_document(100)
    assert again is not None and again.fields[0].content == "<p>notes</p>"


def test_saving_an_unknown_document_raises_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        store.save_document(make_document(999))


def test_saved_document_replaces_the_stored_one(store: Store) -> None:
    store.add_document(make_document(100, name="Before"))
    updated = make_document(100, name="After", last_modified=T0 + timedelta(minutes=5))
    updated.version = 2
    store.save_document(updated)
    assert store.get_document(100) == updated


def test_listing_shows_only_the_owners_live_documents(store: Store) -> None:
    store.add_document(make_document(100, owner_id=1))
    store.add_document(make_document(101, owner_id=2))
    store.add_document(make_document(102, owner_id=1, deleted=True))
    assert listing(store, owner_id=1) == (1, [100])


def test_soft_deleting_a_document_removes_it_from_the_listing_and_total(store: Store) -> None:
    for i in range(3):
        store.add_document(make_document(100 + i, created=T0 + timedelta(minutes=i)))
    document = store.get_document(101)
    assert document is not None
    document.deleted = True
    store.save_document(document)
    assert listing(store, owner_id=1) == (2, [102, 100])


def test_default_listing_is_last_modified_newest_first(store: Store) -> None:
    store.add_document(make_document(100, last_modified=T0 + timedelta(hours=2)))
    store.add_document(make_document(101, last_modified=T0))
    store.add_document(make_document(102, last_modified=T0 + timedelta(hours=1)))
    assert listing(store, owner_id=1) == (3, [100, 102, 101])


def test_name_order_ignores_case_and_breaks_ties_by_id_in_the_same_direction(
    store: Store,
) -> None:
    for document_id, name in [(100, "beta"), (101, "Alpha"), (102, "alpha"), (103, "Beta")]:
        store.add_document(make_document(document_id, name=name))
    assert listing(store, owner_id=1, order_field="name", ascending=True) == (
        4,
        [101, 102, 100, 103],
    )
    assert listing(store, owner_id=1, order_field="name", ascending=False) == (
        4,
        [103, 100, 102, 101],
    )


def test_equal_timestamps_are_ordered_by_id(store: Store) -> None:
    for document_id in [105, 101, 103]:
        store.add_document(make_document(document_id, created=T0))
    assert listing(store, owner_id=1, order_field="created", ascending=True)[1] == [101, 103, 105]
    assert listing(store, owner_id=1, order_field="created", ascending=False)[1] == [105, 103, 101]


def test_pages_partition_the_listing(store: Store) -> None:
    for i in range(7):
        store.add_document(make_document(100 + i, created=T0 + timedelta(seconds=i)))
    pages = [
        listing(
            store, owner_id=1, order_field="created", ascending=True, page_number=n, page_size=3
        )
        for n in range(4)
    ]
    assert [total for total, _ in pages] == [7, 7, 7, 7]
    assert [ids for _, ids in pages] == [[100, 101, 102], [103, 104, 105], [106], []]


def test_name_search_is_a_case_insensitive_substring(store: Store) -> None:
    store.add_document(make_document(100, name="PCR optimisation"))
    store.add_document(make_document(101, name="Western blot"))
    terms = (SearchTerm("name", "pcr OPT"),)
    assert listing(store, owner_id=1, terms=terms) == (1, [100])


def test_or_search_matches_any_term(store: Store) -> None:
    store.add_document(make_document(100, name="PCR", created=T0))
    store.add_document(make_document(101, name="Blot", tags="HSP70", created=T0))
    store.add_document(make_document(102, name="Gel", created=T0))
    terms = (SearchTerm("name", "pcr"), SearchTerm("tag", "hsp"))
    assert listing(store, owner_id=1, terms=terms, operator="or", order_field="name") == (
        2,
        [100, 101],
    )
    assert listing(store, owner_id=1, terms=terms, operator="and") == (0, [])


def test_full_text_search_ignores_markup(store: Store) -> None:
    store.add_document(make_document(100, content="<p>gapdh <em>band</em></p>"))
    store.add_document(make_document(101, content="<p>nothing</p>"))
    assert listing(store, owner_id=1, terms=(SearchTerm("fullText", "GAPDH"),)) == (1, [100])
    assert listing(store, owner_id=1, terms=(SearchTerm("fullText", "em"),)) == (0, [])


def test_owner_search_needs_the_owners_username(store: Store) -> None:
    store.add_user(make_user(1, "alice"))
    store.add_document(make_document(100))
    assert listing(store, owner_id=1, terms=(SearchTerm("owner", "ALICE"),)) == (1, [100])
    assert listing(store, owner_id=1, terms=(SearchTerm("owner", "bob"),)) == (0, [])


def test_a_favorites_or_shared_filter_matches_nothing(store: Store) -> None:
    store.add_document(make_document(100))
    assert listing(store, owner_id=1, filter="favorites") == (0, [])


def edge_documents() -> list[Document]:
    """Documents whose texts a search could get wrong by joining them: no tags, blank tags, a
    NUL in a tag, the content or the name, several fields."""
    documents = [
        make_document(100, name="plain", tags=None),
        make_document(101, name="blank tags", tags=" , ,"),
        make_document(102, name="nul\x00name", tags="a\x00b, hsp70, blot"),
        make_document(103, name="nul content", content="a\x00run"),
        make_document(104, name="empty content", content="", tags="pcr,gel"),
        make_document(105, name="no fields"),
        make_document(106, name="two fields", content="<p>alpha</p>"),
    ]
    documents[5].fields = []
    second = Field(1061, "Notes", "text", "<p>omega</p>", T0, 1)
    documents[6].fields.append(second)
    return documents


@pytest.mark.parametrize("kind", ["name", "tag", "fullText", "global", "records"])
def test_every_needle_finds_what_the_reference_meaning_finds(store: Store, kind: str) -> None:
    documents = edge_documents()
    for document in documents:
        store.add_document(document)
    needles = [*NEEDLES, "b", "alphaomega", "sd102", "100,sd101", "hsp70,", "\x00name"]
    for needle in needles:
        query = DocumentQuery(owner_id=1, terms=(SearchTerm(kind, needle),), page_size=20)
        total, page = store.query_documents(query)
        assert (total, [d.id for d in page]) == reference_listing(documents, query), needle


def test_a_needle_sqlite_cannot_take_is_still_answered(store: Store) -> None:
    store.add_document(make_document(100, name="plain"))
    for kind in ("name", "tag", "fullText", "global"):
        assert listing(store, owner_id=1, terms=(SearchTerm(kind, "\ud800"),)) == (0, []), kind


# settings and small values


def test_switches_default_to_on_and_can_be_saved(store: Store) -> None:
    assert store.get_switches() == SystemSwitches()
    store.save_switches(SystemSwitches(api_enabled=False, oauth_enabled=True))
    assert store.get_switches() == SystemSwitches(api_enabled=False, oauth_enabled=True)


def test_meta_values_are_set_and_replaced(store: Store) -> None:
    assert store.get_meta("jwt_secret") is None
    store.set_meta("jwt_secret", "one")
    store.set_meta("jwt_secret", "two")
    assert store.get_meta("jwt_secret") == "two"


def test_clear_forgets_everything_and_restarts_sequences(store: Store) -> None:
    store.add_user(make_user(1, "alice", api_key_hash="k"))
    store.add_app(OAuthApp("CID", "one", 1, "a"))
    store.save_token_row(token_row())
    store.add_document(make_document(100))
    store.save_switches(SystemSwitches(api_enabled=False))
    store.set_meta("k", "v")
    store.next_id("user")
    store.clear()
    assert store.list_users() == [] and store.list_apps() == []
    assert store.list_token_rows() == [] and store.get_document(100) is None
    assert listing(store, owner_id=1) == (0, [])
    assert store.get_switches() == SystemSwitches() and store.get_meta("k") is None
    assert store.next_id("user") == 1
    store.add_user(make_user(1, "alice"))  # the old username is free again


# transactions


def test_transactions_are_re_entrant(store: Store) -> None:
    with store.transaction(), store.transaction():
        store.set_meta("k", "v")
    assert store.get_meta("k") == "v"


def test_concurrent_read_modify_writes_in_transactions_lose_no_update(store: Store) -> None:
    store.set_meta("counter", "0")

    def work() -> None:
        for _ in range(50):
            with store.transaction():
                value = int(store.get_meta("counter") or "0")
                store.set_meta("counter", str(value + 1))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get_meta("counter") == "200"


# the property: every backend lists exactly what the reference store lists

NAMES = ["alpha", "Alpha", "beta", "BETA gel", "Éclair", "éclair", "straße", "PCR run", "z"]
TAGS = [None, "", "PCR", "pcr,gel", "HSP70, blot", "gel", " , ,", "a\x00b"]
CONTENTS = ["<p>gapdh band</p>", "<p>PCR <em>run</em></p>", "", "plain éclair text", "a\x00run"]
#: With needles a search must not get wrong by joining texts: separators, blanks, id look-alikes.
NEEDLES = ["a", "al", "PCR", "gel", "é", "straße", "run", "sd100", "SD101", "z", "", "\x00"]
NEEDLES += ["a\x00", "\x00run", ",", "pcr,gel", " blot", "hsp70, blot", "sd+100", "sd0100", "100"]
DATE_SPECS = ["2026-09-14;2026-09-15", ";2026-09-14", "2026-09-16;", "2026-09-15;2026-09-15"]

document_strategy = st.builds(
    make_document,
    document_id=st.just(0),
    owner_id=st.sampled_from([1, 1, 1, 2, 3]),
    name=st.sampled_from(NAMES) | st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
    created=st.sampled_from([T0 + timedelta(hours=h) for h in (0, 0, 20, 30, 60)]),
    last_modified=st.sampled_from([T0, T0 + timedelta(microseconds=1), T0 + timedelta(days=2)]),
    tags=st.sampled_from(TAGS),
    content=st.sampled_from(CONTENTS),
    deleted=st.sampled_from([False, False, False, True]),
)


@st.composite
def documents_strategy(draw: st.DrawFn) -> list[Document]:
    """Documents with distinct ids, added in an order unrelated to their ids."""
    documents = draw(st.lists(document_strategy, min_size=3, max_size=40))
    ids = draw(st.permutations(range(100, 100 + len(documents))))
    for document, document_id in zip(documents, ids, strict=True):
        document.id = document_id
        for position, document_field in enumerate(document.fields):
            document_field.id = document_id * 10 + position
    return documents


def term_strategy(kinds: list[str], queries: list[str]) -> st.SearchStrategy[SearchTerm]:
    return st.builds(SearchTerm, st.sampled_from(kinds), st.sampled_from(queries))


terms_strategy = st.lists(
    st.one_of(
        term_strategy(["name"], NEEDLES),
        term_strategy(["tag", "fullText", "global"], NEEDLES),
        term_strategy(["form", "owner", "attachment"], ["basic document", "FM3", "user1", "x"]),
        term_strategy(["created", "lastModified"], DATE_SPECS),
        term_strategy(["records"], ["SD100,SD105", "101", "sd120", " sd102 ,+103,0104,sdsd105"]),
    ),
    min_size=1,
    max_size=3,
).map(tuple)

queries_strategy = st.builds(
    DocumentQuery,
    owner_id=st.sampled_from([1, 1, 2, 3]),
    order_field=st.sampled_from(ORDER_FIELDS),
    ascending=st.booleans(),
    page_number=st.sampled_from([0, 0, 0, 1, 2]),
    page_size=st.integers(min_value=1, max_value=8),
    operator=st.sampled_from(["and", "or"]),
    terms=st.one_of(st.just(()), terms_strategy),
    filter=st.sampled_from([None] * 9 + ["favorites"]),
)


def seeded_pair(path: Path, documents: list[Document]) -> tuple[MemoryStore, SqliteStore]:
    """The reference store and a SQLite store (emptied: hypothesis reuses ``path``), both
    holding users 1-3 and ``documents``."""
    reference, durable = MemoryStore(), SqliteStore(path)
    durable.clear()
    for backend in (reference, durable):
        for user_id in (1, 2, 3):
            backend.add_user(make_user(user_id, f"user{user_id}"))
        for document in documents:
            backend.add_document(document)
    return reference, durable


def reference_listing(documents: list[Document], query: DocumentQuery) -> tuple[int, list[int]]:
    """What the query means, one document at a time: ``matches``, then ``sort_key``."""
    hits = [
        d
        for d in documents
        if matches(d, query, lambda user_id: f"user{user_id}", lambda f: form_by_id(f).name)
    ]
    hits.sort(key=sort_key(query.order_field), reverse=not query.ascending)
    return len(hits), [d.id for d in hits[query.offset : query.offset + query.page_size]]


def assert_same_listing(
    documents: list[Document], reference: Store, durable: Store, query: DocumentQuery
) -> None:
    expected = reference_listing(documents, query)
    expected_total, expected_page = reference.query_documents(query)
    total, page = durable.query_documents(query)
    assert (expected_total, [d.id for d in expected_page]) == expected, query
    assert (total, [d.id for d in page]) == expected, query
    assert page == expected_page


PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(documents=documents_strategy(), queries=st.lists(queries_strategy, min_size=1, max_size=4))
def test_every_backend_lists_what_the_reference_store_lists(
    tmp_path: Path, documents: list[Document], queries: list[DocumentQuery]
) -> None:
    reference, durable = seeded_pair(tmp_path / "property.db", documents)
    try:
        for query in queries:
            assert_same_listing(documents, reference, durable, query)
    finally:
        durable.close()


edits_strategy = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES),
        "last_modified": st.sampled_from([T0, T0 + timedelta(days=1), T0 + timedelta(days=3)]),
        "deleted": st.sampled_from([False, False, True]),
    }
)
operations_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(min_value=0, max_value=39), edits_strategy),
        st.tuples(st.just("query"), queries_strategy),
    ),
    min_size=1,
    max_size=12,
)


@PROPERTY_SETTINGS
@given(documents=documents_strategy(), operations=operations_strategy)
def test_listings_after_edits_match_the_reference_store(
    tmp_path: Path, documents: list[Document], operations: list[tuple[Any, ...]]
) -> None:
    """Renames, re-dates and soft deletes between listings: every listing still agrees."""
    reference, durable = seeded_pair(tmp_path / "edits.db", documents)
    try:
        for operation in operations:
            if operation[0] == "edit":
                _, index, changes = operation
                document_id = documents[index % len(documents)].id
                for backend in (reference, durable):
                    stored = backend.get_document(document_id)
                    assert stored is not None
                    stored.name = changes["name"]
                    stored.last_modified = changes["last_modified"]
                    stored.deleted = changes["deleted"]
                    backend.save_document(stored)
                    documents[index % len(documents)] = stored
            else:
                assert_same_listing(documents, reference, durable, operation[1])
    finally:
        durable.close()


# strings no response could carry


def test_no_store_keeps_a_string_that_is_not_unicode_text(store: Store) -> None:
    # A lone surrogate stored would break every later answer that includes it.
    lone = "\ud800"
    refused: list[Any] = [
        lambda: store.add_user(make_user(1, f"u{lone}")),
        lambda: store.add_app(OAuthApp("CID", lone, 1, "a")),
        lambda: store.save_token_row(token_row(client_id=lone)),
        lambda: store.add_document(make_document(100, name=lone)),
        lambda: store.set_meta("note", lone),
    ]
    for attempt in refused:
        with pytest.raises(UnstorableText):
            attempt()
    assert (store.list_users(), store.list_apps(), store.list_token_rows()) == ([], [], [])
    assert store.get_document(100) is None and store.get_meta("note") is None

    store.add_user(make_user(1, "u1"))
    store.add_document(make_document(101))
    with pytest.raises(UnstorableText):
        store.save_user(make_user(1, lone))
    with pytest.raises(UnstorableText):
        store.save_document(make_document(101, content=f"<p>{lone}</p>"))
    assert [u.username for u in store.list_users()] == ["u1"]
    kept = store.get_document(101)
    assert kept is not None and kept.fields[0].content == "<p>notes</p>"
