"""``GET /documents?query=`` and ``advancedQuery=`` find what RSpace's Lucene index finds.

RSpace indexes words (lower-cased, English stop words dropped, field markup stripped) and reads
each term as ``RSQueryBuilder`` does: all of a term's words in one field, ``*``/``?`` wildcards
on single words, ``~`` fuzzy words, quoted phrases within three positions, ``l:`` Lucene syntax,
tags as exact phrases; a lone global term searches content, tags, name and form name. Its
validator refuses short, long, blank and wildcard-led terms, bad dates and lone records terms
with a 422 (``WorkspaceSearchInputValidator``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, assert_api_error, make_client

ALICE = {"apiKey": API_KEYS["alice"]}

DOCUMENTS = [
    {
        "name": "Zebrafish embryo imaging",
        "tags": "heat shock protein,confocal",
        "fields": [
            {"content": "<p>Mounted <b>zebrafish</b> embryos in agarose &amp; tricaine.</p>"}
        ],
    },
    {
        "name": "Morpholino knockdown",
        "tags": "morpholino",
        "fields": [
            {"content": "<p>Injected the morpholino into zebrafish at the one cell stage</p>"}
        ],
    },
    {
        "name": "Tricaine stock",
        "tags": "recipes",
        "fields": [{"content": "<p>Dissolve tricaine powder, adjust the pH with Tris.</p>"}],
    },
]


@pytest.fixture(scope="module")
def client() -> TestClient:
    client = make_client()
    for body in DOCUMENTS:
        response = client.post("/api/v1/documents", json=body, headers=ALICE)
        assert response.status_code == 201, response.text
    return client


def search(client: TestClient, **params: Any) -> Any:
    if "advanced" in params:
        operator, terms = params.pop("advanced")
        params["advancedQuery"] = json.dumps(
            {"operator": operator, "terms": [{"query": q, "queryType": t} for t, q in terms]}
        )
    return client.get("/api/v1/documents", params=params, headers=ALICE)


def names(client: TestClient, **params: Any) -> set[str]:
    response = search(client, **params)
    assert response.status_code == 200, response.text
    return {d["name"] for d in response.json()["documents"]}


def one(query_type: str, text: str) -> Any:
    return ("and", [(query_type, text)])


ZEBRAFISH = "Zebrafish embryo imaging"
MORPHOLINO = "Morpholino knockdown"
TRICAINE = "Tricaine stock"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zebrafish", {ZEBRAFISH, MORPHOLINO}),
        ("ZEBRAFISH", {ZEBRAFISH, MORPHOLINO}),
        ("zebra", set()),  # words, not substrings
        ("zebrafish agarose", {ZEBRAFISH}),  # every word, in one field
        ("agarose morpholino", set()),
        ("tricaine", {ZEBRAFISH, TRICAINE}),  # content and name
        ("confocal", {ZEBRAFISH}),  # a tag
        ("amp", set()),  # an entity is text, not a word
        ("the", set()),  # a stop word alone finds nothing
        ("zebrafi*", {ZEBRAFISH, MORPHOLINO}),
        ("m?rpholino", {MORPHOLINO}),
        ("zebrafsh~", {ZEBRAFISH, MORPHOLINO}),
        ('"one cell stage"', {MORPHOLINO}),
        ('"morpholino zebrafish"', {MORPHOLINO}),  # within three positions
        ('"zebrafish cell"', {MORPHOLINO}),
        ('"stage cell one zebrafish morpholino"', set()),
    ],
)
def test_a_global_query_finds_words_as_rspaces_index_does(
    client: TestClient, query: str, found: set[str]
) -> None:
    assert names(client, query=query) & {ZEBRAFISH, MORPHOLINO, TRICAINE} == found


@pytest.mark.parametrize(
    ("query_type", "text", "found"),
    [
        ("tag", "heat shock", {ZEBRAFISH}),  # a phrase of the tags' words
        ("tag", "shock heat", set()),
        ("tag", "heat shock protein", {ZEBRAFISH}),
        ("tag", "heat<<>>recipes", {ZEBRAFISH, TRICAINE}),  # either phrase
        ("tag", "morpho*", {MORPHOLINO}),
        ("name", "*fish", {ZEBRAFISH}),  # a leading wildcard is fine outside text searches
        ("name", "knockdown,morpholino", {MORPHOLINO}),
        ("name", "tricaine powder", set()),  # not both in the name
        ("fullText", "tricaine powder", {TRICAINE}),
        ("fullText", "l:tricaine AND NOT agarose", {TRICAINE}),
        ("fullText", "l:(agarose OR morpholino) +zebrafish", {ZEBRAFISH, MORPHOLINO}),
        ("fullText", 'l:"cell stage"', {MORPHOLINO}),
        ("fullText", "l:(unbalanced", set()),  # Lucene's syntax error: nothing, no error
        ("form", "Basic Document", {ZEBRAFISH, MORPHOLINO, TRICAINE}),
        ("form", "FM3", {ZEBRAFISH, MORPHOLINO, TRICAINE}),
        ("owner", "bob,alice", {ZEBRAFISH, MORPHOLINO, TRICAINE}),
        ("owner", "bob", set()),
    ],
)
def test_each_query_type_searches_its_field(
    client: TestClient, query_type: str, text: str, found: set[str]
) -> None:
    hits = names(client, advanced=one(query_type, text))
    assert hits & {ZEBRAFISH, MORPHOLINO, TRICAINE} == found


def test_a_global_term_among_others_must_match_in_every_field(client: TestClient) -> None:
    # RSQueryBuilder makes each field of a global term its own MUST clause when there are
    # several terms: "zebrafish" is in content and name, but in no tag or form name.
    terms = [("global", "zebrafish"), ("name", "zebrafish")]
    assert names(client, advanced=("and", terms)) == set()
    assert names(client, advanced=("or", terms)) >= {ZEBRAFISH, MORPHOLINO}


def test_records_keep_only_what_the_listed_folders_hold(client: TestClient) -> None:
    folder = client.post("/api/v1/folders", json={"name": "Fish room"}, headers=ALICE).json()
    inside = client.post(
        "/api/v1/documents",
        json={"name": "Fish room log", "parentFolderId": folder["id"], "tags": "zebrafish"},
        headers=ALICE,
    ).json()
    terms = [("records", folder["globalId"]), ("tag", "zebrafish")]
    assert names(client, advanced=("and", terms)) == {inside["name"]}
    # Always a restriction, even with "or".
    terms = [("records", folder["globalId"]), ("global", "tricaine")]
    assert names(client, advanced=("or", terms)) == set()
    terms = [("records", f"SD{inside['id']}"), ("name", "log")]
    assert names(client, advanced=("and", terms)) == {inside["name"]}


def test_dates_are_ranges_of_instants(client: TestClient) -> None:
    def created(spec: str) -> set[str]:
        return names(client, advanced=("and", [("created", spec), ("name", "zebrafish")]))

    # A lone date runs from its day until now; an open side is open.
    assert created("2000-01-01") == {ZEBRAFISH}
    assert created("2000-01-01T00:00:00+01:00;") == {ZEBRAFISH}
    assert created(";2000-12-31") == set()
    assert created("2999-01-01") == set()
    assert created("null;null") == {ZEBRAFISH}


def test_a_page_past_the_last_shows_the_first_page(client: TestClient) -> None:
    body = search(client, query="zebrafish", pageSize=1, pageNumber=7).json()
    first = search(client, query="zebrafish", pageSize=1, pageNumber=0).json()
    assert body["pageNumber"] == 7 and body["totalHits"] == first["totalHits"] >= 2
    assert body["documents"] == first["documents"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": "z"}, "Search term must be at least 2 characters"),
        ({"query": "   "}, "Empty search term"),
        (
            {"query": "x" * 126},
            "Search term at index 0 is too long (126 chars) - max search string length is "
            "125 chars.",
        ),
        ({"query": "*fish"}, "Search term [*fish] should not begin with a wildcard (* or ?)."),
        (
            {"advanced": one("fullText", "?ish")},
            "Search term [?ish] should not begin with a wildcard (* or ?).",
        ),
        (
            {"advanced": one("records", "FL1")},
            "Filtering by folder/document IDs must also include a search term",
        ),
        (
            {"advanced": ("and", [("records", "XX12"), ("name", "fish")])},
            "Cannot parse the search term XX12",
        ),
        (
            {"advanced": ("and", [("created", "yesterday"), ("name", "fish")])},
            "Cannot parse the search term yesterday;",
        ),
        (
            {"advanced": ("and", [("created", "2026-01-01;now"), ("name", "fish")])},
            "Cannot parse the search term 2026-01-01T00:00Z;now",
        ),
        (
            {"advanced": one("fullText", "l:name:*")},
            "Search term [l:name:*] is too permissive - please use a more precise search term",
        ),
    ],
)
def test_terms_rspaces_validator_refuses_are_a_422(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    assert_api_error(search(client, **params), 422, 42201, message, [message])


def test_an_unknown_form_is_a_401(client: TestClient) -> None:
    message = "Either form FM999 does not exist or alice does not have read permission"
    assert_api_error(search(client, query="FM999"), 401, 40101, message)
    assert_api_error(search(client, advanced=one("form", "FM999")), 401, 40101, message)


def test_an_advanced_query_jackson_cannot_read_is_the_parse_problem(client: TestClient) -> None:
    for text in ['{"operator": "AND", "terms": []}', '{"terms": [{"query": "x", "x": 1}]}']:
        assert_api_error(
            client.get("/api/v1/documents", params={"advancedQuery": text}, headers=ALICE),
            422,
            42201,
            f"Problem with parsing advancedQuery: {text}",
        )
