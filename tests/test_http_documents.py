"""``/api/v1/documents`` over HTTP: listing, paging links, search, CRUD and validation."""

from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, assert_api_error, make_client

ALICE = {"apiKey": API_KEYS["alice"]}
BOB = {"apiKey": API_KEYS["bob"]}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SUMMARY_KEYS = [
    "id",
    "globalId",
    "version",
    "name",
    "created",
    "lastModified",
    "parentFolderId",
    "grandParentId",
    "signed",
    "tags",
    "tagMetaData",
    "form",
    "owner",
    "_links",
]
FULL_KEYS = [
    "id",
    "globalId",
    "version",
    "name",
    "created",
    "lastModified",
    "parentFolderId",
    "signed",
    "tags",
    "tagMetaData",
    "form",
    "owner",
    "fields",
    "_links",
    "grandParentId",
]
NOT_FOUND = (
    "Document with id [{}] could not be retrieved - possibly it has been deleted, does not "
    "exist, or you do not have permission to access it."
)


@pytest.fixture
def client() -> TestClient:
    return make_client(fixtures=None)


@pytest.fixture
def seeded() -> TestClient:
    return make_client()


def create(client: TestClient, body: object, headers: dict[str, str] = ALICE) -> dict:
    response = client.post("/api/v1/documents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    document: dict = response.json()
    return document


def new_client_with_docs(count: int) -> TestClient:
    client = make_client(fixtures=None)
    mock = client.app.state.mock  # type: ignore[attr-defined]
    from mock_server.domain.directory import NewUser

    mock.directory.create_user(NewUser("alice", "pw", api_key=API_KEYS["alice"]))
    mock.directory.create_user(NewUser("bob", "pw", api_key=API_KEYS["bob"]))
    for index in range(count):
        mock.clock.advance(1)
        create(client, {"name": f"doc {index:03d}"})
    return client


# -- listing ------------------------------------------------------------------------------


def test_listing_shape_and_key_order(seeded: TestClient) -> None:
    body = seeded.get("/api/v1/documents", headers=ALICE).json()
    assert list(body) == ["totalHits", "pageNumber", "documents", "_links"]
    assert body["totalHits"] == 7 and body["pageNumber"] == 0
    for document in body["documents"]:
        assert list(document) == SUMMARY_KEYS
        assert re.fullmatch(r"SD\d+", document["globalId"])
        assert document["globalId"] == f"SD{document['id']}"
        assert DATE.match(document["created"]) and DATE.match(document["lastModified"])
        assert document["form"]["globalId"].startswith("FM")
        assert document["form"]["_links"] == []
        assert document["owner"]["username"] == "alice"
        assert document["_links"] == [
            {"link": f"http://testserver/api/v1/documents/{document['id']}", "rel": "self"}
        ]
    assert body["_links"] == [
        {"link": "http://testserver/api/v1/documents?pageNumber=0", "rel": "self"}
    ]


def test_default_order_is_last_modified_desc(seeded: TestClient) -> None:
    documents = seeded.get("/api/v1/documents", headers=ALICE).json()["documents"]
    stamps = [d["lastModified"] for d in documents]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    "order", ["name asc", "name desc", "created asc", "created desc", "lastModified asc"]
)
def test_order_by(seeded: TestClient, order: str) -> None:
    field, direction = order.split()
    documents = seeded.get("/api/v1/documents", params={"orderBy": order}, headers=ALICE).json()[
        "documents"
    ]
    values = [d[field].lower() if field == "name" else d[field] for d in documents]
    assert values == sorted(values, reverse=direction == "desc")


def test_users_see_only_their_own_documents(seeded: TestClient) -> None:
    bob = seeded.get("/api/v1/documents", headers=BOB).json()
    assert bob["totalHits"] == 3
    assert {d["owner"]["username"] for d in bob["documents"]} == {"bob"}


def test_paging_links_in_rspace_order() -> None:
    client = new_client_with_docs(7)
    body = client.get(
        "/api/v1/documents",
        params={"pageSize": 2, "pageNumber": 1, "orderBy": "name asc"},
        headers=ALICE,
    ).json()
    base = "http://testserver/api/v1/documents?pageSize=2&pageNumber={}&orderBy=name%20asc"
    assert body["_links"] == [
        {"link": base.format(0), "rel": "prev"},
        {"link": base.format(2), "rel": "next"},
        {"link": base.format(3), "rel": "last"},
        {"link": base.format(1), "rel": "self"},
    ]
    assert [d["name"] for d in body["documents"]] == ["doc 002", "doc 003"]


def test_last_page_has_no_next_link() -> None:
    client = new_client_with_docs(5)
    body = client.get(
        "/api/v1/documents", params={"pageSize": 2, "pageNumber": 2}, headers=ALICE
    ).json()
    rels = [link["rel"] for link in body["_links"]]
    assert rels == ["prev", "first", "self"]
    assert len(body["documents"]) == 1


def test_walking_next_links_visits_every_document_once() -> None:
    client = new_client_with_docs(7)
    seen: list[int] = []
    url: str | None = "/api/v1/documents?pageSize=3&orderBy=created%20asc"
    while url:
        body = client.get(url, headers=ALICE).json()
        seen += [d["id"] for d in body["documents"]]
        url = next((link["link"] for link in body["_links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen)


def test_page_past_the_end_is_empty() -> None:
    client = new_client_with_docs(3)
    body = client.get("/api/v1/documents?pageNumber=11", headers=ALICE).json()
    assert body["documents"] == [] and body["totalHits"] == 3


def test_links_use_public_url_when_configured() -> None:
    client = make_client(public_url="https://rspace.example.org")
    body = client.get("/api/v1/documents", headers=ALICE).json()
    assert body["_links"][0]["link"].startswith("https://rspace.example.org/api/v1/documents?")
    assert body["documents"][0]["_links"][0]["link"].startswith("https://rspace.example.org/")


def test_links_use_the_request_host(seeded: TestClient) -> None:
    body = seeded.get("/api/v1/documents", headers={**ALICE, "Host": "lab.local:9999"}).json()
    assert body["_links"][0]["link"].startswith("http://lab.local:9999/api/v1/")


def test_plus_in_query_string_decodes_as_space(seeded: TestClient) -> None:
    response = seeded.get("/api/v1/documents?orderBy=name+asc", headers=ALICE)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"pageNumber": "-1"}, "pageNumber: Page number must be 0 or greater."),
        ({"pageSize": "0"}, "pageSize: Page size must be between 1 and 100."),
        ({"pageSize": "101"}, "pageSize: Page size must be between 1 and 100."),
        ({"query": "x" * 2001}, "query: Max query length is 2000."),
        ({"advancedQuery": "x" * 2001}, "advancedQuery: Max query length is 2000."),
    ],
)
def test_listing_validation_errors_are_400(
    seeded: TestClient, params: dict[str, str], error: str
) -> None:
    body = assert_api_error(
        seeded.get("/api/v1/documents", params=params, headers=ALICE),
        400,
        40002,
        "Errors detected: 1",
        [error],
    )
    assert body["data"]["validationErrors"][0]["field"] == error.split(":")[0]


@pytest.mark.parametrize("value", ["2147483648", "99999999999999999999999", "1e30"])
def test_a_page_number_past_a_java_int_is_rspaces_conversion_400(
    seeded: TestClient, value: str
) -> None:
    conversion = (
        "Failed to convert property value of type 'java.lang.String' to required type "
        f"'java.lang.Integer' for property 'pageNumber'; For input string: \"{value}\""
    )
    response = seeded.get("/api/v1/documents", params={"pageNumber": value}, headers=ALICE)
    assert_api_error(response, 400, 40002, "Errors detected: 1", [f"pageNumber: {conversion}"])


def test_the_largest_page_number_is_an_empty_page(seeded: TestClient) -> None:
    response = seeded.get("/api/v1/documents?pageNumber=2147483647&pageSize=100", headers=ALICE)
    assert response.status_code == 200 and response.json()["documents"] == []


def test_page_size_100_is_allowed(seeded: TestClient) -> None:
    assert seeded.get("/api/v1/documents?pageSize=100", headers=ALICE).status_code == 200


@pytest.mark.parametrize("value", ["name2 desc", "name", "NAME asc", "size asc"])
def test_bad_order_by_is_400(seeded: TestClient, value: str) -> None:
    assert_api_error(
        seeded.get("/api/v1/documents", params={"orderBy": value}, headers=ALICE), 400, 40002
    )


def test_order_by_with_two_spaces_is_422(seeded: TestClient) -> None:
    assert_api_error(
        seeded.get("/api/v1/documents", params={"orderBy": "name  asc"}, headers=ALICE), 422, 42201
    )


def test_non_numeric_page_number_is_400(seeded: TestClient) -> None:
    assert_api_error(seeded.get("/api/v1/documents?pageNumber=abc", headers=ALICE), 400, 40002)


def test_query_and_advanced_query_together_is_422(seeded: TestClient) -> None:
    aq = json.dumps({"operator": "and", "terms": [{"query": "x", "queryType": "name"}]})
    assert_api_error(
        seeded.get("/api/v1/documents", params={"query": "x", "advancedQuery": aq}, headers=ALICE),
        422,
        42201,
        "Please provide either a query or advancedQuery, not both",
    )


def test_unparseable_advanced_query_is_422(seeded: TestClient) -> None:
    assert_api_error(
        seeded.get("/api/v1/documents", params={"advancedQuery": "{nope"}, headers=ALICE),
        422,
        42201,
        "Problem with parsing advancedQuery: {nope",
    )


def test_bad_filter_is_400(seeded: TestClient) -> None:
    assert_api_error(seeded.get("/api/v1/documents?filter=mine", headers=ALICE), 400, 40002)


def test_global_query_searches_names_tags_and_content(seeded: TestClient) -> None:
    def names(query: str) -> set[str]:
        body = seeded.get("/api/v1/documents", params={"query": query}, headers=ALICE).json()
        return {d["name"] for d in body["documents"]}

    assert names("western") == {"Western blot - anti-HSP70, lysates batch 12"}
    assert names("HeLa") == {"Cell culture log - HeLa passage 18", "HeLa passage 19"}
    assert names("Tris base") == {"Buffer recipes"}
    assert names("Plate reader") == set()  # bob's document


def test_advanced_query_terms_and_operators(seeded: TestClient) -> None:
    def total(operator: str, *terms: tuple[str, str]) -> int:
        aq = json.dumps(
            {"operator": operator, "terms": [{"query": q, "queryType": t} for q, t in terms]}
        )
        response = seeded.get("/api/v1/documents", params={"advancedQuery": aq}, headers=ALICE)
        assert response.status_code == 200, response.text
        count: int = response.json()["totalHits"]
        return count

    assert total("and", ("PCR", "tag")) == 1
    assert total("or", ("PCR", "tag"), ("buffers", "tag")) == 2
    assert total("and", ("PCR", "tag"), ("buffers", "tag")) == 0
    assert total("and", ("2026-09-01;2026-09-30", "created")) == 2
    assert total("and", ("Basic Document", "form")) == 6


def test_query_is_repeated_in_links(seeded: TestClient) -> None:
    body = seeded.get(
        "/api/v1/documents", params={"query": "a b", "pageSize": 1}, headers=ALICE
    ).json()
    assert "query=a%20b" in body["_links"][-1]["link"]


# -- one document ---------------------------------------------------------------------------


def test_post_empty_body_makes_untitled_basic_document(client: TestClient) -> None:
    client.app.state.mock.directory.create_user(  # type: ignore[attr-defined]
        __import__("mock_server.domain.directory", fromlist=["NewUser"]).NewUser(
            "alice", "pw", api_key=API_KEYS["alice"]
        )
    )
    response = client.post("/api/v1/documents", json={}, headers=ALICE)
    assert response.status_code == 201
    assert "location" not in response.headers
    document = response.json()
    assert list(document) == FULL_KEYS
    assert document["name"] == "Untitled document"
    assert document["form"]["name"] == "Basic Document"
    assert document["version"] == 1
    assert document["tags"] is None
    (field,) = document["fields"]
    assert list(field) == [
        "id",
        "globalId",
        "name",
        "type",
        "content",
        "lastModified",
        "columnIndex",
        "files",
        "listOfMaterials",
        "_links",
    ]
    assert field["globalId"] == f"FD{field['id']}" and field["type"] == "text"
    assert document["form"]["_links"][0]["rel"] == "self"


def test_created_document_round_trips(seeded: TestClient) -> None:
    created = create(
        seeded, {"name": "Ünïcødé ✓ 实验", "tags": "a,b", "fields": [{"content": "<p>hello</p>"}]}
    )
    fetched = seeded.get(f"/api/v1/documents/{created['id']}", headers=ALICE).json()
    assert fetched == created
    assert fetched["name"] == "Ünïcødé ✓ 实验" and fetched["tags"] == "a,b"
    assert fetched["fields"][0]["content"] == "<p>hello</p>"


def test_post_with_wrong_number_of_fields_is_422(seeded: TestClient) -> None:
    response = seeded.post("/api/v1/documents", json={"fields": [{}, {}]}, headers=ALICE)
    assert_api_error(response, 422, 42201)


def test_put_changes_only_given_keys(seeded: TestClient) -> None:
    created = create(
        seeded, {"name": "before", "tags": "x,y", "fields": [{"content": "<p>one</p>"}]}
    )
    url = f"/api/v1/documents/{created['id']}"
    renamed = seeded.put(url, json={"name": "after"}, headers=ALICE)
    assert renamed.status_code == 200
    body = renamed.json()
    assert body["name"] == "after" and body["tags"] == "x,y"
    assert body["fields"][0]["content"] == "<p>one</p>"
    assert body["version"] == created["version"] + 1
    content = seeded.put(url, json={"fields": [{"content": "<p>two</p>"}]}, headers=ALICE)
    assert content.json()["fields"][0]["content"] == "<p>two</p>"
    assert content.json()["name"] == "after"


def test_put_empty_tags_clears_them(seeded: TestClient) -> None:
    created = create(seeded, {"tags": "x"})
    body = seeded.put(f"/api/v1/documents/{created['id']}", json={"tags": ""}, headers=ALICE).json()
    # DocumentTagManagerImpl stores the empty string, not null
    assert (body["tags"], body["tagMetaData"]) == ("", "")


def test_put_with_mismatched_field_id_is_422(seeded: TestClient) -> None:
    created = create(seeded, {})
    field_id = created["fields"][0]["id"]
    response = seeded.put(
        f"/api/v1/documents/{created['id']}",
        json={"fields": [{"id": field_id + 1, "content": "x"}]},
        headers=ALICE,
    )
    assert_api_error(
        response,
        422,
        42201,
        f"Provided field id: {field_id + 1} does not match document field id: {field_id}",
    )


def test_delete_is_204_then_404(seeded: TestClient) -> None:
    created = create(seeded, {})
    url = f"/api/v1/documents/{created['id']}"
    response = seeded.delete(url, headers=ALICE)
    assert response.status_code == 204 and response.content == b""
    assert_api_error(
        seeded.get(url, headers=ALICE), 404, 50301, NOT_FOUND.format(created["id"]), [""]
    )
    assert_api_error(seeded.delete(url, headers=ALICE), 404, 50301)
    assert_api_error(seeded.put(url, json={}, headers=ALICE), 404, 50301)


def test_deleted_document_leaves_the_listing(seeded: TestClient) -> None:
    before = seeded.get("/api/v1/documents", headers=ALICE).json()["totalHits"]
    document_id = seeded.get("/api/v1/documents", headers=ALICE).json()["documents"][0]["id"]
    seeded.delete(f"/api/v1/documents/{document_id}", headers=ALICE)
    assert seeded.get("/api/v1/documents", headers=ALICE).json()["totalHits"] == before - 1


def test_another_users_document_is_404_never_403(seeded: TestClient) -> None:
    bob_doc = seeded.get("/api/v1/documents", headers=BOB).json()["documents"][0]["id"]
    url = f"/api/v1/documents/{bob_doc}"
    for response in (
        seeded.get(url, headers=ALICE),
        seeded.put(url, json={}, headers=ALICE),
        seeded.delete(url, headers=ALICE),
    ):
        assert_api_error(response, 404, 50301, NOT_FOUND.format(bob_doc))
    assert seeded.get(url, headers=BOB).status_code == 200


def test_non_numeric_id_is_400_type_mismatch(seeded: TestClient) -> None:
    assert_api_error(
        seeded.get("/api/v1/documents/abc", headers=ALICE),
        400,
        40006,
        errors=["id should be of type java.lang.Long"],
    )


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1e30"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_id_past_a_java_long_is_rspaces_type_mismatch_400(
    seeded: TestClient, method: str, value: str
) -> None:
    response = seeded.request(method, f"/api/v1/documents/{value}", json={}, headers=ALICE)
    assert_api_error(
        response,
        400,
        40006,
        "Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; "
        f'For input string: "{value}"',
        ["id should be of type java.lang.Long"],
    )


def test_double_slash_and_trailing_slash_are_tolerated(seeded: TestClient) -> None:
    document_id = seeded.get("/api/v1/documents/", headers=ALICE).json()["documents"][0]["id"]
    assert seeded.get(f"/api/v1//documents/{document_id}/", headers=ALICE).status_code == 200
    assert seeded.delete(f"/api/v1//documents/{document_id}", headers=ALICE).status_code == 204


def test_csv_document(seeded: TestClient) -> None:
    document_id = seeded.get("/api/v1/documents", headers=ALICE).json()["documents"][0]["id"]
    response = seeded.get(
        f"/api/v1/documents/{document_id}", headers={**ALICE, "Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    fields = seeded.get(f"/api/v1/documents/{document_id}", headers=ALICE).json()["fields"]
    rows = response.text.split("\r\n")[1:-1]
    assert [row.split(",")[0] for row in rows] == [str(f["id"]) for f in fields]


def test_csv_is_rspaces_one_row_per_field_with_supercsv_quoting(seeded: TestClient) -> None:
    """``SuperCSVMessageConverter``: header id,globalId,name,type,lastModified,content; one row
    per field; SuperCSV's standard preference (quoted only when needed, CRLF everywhere)."""
    content = '<p>Add 2 ul, see <a href="x">here</a></p>\n<p>next</p>'
    created = seeded.post(
        "/api/v1/documents", json={"fields": [{"content": content}]}, headers=ALICE
    )
    body = created.json()
    field = body["fields"][0]
    response = seeded.get(
        f"/api/v1/documents/{body['id']}", headers={**ALICE, "Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv;charset=UTF-8"
    stored = field["content"].replace("\n", "\r\n").replace('"', '""')
    assert response.text == (
        "id,globalId,name,type,lastModified,content\r\n"
        f'{field["id"]},{field["globalId"]},Data,text,{field["lastModified"]},"{stored}"\r\n'
    )
    plain = seeded.post("/api/v1/documents", json={"fields": [{"content": "plain"}]}, headers=ALICE)
    csv = seeded.get(
        f"/api/v1/documents/{plain.json()['id']}", headers={**ALICE, "Accept": "text/csv"}
    ).text
    assert csv.endswith(",plain\r\n")  # nothing to quote: not quoted


def test_post_and_put_answer_csv_when_asked(seeded: TestClient) -> None:
    csv_headers = {**ALICE, "Accept": "text/csv"}
    created = seeded.post("/api/v1/documents", json={"name": "as csv"}, headers=csv_headers)
    assert created.status_code == 201
    assert created.text.startswith("id,globalId,name,type,lastModified,content\r\n")
    (row,) = created.text.split("\r\n")[1:-1]
    field_id = int(row.split(",")[0])
    document = next(
        d
        for d in seeded.get("/api/v1/documents", params={"pageSize": 100}, headers=ALICE).json()[
            "documents"
        ]
        if d["name"] == "as csv"
    )
    updated = seeded.put(
        f"/api/v1/documents/{document['id']}",
        json={"fields": [{"content": "changed"}]},
        headers=csv_headers,
    )
    assert updated.status_code == 200
    assert updated.text.split("\r\n")[1].startswith(f"{field_id},FD{field_id},Data,text,")
    assert updated.text.endswith(",changed\r\n")


def test_csv_errors_come_back_as_csv(seeded: TestClient) -> None:
    response = seeded.get("/api/v1/documents/1", headers={**ALICE, "Accept": "text/csv"})
    assert response.status_code == 404
    assert response.text.startswith("status,httpCode,internalCode,message,errors\r\n")
    assert response.text.splitlines()[1].startswith("NOT_FOUND,404,50301,")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, 40009),
        (b"", "application/json", 400, 40009),
        (b"[1, 2]", "application/json", 400, 40009),
        (b'{"name": ["a"]}', "application/json", 400, 40009),
        (b'{"fields": "x"}', "application/json", 400, 40009),
        (b'{"name": NaN}', "application/json", 400, 40009),
        (b"\xff\xfe", "application/json", 400, 40009),
        (b"name=x", "application/x-www-form-urlencoded", 415, 41501),
        (b"{}", "text/plain", 415, 41501),
    ],
)
def test_bad_bodies_get_rspace_errors(
    seeded: TestClient, content: bytes, content_type: str, status: int, code: int
) -> None:
    response = seeded.post(
        "/api/v1/documents", content=content, headers={**ALICE, "Content-Type": content_type}
    )
    assert_api_error(response, status, code)


def test_scalar_name_is_coerced_like_jackson(seeded: TestClient) -> None:
    assert create(seeded, {"name": 42})["name"] == "42"


def test_overlong_name_is_400(seeded: TestClient) -> None:
    assert_api_error(
        seeded.post("/api/v1/documents", json={"name": "n" * 256}, headers=ALICE), 400, 40002
    )


def test_document_timestamps_follow_the_mock_clock(client: TestClient) -> None:
    from datetime import datetime, timezone

    from mock_server.domain.directory import NewUser

    mock = client.app.state.mock  # type: ignore[attr-defined]
    mock.directory.create_user(NewUser("alice", "pw", api_key=API_KEYS["alice"]))
    mock.clock.freeze(datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc))
    document = create(client, {})
    assert document["created"] == document["lastModified"] == "2030-05-06T07:08:09.123Z"
