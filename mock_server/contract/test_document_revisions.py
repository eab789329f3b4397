"""Documents as rspace-web saves and renders them: revisions, tags and CSV (reference:
``RecordApiManagerImpl``, ``DocumentTagManagerImpl``, ``SuperCSVMessageConverter``)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from .clauses import expect
from .helpers import DOCUMENTS, api_key, create_document, require_api_key_users, require_writable
from .shapes import check_error, json_body
from .target import Target, UserCredentials


def _created(target: Target, user: UserCredentials, body: dict[str, Any], clause: str) -> Any:
    response = create_document(target, user, body)
    expect(response.status_code == 201, clause, f"POST /documents: {response.text[:300]}")
    return response.json()


def _put(target: Target, user: UserCredentials, document_id: int, body: dict[str, Any]) -> Any:
    response = target.put(f"{DOCUMENTS}/{document_id}", json=body, headers=api_key(user))
    expect(response.status_code == 200, "DOCS-VERSION-1", f"PUT: {response.text[:300]}")
    return response.json()


@pytest.mark.clause("DOCS-VERSION-1")
def test_revisions_are_counted_as_rspace_counts_them(target: Target) -> None:
    require_writable(target, "creates and updates documents")
    user = require_api_key_users(target)[0]
    tag = target.run_tag
    empty = _created(target, user, {"name": f"{tag}v"}, "DOCS-VERSION-1")
    expect(empty["version"] == 1, "DOCS-VERSION-1", f"a new document is v{empty['version']}")
    full = _created(
        target, user, {"name": f"{tag}v2", "fields": [{"content": "<p>x</p>"}]}, "DOCS-VERSION-1"
    )
    expect(full["version"] == 2, "DOCS-VERSION-1", f"one with content is v{full['version']}")
    same = _put(target, user, empty["id"], {})
    expect(
        (same["version"], same["lastModified"]) == (1, empty["lastModified"]),
        "DOCS-VERSION-1",
        f"PUT {{}} made v{same['version']} at {same['lastModified']}",
    )
    tagged = _put(target, user, empty["id"], {"tags": "revision-check"})
    expect(tagged["version"] == 1, "DOCS-VERSION-1", f"tags alone made v{tagged['version']}")
    renamed = _put(target, user, empty["id"], {"name": f"{tag}renamed"})
    expect(renamed["version"] == 2, "DOCS-VERSION-1", f"a rename made v{renamed['version']}")
    both = _put(
        target,
        user,
        empty["id"],
        {"name": f"{tag}again", "fields": [{"content": "<p>y</p>"}]},
    )
    expect(both["version"] == 4, "DOCS-VERSION-1", f"rename and content made v{both['version']}")


@pytest.mark.clause("DOCS-TAGS-1")
@pytest.mark.parametrize("character", ["/", "\\", "<", ">"])
def test_a_forbidden_tag_character_is_refused_and_changes_nothing(
    target: Target, character: str
) -> None:
    require_writable(target, "creates documents")
    user = require_api_key_users(target)[0]
    message = f"The value: {character} may not be used in tags"
    refused = create_document(
        target, user, {"name": f"{target.run_tag}t", "tags": f"a{character}b"}
    )
    check_error(refused, "DOCS-TAGS-1", 422, 42201, message)
    document = _created(target, user, {"name": f"{target.run_tag}t", "tags": "a, b"}, "DOCS-TAGS-1")
    expect(document["tags"] == "a, b", "DOCS-TAGS-1", f"tags 'a, b' came back {document['tags']!r}")
    response = target.put(
        f"{DOCUMENTS}/{document['id']}", json={"tags": f"x{character}"}, headers=api_key(user)
    )
    check_error(response, "DOCS-TAGS-1", 422, 42201, message)
    after = json_body(
        target.get(f"{DOCUMENTS}/{document['id']}", headers=api_key(user)), "DOCS-TAGS-1"
    )
    expect(after["tags"] == "a, b", "DOCS-TAGS-1", "a refused tag changed the tags")
    cleared = target.put(f"{DOCUMENTS}/{document['id']}", json={"tags": ""}, headers=api_key(user))
    expect(
        cleared.json().get("tags") == "", "DOCS-TAGS-1", f"'' left {cleared.json().get('tags')!r}"
    )


@pytest.mark.clause("DOCS-CSV-2")
def test_a_documents_csv_is_one_row_per_field(target: Target) -> None:
    require_writable(target, "creates a document")
    user = require_api_key_users(target)[0]
    content = '<p>a, "b"</p>'
    document = _created(
        target,
        user,
        {"name": f"{target.run_tag}csv", "fields": [{"content": content}]},
        "DOCS-CSV-2",
    )
    response = target.get(
        f"{DOCUMENTS}/{document['id']}", headers={**api_key(user), "Accept": "text/csv"}
    )
    text = response.text
    expect(text.endswith("\r\n"), "DOCS-CSV-2", "CSV rows do not end in CRLF")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    expect(
        rows[0] == ["id", "globalId", "name", "type", "lastModified", "content"],
        "DOCS-CSV-2",
        f"CSV header {rows[0]}",
    )
    wanted = [
        [str(f["id"]), f["globalId"], f["name"], f["type"], f["lastModified"], f["content"]]
        for f in document["fields"]
    ]
    expect(rows[1:] == wanted, "DOCS-CSV-2", f"CSV rows {rows[1:]} != the fields {wanted}")


@pytest.mark.clause("DOCS-HTML-1")
def test_field_content_is_stored_cleaned(target: Target) -> None:
    require_writable(target, "creates a document")
    user = require_api_key_users(target)[0]
    sent = (
        '<p onclick="steal()">Add EDTA<br><script>alert(1)</script>'
        '<p>See <a href="javascript:alert(1)">here</a> <font color="red">now</font>'
    )
    stored = "<p>Add EDTA<br /></p>\n<p>See <a>here</a> now</p>"
    document = _created(
        target,
        user,
        {"name": f"{target.run_tag}html", "fields": [{"content": sent}]},
        "DOCS-HTML-1",
    )
    content = document["fields"][0]["content"]
    expect(content == stored, "DOCS-HTML-1", f"stored {content!r}, RSpace stores {stored!r}")
