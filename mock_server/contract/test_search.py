"""Document search: words as RSpace's Lucene index holds them, and its validator's refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .clauses import expect
from .helpers import DOCUMENTS, api_key, create_document, require_api_key_users, require_writable
from .shapes import check_error, check_listing, json_body
from .target import Target, UserCredentials


def _names(target: Target, user: UserCredentials, query_type: str, text: str) -> set[str]:
    advanced = json.dumps({"terms": [{"query": text, "queryType": query_type}]})
    response = target.get(
        DOCUMENTS, params={"advancedQuery": advanced, "pageSize": 100}, headers=api_key(user)
    )
    expect(response.status_code == 200, "DOCS-SEARCH-1", f"{text!r}: {response.status_code}")
    listing = check_listing(json_body(response, "WIRE-LISTING-1"))
    return {d["name"] for d in listing["documents"] if d["name"].startswith(target.run_tag)}


@pytest.fixture
def searchable(target: Target) -> tuple[UserCredentials, str, str]:
    """Two documents with words no other document holds (made of the run tag)."""
    require_writable(target, "search needs documents of its own")
    user = require_api_key_users(target)[0]
    word = "qz" + target.run_tag.strip("-").replace("-", "").lower()
    first = f"{target.run_tag}{word}alpha notes"
    second = f"{target.run_tag}{word}beta notes"
    for name, content in (
        (first, f"<p>The <b>{word}alpha</b> sample in buffer</p>"),
        (second, f"<p>A {word}beta control, no buffer</p>"),
    ):
        response = create_document(target, user, {"name": name, "fields": [{"content": content}]})
        expect(response.status_code == 201, "DOCS-SEARCH-1", f"create: {response.status_code}")
    return user, word, first


@pytest.mark.clause("DOCS-SEARCH-1")
def test_search_finds_whole_words_not_parts_of_them(
    target: Target, searchable: tuple[UserCredentials, str, str]
) -> None:
    user, word, first = searchable
    found = _names(target, user, "fullText", f"{word.upper()}ALPHA")
    expect(found == {first}, "DOCS-SEARCH-1", f"a word in another case found {found}")
    found = _names(target, user, "fullText", word)
    expect(found == set(), "DOCS-SEARCH-1", f"part of a word found {found}")
    found = _names(target, user, "fullText", f"{word}alpha control")
    expect(found == set(), "DOCS-SEARCH-1", f"words of two documents found {found}")


@pytest.mark.clause("DOCS-SEARCH-1")
def test_wildcards_and_fuzzy_words_match_within_a_word(
    target: Target, searchable: tuple[UserCredentials, str, str]
) -> None:
    user, word, first = searchable
    both = _names(target, user, "fullText", f"{word}*")
    expect(len(both) == 2, "DOCS-SEARCH-1", f"{word}* found {both}")
    found = _names(target, user, "fullText", f"{word}alph?")
    expect(found == {first}, "DOCS-SEARCH-1", f"{word}alph? found {found}")
    found = _names(target, user, "fullText", f"{word}alpah~")
    expect(found == {first}, "DOCS-SEARCH-1", f"{word}alpah~ found {found}")


@pytest.mark.clause("DOCS-SEARCH-1")
def test_a_stop_word_alone_finds_nothing(
    target: Target, searchable: tuple[UserCredentials, str, str]
) -> None:
    user, word, first = searchable
    found = _names(target, user, "fullText", f"the {word}alpha")
    expect(found == set(), "DOCS-SEARCH-1", f"'the {word}alpha' found {found}")


@pytest.mark.clause("DOCS-SEARCH-2")
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": "x"}, "Search term must be at least 2 characters"),
        ({"query": "*buffer"}, "Search term [*buffer] should not begin with a wildcard (* or ?)."),
        (
            {"query": "y" * 126},
            "Search term at index 0 is too long (126 chars) - max search string length is "
            "125 chars.",
        ),
        ({"advancedQuery": json.dumps({"terms": [{"query": "  "}]})}, "Empty search term"),
    ],
)
def test_terms_the_validator_refuses_are_422(
    target: Target, params: dict[str, Any], message: str
) -> None:
    user = require_api_key_users(target)[0]
    response = target.get(DOCUMENTS, params=params, headers=api_key(user))
    body = check_error(response, "DOCS-SEARCH-2", 422)
    expect(body["internalCode"] == 42201, "DOCS-SEARCH-2", f"internalCode {body['internalCode']}")
    expect(body["message"] == message, "DOCS-SEARCH-2", f"message {body['message']!r}")
