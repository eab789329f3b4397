"""The storage contract: every engine keeps what the fake stores as RSpace means it.

Each test runs on every engine (``tests/store_helpers.py``: in memory, SQLite on a file and on
``:memory:``, PostgreSQL) through the storage port (``domain/store.py``) and the declared kinds
(``domain/kinds.py``); document listings and searches go through the domain's own path,
:meth:`DocumentService.search`. The property tests check that every engine answers any document
listing with the total and the page that the reference meaning of a query
(``document_query.matches`` and ``sort_key``) gives, and the same documents.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.clock import Clock
from mock_server.domain.document_query import (
    MAX_HITS,
    ORDER_FIELDS,
    DocumentQuery,
    SearchTerm,
    matches,
    sort_key,
)
from mock_server.domain.documents import DocumentService, ListingRequest
from mock_server.domain.folders import FolderService
from mock_server.domain.forms import FormService, system_forms
from mock_server.domain.kinds import APPS, DOCUMENTS, TOKENS, USERS
from mock_server.domain.models import (
    Document,
    Field,
    OAuthApp,
    SystemSwitches,
    TokenRow,
    User,
)
from mock_server.domain.permissions import Permissions
from mock_server.domain.store import Conflict, Store, UnstorableText
from mock_server.domain.system import load_switches, save_switches
from tests.store_helpers import ENGINES, opened

pytestmark = pytest.mark.own_engines

T0 = datetime(2026, 9, 14, 8, 31, 2, 120_000, tzinfo=timezone.utc)


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with opened(request.param, tmp_path) as engine:
        yield engine


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


#: Listings read no time; the service needs a clock all the same.
CLOCK = Clock()


def search(store: Store, query: DocumentQuery) -> tuple[int, list[Document]]:
    """The listing ``GET /documents`` answers for ``query``: the domain's own search path."""
    order_by = f"{query.order_field} {'asc' if query.ascending else 'desc'}"
    request = ListingRequest(
        query=query,
        order_by=order_by,
        search_query=None,
        advanced_query=None,
        filter=query.filter,
    )
    forms = FormService(store, CLOCK)
    forms.ensure_system_forms()
    return DocumentService(
        store, CLOCK, FolderService(store, CLOCK), forms, Permissions(store)
    ).search(request)


def listing(store: Store, **query: object) -> tuple[int, list[int]]:
    total, page = search(store, DocumentQuery(**query))  # type: ignore[arg-type]
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
    user.has_sysadmin_role = True
    users = store.collection(USERS)
    users.insert(user)
    assert users.get(1) == user
    assert users.find("username", "alice") == user
    assert users.find("api_key_hash", "ab" * 32) == user


def test_adding_an_existing_username_is_refused(store: Store) -> None:
    users = store.collection(USERS)
    users.insert(make_user(1, "alice"))
    with pytest.raises(Conflict) as refused:
        users.insert(make_user(2, "alice"))
    assert (refused.value.kind, refused.value.attribute) == ("user", "username")
    assert users.get(2) is None


def test_users_are_copied_in_and_out(store: Store) -> None:
    users = store.collection(USERS)
    user = make_user(1, "alice")
    users.insert(user)
    user.email = "changed@example.org"
    fetched = users.get(1)
    assert fetched is not None and fetched.email == "alice@lab.example.org"
    fetched.account_locked = True
    assert users.get(1) == make_user(1, "alice")


def test_saving_a_user_moves_its_username_and_api_key_lookups(store: Store) -> None:
    users = store.collection(USERS)
    users.insert(make_user(1, "alice", api_key_hash="old"))
    users.put(make_user(1, "alicia", api_key_hash="new"))
    assert users.find("username", "alice") is None
    assert users.find("api_key_hash", "old") is None
    assert users.find("username", "alicia") == make_user(1, "alicia", "new")
    assert users.find("api_key_hash", "new") == make_user(1, "alicia", "new")


def test_revoking_an_api_key_removes_its_lookup(store: Store) -> None:
    users = store.collection(USERS)
    users.insert(make_user(1, "alice", api_key_hash="key"))
    users.put(make_user(1, "alice", api_key_hash=None))
    assert users.find("api_key_hash", "key") is None
    assert users.find("username", "alice") == make_user(1, "alice")


def test_unknown_users_are_none(store: Store) -> None:
    users = store.collection(USERS)
    assert users.get(42) is None
    assert users.find("username", "nobody") is None
    assert users.find("api_key_hash", "nothing") is None


def test_list_users_returns_every_user_in_id_order(store: Store) -> None:
    users = store.collection(USERS)
    for user_id, name in [(3, "carol"), (1, "alice"), (2, "bob")]:
        users.insert(make_user(user_id, name))
    assert [u.username for u in users.select()] == ["alice", "bob", "carol"]


# OAuth apps


def test_apps_are_listed_in_client_id_order(store: Store) -> None:
    apps = store.collection(APPS)
    for client_id in ["ZZZ", "AAA", "MMM"]:
        apps.insert(OAuthApp(client_id, f"app {client_id}", 1, "f" * 64))
    assert [a.client_id for a in apps.select()] == ["AAA", "MMM", "ZZZ"]
    assert apps.get("AAA") == OAuthApp("AAA", "app AAA", 1, "f" * 64)


def test_adding_an_existing_client_id_is_refused(store: Store) -> None:
    apps = store.collection(APPS)
    apps.insert(OAuthApp("CID", "one", 1, "a"))
    with pytest.raises(Conflict):
        apps.insert(OAuthApp("CID", "two", 1, "b"))
    assert apps.get("CID") == OAuthApp("CID", "one", 1, "a")


def test_deleted_app_is_gone_and_deleting_twice_is_harmless(store: Store) -> None:
    apps = store.collection(APPS)
    apps.insert(OAuthApp("CID", "one", 1, "a"))
    assert apps.delete("CID") is True
    assert apps.delete("CID") is False
    assert apps.get("CID") is None
    assert apps.select() == []


# token rows


def token_row(
    client_id: str = "CID", user_id: int = 1, refresh: str = "r1", access: str | None = "a1"
) -> TokenRow:
    expiry = T0 + timedelta(hours=1) if access else None
    return TokenRow(client_id, user_id, refresh, access, expiry)


def test_token_row_is_found_by_key_and_both_hashes(store: Store) -> None:
    tokens = store.collection(TOKENS)
    row = token_row()
    tokens.put(row)
    assert tokens.get("CID", 1) == row
    assert tokens.find("access_token_hash", "a1") == row
    assert tokens.find("refresh_token_hash", "r1") == row


def test_jwt_first_row_has_no_access_token_and_no_expiry(store: Store) -> None:
    tokens = store.collection(TOKENS)
    tokens.put(token_row(access=None))
    row = tokens.get("CID", 1)
    assert row is not None and row.access_token_hash is None and row.expiry is None
    assert tokens.find("refresh_token_hash", "r1") == row


def test_saving_a_token_row_forgets_the_previous_hashes(store: Store) -> None:
    # One row per (client, user): a new grant makes the previous tokens unknown at once.
    tokens = store.collection(TOKENS)
    tokens.put(token_row(refresh="r1", access="a1"))
    tokens.put(token_row(refresh="r2", access="a2"))
    assert tokens.find("access_token_hash", "a1") is None
    assert tokens.find("refresh_token_hash", "r1") is None
    assert tokens.find("access_token_hash", "a2") == token_row(refresh="r2", access="a2")
    assert len(tokens.select()) == 1


def test_token_rows_are_kept_per_client_and_user(store: Store) -> None:
    tokens = store.collection(TOKENS)
    tokens.put(token_row("C1", 1, "r1", "a1"))
    tokens.put(token_row("C1", 2, "r2", "a2"))
    tokens.put(token_row("C2", 1, "r3", "a3"))
    assert tokens.delete_where(client_id="C1") == 2
    assert [(r.client_id, r.user_id) for r in tokens.select()] == [("C2", 1)]
    assert tokens.find("access_token_hash", "a1") is None


def test_delete_token_row_says_whether_there_was_one(store: Store) -> None:
    tokens = store.collection(TOKENS)
    tokens.put(token_row())
    assert tokens.delete("CID", 1) is True
    assert tokens.delete("CID", 1) is False
    assert tokens.find("refresh_token_hash", "r1") is None


def test_token_expiry_round_trips_to_the_microsecond(store: Store) -> None:
    tokens = store.collection(TOKENS)
    row = token_row()
    row.expiry = datetime(2031, 2, 3, 4, 5, 6, 789_012, tzinfo=timezone.utc)
    tokens.put(row)
    fetched = tokens.get("CID", 1)
    assert fetched is not None and fetched.expiry == row.expiry


# documents


def test_document_round_trips_every_attribute(store: Store) -> None:
    document = make_document(100, tags="PCR,gradient", content="<p>61 &deg;C</p> ünïcode")
    document.tag_meta_data, document.version, document.signed = "meta", 3, True
    document.grand_parent_id = None
    store.collection(DOCUMENTS).insert(document)
    assert store.collection(DOCUMENTS).get(100) == document


def test_documents_are_copied_in_and_out(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    document = make_document(100)
    documents.insert(document)
    document.fields[0].content = "changed"
    fetched = documents.get(100)
    assert fetched is not None and fetched.fields[0].content == "<p>notes</p>"
    fetched.fields[0].content = "changed again"
    again = documents.get(100)
    assert again is not None and again.fields[0].content == "<p>notes</p>"


def test_saving_an_unknown_document_adds_it(store: Store) -> None:
    store.collection(DOCUMENTS).put(make_document(999))
    assert store.collection(DOCUMENTS).get(999) == make_document(999)
    assert listing(store, owner_id=1) == (1, [999])


def test_saved_document_replaces_the_stored_one(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    documents.insert(make_document(100, name="Before"))
    updated = make_document(100, name="After", last_modified=T0 + timedelta(minutes=5))
    updated.version = 2
    documents.put(updated)
    assert documents.get(100) == updated
    assert listing(store, owner_id=1, terms=(SearchTerm("name", "before"),)) == (0, [])
    assert listing(store, owner_id=1, terms=(SearchTerm("name", "after"),)) == (1, [100])


def test_listing_shows_only_the_owners_live_documents(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    documents.insert(make_document(100, owner_id=1))
    documents.insert(make_document(101, owner_id=2))
    documents.insert(make_document(102, owner_id=1, deleted=True))
    assert listing(store, owner_id=1) == (1, [100])


def test_soft_deleting_a_document_removes_it_from_the_listing_and_total(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    for i in range(3):
        documents.insert(make_document(100 + i, created=T0 + timedelta(minutes=i)))
    document = documents.get(101)
    assert document is not None
    document.deleted = True
    documents.put(document)
    assert listing(store, owner_id=1) == (2, [102, 100])
    assert listing(store, owner_id=1, terms=(SearchTerm("records", "SD101"),)) == (0, [])


def test_default_listing_is_last_modified_newest_first(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    documents.insert(make_document(100, last_modified=T0 + timedelta(hours=2)))
    documents.insert(make_document(101, last_modified=T0))
    documents.insert(make_document(102, last_modified=T0 + timedelta(hours=1)))
    assert listing(store, owner_id=1) == (3, [100, 102, 101])


def test_name_order_ignores_case_and_breaks_ties_by_id_in_the_same_direction(
    store: Store,
) -> None:
    documents = store.collection(DOCUMENTS)
    for document_id, name in [(100, "beta"), (101, "Alpha"), (102, "alpha"), (103, "Beta")]:
        documents.insert(make_document(document_id, name=name))
    assert listing(store, owner_id=1, order_field="name", ascending=True) == (
        4,
        [101, 102, 100, 103],
    )
    assert listing(store, owner_id=1, order_field="name", ascending=False) == (
        4,
        [103, 100, 102, 101],
    )


def test_equal_timestamps_are_ordered_by_id(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    for document_id in [105, 101, 103]:
        documents.insert(make_document(document_id, created=T0))
    assert listing(store, owner_id=1, order_field="created", ascending=True)[1] == [101, 103, 105]
    assert listing(store, owner_id=1, order_field="created", ascending=False)[1] == [105, 103, 101]


def test_pages_partition_the_listing(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    for i in range(7):
        documents.insert(make_document(100 + i, created=T0 + timedelta(seconds=i)))
    pages = [
        listing(
            store, owner_id=1, order_field="created", ascending=True, page_number=n, page_size=3
        )
        for n in range(4)
    ]
    assert [total for total, _ in pages] == [7, 7, 7, 7]
    assert [ids for _, ids in pages] == [[100, 101, 102], [103, 104, 105], [106], []]


def test_name_search_matches_whole_words_in_any_case(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    documents.insert(make_document(100, name="PCR optimisation"))
    documents.insert(make_document(101, name="Western blot"))
    for query, hits in [("pcr OPTIMISATION", [100]), ("pcr opt", []), ("OPT*", [100])]:
        terms = (SearchTerm("name", query),)
        assert listing(store, owner_id=1, terms=terms) == (len(hits), hits), query


def test_or_search_matches_any_term(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    documents.insert(make_document(100, name="PCR", created=T0))
    documents.insert(make_document(101, name="Blot", tags="HSP70", created=T0))
    documents.insert(make_document(102, name="Gel", created=T0))
    terms = (SearchTerm("name", "pcr"), SearchTerm("tag", "hsp70"))
    assert listing(store, owner_id=1, terms=terms, operator="or", order_field="name") == (
        2,
        [100, 101],
    )
    assert listing(store, owner_id=1, terms=terms, operator="and") == (0, [])


def test_full_text_search_ignores_markup(store: Store) -> None:
    documents = store.collection(DOCUMENTS)
    documents.insert(make_document(100, content="<p>gapdh <em>band</em></p>"))
    documents.insert(make_document(101, content="<p>nothing</p>"))
    assert listing(store, owner_id=1, terms=(SearchTerm("fullText", "GAPDH"),)) == (1, [100])
    assert listing(store, owner_id=1, terms=(SearchTerm("fullText", "em"),)) == (0, [])


def test_owner_search_needs_the_owners_username(store: Store) -> None:
    store.collection(USERS).insert(make_user(1, "alice"))
    store.collection(DOCUMENTS).insert(make_document(100))
    assert listing(store, owner_id=1, terms=(SearchTerm("owner", "ALICE"),)) == (1, [100])
    assert listing(store, owner_id=1, terms=(SearchTerm("owner", "bob"),)) == (0, [])


def test_a_favorites_or_shared_filter_matches_nothing(store: Store) -> None:
    store.collection(DOCUMENTS).insert(make_document(100))
    assert listing(store, owner_id=1, filter="favorites") == (0, [])
    assert listing(store, owner_id=1, filter="sharedWithMe") == (0, [])


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
        store.collection(DOCUMENTS).insert(document)
    needles = [*NEEDLES, "b", "alphaomega", "sd102", "100,sd101", "hsp70,", "\x00name"]
    for needle in needles:
        query = DocumentQuery(owner_id=1, terms=(SearchTerm(kind, needle),), page_size=20)
        total, page = search(store, query)
        assert (total, [d.id for d in page]) == reference_listing(documents, query), needle


def test_a_needle_no_engine_can_store_is_still_answered(store: Store) -> None:
    store.collection(DOCUMENTS).insert(make_document(100, name="plain"))
    for kind in ("name", "tag", "fullText", "global"):
        assert listing(store, owner_id=1, terms=(SearchTerm(kind, "\ud800"),)) == (0, []), kind


# settings and small values


def test_switches_default_to_on_and_can_be_saved(store: Store) -> None:
    assert load_switches(store) == SystemSwitches()
    save_switches(store, SystemSwitches(api_enabled=False, oauth_enabled=True))
    assert load_switches(store) == SystemSwitches(api_enabled=False, oauth_enabled=True)


def test_meta_values_are_set_and_replaced(store: Store) -> None:
    assert store.get_meta("jwt_secret") is None
    store.set_meta("jwt_secret", "one")
    store.set_meta("jwt_secret", "two")
    assert store.get_meta("jwt_secret") == "two"


def test_clear_forgets_everything_and_restarts_sequences(store: Store) -> None:
    store.collection(USERS).insert(make_user(1, "alice", api_key_hash="k"))
    store.collection(APPS).insert(OAuthApp("CID", "one", 1, "a"))
    store.collection(TOKENS).put(token_row())
    store.collection(DOCUMENTS).insert(make_document(100))
    save_switches(store, SystemSwitches(api_enabled=False))
    store.set_meta("k", "v")
    store.next_id("user")
    store.clear()
    assert store.collection(USERS).select() == [] and store.collection(APPS).select() == []
    assert store.collection(TOKENS).select() == []
    assert store.collection(DOCUMENTS).get(100) is None
    assert listing(store, owner_id=1) == (0, [])
    assert listing(store, owner_id=1, terms=(SearchTerm("global", "notes"),)) == (0, [])
    assert load_switches(store) == SystemSwitches() and store.get_meta("k") is None
    assert store.next_id("user") == 1
    store.collection(USERS).insert(make_user(1, "alice"))  # the old username is free again


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


# the property: every engine lists exactly what the reference meaning lists

NAMES = ["alpha", "Alpha", "beta", "BETA gel", "Éclair", "éclair", "straße", "PCR run", "z"]
TAGS = [None, "", "PCR", "pcr,gel", "HSP70, blot", "gel", " , ,", "a\x00b"]
CONTENTS = ["<p>gapdh band</p>", "<p>PCR <em>run</em></p>", "", "plain éclair text", "a\x00run"]
#: With needles a search must not get wrong by joining texts: separators, blanks, id look-alikes.
NEEDLES = ["a", "al", "PCR", "gel", "é", "straße", "run", "sd100", "SD101", "z", "", "\x00"]
NEEDLES += ["a\x00", "\x00run", ",", "pcr,gel", " blot", "hsp70, blot", "sd+100", "sd0100", "100"]
#: Lucene's syntax: wildcards, fuzziness, phrases, native queries, stop words.
NEEDLES += ["gap*", "g?pdh", "e*air", "gapdn~", "eclair~", '"pcr run"', "'run pcr'", "the"]
NEEDLES += ["l:pcr AND run", "l:gel OR alpha", "l:-gel", "l:(unclosed", "ALPHA the beta", "sd1*"]
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


#: The property tests' engines: PostgreSQL apart, so that its known fault (names holding NUL,
#: which the strategies draw in about one run in two: not strict) leaves the others checked.
ENGINE_GROUPS = {
    "local": tuple(e for e in ENGINES if e != "postgresql"),
    "postgresql": ("postgresql",),
}


@pytest.fixture(params=["local", "postgresql"])
def every_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Store]]:
    """A store on each engine of a group, opened once for all the examples of a property
    test (``seed`` empties them between examples)."""
    with contextlib.ExitStack() as cleanup:
        yield {
            name: cleanup.enter_context(opened(name, tmp_path))
            for name in ENGINE_GROUPS[request.param]
        }


def seed(stores: dict[str, Store], documents: list[Document]) -> None:
    """Empty each store (hypothesis reuses them) and give it users 1-3 and ``documents``, in
    one transaction (one commit, not one per write: the examples run 200 times each)."""
    for store in stores.values():
        with store.transaction():
            store.clear()
            for user_id in (1, 2, 3):
                store.collection(USERS).insert(make_user(user_id, f"user{user_id}"))
            for document in documents:
                store.collection(DOCUMENTS).insert(document)


_SYSTEM_FORMS = {form.id: form for form in system_forms()}


def reference_listing(documents: list[Document], query: DocumentQuery) -> tuple[int, list[int]]:
    """What the query means, one document at a time: ``matches``, then ``sort_key``."""
    hits = [
        d for d in documents if matches(d, query, lambda user_id: f"user{user_id}", _SYSTEM_FORMS)
    ]
    hits.sort(key=sort_key(query.order_field), reverse=not query.ascending)
    start = query.offset
    if query.terms and query.filter is None:
        # RSpace's search: at most 1000 hits, paged in memory; a page past the end is the first.
        hits = hits[:MAX_HITS]
        start = start if start < len(hits) else 0
    return len(hits), [d.id for d in hits[start : start + query.page_size]]


def assert_same_listing(
    documents: list[Document], stores: dict[str, Store], query: DocumentQuery
) -> None:
    """Every engine answers with the reference total and page, and the documents as written."""
    expected = reference_listing(documents, query)
    by_id = {d.id: d for d in documents}
    for name, store in stores.items():
        total, page = search(store, query)
        assert (total, [d.id for d in page]) == expected, (name, query)
        assert page == [by_id[d.id] for d in page], (name, query)


def property_settings(stores: dict[str, Store]) -> settings:
    """200 examples, each on every engine of the group."""
    return settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def test_every_backend_lists_what_the_reference_store_lists(
    every_engine: dict[str, Store],
) -> None:
    @property_settings(every_engine)
    @given(
        documents=documents_strategy(),
        queries=st.lists(queries_strategy, min_size=1, max_size=4),
    )
    def check(documents: list[Document], queries: list[DocumentQuery]) -> None:
        seed(every_engine, documents)
        for query in queries:
            assert_same_listing(documents, every_engine, query)

    check()


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


def test_listings_after_edits_match_the_reference_store(every_engine: dict[str, Store]) -> None:
    """Renames, re-dates and soft deletes between listings: every listing still agrees."""

    @property_settings(every_engine)
    @given(documents=documents_strategy(), operations=operations_strategy)
    def check(documents: list[Document], operations: list[tuple[Any, ...]]) -> None:
        seed(every_engine, documents)
        for operation in operations:
            if operation[0] == "edit":
                _, index, changes = operation
                position = index % len(documents)
                for name, store in every_engine.items():
                    stored = store.collection(DOCUMENTS).get(documents[position].id)
                    assert stored is not None and stored == documents[position], name
                    stored.name = changes["name"]
                    stored.last_modified = changes["last_modified"]
                    stored.deleted = changes["deleted"]
                    store.collection(DOCUMENTS).put(stored)
                    edited = stored
                documents[position] = edited
            else:
                assert_same_listing(documents, every_engine, operation[1])

    check()


# strings no response could carry


def test_no_store_keeps_a_string_that_is_not_unicode_text(store: Store) -> None:
    # A lone surrogate stored would break every later answer that includes it.
    lone = "\ud800"
    users, apps = store.collection(USERS), store.collection(APPS)
    tokens, documents = store.collection(TOKENS), store.collection(DOCUMENTS)
    refused: list[Any] = [
        lambda: users.insert(make_user(1, f"u{lone}")),
        lambda: apps.insert(OAuthApp("CID", lone, 1, "a")),
        lambda: tokens.put(token_row(client_id=lone)),
        lambda: documents.insert(make_document(100, name=lone)),
        lambda: store.set_meta("note", lone),
    ]
    for attempt in refused:
        with pytest.raises(UnstorableText):
            attempt()
    assert (users.select(), apps.select(), tokens.select()) == ([], [], [])
    assert documents.get(100) is None and store.get_meta("note") is None

    users.insert(make_user(1, "u1"))
    documents.insert(make_document(101))
    with pytest.raises(UnstorableText):
        users.put(make_user(1, lone))
    with pytest.raises(UnstorableText):
        documents.put(make_document(101, content=f"<p>{lone}</p>"))
    assert [u.username for u in users.select()] == ["u1"]
    kept = documents.get(101)
    assert kept is not None and kept.fields[0].content == "<p>notes</p>"
    assert listing(store, owner_id=1) == (1, [101])
