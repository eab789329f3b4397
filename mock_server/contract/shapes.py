"""JSON shapes of RSpace's responses, from the reference (server behaviour, sections A-E).

Each ``check_*`` function raises :class:`ContractViolation` for its clause when a body does not
have RSpace's keys and types. Key order is not checked: JSON clients do not see it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from .clauses import ContractViolation, expect

RESOURCE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$")
OPAQUE_TOKEN = re.compile(r"^[A-Za-z0-9+/]{32}$")
JWT = re.compile(r"^[A-Za-z0-9_\-+/=]+\.[A-Za-z0-9_\-+/=]+\.[A-Za-z0-9_\-+/=]+$")

HTTP_STATUS_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}

Check = Callable[[Any, str], None]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _keys(
    body: object,
    clause: str,
    what: str,
    required: set[str],
    optional: set[str],
    also: Iterable[str] = (),
) -> None:
    expect(isinstance(body, dict), clause, f"{what} is not a JSON object: {body!r:.200}", also)
    assert isinstance(body, dict)
    missing = required - body.keys()
    extra = body.keys() - required - optional
    expect(not missing, clause, f"{what} lacks keys {sorted(missing)}: {body!r:.300}", also)
    expect(not extra, clause, f"{what} has unexpected keys {sorted(extra)}: {body!r:.300}", also)


def _typed(
    body: dict[str, Any],
    clause: str,
    what: str,
    types: dict[str, str],
    also: Iterable[str] = (),
) -> None:
    """``types`` maps a key to 'int', 'int?', 'str', 'str?', 'bool', 'list', 'dict', 'date'."""
    for key, kind in types.items():
        value = body.get(key)
        nullable = kind.endswith("?")
        base = kind.rstrip("?")
        if value is None:
            expect(nullable, clause, f"{what}.{key} is null", also)
            continue
        ok = {
            "int": _is_int(value),
            "str": isinstance(value, str),
            "bool": isinstance(value, bool),
            "list": isinstance(value, list),
            "dict": isinstance(value, dict),
            "date": isinstance(value, str) and RESOURCE_DATE.match(value) is not None,
        }[base]
        expect(ok, clause, f"{what}.{key} should be {kind}, got {value!r:.100}", also)


def json_body(response: httpx.Response, clause: str) -> Any:
    """The JSON body (not JSON: ``clause`` fails); its Content-Type is WIRE-CT-1's rule."""
    content_type = response.headers.get("content-type", "")
    expect(
        content_type.split(";")[0].strip().lower() == "application/json",
        "WIRE-CT-1",
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code} with Content-Type {content_type!r}, not application/json",
    )
    try:
        return response.json()
    except ValueError as error:
        raise ContractViolation(clause, f"body is not JSON: {response.text[:200]!r}") from error


def check_api_error(response: httpx.Response, clause: str = "ERR-SHAPE-1") -> dict[str, Any]:
    """RSpace's ``ApiError`` (rest-api-utils ``ApiError.java``); returns the body."""
    body = json_body(response, clause)
    what = f"ApiError of {response.request.method} {response.request.url.path}"
    _keys(
        body,
        clause,
        what,
        {"status", "httpCode", "internalCode", "message", "messageCode", "errors"},
        {"iso8601Timestamp", "data"},
    )
    expect("iso8601Timestamp" in body, clause, f"{what} lacks iso8601Timestamp")
    expect("data" in body, clause, f"{what} lacks data (null must be sent)")
    _typed(
        body,
        clause,
        what,
        {
            "status": "str",
            "httpCode": "int",
            "internalCode": "int",
            "message": "str",
            "messageCode": "str?",
            "errors": "list",
            "iso8601Timestamp": "str",
            "data": "dict?",
        },
    )
    expect(
        body["httpCode"] == response.status_code,
        clause,
        f"{what}: httpCode {body['httpCode']} but HTTP status {response.status_code}",
    )
    expected_name = HTTP_STATUS_NAMES.get(response.status_code)
    if expected_name:
        expect(body["status"] == expected_name, clause, f"{what}: status {body['status']!r}")
    # RSpace's internal codes are five digits; 404s use 50301 ("configured unavailable").
    expect(
        10000 <= body["internalCode"] <= 99999,
        clause,
        f"{what}: internalCode {body['internalCode']} is not a five-digit code",
    )
    errors = body["errors"]
    expect(
        errors and all(isinstance(e, str) for e in errors),
        clause,
        f"{what}: errors must be a non-empty list of strings, got {errors!r}",
    )
    expect(
        INSTANT.match(body["iso8601Timestamp"]) is not None,
        clause,
        f"{what}: iso8601Timestamp {body['iso8601Timestamp']!r} is not an Instant",
    )
    return dict(body)


def check_error(
    response: httpx.Response,
    clause: str,
    status: int,
    internal_code: int | None = None,
    message: str | None = None,
    errors: list[str] | None = None,
    also: Iterable[str] = (),
) -> dict[str, Any]:
    """The exact status (for ``clause``, and ``also``), then the ApiError shape, code and
    texts."""
    expect(
        response.status_code == status,
        clause,
        f"{response.request.method} {response.request.url.path}: expected {status}, got "
        f"{response.status_code}: {response.text[:300]}",
        also,
    )
    if status == 401:
        expect(
            "www-authenticate" not in response.headers,
            "AUTH-HEADERS-1",
            f"a 401 of {response.request.method} {response.request.url.path} carries "
            f"WWW-Authenticate: {response.headers.get('www-authenticate')!r}",
        )
    body = check_api_error(response)
    if internal_code is not None:
        expect(
            body["internalCode"] == internal_code,
            clause,
            f"internalCode {body['internalCode']}, expected {internal_code}",
        )
    if message is not None:
        expect(body["message"] == message, clause, f"message {body['message']!r} != {message!r}")
    if errors is not None:
        expect(body["errors"] == errors, clause, f"errors {body['errors']!r} != {errors!r}")
    return body


def check_token_response(
    body: object, clause: str = "WIRE-TOKEN-1", also: Iterable[str] = ()
) -> dict[str, Any]:
    """Keys, types and values of a token response; ``also``: the grant's own clause (a
    password grant's response breaks OAUTH-GRANT-1 as well)."""
    also = tuple(also)
    what = "token response"
    _keys(body, clause, what, {"access_token", "scope", "expires_in"}, {"refresh_token"}, also)
    assert isinstance(body, dict)
    _typed(body, clause, what, {"access_token": "str", "scope": "str", "expires_in": "int"}, also)
    if "refresh_token" in body:
        _typed(body, clause, what, {"refresh_token": "str"}, also)
    expect(body["scope"] == "all", clause, f"scope is {body['scope']!r}, not 'all'", also)
    # RSpace's lifetime is a hard-coded hour, counted down when the response is written.
    expect(
        3500 <= body["expires_in"] <= 3600,
        clause,
        f"expires_in {body['expires_in']} is not about an hour (3599)",
        also,
    )
    return dict(body)


def _check_links(
    links: object, clause: str, what: str, also: Iterable[str] = ()
) -> list[dict[str, str]]:
    expect(isinstance(links, list), clause, f"{what}._links is not a list")
    assert isinstance(links, list)
    for link in links:
        _keys(link, clause, f"{what} link", {"link", "rel"}, {"operation", "method"})
        _typed(link, clause, f"{what} link", {"link": "str", "rel": "str"})
        expect(
            link["link"].startswith(("http://", "https://")),
            clause,
            f"{what} link {link['link']!r} is not absolute",
            also,
        )
    return links


_FORM_KEYS = {
    "id": "int",
    "globalId": "str",
    "stableId": "str",
    "version": "int",
    "name": "str",
    "tags": "str?",
    "formState": "str",
    "accessControl": "dict",
    "iconId": "int",
    "_links": "list",
}
_USER_KEYS = {
    "id": "int",
    "username": "str",
    "email": "str?",
    "firstName": "str?",
    "lastName": "str?",
    "homeFolderId": "int?",
    "workbenchId": "int?",
    "hasPiRole": "bool",
    "hasSysAdminRole": "bool",
    "_links": "list",
}
_DOCUMENT_INFO_KEYS = {
    "id": "int",
    "globalId": "str",
    "version": "int",
    "name": "str",
    "created": "date",
    "lastModified": "date",
    "parentFolderId": "int?",
    "grandParentId": "int?",
    "signed": "bool",
    "tags": "str?",
    "tagMetaData": "str?",
    "form": "dict",
    "owner": "dict",
    "_links": "list",
}
_FIELD_KEYS = {
    "id": "int",
    "globalId": "str",
    "name": "str",
    "type": "str",
    "content": "str?",
    "lastModified": "date",
    "columnIndex": "int",
    "files": "list",
    "listOfMaterials": "list",
    "_links": "list",
}
FIELD_TYPES = {
    "string", "text", "choice", "radio", "date", "number", "time", "attachment", "reference",
    "uri", "identifier", "link",
}  # fmt: skip


def _check_global_id(value: str, prefix: str, number: int, clause: str, what: str) -> None:
    expect(
        value == f"{prefix}{number}",
        clause,
        f"{what}.globalId {value!r} should be {prefix}{number}",
    )


def check_document_info(document: object, clause: str, full: bool = False) -> dict[str, Any]:
    keys = dict(_DOCUMENT_INFO_KEYS)
    if full:
        keys["fields"] = "list"
    what = "document" if full else "document summary"
    _keys(document, clause, what, set(keys), set())
    assert isinstance(document, dict)
    _typed(document, clause, what, keys)
    _check_global_id(document["globalId"], "SD", document["id"], clause, what)
    form = document["form"]
    _keys(form, clause, f"{what}.form", set(_FORM_KEYS), set())
    _typed(form, clause, f"{what}.form", _FORM_KEYS)
    _check_global_id(form["globalId"], "FM", form["id"], clause, f"{what}.form")
    expect(
        form["formState"] in {"NEW", "PUBLISHED", "UNPUBLISHED", "OLD"},
        clause,
        f"{what}.form.formState {form['formState']!r}",
    )
    _keys(
        form["accessControl"],
        clause,
        f"{what}.form.accessControl",
        {"ownerPermissionType", "groupPermissionType", "worldPermissionType"},
        set(),
    )
    owner = document["owner"]
    _keys(owner, clause, f"{what}.owner", set(_USER_KEYS), set())
    _typed(owner, clause, f"{what}.owner", _USER_KEYS)
    links = _check_links(document["_links"], clause, what)
    self_links = [link["link"] for link in links if link["rel"] == "self"]
    expect(
        len(self_links) == 1 and self_links[0].endswith(f"/api/v1/documents/{document['id']}"),
        clause,
        f"{what} self link {self_links!r} does not point at /api/v1/documents/{document['id']}",
    )
    if full:
        for field in document["fields"]:
            _keys(field, clause, f"{what}.field", set(_FIELD_KEYS), set())
            _typed(field, clause, f"{what}.field", _FIELD_KEYS)
            _check_global_id(field["globalId"], "FD", field["id"], clause, f"{what}.field")
            expect(field["type"] in FIELD_TYPES, clause, f"field type {field['type']!r}")
    return dict(document)


def check_listing(body: object, clause: str = "WIRE-LISTING-1") -> dict[str, Any]:
    _keys(body, clause, "listing", {"totalHits", "pageNumber", "documents", "_links"}, set())
    assert isinstance(body, dict)
    _typed(
        body,
        clause,
        "listing",
        {"totalHits": "int", "pageNumber": "int", "documents": "list", "_links": "list"},
    )
    for document in body["documents"]:
        check_document_info(document, clause)
    _check_links(body["_links"], clause, "listing", also=("DOCS-LINKS-1",))
    return dict(body)


def check_status(body: object, clause: str = "STATUS-1") -> None:
    _keys(body, clause, "status", {"message", "rspaceVersion"}, set())
    assert isinstance(body, dict)
    expect(body["message"] == "OK", clause, f"status message {body['message']!r}")
    expect(isinstance(body["rspaceVersion"], str), clause, "rspaceVersion is not a string")
