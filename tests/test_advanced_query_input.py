"""``advancedQuery`` of any shape gets RSpace's answer: a listing, or the 422 RSpace gives when
Jackson cannot read the text as an ``ApiSearchQuery`` (``DocumentsApiController`` turns every
read failure into ``Problem with parsing advancedQuery: <text>``), or the 400 for a query over
2000 characters. Never a 500, whatever the JSON inside.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, assert_api_error, make_client

ALICE = {"apiKey": API_KEYS["alice"]}
MAX_QUERY_LENGTH = 2000


@pytest.fixture(scope="module")
def client() -> TestClient:
    return make_client()


def list_with(client: TestClient, advanced_query: str) -> Any:
    return client.get("/api/v1/documents", params={"advancedQuery": advanced_query}, headers=ALICE)


def term(**values: object) -> str:
    return json.dumps({"operator": "and", "terms": [{"query": "pcr", **values}]})


MALFORMED = {
    "queryType a list": term(queryType=["name"]),
    "queryType an object": term(queryType={"name": "tag"}),
    "queryType a number": term(queryType=3),
    "queryType null": term(queryType=None),
    "queryType unknown": term(queryType="title"),
    "query a list": json.dumps({"terms": [{"query": ["pcr"], "queryType": "tag"}]}),
    "query an object": json.dumps({"terms": [{"query": {}, "queryType": "tag"}]}),
    "terms an object": json.dumps({"terms": {"query": "pcr", "queryType": "tag"}}),
    "terms a string": json.dumps({"terms": "pcr"}),
    "a term a list": json.dumps({"terms": [["pcr", "tag"]]}),
    "operator a list": json.dumps({"operator": ["and"], "terms": [{"query": "pcr"}]}),
    "operator an object": json.dumps({"operator": {}, "terms": [{"query": "pcr"}]}),
    "operator unknown": json.dumps({"operator": "xor", "terms": [{"query": "pcr"}]}),
    "NaN": '{"terms": [{"query": NaN}]}',
    "1,500 nested [": "[" * 1500,
    # Deep but complete JSON, within the 2000 characters.
    "999 nested arrays": "[" * 999 + "]" * 999,
    "330 nested objects": '{"a":' * 330 + "1" + "}" * 330,
    "terms nested 995 deep": '{"terms":' + "[" * 995 + "]" * 995 + "}",
    "nested under a term": json.dumps({"terms": [{"query": "x", "queryType": "tag"}]})[:-2]
    + ', "extra": '
    + "[" * 600
    + "]" * 600
    + "}]}",
    "a JSON string": json.dumps("pcr"),
    "a JSON number": "12",
    "null": "null",
    "unterminated string": '{"terms": [{"query": "pcr',
    "escaped quotes and brackets": '{"terms": [{"query": "\\"[[[[" , "queryType": [[[[',
}


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_malformed_advanced_query_is_rspaces_parse_problem(client: TestClient, shape: str) -> None:
    text = MALFORMED[shape]
    assert_api_error(
        list_with(client, text), 422, 42201, f"Problem with parsing advancedQuery: {text}"
    )


@pytest.mark.parametrize(
    "text",
    # Long, within the 64 KiB the HTTP client allows a URL-encoded query component.
    ["x" * 20_000, "[" * 20_000, term(queryType="tag" * 5_000), '"' + "\\" * 19_999],
)
def test_advanced_query_over_2000_characters_is_the_length_error(
    client: TestClient, text: str
) -> None:
    assert_api_error(
        list_with(client, text),
        400,
        40002,
        "Errors detected: 1",
        [f"advancedQuery: Max query length is {MAX_QUERY_LENGTH}."],
    )


def test_well_formed_advanced_query_still_searches(client: TestClient) -> None:
    response = list_with(client, term(queryType="tag"))
    assert response.status_code == 200, response.text
    assert response.json()["totalHits"] == 1


# -- any JSON at all ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
#: Mostly RSpace's shape, with any value in any place.
near_queries = st.fixed_dictionaries(
    {},
    optional={
        "operator": st.sampled_from(["and", "or", "AND", "xor"]) | json_values,
        "terms": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "query": st.sampled_from(["pcr", "", "2026-01-01;"]) | json_values,
                    "queryType": st.sampled_from(["tag", "name", "global", "created", "fm"])
                    | json_values,
                },
            )
            | json_values,
            max_size=3,
        )
        | json_values,
    },
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(value=near_queries | json_values)
@example(value={"terms": [{"query": "x", "queryType": ["name"]}]})
@example(value={"terms": [{"query": "x", "queryType": {"a": 1}}]})
def test_any_json_advanced_query_is_a_listing_or_rspaces_parse_problem(
    client: TestClient, value: object
) -> None:
    text = json.dumps(value)
    response = list_with(client, text)
    if response.status_code == 200:
        assert list(response.json()) == ["totalHits", "pageNumber", "documents", "_links"]
    elif len(text) > MAX_QUERY_LENGTH:
        assert_api_error(response, 400, 40002, "Errors detected: 1")
    elif response.status_code == 422 and is_term_problem(response.json()["message"]):
        # Read, but a term RSpace's search validator refuses.
        assert_api_error(response, 422, 42201, response.json()["message"])
    else:
        assert_api_error(response, 422, 42201, f"Problem with parsing advancedQuery: {text}")


#: What RSpace's ``WorkspaceSearchInputValidator`` says of a term it refuses.
TERM_PROBLEMS = [
    r"Empty search term",
    r"Search term must be at least 2 characters",
    r"Search term at index \d+ is too long \(\d+ chars\) - max search string length is 125 chars\.",
    r"Search term \[.*\] should not begin with a wildcard \(\* or \?\)\.",
    r"Search term \[.*\] is too permissive - please use a more precise search term",
    r"Filtering by folder/document IDs must also include a search term",
    r"Cannot parse the search term .*",
]


def is_term_problem(message: str) -> bool:
    return any(re.fullmatch(pattern, message, re.DOTALL) for pattern in TERM_PROBLEMS)
