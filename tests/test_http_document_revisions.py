"""Versions, lastModified, tags and renames of ``/api/v1/documents`` as rspace-web counts and
checks them: ``RecordApiManagerImpl.saveApiDocumentChangesToStructuredDocument`` (a rename and
a content save are a revision each, tags none), ``RecordApiManagerTest`` (its revision counts),
``DocumentTagManagerImpl.apiSaveTagForDocument`` (forbidden characters, kept metadata),
``ApiDocumentInfo`` (``@Size`` of name and tags) and ``RecordManagerImpl.sanitizeNewRecordName``."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, assert_api_error, make_client

ALICE = {"apiKey": API_KEYS["alice"]}


@pytest.fixture
def client() -> TestClient:
    client = make_client()
    client.app.state.mock.clock.freeze()  # type: ignore[attr-defined]
    return client


def tick(client: TestClient) -> None:
    client.app.state.mock.clock.advance(1)  # type: ignore[attr-defined]


def create(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/documents", json=body, headers=ALICE)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def put(client: TestClient, document: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    tick(client)
    response = client.put(f"/api/v1/documents/{document['id']}", json=body, headers=ALICE)
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()
    return updated


# -- versions ------------------------------------------------------------------------------


def test_a_new_document_is_version_1_and_2_with_content(client: TestClient) -> None:
    assert create(client, {"name": "empty"})["version"] == 1
    assert create(client, {"name": "tagged", "tags": "t1"})["version"] == 1
    assert (
        create(client, {"name": "full", "tags": "t", "fields": [{"content": "x"}]})["version"] == 2
    )
    assert create(client, {"fields": [{"content": ""}]})["version"] == 2
    assert create(client, {"fields": [{}]})["version"] == 1


def test_the_revision_counts_of_rspaces_own_test(client: TestClient) -> None:
    """``testApiRequestsCreateCorrectNumberOfRevisions``: 1, then 2 (tags and content), then 4
    (name, tags and content)."""
    document = create(client, {"name": "revisions"})
    assert document["version"] == 1
    document = put(client, document, {"tags": "myTag", "fields": [{"content": "text"}]})
    assert document["version"] == 2
    document = put(
        client, document, {"name": "renamed", "tags": "other", "fields": [{"content": "new"}]}
    )
    assert document["version"] == 4


@pytest.mark.parametrize(
    ("body", "revisions", "modified"),
    [
        ({}, 0, False),
        ({"name": "renamed"}, 1, True),
        ({"name": "  same  "}, 0, False),  # trimmed, it is the name it has
        ({"name": "   "}, 0, False),  # a blank name is ignored
        ({"tags": "a,b"}, 0, True),
        ({"tags": None}, 0, False),
        ({"fields": [{"content": "<p>new</p>"}]}, 1, True),
        ({"fields": [{"content": "<p>same</p>"}]}, 1, True),  # saved even when unchanged
        ({"fields": [{}]}, 0, False),
        ({"name": "renamed", "tags": "a", "fields": [{"content": "x"}]}, 2, True),
    ],
)
def test_what_each_kind_of_update_does_to_version_and_last_modified(
    client: TestClient, body: dict[str, Any], revisions: int, modified: bool
) -> None:
    document = create(client, {"name": "same", "fields": [{"content": "<p>same</p>"}]})
    updated = put(client, document, body)
    assert updated["version"] == document["version"] + revisions
    assert (updated["lastModified"] != document["lastModified"]) is modified
    field_saved = bool(body.get("fields")) and "content" in body["fields"][0]
    changed = updated["fields"][0]["lastModified"] != document["fields"][0]["lastModified"]
    assert changed is field_saved


def test_identical_tags_still_modify_but_blank_over_blank_does_not(client: TestClient) -> None:
    tagged = create(client, {"tags": "a"})
    again = put(client, tagged, {"tags": "a"})
    assert again["lastModified"] != tagged["lastModified"] and again["version"] == 1
    untagged = create(client, {})
    blank = put(client, untagged, {"tags": ""})
    assert blank["lastModified"] == untagged["lastModified"]
    assert blank["tags"] is None


# -- tags ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "character"),
    [("a/b", "/"), ("ok,b<c", "<"), ("x>", ">"), ("back\\slash", "\\"), ("a</b>", "<")],
)
def test_a_forbidden_tag_character_is_422_and_saves_nothing(
    client: TestClient, tags: str, character: str
) -> None:
    message = f"The value: {character} may not be used in tags"
    before = client.get("/api/v1/documents", headers=ALICE).json()["totalHits"]
    response = client.post("/api/v1/documents", json={"tags": tags}, headers=ALICE)
    assert_api_error(response, 422, 42201, message, [message])
    assert client.get("/api/v1/documents", headers=ALICE).json()["totalHits"] == before
    document = create(client, {"name": "kept", "tags": "fine"})
    response = client.put(
        f"/api/v1/documents/{document['id']}", json={"name": "new", "tags": tags}, headers=ALICE
    )
    assert_api_error(response, 422, 42201, message)
    again = client.get(f"/api/v1/documents/{document['id']}", headers=ALICE).json()
    assert (again["name"], again["tags"], again["version"]) == ("kept", "fine", 1)


def test_tags_are_stored_as_given_with_their_metadata(client: TestClient) -> None:
    document = create(client, {"tags": "a, b,,c,"})
    # nothing trimmed, inner empty tags kept, trailing ones dropped (Java's split)
    assert (document["tags"], document["tagMetaData"]) == ("a, b,,c", "a, b,,c")
    assert create(client, {"tags": ""})["tags"] is None
    assert create(client, {"tags": None})["tags"] is None
    kept = put(client, document, {"name": "no tags key"})
    assert kept["tags"] == "a, b,,c"


def test_tags_over_8000_characters_are_400(client: TestClient) -> None:
    error = "tags: Document tags cannot be longer than 8000 characters"
    response = client.post("/api/v1/documents", json={"tags": "t" * 8001}, headers=ALICE)
    assert_api_error(response, 400, 40002, "Errors detected: 1", [error])
    assert create(client, {"tags": "t" * 8000})["tags"] == "t" * 8000
    # bean validation comes first: before the 404 of an unknown document
    response = client.put("/api/v1/documents/987654321", json={"tags": "t" * 8001}, headers=ALICE)
    assert_api_error(response, 400, 40002, errors=[error])


# -- names ----------------------------------------------------------------------------------


def test_a_new_name_is_kept_as_given_and_a_rename_is_trimmed(client: TestClient) -> None:
    document = create(client, {"name": "  spaced\nname  "})
    assert document["name"] == "  spaced\nname  "
    renamed = put(client, document, {"name": "  two\nlines  "})
    assert renamed["name"] == "two lines"


def test_a_name_over_255_characters_is_400_before_anything_else(client: TestClient) -> None:
    error = "name: Name cannot be longer than 255 characters"
    response = client.post("/api/v1/documents", json={"name": "n" * 256}, headers=ALICE)
    assert_api_error(response, 400, 40002, "Errors detected: 1", [error])
    response = client.put("/api/v1/documents/987654321", json={"name": "n" * 256}, headers=ALICE)
    assert_api_error(response, 400, 40002, errors=[error])
    both = client.post(
        "/api/v1/documents", json={"name": "n" * 256, "tags": "t" * 8001}, headers=ALICE
    )
    assert_api_error(both, 400, 40002, "Errors detected: 2")


# -- fields against the form (ApiFieldsHelper.checkApiFieldsMatchingFormFields) --------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"content": "a"}, {"content": "b"}], '"fields" array should have 1 fields, but had 2'),
        (
            [{"type": "date", "content": "x"}],
            'Mismatched field type in field 1: "text" type expected, but was "date"',
        ),
        (
            [{"name": "Notes", "content": "x"}],
            'Mismatched field name in field 1 "Notes": "Data" name expected, but was "Notes"',
        ),
        (
            [{"id": 7, "type": "NUMBER", "content": "1"}],
            'Mismatched field type in field with id: 7: "text" type expected, but was "number"',
        ),
    ],
)
def test_fields_that_do_not_match_the_form_are_422_and_make_nothing(
    client: TestClient, fields: list[dict[str, Any]], message: str
) -> None:
    before = client.get("/api/v1/documents", headers=ALICE).json()["totalHits"]
    response = client.post("/api/v1/documents", json={"fields": fields}, headers=ALICE)
    assert_api_error(response, 422, 42201, message, [message])
    assert client.get("/api/v1/documents", headers=ALICE).json()["totalHits"] == before


def test_fields_without_content_or_an_empty_list_are_not_checked(client: TestClient) -> None:
    assert create(client, {"fields": []})["version"] == 1
    assert create(client, {"fields": [{"type": "date", "name": "Other"}]})["version"] == 1
    assert create(client, {"fields": [{"type": "TEXT", "content": "x"}]})["version"] == 2


def test_an_unknown_field_type_is_an_unreadable_body(client: TestClient) -> None:
    response = client.post("/api/v1/documents", json={"fields": [{"type": "foo"}]}, headers=ALICE)
    assert_api_error(response, 400, 40009)


def test_an_update_checks_ids_then_types_and_names(client: TestClient) -> None:
    document = create(client, {"fields": [{"content": "x"}]})
    field_id = document["fields"][0]["id"]
    url = f"/api/v1/documents/{document['id']}"
    for fields, message in [
        (
            [{"id": field_id + 1, "content": "y"}],
            f"Provided field id: {field_id + 1} does not match document field id: {field_id}",
        ),
        ([{"id": field_id, "content": "y"}] * 2, "Provided fields don't match document fields"),
        (
            [{"id": field_id, "name": "Other", "content": "y"}],
            f'Mismatched field name in field with id: {field_id}: "Data" name expected, but was '
            '"Other"',
        ),
    ]:
        response = client.put(url, json={"fields": fields}, headers=ALICE)
        assert_api_error(response, 422, 42201, message)
    assert client.get(url, headers=ALICE).json()["version"] == 2


# -- listing parameters (DocumentApiPaginationCriteria, ApiDocSearchConfig) ------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            {"orderBy": "size asc"},
            'orderBy: must match "(name\\s+asc)|(name\\s+desc)|(created\\s+asc)|'
            '(created\\s+desc)|(lastModified\\s+asc)|(lastModified\\s+desc)"',
        ),
        ({"filter": "mine"}, 'filter: must match "(favorites)|(sharedWithMe)"'),
    ],
)
def test_bad_order_and_filter_name_rspaces_own_patterns(
    client: TestClient, params: dict[str, str], error: str
) -> None:
    response = client.get("/api/v1/documents", params=params, headers=ALICE)
    assert_api_error(response, 400, 40002, "Errors detected: 1", [error])
