"""What the served OpenAPI document says about each request and response.

Responses are rendered by :mod:`.representations`; the models and schemas here exist only so
that ``/openapi.json`` states the real request and response shapes, the statuses each
operation answers and the headers that come with them, for schema-driven tools (client
generators, schemathesis). A request the schemas allow is one the fake accepts, and a request
they forbid is one it refuses, as far as a schema can say it: what no schema can state (a
document's own field ids, ``query`` together with ``advancedQuery``) is in the descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.documents import (
    ALLOWED_ORDERS,
    FIELD_TYPES,
    FILTERS,
    MAX_QUERY_LENGTH,
    MAX_TERM_LENGTH,
    MIN_TERM_LENGTH,
    NAME_MAX_LENGTH,
    QUERY_TYPES,
)
from ..domain.form_fields import decode_options
from ..domain.forms import system_forms
from ..domain.models import Form, FormField
from ..domain.paging import DEFAULT_ORDER, DEFAULT_PAGE_SIZE, JAVA_INT_MAX, MAX_PAGE_SIZE

_DATE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
#: Java ``Instant.toString()``: fraction digits in groups of three, none when zero.
_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$"

JAVA_LONG_MIN = -(2**63)
JAVA_LONG_MAX = 2**63 - 1

JsonSchema = dict[str, Any]


class _Response(BaseModel):
    """A response body: every key is always sent, and nothing else is."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


# -- responses ------------------------------------------------------------------------------


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class TokenResponse(_Response):
    access_token: str = Field(description="32-character opaque token, or a JWT with is_jwt")
    #: Optional but never null: it is left out, not sent as null.
    refresh_token: str = Field(
        None,  # type: ignore[assignment]
        description="Left out when a JWT is issued for an existing token pair",
        json_schema_extra=_no_default,
    )
    scope: Literal["all"]
    expires_in: int = Field(description="Seconds until the access token expires")


class ApiErrorBody(_Response):
    status: str = Field(description="The HTTP status's name, e.g. NOT_FOUND")
    httpCode: int = Field(ge=400, le=599)
    internalCode: int
    message: str
    messageCode: str | None
    errors: list[str] = Field(min_length=1)
    iso8601Timestamp: str = Field(pattern=_INSTANT)
    data: dict[str, Any] | None


class LinkItem(_Response):
    link: str
    rel: str


class AccessControl(_Response):
    ownerPermissionType: Literal["NONE", "READ", "WRITE"]
    groupPermissionType: Literal["NONE", "READ", "WRITE"]
    worldPermissionType: Literal["NONE", "READ", "WRITE"]


class FormInfo(_Response):
    id: int
    globalId: str = Field(pattern=r"^FM\d+$")
    stableId: str
    version: int
    name: str
    tags: str | None
    formState: Literal["NEW", "PUBLISHED", "UNPUBLISHED", "OLD"]
    accessControl: AccessControl
    iconId: int
    links: list[LinkItem] = Field(alias="_links")


class UserInfo(_Response):
    id: int
    username: str
    email: str
    firstName: str
    lastName: str
    homeFolderId: int | None
    workbenchId: int | None
    hasPiRole: bool
    hasSysAdminRole: bool
    links: list[LinkItem] = Field(alias="_links")


class DocumentInfo(_Response):
    id: int
    globalId: str = Field(pattern=r"^SD\d+$")
    version: int
    name: str
    created: str = Field(pattern=_DATE)
    lastModified: str = Field(pattern=_DATE)
    parentFolderId: int | None
    grandParentId: int | None
    signed: bool
    tags: str | None
    tagMetaData: str | None
    form: FormInfo
    owner: UserInfo
    links: list[LinkItem] = Field(alias="_links")


class DocumentField(_Response):
    id: int
    globalId: str = Field(pattern=r"^FD\d+$")
    name: str
    type: str
    content: str
    lastModified: str = Field(pattern=_DATE)
    columnIndex: int
    files: list[dict[str, Any]]
    listOfMaterials: list[dict[str, Any]]
    links: list[LinkItem] = Field(alias="_links")


class Document(DocumentInfo):
    fields: list[DocumentField]


class DocumentSearchResult(_Response):
    totalHits: int
    pageNumber: int
    documents: list[DocumentInfo]
    links: list[LinkItem] = Field(alias="_links")


class Status(_Response):
    message: str
    rspaceVersion: str


# -- headers --------------------------------------------------------------------------------

#: Every ``/api/`` response an RSpace handler answers carries RSpace's throttle headers (fixed
#: values while throttling is off). Remaining counts are Java floats such as ``10.0``.
_RATE_LIMIT_HEADERS: dict[str, tuple[str, str]] = {
    "X-Rate-Limit-Limit": ("integer", "Requests allowed per quarter minute"),
    "X-Rate-Limit-Remaining": ("number", "Requests left this quarter minute"),
    "X-Rate-Limit-WaitTimeTillNextRequestMillis-quarter_min": (
        "integer",
        "Milliseconds until the quarter-minute bucket admits a request",
    ),
    "X-Rate-Limit-Limit-hour": ("integer", "Requests allowed per hour"),
    "X-Rate-Limit-Remaining-hour": ("number", "Requests left this hour"),
    "X-Rate-Limit-WaitTimeTillNextRequestMillis-hour": (
        "integer",
        "Milliseconds until the hourly bucket admits a request",
    ),
    "X-Rate-Limit-Limit-day": ("integer", "Requests allowed per day"),
    "X-Rate-Limit-Remaining-day": ("number", "Requests left today"),
    "X-Rate-Limit-WaitTimeTillNextRequestMillis-day": (
        "integer",
        "Milliseconds until the daily bucket admits a request",
    ),
    "X-Rate-Limit-MinWaitIntervalMillis": ("integer", "Least milliseconds between requests"),
    "X-Rate-Limit-WaitTimeMillis": ("integer", "Milliseconds to wait before the next request"),
}


def rate_limit_header_components() -> dict[str, JsonSchema]:
    """``components.headers`` of the API document."""
    return {
        name: {"description": text, "required": True, "schema": {"type": kind}}
        for name, (kind, text) in _RATE_LIMIT_HEADERS.items()
    }


RATE_LIMIT_HEADERS: dict[str, JsonSchema] = {
    name: {"$ref": f"#/components/headers/{name}"} for name in _RATE_LIMIT_HEADERS
}


def drop_fastapi_validation_errors(document: JsonSchema) -> None:
    """FastAPI lists a 422 ``HTTPValidationError`` for every operation with parameters, but
    its validation errors never reach the wire: the error handlers answer RSpace's 400 (or
    the admin API's). Removes those responses and their schemas."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            for code, response in list(responses.items()):
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if schema.get("$ref") == "#/components/schemas/HTTPValidationError":
                    del responses[code]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


# -- statuses -------------------------------------------------------------------------------

_ERROR_DESCRIPTIONS = {
    400: "Missing or malformed parameter or body (Spring's binding and conversion errors)",
    401: "Authentication failed",
    404: "Not found, deleted, or not yours",
    415: "Body is not application/json",
    422: "Well-formed but unacceptable request",
    429: "Too many requests: see the X-Rate-Limit headers",
}

#: With ``Accept: text/csv`` (and no JSON in it), errors are CSV too (RSpace's CSV message
#: converter): a header line and one row.
_CSV_ERROR = {"schema": {"type": "string"}}


def error_responses(*codes: int, api: bool = True) -> dict[int | str, dict[str, Any]]:
    """RSpace ``ApiError`` answers; ``api`` ones (under ``/api/``) carry the rate headers."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        response: dict[str, Any] = {
            "model": ApiErrorBody,
            "description": _ERROR_DESCRIPTIONS.get(code, "Error"),
        }
        if api:
            response["headers"] = RATE_LIMIT_HEADERS
            response["content"] = {"text/csv": _CSV_ERROR}
        responses[code] = response
    return responses


def success_response(description: str, **extra: Any) -> dict[str, Any]:
    """A 2xx answer of an ``/api/`` operation: its description and the rate headers."""
    return {"description": description, "headers": RATE_LIMIT_HEADERS, **extra}


def json_success(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A 2xx JSON answer of an ``/api/`` operation with its body's schema."""
    return success_response(description, content={"application/json": {"schema": schema}})


# -- request values -------------------------------------------------------------------------

#: A Java ``Long`` as Jackson reads it from JSON: a number in range (a fraction is cut off), or
#: a string of digits.
LONG: JsonSchema = {
    "anyOf": [
        {"type": "number", "minimum": JAVA_LONG_MIN, "maximum": JAVA_LONG_MAX},
        {"type": "string", "pattern": r"^[+-]?[0-9]{1,18}$"},
    ]
}
NULLABLE_LONG: JsonSchema = {"anyOf": [*LONG["anyOf"], {"type": "null"}]}

#: A Java ``String`` as Jackson reads it: scalars become their text; arrays and objects are a
#: 400.
STRINGISH: JsonSchema = {"type": ["string", "number", "boolean", "null"]}

DOCUMENT_ID_PARAMETER: JsonSchema = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The document's id (a Java Long); anything else is a 400",
    "schema": {
        "type": "integer",
        "format": "int64",
        "minimum": JAVA_LONG_MIN,
        "maximum": JAVA_LONG_MAX,
    },
}

#: What ``check_search_terms`` refuses beyond these (a blank term, a leading wildcard in a
#: global or full-text term, records and date syntax, ``l:`` with ``:*``) is in the description.
SEARCH_TERM_SCHEMA: JsonSchema = {
    "type": "string",
    "minLength": MIN_TERM_LENGTH,
    "maxLength": MAX_TERM_LENGTH,
}
ADVANCED_QUERY_SCHEMA: JsonSchema = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "RSpace refuses (a 422) a blank term, a global or fullText term starting with * or ?, "
        "records terms that are not SD/NB/FL ids or come alone, dates that are not yyyy-MM-dd "
        "or ISO instants with an offset, and l: terms holding ':*'"
    ),
    "properties": {
        "operator": {"enum": ["and", "or"], "default": "and"},
        "terms": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["query"],
                "properties": {
                    "query": SEARCH_TERM_SCHEMA,
                    "queryType": {"enum": sorted(QUERY_TYPES), "default": "global"},
                },
            },
        },
    },
}

LISTING_PARAMETERS: list[JsonSchema] = [
    {
        "name": "pageNumber",
        "in": "query",
        "description": "0-based page (a Java Integer)",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": JAVA_INT_MAX},
    },
    {
        "name": "pageSize",
        "in": "query",
        "schema": {
            "type": "integer",
            "format": "int32",
            "minimum": 1,
            "maximum": MAX_PAGE_SIZE,
            "default": DEFAULT_PAGE_SIZE,
        },
    },
    {
        "name": "orderBy",
        "in": "query",
        "schema": {"type": "string", "enum": ALLOWED_ORDERS, "default": DEFAULT_ORDER},
    },
    {
        "name": "query",
        "in": "query",
        "description": (
            "Global search term; not together with advancedQuery (a 422); over 2000 characters "
            "a 400, over 125 or blank or starting with * or ? a 422; empty, as not given"
        ),
        "schema": {"anyOf": [SEARCH_TERM_SCHEMA, {"type": "string", "maxLength": 0}]},
    },
    {
        "name": "advancedQuery",
        "in": "query",
        "description": (
            "JSON search clauses, at most "
            f"{MAX_QUERY_LENGTH} characters; not together with query (a 422)"
        ),
        "content": {"application/json": {"schema": ADVANCED_QUERY_SCHEMA}},
    },
    {
        "name": "filter",
        "in": "query",
        "schema": {"type": "string", "enum": sorted(FILTERS)},
    },
]


# -- document bodies ------------------------------------------------------------------------


def _case_insensitive(word: str) -> str:
    return "^" + "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word) + "$"


def _form_reference(form: Form) -> list[JsonSchema]:
    """The ways a body names ``form``: by id, or by a global id that wins over the id."""
    number = {"anyOf": [{"const": form.id}, {"type": "string", "pattern": f"^\\+?0*{form.id}$"}]}
    global_id = {"type": "string", "pattern": f"^FM0*{form.id}$"}
    return [
        {
            "type": "object",
            "required": ["id"],
            "properties": {"id": number, "globalId": {"type": "null"}},
        },
        {
            "type": "object",
            "required": ["globalId"],
            "properties": {"id": {"anyOf": [number, {"type": "null"}]}, "globalId": global_id},
        },
    ]


#: ``form`` left out, null or with neither id nor globalId: Basic Document.
_NO_FORM: list[JsonSchema] = [
    {"type": "null"},
    {"type": "object", "properties": {"id": {"type": "null"}, "globalId": {"type": "null"}}},
]


def _content_schema(field: FormField) -> JsonSchema:
    """What a field of this type accepts as content (``""`` clears it; null leaves it)."""
    if field.type == "date":
        return {
            "anyOf": [{"type": "null"}, {"type": "string", "pattern": r"^(\d{4}-\d{2}-\d{2})?$"}]
        }
    if field.type == "choice":
        options = decode_options(field.options)
        return {
            "anyOf": [
                {"type": "null"},
                {"type": "string", "pattern": r"^([^,&=]+(,[^,&=]+)*)?,*$"},
                {"type": ["number", "boolean"]},  # read as their text, a valid choice
            ],
            "description": "Comma-separated, from: " + ", ".join(options),
        }
    return STRINGISH


#: A field entry's ``type``: any of ``ApiFieldType``, in any case (another is a 400).
_ANY_FIELD_TYPE: JsonSchema = {
    "anyOf": [
        *({"type": "string", "pattern": _case_insensitive(t.lower())} for t in sorted(FIELD_TYPES)),
        {"type": "null"},
    ]
}


def _new_fields(form: Form) -> JsonSchema:
    """POST ``fields``: one entry per form field, in order. An entry with content must keep
    its form field's name and type (or give none) and hold what that type accepts; one
    without content is not checked (any name, any known type). Entries may be ``{}`` or
    null; ids are ignored."""
    entries = [
        {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "id": NULLABLE_LONG,
                        "name": STRINGISH,
                        "type": _ANY_FIELD_TYPE,
                        "content": {"type": "null"},
                    },
                },
                {
                    "type": "object",
                    "required": ["content"],
                    "properties": {
                        "id": NULLABLE_LONG,
                        "name": {"enum": [field.name, "", None]},
                        "type": {
                            "anyOf": [
                                {"type": "string", "pattern": _case_insensitive(field.type)},
                                {"type": "null"},
                            ]
                        },
                        "content": _content_schema(field),
                    },
                },
            ]
        }
        for field in form.fields
    ]
    count = len(form.fields)
    return {
        "anyOf": [
            {"type": "null"},
            {"type": "array", "maxItems": 0},  # the form's fields with their defaults
            {"type": "array", "prefixItems": entries, "minItems": count, "maxItems": count},
        ]
    }


def _changed_fields(forms: tuple[Form, ...]) -> JsonSchema:
    """PUT ``fields``: all of the document's fields in order (ids optional), or any of them,
    each with its id. Ids must be the document's own field ids."""
    # A field with content must keep its form field's name and type (or give none).
    names = sorted({field.name for form in forms for field in form.fields})
    types = sorted({field.type for form in forms for field in form.fields})
    properties = {
        "id": NULLABLE_LONG,
        "name": {"enum": [*names, "", None]},
        "type": {
            "anyOf": [
                *({"type": "string", "pattern": _case_insensitive(t)} for t in types),
                {"type": "null"},
            ]
        },
        "content": STRINGISH,
    }
    entry = {"type": "object", "properties": properties}
    with_id = {"type": "object", "required": ["id"], "properties": {**properties, "id": LONG}}
    counts = sorted({len(form.fields) for form in forms})
    return {
        "anyOf": [
            {"type": "null"},
            {"type": "array", "maxItems": 0},
            *(
                {
                    "type": "array",
                    "items": {"anyOf": [entry, {"type": "null"}]},
                    "minItems": count,
                    "maxItems": count,
                }
                for count in counts
            ),
            {"type": "array", "items": with_id},
        ]
    }


_NAME: JsonSchema = {
    "anyOf": [
        {"type": "string", "maxLength": NAME_MAX_LENGTH},
        {"type": ["number", "boolean", "null"]},
    ],
    "description": f"At most {NAME_MAX_LENGTH} characters; blank means 'Untitled document'",
}
_COMMON_PROPERTIES: dict[str, JsonSchema] = {
    "name": _NAME,
    "tags": {
        "anyOf": [
            # DocumentTagManagerImpl refuses these characters (a 422).
            {"type": "string", "pattern": r"^[^<>\\/]*$"},
            {"type": ["number", "boolean", "null"]},
        ],
        "description": 'Comma-separated tags, without <, >, \\ or /; "" clears them on PUT',
    },
    "parentFolderId": NULLABLE_LONG,
    "grandParentId": NULLABLE_LONG,
    "id": NULLABLE_LONG,
}


def new_document_schema(forms: tuple[Form, ...] | None = None) -> JsonSchema:
    """The POST body: every key optional (``{}`` is a valid body), unknown keys ignored."""
    forms = forms or system_forms()
    branches: list[JsonSchema] = []
    for index, form in enumerate(forms):
        references = _form_reference(form) + (_NO_FORM if index == 0 else [])
        branch: JsonSchema = {
            "properties": {"form": {"anyOf": references}, "fields": _new_fields(form)}
        }
        if index:  # only Basic Document's may leave the form out
            branch["required"] = ["form"]
        branches.append(branch)
    schema: JsonSchema = {
        "type": "object",
        "title": "DocumentPost",
        "description": (
            "A new document. Without a form it is a Basic Document; fields, if given, has one "
            "entry per form field."
        ),
        "properties": dict(_COMMON_PROPERTIES),
    }
    if len(branches) == 1:
        schema["properties"].update(branches[0]["properties"])
    else:
        schema["anyOf"] = branches
    return schema


def changed_document_schema(forms: tuple[Form, ...] | None = None) -> JsonSchema:
    """The PUT body: only the keys given change; unknown keys are ignored."""
    forms = forms or system_forms()
    form_object = {
        "type": "object",
        "properties": {"id": NULLABLE_LONG, "globalId": STRINGISH},
    }
    return {
        "type": "object",
        "title": "DocumentPut",
        "description": (
            "Changes to a document. A field entry's id, when given, must be the id of the "
            "document's field (a 422 otherwise)."
        ),
        "properties": {
            **_COMMON_PROPERTIES,
            "form": {"anyOf": [form_object, {"type": "null"}]},
            "fields": _changed_fields(forms),
        },
    }


def json_body(schema: JsonSchema) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


# -- the token endpoint ---------------------------------------------------------------------

#: Spring's String-to-Boolean conversion (blank means false), in any case.
_BOOLEAN_WORDS = ("true", "false", "on", "off", "yes", "no", "1", "0")
_BOOLEAN_TEXT = r"^\s*(|" + "|".join(_case_insensitive(w)[1:-1] for w in _BOOLEAN_WORDS) + r")\s*$"
_TEXT: JsonSchema = {"type": "string", "minLength": 1}


def token_form_schema() -> JsonSchema:
    common: dict[str, JsonSchema] = {
        "client_id": {**_TEXT, "description": "The OAuth app's client id"},
        "client_secret": {**_TEXT, "description": "The OAuth app's client secret"},
        "is_jwt": {
            "type": "string",
            "pattern": _BOOLEAN_TEXT,
            "description": "true/false/on/off/yes/no/1/0 in any case; true returns a JWT",
        },
    }
    return {
        "oneOf": [
            {
                "title": "PasswordGrant",
                "type": "object",
                "required": ["grant_type", "client_id", "client_secret", "username", "password"],
                "properties": {
                    "grant_type": {"const": "password"},
                    **common,
                    "username": _TEXT,
                    "password": _TEXT,
                },
            },
            {
                "title": "RefreshGrant",
                "type": "object",
                "required": ["grant_type", "client_id", "client_secret", "refresh_token"],
                "properties": {
                    "grant_type": {"const": "refresh_token"},
                    **common,
                    "refresh_token": {
                        **_TEXT,
                        "description": "The refresh token of the last grant (opaque or a JWT)",
                    },
                },
            },
        ]
    }


def id_parameter(description: str) -> dict[str, Any]:
    """A Java ``Long`` path id."""
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "format": "int64"},
        "description": description,
    }


def paging_parameters(order_choices: Sequence[str]) -> list[dict[str, Any]]:
    """``DocumentApiPaginationCriteria`` as query parameters: Java ints, RSpace's orders."""
    return [
        {
            "name": "pageNumber",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": JAVA_INT_MAX},
        },
        {
            "name": "pageSize",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        },
        {
            "name": "orderBy",
            "in": "query",
            # Empty, as not given: the default order.
            "schema": {"type": "string", "enum": [*order_choices, ""]},
        },
    ]


#: A ``yyyy-MM-dd`` date parameter (days every month has, so that any value is a real day).
DAY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$",
}

#: An ``ApiLinkItem`` as RSpace writes it (``operation`` and ``method``, always null, left out).
LINK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"link": {"type": "string"}, "rel": {"type": "string"}},
    "required": ["link", "rel"],
}
