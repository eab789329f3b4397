"""Documents endpoints: parameter validation and not-found answers (rspace-web's
`DocumentsApiController`)."""

from __future__ import annotations

import pytest

from .clauses import expect
from .helpers import (
    DOCUMENTS,
    NOT_FOUND_MESSAGE,
    api_key,
    bearer,
    create_document,
    delete_document,
    password_grant,
    refresh_grant,
    require_api_key_users,
    require_writable,
)
from .shapes import check_document_info, check_error, check_listing, json_body
from .target import Target, UserCredentials

MISSING_ID = 987654321987


@pytest.mark.clause("DOCS-PARAMS-1")
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"pageNumber": -1}, "pageNumber: Page number must be 0 or greater."),
        ({"pageSize": 0}, "pageSize: Page size must be between 1 and 100."),
        ({"pageSize": 101}, "pageSize: Page size must be between 1 and 100."),
        ({"orderBy": "name2 desc"}, None),
        ({"orderBy": "name"}, None),
        ({"orderBy": "size asc"}, None),
        ({"query": "q" * 2001}, "query: Max query length is 2000."),
        ({"filter": "everything"}, None),
    ],
)
def test_invalid_listing_parameters_are_400(
    target: Target, params: dict[str, object], error: str | None
) -> None:
    user = require_api_key_users(target)[0]
    response = target.get(DOCUMENTS, params=params, headers=api_key(user))
    body = check_error(response, "DOCS-PARAMS-1", 400)
    if error is not None:
        expect(error in body["errors"], "DOCS-PARAMS-1", f"errors {body['errors']} lack {error!r}")


@pytest.mark.clause("DOCS-PARAMS-1")
@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_page_size_limits_are_accepted(target: Target, page_size: int) -> None:
    user = require_api_key_users(target)[0]
    response = target.get(DOCUMENTS, params={"pageSize": page_size}, headers=api_key(user))
    expect(response.status_code == 200, "DOCS-PARAMS-1", f"pageSize {page_size} refused")
    listing = check_listing(json_body(response, "WIRE-LISTING-1"))
    expect(len(listing["documents"]) <= page_size, "DOCS-PARAMS-1", "page larger than pageSize")


@pytest.mark.clause("DOCS-PARAMS-2")
def test_query_and_advanced_query_together_are_422(target: Target) -> None:
    user = require_api_key_users(target)[0]
    advanced = '{"operator":"and","terms":[{"query":"x","queryType":"name"}]}'
    response = target.get(
        DOCUMENTS, params={"query": "x", "advancedQuery": advanced}, headers=api_key(user)
    )
    check_error(
        response,
        "DOCS-PARAMS-2",
        422,
        42201,
        "Please provide either a query or advancedQuery, not both",
    )


@pytest.mark.clause("DOCS-PARAMS-2")
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"advancedQuery": "not json"}, "Problem with parsing advancedQuery: not json"),
        ({"orderBy": "name  asc"}, None),
    ],
)
def test_unparseable_advanced_query_or_sort_is_422(
    target: Target, params: dict[str, str], message: str | None
) -> None:
    user = require_api_key_users(target)[0]
    response = target.get(DOCUMENTS, params=params, headers=api_key(user))
    check_error(response, "DOCS-PARAMS-2", 422, 42201, message)


def _total(target: Target, user: UserCredentials) -> int:
    response = target.get(DOCUMENTS, params={"pageSize": 1}, headers=api_key(user))
    total: int = check_listing(json_body(response, "WIRE-LISTING-1"))["totalHits"]
    return total


@pytest.mark.clause("DOCS-FIELDS-1")
@pytest.mark.parametrize(
    # An empty list matches any form: it means the form's empty fields (ApiFieldsHelper).
    "fields",
    [[{"content": "a"}, {"content": "b"}], [{"type": "date", "content": "2026-01-01"}]],
)
def test_fields_not_matching_the_form_are_422(target: Target, fields: list[object]) -> None:
    require_writable(target, "a create that a broken server might accept would add a document")
    user = require_api_key_users(target)[0]
    before = _total(target, user)
    body = {"name": f"{target.run_tag}fields", "fields": fields}
    response = target.post(DOCUMENTS, json=body, headers=api_key(user))
    if response.status_code == 201:  # a wrongly created document must not stay behind
        target.delete(f"{DOCUMENTS}/{response.json()['id']}", headers=api_key(user))
    check_error(response, "DOCS-FIELDS-1", 422, 42201)
    after = _total(target, user)
    expect(
        after == before,
        "DOCS-FIELDS-1",
        f"a refused create changed the number of documents from {before} to {after}",
    )


@pytest.mark.clause("DOCS-FIELDS-1")
def test_update_with_too_many_fields_is_422_and_changes_nothing(target: Target) -> None:
    require_writable(target, "the test creates and deletes a document")
    user = require_api_key_users(target)[0]
    name = f"{target.run_tag}fields-update"
    created = create_document(target, user, {"name": name, "tags": "kept"})
    expect(created.status_code == 201, "DOCS-FIELDS-1", f"create gave {created.status_code}")
    document_id = created.json()["id"]
    try:
        response = target.put(
            f"{DOCUMENTS}/{document_id}",
            json={"name": f"{name}-renamed", "tags": "changed", "fields": [{}, {}]},
            headers=api_key(user),
        )
        check_error(response, "DOCS-FIELDS-1", 422, 42201)
        after = target.get(f"{DOCUMENTS}/{document_id}", headers=api_key(user)).json()
        expect(
            (after["name"], after["tags"], after["version"])
            == (name, "kept", created.json()["version"]),
            "DOCS-FIELDS-1",
            f"a refused update changed the document: {after['name']!r}, {after['tags']!r}, "
            f"version {after['version']}",
        )
    finally:
        delete_document(target, user, document_id)


@pytest.mark.clause("DOCS-FIELDS-1")
def test_update_with_wrong_field_id_is_422(target: Target) -> None:
    require_writable(target, "the test creates and deletes a document")
    user = require_api_key_users(target)[0]
    created = create_document(target, user, {"name": f"{target.run_tag}field-id"})
    expect(created.status_code == 201, "DOCS-FIELDS-1", f"create gave {created.status_code}")
    document = created.json()
    try:
        field_id = document["fields"][0]["id"]
        wrong_id = field_id + 7919
        response = target.put(
            f"{DOCUMENTS}/{document['id']}",
            json={"fields": [{"id": wrong_id, "content": "<p>changed</p>"}]},
            headers=api_key(user),
        )
        check_error(
            response,
            "DOCS-FIELDS-1",
            422,
            42201,
            f"Provided field id: {wrong_id} does not match document field id: {field_id}",
        )
        after = target.get(f"{DOCUMENTS}/{document['id']}", headers=api_key(user)).json()
        expect(
            after["fields"][0]["content"] == document["fields"][0]["content"],
            "DOCS-FIELDS-1",
            "a refused update changed the field",
        )
    finally:
        delete_document(target, user, document["id"])


@pytest.mark.clause("DOCS-BADID-1")
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_non_numeric_id_is_400(target: Target, method: str) -> None:
    user = require_api_key_users(target)[0]
    kwargs = {"json": {"name": "x"}} if method == "PUT" else {}
    response = target.request(method, f"{DOCUMENTS}/abc", headers=api_key(user), **kwargs)
    check_error(response, "DOCS-BADID-1", 400, 40006)


@pytest.mark.clause("DOCS-NOTFOUND-1")
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_missing_document_is_404(target: Target, method: str) -> None:
    user = require_api_key_users(target)[0]
    kwargs = {"json": {"name": "x"}} if method == "PUT" else {}
    response = target.request(method, f"{DOCUMENTS}/{MISSING_ID}", headers=api_key(user), **kwargs)
    check_error(
        response,
        "DOCS-NOTFOUND-1",
        404,
        50301,
        NOT_FOUND_MESSAGE.format(id=MISSING_ID),
        [""],
    )


@pytest.mark.clause("DOCS-BADBODY-1")
@pytest.mark.parametrize("body", ["not json", '{"name": ', "[1, 2", ""])
def test_unparseable_body_is_400(target: Target, body: str) -> None:
    require_writable(target, "a POST that a broken server might accept would create a document")
    user = require_api_key_users(target)[0]
    headers = {**api_key(user), "Content-Type": "application/json"}
    response = target.post(DOCUMENTS, content=body.encode(), headers=headers)
    if response.status_code == 201:  # a wrongly created document must not stay behind
        target.delete(f"{DOCUMENTS}/{response.json()['id']}", headers=api_key(user))
    check_error(response, "DOCS-BADBODY-1", 400, 40009)


@pytest.mark.clause("DOCS-CSV-1")
def test_document_as_csv(target: Target) -> None:
    user = require_api_key_users(target)[0]
    listing = target.get(DOCUMENTS, params={"pageSize": 1}, headers=api_key(user)).json()
    if listing.get("documents"):
        document_id = listing["documents"][0]["id"]
    elif not target.read_only:
        created = create_document(target, user, {"name": f"{target.run_tag}csv"})
        expect(created.status_code == 201, "DOCS-CSV-1", f"create gave {created.status_code}")
        document_id = created.json()["id"]
    else:
        pytest.skip("the test user has no document to read as CSV (and --read-only)")
    response = target.get(
        f"{DOCUMENTS}/{document_id}", headers={**api_key(user), "Accept": "text/csv"}
    )
    expect(
        response.status_code == 200,
        "DOCS-CSV-1",
        f"CSV GET gave {response.status_code}: {response.text[:200]}",
    )
    expect(
        response.headers.get("content-type", "").startswith("text/csv") and response.text,
        "DOCS-CSV-1",
        f"CSV GET answered {response.headers.get('content-type')!r}",
    )


@pytest.mark.real_port
@pytest.mark.clause("WIRE-SLASH-1")
def test_trailing_slash_is_tolerated(target: Target) -> None:
    user = require_api_key_users(target)[0]
    plain = target.get(DOCUMENTS, params={"pageSize": 3}, headers=api_key(user))
    slashed = target.get(DOCUMENTS + "/", params={"pageSize": 3}, headers=api_key(user))
    expect(
        slashed.status_code == plain.status_code == 200,
        "WIRE-SLASH-1",
        f"{DOCUMENTS}/ gave {slashed.status_code}, {DOCUMENTS} gave {plain.status_code}",
    )
    ids = [d["id"] for d in check_listing(json_body(slashed, "WIRE-SLASH-1"))["documents"]]
    expect(
        ids == [d["id"] for d in plain.json()["documents"]],
        "WIRE-SLASH-1",
        "a trailing slash changed the listing",
    )


@pytest.mark.real_port
@pytest.mark.clause("WIRE-NOCOOKIE-1")
def test_no_cookies_are_set(target: Target) -> None:
    """Successes and errors, token grants and document writes: none sets a cookie."""
    user = require_api_key_users(target)[0]
    responses = [
        target.get(DOCUMENTS, headers=api_key(user)),
        target.get(DOCUMENTS),
        target.get("/api/v1/status", headers=api_key(user)),
        target.get(f"{DOCUMENTS}/987654321987", headers=api_key(user)),
        target.token({"grant_type": "password", "client_id": "x", "client_secret": "y"}),
    ]
    if not target.read_only:
        created = create_document(target, user, {"name": f"{target.run_tag}cookies"})
        responses.append(created)
        if created.status_code == 201:
            path = f"{DOCUMENTS}/{created.json()['id']}"
            responses.append(target.get(path, headers=api_key(user)))
            responses.append(target.put(path, json={"tags": "t"}, headers=api_key(user)))
            responses.append(delete_document(target, user, created.json()["id"]))
        grant_user = next(iter(target.credentials.password_users), None)
        app = next(iter(target.credentials.apps), None)
        if grant_user and app:
            granted = target.token(password_grant(grant_user, app))
            responses.append(granted)
            responses.append(target.token(password_grant(grant_user, app, is_jwt=True)))
            if granted.status_code == 200:
                refresh_token = granted.json().get("refresh_token", "")
                responses.append(target.token(refresh_grant(app, refresh_token)))
                responses.append(
                    target.get("/api/v1/status", headers=bearer(granted.json()["access_token"]))
                )
    for response in responses:
        expect(
            "set-cookie" not in response.headers,
            "WIRE-NOCOOKIE-1",
            f"{response.request.method} {response.request.url.path} ({response.status_code}) "
            f"set a cookie: {response.headers.get('set-cookie')!r}",
        )


@pytest.mark.real_port
@pytest.mark.clause("WIRE-LISTING-1", "WIRE-DOC-1", "WIRE-CT-1")
def test_existing_documents_have_rspace_shape(target: Target) -> None:
    user = require_api_key_users(target)[0]
    response = target.get(DOCUMENTS, params={"pageSize": 5}, headers=api_key(user))
    listing = check_listing(json_body(response, "WIRE-CT-1"))
    for summary in listing["documents"][:3]:
        full = target.get(f"{DOCUMENTS}/{summary['id']}", headers=api_key(user))
        expect(full.status_code == 200, "WIRE-DOC-1", f"GET listed document: {full.status_code}")
        document = check_document_info(json_body(full, "WIRE-CT-1"), "WIRE-DOC-1", full=True)
        for key in ("name", "created", "lastModified", "globalId", "tags"):
            expect(
                document[key] == summary[key],
                "WIRE-DOC-1",
                f"{key} differs between listing and GET",
            )
