"""The official RSpace Python SDK (``rspace-client`` 2.7.4), unmodified, against the served fake.

Every call below is the SDK's public API as its users write it; the fake must answer the way
RSpace does for the SDK's own parsing (JSON Content-Type, ``_links`` it can follow, ``errors``
as a list of strings) to work.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from rspace_client.client_base import Pagination
from rspace_client.eln.advanced_query_builder import AdvancedQueryBuilder
from rspace_client.eln.eln import ELNClient
from rspace_client.exceptions import ApiError, AuthenticationError


@pytest.fixture
def alice(fixtures_data: dict[str, Any]) -> dict[str, Any]:
    return next(u for u in fixtures_data["users"] if u["username"] == "alice")


@pytest.fixture
def sdk(shared_live_server: str, alice: dict[str, Any]) -> Iterator[ELNClient]:
    """Alice's client on a server shared by this module (documents pile up across tests)."""
    with ELNClient(shared_live_server, alice["apiKey"], max_retries=0) as client:
        yield client


@pytest.fixture
def fresh_sdk(live_server: str, alice: dict[str, Any]) -> Iterator[ELNClient]:
    """Alice's client on a server of her own: exactly the fixture documents to start with."""
    with ELNClient(live_server, alice["apiKey"], max_retries=0) as client:
        yield client


def test_sdk_2_7_4_takes_the_timeout_and_retry_keywords_the_tests_rely_on() -> None:
    parameters = inspect.signature(ELNClient.__init__).parameters
    assert {"rspace_url", "api_key", "timeout", "max_retries", "backoff_factor"} <= set(parameters)


def test_get_status_reports_ok_and_the_rspace_version(sdk: ELNClient) -> None:
    assert sdk.get_status() == {"message": "OK", "rspaceVersion": "2.25.0"}


def test_create_document_echoes_name_tags_and_content(sdk: ELNClient) -> None:
    created = sdk.create_document(
        name="SDK created", tags=["sdk", "pytest"], fields=[{"content": "<p>hello SDK</p>"}]
    )
    assert created["name"] == "SDK created"
    assert created["tags"] == "sdk,pytest"
    assert created["globalId"] == f"SD{created['id']}"
    assert "hello SDK" in created["fields"][0]["content"]
    assert created["form"]["name"] == "Basic Document"


def test_create_document_with_no_arguments_makes_an_untitled_basic_document(
    sdk: ELNClient,
) -> None:
    created = sdk.create_document()  # the SDK posts {}
    assert created["name"] == "Untitled document"
    assert created["form"]["name"] == "Basic Document"
    assert len(created["fields"]) == 1


def test_created_field_html_is_normalised_like_rspace(sdk: ELNClient) -> None:
    # The exact input and output of RSpace's own test.
    created = sdk.create_document(
        name="My Experiment",
        tags="API",
        fields=[
            {
                "content": "<p> Add 2ul 50uM EDTA to Xenopus egg extract. <p> See "
                '<a href="https://a.b.com">here</a>'
            }
        ],
    )
    assert created["fields"][0]["content"] == (
        "<p>Add 2ul 50uM EDTA to Xenopus egg extract.</p>\n"
        '<p>See <a href="https://a.b.com">here</a></p>'
    )


def test_another_users_document_is_404_to_read_update_and_delete(
    shared_live_server: str, sdk: ELNClient, fixtures_data: dict[str, Any]
) -> None:
    created = sdk.create_document(name="alice only")
    bob = next(u for u in fixtures_data["users"] if u["username"] == "bob")
    with ELNClient(shared_live_server, bob["apiKey"], max_retries=0) as bobs_sdk:
        for attempt in (
            lambda: bobs_sdk.get_document(created["id"]),
            lambda: bobs_sdk.update_document(created["id"], name="bob was here"),
            lambda: bobs_sdk.delete_document(created["id"]),
        ):
            with pytest.raises(ApiError) as raised:
                attempt()
            assert raised.value.response_status_code == 404
        assert created["id"] not in [d["id"] for d in bobs_sdk.get_documents()["documents"]]
    assert sdk.get_document(created["id"])["name"] == "alice only"


@pytest.fixture
def alice_document_count(fixtures_data: dict[str, Any]) -> int:
    return sum(1 for d in fixtures_data["documents"] if d["owner"] == "alice")


def test_get_documents_lists_the_callers_documents_with_the_page_size_asked(
    fresh_sdk: ELNClient, alice_document_count: int
) -> None:
    sdk = fresh_sdk
    listing = sdk.get_documents(page_size=2)
    assert listing["totalHits"] == alice_document_count
    assert len(listing["documents"]) == 2
    assert {d["owner"]["username"] for d in listing["documents"]} == {"alice"}
    assert sdk.link_exists(listing, "next")


def test_stream_documents_follows_next_links_and_sees_each_document_once(
    fresh_sdk: ELNClient, alice_document_count: int
) -> None:
    sdk = fresh_sdk
    for number in range(7):
        sdk.create_document(name=f"streamed {number}")
    total = sdk.get_documents()["totalHits"]
    assert total == alice_document_count + 7

    seen = [d["id"] for d in sdk.stream_documents(Pagination(page_size=3))]
    assert len(seen) == total
    assert len(set(seen)) == total

    ordered = [d["name"] for d in sdk.stream_documents(Pagination(page_size=4, order_by="name"))]
    assert ordered == sorted(ordered, key=str.lower)
    assert len(ordered) == total


def test_get_documents_with_a_query_finds_documents_by_name_tag_or_content(
    sdk: ELNClient,
) -> None:
    sdk.create_document(name="Qzebrafish husbandry", tags="fish,husbandry")
    sdk.create_document(name="Other", fields=[{"content": "<p>qzebrafish embryos</p>"}])
    sdk.create_document(name="Tagged only", tags="qzebrafish")
    found = sdk.get_documents(query="qzebrafish")
    assert found["totalHits"] == 3
    assert {d["name"] for d in found["documents"]} == {
        "Qzebrafish husbandry",
        "Other",
        "Tagged only",
    }
    assert sdk.get_documents(query="no-such-word-anywhere")["totalHits"] == 0


def test_advanced_query_from_the_sdks_builder_is_understood(sdk: ELNClient) -> None:
    sdk.create_document(name="Gel run 1", tags="qgel,agarose")
    sdk.create_document(name="Gel run 2", tags="qgel")
    sdk.create_document(name="Qgel buffer notes")
    query = (
        AdvancedQueryBuilder(operator="and")
        .add_term("qgel", AdvancedQueryBuilder.QueryType.TAG)
        .add_term("run 1", AdvancedQueryBuilder.QueryType.NAME)
        .get_advanced_query()
    )
    found = sdk.get_documents_advanced_query(query)
    assert [d["name"] for d in found["documents"]] == ["Gel run 1"]
    either = (
        AdvancedQueryBuilder(operator="or")
        .add_term("qgel", AdvancedQueryBuilder.QueryType.TAG)
        .add_term("Qgel buffer", AdvancedQueryBuilder.QueryType.NAME)
        .get_advanced_query()
    )
    assert sdk.get_documents_advanced_query(either)["totalHits"] == 3
    # The next link repeats the advanced query, so paging keeps the filter.
    paged = sdk.get_documents_advanced_query(either, page_size=2)
    next_page = sdk.get_link_contents(paged, "next")
    assert next_page["totalHits"] == 3
    assert len(next_page["documents"]) == 1


def test_get_document_accepts_a_numeric_id_and_a_global_id(sdk: ELNClient) -> None:
    created = sdk.create_document(name="fetch me", fields=[{"content": "<p>body</p>"}])
    by_id = sdk.get_document(created["id"])
    by_global_id = sdk.get_document(f"SD{created['id']}")
    assert by_id == by_global_id
    assert by_id["name"] == "fetch me"
    assert by_id["fields"][0]["id"] == created["fields"][0]["id"]


def test_get_document_csv_returns_text_with_the_documents_content(sdk: ELNClient) -> None:
    created = sdk.create_document(name="csv doc", fields=[{"content": "<p>csv body</p>"}])
    csv_text = sdk.get_document_csv(created["id"])
    assert isinstance(csv_text, str)
    # RSpace's CSV is the fields' (the document's name is not in it)
    field = created["fields"][0]
    assert csv_text.startswith("id,globalId,name,type,lastModified,content\r\n")
    assert f"{field['id']},{field['globalId']},Data,text," in csv_text
    assert "csv body" in csv_text


def test_update_document_changes_only_the_keys_given(sdk: ELNClient) -> None:
    created = sdk.create_document(
        name="before", tags="keep", fields=[{"content": "<p>original</p>"}]
    )
    renamed = sdk.update_document(created["id"], name="after")
    assert renamed["name"] == "after"
    assert renamed["tags"] == "keep"
    assert "original" in renamed["fields"][0]["content"]

    retagged = sdk.update_document(created["id"], tags=["x", "y"])
    assert retagged["tags"] == "x,y"
    assert retagged["name"] == "after"
    assert sdk.get_document(created["id"])["name"] == "after"


def test_append_content_adds_html_after_the_fields_content(sdk: ELNClient) -> None:
    created = sdk.create_document(name="append", fields=[{"content": "<p>first</p>"}])
    updated = sdk.append_content(created["id"], "<p>second</p>")
    content = updated["fields"][0]["content"]
    assert content.index("first") < content.index("second")
    assert sdk.get_document(created["id"])["fields"][0]["content"] == content


def test_delete_document_through_the_sdks_double_slash_path_then_get_is_404(
    sdk: ELNClient,
) -> None:
    created = sdk.create_document(name="to delete")
    sdk.delete_document(created["id"])  # DELETE /api/v1//documents/<id>
    with pytest.raises(ApiError) as raised:
        sdk.get_document(created["id"])
    assert raised.value.response_status_code == 404
    assert str(raised.value) == (
        f"Error code: 404, error message: Document with id [{created['id']}] could not be "
        "retrieved - possibly it has been deleted, does not exist, or you do not have "
        "permission to access it., errors: no error list"
    )
    assert created["id"] not in [d["id"] for d in sdk.stream_documents(Pagination(page_size=50))]


def test_a_wrong_api_key_raises_the_sdks_authentication_error_with_rspaces_message(
    shared_live_server: str,
) -> None:
    client = ELNClient(shared_live_server, "wrongKey0000000000000000000000000", max_retries=0)
    with client, pytest.raises(AuthenticationError) as raised:
        client.get_status()
    assert str(raised.value) == (
        "Error code: 401, error message: User could not be authenticated for token w......, "
        "errors: Authorisation error"
    )


def test_an_api_key_of_the_wrong_shape_raises_authentication_error(
    shared_live_server: str,
) -> None:
    client = ELNClient(shared_live_server, "not-a-key!", max_retries=0)
    with client, pytest.raises(AuthenticationError) as raised:
        client.get_documents()
    assert "API key invalid - must match regexp:[A-Za-z_0-9]+" in str(raised.value)
