"""What ``/_mock/openapi.json`` says about the admin API's bodies, answers and statuses.

The admin router reads its bodies as plain JSON and checks them itself (``admin/control.py``,
``admin/faults.py``, ``domain/fixtures.py``); these schemas state the same rules, so that a
body the document allows is one the admin API takes. Errors are ``{"error": "..."}``.
"""

from __future__ import annotations

from typing import Any

from ..admin.faults import FAULT_KINDS
from ..admin.throttle import JAVA_INT_MAX, ThrottleLimits
from ..domain.credentials import API_KEY_PATTERN
from ..domain.directory import APP_NAME_MAX_LENGTH
from ..domain.documents import NAME_MAX_LENGTH
from ..domain.fixtures import FORM_STATES
from ..domain.form_fields import NAME_MAX_LENGTH as FORM_NAME_MAX_LENGTH
from ..settings import MAX_TOKEN_TTL_SECONDS
from .forms_router import FIELD_POST_SCHEMA
from .schemas import JsonSchema, json_body, new_document_schema

_TEXT: JsonSchema = {"type": "string", "minLength": 1}
_NULLABLE_BOOL: JsonSchema = {"type": ["boolean", "null"]}
#: What ``datetime.fromisoformat`` reads (after ``Z``): an RFC 3339 time with a zone.
_TIME: JsonSchema = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$",
}

ERROR: JsonSchema = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}

_ERROR_DESCRIPTIONS = {
    400: "Malformed or refused body or parameter",
    401: "Missing or wrong X-Admin-Token (only with --admin-token)",
    404: "No such user, app, fault rule or document owner",
    409: "Already exists",
}


def answers(status: int, description: str, body: JsonSchema | None, *errors: int) -> dict[str, Any]:
    """``responses`` for an admin route: its success and its ``{"error"}`` answers (every
    route may answer 401 when the admin API has a token)."""
    responses: dict[int | str, Any] = {
        status: {
            "description": description,
            "content": {"application/json": {"schema": body or {"type": "object"}}},
        }
    }
    for code in sorted({401, *errors}):
        responses[code] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"schema": ERROR}},
        }
    return {"responses": responses}


def body(schema: JsonSchema, *, required: bool = True) -> dict[str, Any]:
    extra = json_body(schema)
    extra["requestBody"]["required"] = required
    return extra


def _object(properties: dict[str, JsonSchema], *required: str, extra: bool = False) -> JsonSchema:
    schema: JsonSchema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _or_null(schema: JsonSchema) -> JsonSchema:
    """A body where JSON ``null`` means ``{}`` (nothing to change)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _or_null_object(properties: dict[str, JsonSchema]) -> JsonSchema:
    return _or_null(_object(properties))


def _list_of(key: str, item: JsonSchema) -> JsonSchema:
    return _object({key: {"type": "array", "items": item}}, key, extra=True)


# -- users and apps -------------------------------------------------------------------------

_NULLABLE_TEXT: JsonSchema = {"type": ["string", "null"]}
#: Optional keys may also be null, which is the same as leaving them out.
_USER_ENTRY_PROPERTIES: dict[str, JsonSchema] = {
    "username": _TEXT,
    "password": _TEXT,
    "apiKey": {"anyOf": [{"type": "string", "pattern": API_KEY_PATTERN.pattern}, {"type": "null"}]},
    "email": _NULLABLE_TEXT,
    "firstName": _NULLABLE_TEXT,
    "lastName": _NULLABLE_TEXT,
    "accountLocked": _NULLABLE_BOOL,
    "apiAccess": _NULLABLE_BOOL,
    "piRole": _NULLABLE_BOOL,
    "sysadminRole": _NULLABLE_BOOL,
    "tempAccount": _NULLABLE_BOOL,
    "created": {
        "anyOf": [
            # Within the clock's range (1970 to 9000), whatever the zone.
            {**_TIME, "pattern": r"^(19[89]\d|[2-8]\d{3})" + _TIME["pattern"][6:]},
            {"type": "null"},
        ],
        "description": "Default: now",
    },
}
NEW_USER = _object(_USER_ENTRY_PROPERTIES, "username", "password")

USER: JsonSchema = _object(
    {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "email": {"type": "string"},
        "firstName": {"type": "string"},
        "lastName": {"type": "string"},
        "hasApiKey": {"type": "boolean"},
        "accountLocked": {"type": "boolean"},
        "apiAccess": {"type": "boolean"},
        "piRole": {"type": "boolean"},
        "sysadminRole": {"type": "boolean"},
        "enabled": {"type": "boolean"},
        "tempAccount": {"type": "boolean"},
        "created": {"type": ["string", "null"]},
    },
    "id",
    "username",
    "email",
    "firstName",
    "lastName",
    "hasApiKey",
    "accountLocked",
    "apiAccess",
    "piRole",
    "sysadminRole",
    "enabled",
    "tempAccount",
    "created",
)
USERS = _list_of("users", USER)
USER_CHANGES = _or_null(_object({"accountLocked": _NULLABLE_BOOL, "apiAccess": _NULLABLE_BOOL}))

_APP_NAME: JsonSchema = {"type": "string", "minLength": 1, "maxLength": APP_NAME_MAX_LENGTH}
_APP_ENTRY_PROPERTIES: dict[str, JsonSchema] = {
    "name": _APP_NAME,
    "owner": {**_TEXT, "description": "The owner's username"},
    "clientId": {**_NULLABLE_TEXT, "description": "Generated when left out or empty"},
    "clientSecret": {**_NULLABLE_TEXT, "description": "Generated when left out or empty"},
}
NEW_APP: JsonSchema = {
    **_object({**_APP_ENTRY_PROPERTIES, "user": {**_TEXT, "description": "Same as owner"}}),
    "required": ["name"],
    "oneOf": [{"required": ["owner"]}, {"required": ["user"]}],
}
APP: JsonSchema = _object(
    {
        "appName": {"type": "string"},
        "clientId": {"type": "string"},
        "owner": {"type": ["string", "null"]},
    },
    "appName",
    "clientId",
    "owner",
)
CREATED_APP: JsonSchema = {
    **APP,
    "properties": {**APP["properties"], "clientSecret": {"type": "string"}},
    "required": [*APP["required"], "clientSecret"],
}
APPS = _list_of("apps", APP)
DELETED_APP = _object(
    {
        "clientId": {"type": "string"},
        "deleted": {"const": True},
        "revokedTokenRows": {"type": "integer", "minimum": 0},
    },
    "clientId",
    "deleted",
    "revokedTokenRows",
)
DISCONNECTED_APP = _object(
    {
        "username": {"type": "string"},
        "clientId": {"type": "string"},
        "disconnected": {"type": "boolean"},
    },
    "username",
    "clientId",
    "disconnected",
)

# -- documents and fixtures -----------------------------------------------------------------

NEW_DOCUMENT: JsonSchema = {
    **new_document_schema(),
    "title": "AdminDocumentPost",
    "description": "A document body as for POST /api/v1/documents, and its owner's username.",
    "required": ["owner"],
}
NEW_DOCUMENT["properties"] = {"owner": _TEXT, **NEW_DOCUMENT["properties"]}
CREATED_DOCUMENT = _object(
    {
        "id": {"type": "integer"},
        "globalId": {"type": "string", "pattern": r"^SD\d+$"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
        "created": {"type": "string"},
    },
    "id",
    "globalId",
    "name",
    "owner",
    "created",
)

NEW_FORM: JsonSchema = {
    **_object(
        {
            "owner": _TEXT,
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": FORM_NAME_MAX_LENGTH,
                "pattern": r"\S",
            },
            "tags": _NULLABLE_TEXT,
            "fields": {"type": ["array", "null"], "items": FIELD_POST_SCHEMA},
            "state": {"enum": [*FORM_STATES, None]},
            "shared": _NULLABLE_BOOL,
        },
        "owner",
        "name",
    ),
    "title": "AdminFormPost",
    "description": (
        "A form body as for POST /api/v1/forms, its owner's username, its state (default "
        "PUBLISHED) and whether it is shared with the owner's groups."
    ),
}
CREATED_FORM = _object(
    {
        "id": {"type": "integer"},
        "globalId": {"type": "string", "pattern": r"^FM\d+$"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
        "formState": {"enum": list(FORM_STATES)},
        "fields": {"type": "integer", "minimum": 0},
    },
    "id",
    "globalId",
    "name",
    "owner",
    "formState",
    "fields",
)

_FIXTURE_FIELD = _object({"content": {"type": "string"}})
_FIXTURE_DOCUMENT = _object(
    {
        "owner": _TEXT,
        "name": {"type": ["string", "null"], "maxLength": NAME_MAX_LENGTH},
        "tags": {
            "type": ["string", "null"],
            "pattern": r"^[^<>\\/]*$",
            "description": "Comma-separated, without <, >, \\ or /",
        },
        "form": {
            "type": ["string", "null"],
            "description": "The name of a form of the file, or of one RSpace ships",
        },
        "fields": {
            "type": ["array", "null"],
            "items": _FIXTURE_FIELD,
        },
        "created": {"anyOf": [_TIME, {"type": "null"}]},
        "lastModified": {"anyOf": [_TIME, {"type": "null"}]},
    },
    "owner",
)
FIXTURES: JsonSchema = {
    **_object(
        {
            "users": {"type": "array", "items": NEW_USER},
            "apps": {"type": "array", "items": _object(_APP_ENTRY_PROPERTIES, "name", "owner")},
            "forms": {"type": "array", "items": NEW_FORM},
            "documents": {"type": "array", "items": _FIXTURE_DOCUMENT},
        }
    ),
    "title": "Fixtures",
    "description": (
        "The fixture file format. Usernames, API keys and client ids must be unique, owners "
        "must be users of the same file, and lastModified must not be before created."
    ),
}
_CREDENTIALS = _object(
    {"appName": {"type": "string"}, "clientId": {"type": "string"}},
    "appName",
    "clientId",
    extra=True,
)
SEED_REPORT = _object(
    {
        "users": {"type": "integer", "minimum": 0},
        "apps": {"type": "array", "items": _CREDENTIALS},
        "groups": {"type": "integer", "minimum": 0},
        "forms": {"type": "integer", "minimum": 0},
        "snippets": {"type": "integer", "minimum": 0},
        "documents": {"type": "integer", "minimum": 0},
        "generatedCredentials": {"type": "array", "items": _CREDENTIALS},
    },
    "users",
    "apps",
    "groups",
    "forms",
    "snippets",
    "documents",
    "generatedCredentials",
)

# -- settings and clock ---------------------------------------------------------------------

_WHOLE: JsonSchema = {"type": "integer"}
_LIMITS = {
    name: {**_WHOLE, "minimum": 0 if name.endswith("_ms") else 1, "maximum": JAVA_INT_MAX}
    for name in ThrottleLimits().to_json()
}
_TOKEN_TTL: JsonSchema = {**_WHOLE, "minimum": 1, "maximum": MAX_TOKEN_TTL_SECONDS}
_SETTINGS_PROPERTIES: dict[str, JsonSchema] = {
    "apiEnabled": {"type": "boolean"},
    "oauthEnabled": {"type": "boolean"},
    "throttling": {"type": "boolean"},
    "throttleLimits": _object(_LIMITS, *_LIMITS),
    "quirks": _object({"refreshKeepsExpiry": {"type": "boolean"}}, "refreshKeepsExpiry"),
    "tokenTtlSeconds": _TOKEN_TTL,
    "journal": {"type": "boolean"},
}
SETTINGS = _object(_SETTINGS_PROPERTIES, *_SETTINGS_PROPERTIES)
SETTINGS_CHANGES = _or_null_object(
    {
        "apiEnabled": _NULLABLE_BOOL,
        "oauthEnabled": _NULLABLE_BOOL,
        "throttling": _NULLABLE_BOOL,
        "throttleLimits": {"anyOf": [_object(_LIMITS), {"type": "null"}]},
        "quirks": {"anyOf": [_object({"refreshKeepsExpiry": _NULLABLE_BOOL}), {"type": "null"}]},
        "tokenTtlSeconds": {"anyOf": [_TOKEN_TTL, {"type": "null"}]},
        "journal": _NULLABLE_BOOL,
    }
)

CLOCK = _object(
    {
        "now": {"type": "string"},
        "frozen": {"type": "boolean"},
        "offsetSeconds": {"type": "number"},
    },
    "now",
    "frozen",
    "offsetSeconds",
)
CLOCK_AT = _object({"at": _TIME}, "at", extra=True)
CLOCK_FREEZE = _or_null(_object({"at": {"anyOf": [_TIME, {"type": "null"}]}}, extra=True))
CLOCK_ADVANCE = _object(
    {"seconds": {"type": "number", "description": "Negative moves the clock back"}},
    "seconds",
    extra=True,
)

# -- journal and faults ---------------------------------------------------------------------

JOURNAL = _list_of("entries", {"type": "object"})
CLEARED_JOURNAL = _object({"cleared": {"type": "integer", "minimum": 0}}, "cleared")

_STATUS: JsonSchema = {**_WHOLE, "minimum": 400, "maximum": 599}
_DELAY: JsonSchema = {"type": "number", "minimum": 0, "maximum": 300}
_POSITIVE: JsonSchema = {"exclusiveMinimum": 0}
#: The action's own status, delay_seconds and message are checked by the rules below, since
#: top-level ones replace them.
_ACTION = _object({"kind": {"enum": list(FAULT_KINDS)}}, "kind", extra=True)


def _action_object(**properties: JsonSchema) -> JsonSchema:
    """The action given as a string, or as an object whose ``properties`` hold."""
    return {"anyOf": [{"type": "string"}, {"type": "object", "properties": properties}]}


NEW_FAULT: JsonSchema = {
    **_object(
        {
            "action": {"anyOf": [{"enum": list(FAULT_KINDS)}, _ACTION]},
            "method": {"type": ["string", "null"]},
            "path": {"type": "string", "pattern": r"^[/*]", "default": "*"},
            "user": {"type": ["string", "null"]},
            "nth": {"anyOf": [{**_WHOLE, "minimum": 1}, {"type": "null"}]},
            "probability": {
                "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "null"}]
            },
            "times": {"anyOf": [{**_WHOLE, "minimum": 1}, {"type": "null"}], "default": 1},
            "status": _STATUS,
            "delay_seconds": _DELAY,
            "delay": {"description": "delay_seconds, unless that is given too"},
            "message": {"type": ["string", "null"]},
        },
        "action",
    ),
    "title": "FaultRule",
    "description": (
        "A rule: match on method, path (a glob), user, the nth call or a probability; the "
        "action is error (status), delay (delay_seconds > 0), drop or truncate. status, "
        "message and delay_seconds may sit in the action object or at the top, where they win; "
        "delay is another name for delay_seconds, which wins over it."
    ),
    # Only the value that is used is checked: the top level's over the action's.
    "allOf": [
        {
            "anyOf": [
                {"required": ["status"]},
                {"properties": {"action": _action_object(status=_STATUS)}},
            ]
        },
        {
            "anyOf": [
                {"required": ["message"]},
                {"properties": {"action": _action_object(message={"type": ["string", "null"]})}},
            ]
        },
        {"anyOf": [{"required": ["delay_seconds"]}, {"properties": {"delay": _DELAY}}]},
        {
            "anyOf": [
                {"required": ["delay_seconds"]},
                {"required": ["delay"]},
                {"properties": {"action": _action_object(delay_seconds=_DELAY)}},
            ]
        },
    ],
    # A delay needs a length > 0: the top-level delay_seconds, else delay, else the action's.
    "if": {
        "anyOf": [
            {"properties": {"action": {"const": "delay"}}},
            {
                "properties": {
                    "action": {"type": "object", "properties": {"kind": {"const": "delay"}}}
                }
            },
        ]
    },
    "then": {
        "anyOf": [
            {"required": ["delay_seconds"], "properties": {"delay_seconds": _POSITIVE}},
            {
                "not": {"required": ["delay_seconds"]},
                "required": ["delay"],
                "properties": {"delay": _POSITIVE},
            },
            {
                "not": {"anyOf": [{"required": ["delay_seconds"]}, {"required": ["delay"]}]},
                "properties": {
                    "action": {
                        "type": "object",
                        "required": ["delay_seconds"],
                        "properties": {"delay_seconds": _POSITIVE},
                    }
                },
            },
        ]
    },
}
FAULT = _object(
    {
        "action": _object(
            {
                "kind": {"enum": list(FAULT_KINDS)},
                "status": {"type": "integer"},
                "delay_seconds": {"type": "number"},
                "message": {"type": ["string", "null"]},
            },
            "kind",
            "status",
            "delay_seconds",
            "message",
        ),
        "method": {"type": ["string", "null"]},
        "path": {"type": "string"},
        "user": {"type": ["string", "null"]},
        "nth": {"type": ["integer", "null"]},
        "probability": {"type": ["number", "null"]},
        "times": {"type": ["integer", "null"]},
        "id": {"type": "integer"},
        "matched": {"type": "integer"},
        "fired": {"type": "integer"},
        "exhausted": {"type": "boolean"},
    },
    "action",
    "method",
    "path",
    "user",
    "nth",
    "probability",
    "times",
    "id",
    "matched",
    "fired",
    "exhausted",
)
FAULTS = _list_of("faults", FAULT)
REMOVED_FAULT = _object({"removed": {"type": "integer"}}, "removed")

INDEX = _object(
    {"service": {"type": "string"}, "endpoints": {"type": "array", "items": {"type": "string"}}},
    "service",
    "endpoints",
)

HEALTH = _object(
    {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "version": {"type": "string"},
        "rspaceVersion": {"type": "string"},
        "store": {"type": "string"},
        "error": {"type": "string"},
    },
    "status",
    "version",
    "rspaceVersion",
    "store",
)

_USERNAMES: JsonSchema = {"type": ["array", "null"], "items": _TEXT}
NEW_GROUP = _object(
    {
        "name": _TEXT,
        "type": {
            "anyOf": [
                {"type": "string", "enum": ["LAB_GROUP", "COLLABORATION_GROUP", "PROJECT_GROUP"]},
                {"type": "null"},
            ]
        },
        "pi": {**_NULLABLE_TEXT, "description": "The PI's username (a user with piRole)"},
        "members": _USERNAMES,
        "labAdmins": _USERNAMES,
        "labAdminsViewAll": _NULLABLE_BOOL,
        "owners": {**_USERNAMES, "description": "A project group's owners"},
    },
    "name",
)
NEW_GROUP["title"] = "AdminGroupPost"
NEW_GROUP["description"] = (
    "A group as POST /api/v1/sysadmin/groups makes it: a lab or collaboration group needs its "
    "one PI (a user with piRole), a project group its owners; 1 to 20 members in all."
)
GROUP: JsonSchema = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "type": {"type": "string"},
        "uniqueName": {"type": "string"},
        "sharedFolderId": {"type": "integer"},
        "sharedSnippetFolderId": {"type": "integer"},
        "members": {
            "type": "array",
            "items": _object(
                {
                    "username": {"type": "string"},
                    "role": {"type": "string"},
                    "viewAll": {"type": "boolean"},
                },
                "username",
                "role",
                "viewAll",
            ),
        },
    },
    "id",
    "name",
    "type",
    "uniqueName",
    "sharedFolderId",
    "sharedSnippetFolderId",
    "members",
)
GROUPS = _list_of("groups", GROUP)

NEW_SNIPPET = _object(
    {"owner": _TEXT, "name": {**_TEXT, "maxLength": 255}, "content": _NULLABLE_TEXT},
    "owner",
    "name",
)
NEW_SNIPPET["title"] = "AdminSnippetPost"
CREATED_SNIPPET = _object(
    {
        "id": {"type": "integer"},
        "globalId": {"type": "string", "pattern": r"^ST\d+$"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
    },
    "id",
    "globalId",
    "name",
    "owner",
)

NEW_FOLDER = _object(
    {"owner": _TEXT, "path": _TEXT, "notebook": _NULLABLE_BOOL},
    "owner",
    "path",
)
NEW_FOLDER["title"] = "AdminFolderPost"
NEW_FOLDER["description"] = (
    "A folder (or notebook) at a path from the owner's home folder, e.g. Projects/PCR or "
    "Gallery/Images/Gels; missing folders on the way are made too."
)
CREATED_FOLDER = _object(
    {
        "id": {"type": "integer"},
        "globalId": {"type": "string", "pattern": r"^(FL|NB|GF)\d+$"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
        "notebook": {"type": "boolean"},
        "parentFolderId": {"type": ["integer", "null"]},
    },
    "id",
    "globalId",
    "name",
    "owner",
    "notebook",
    "parentFolderId",
)
NEW_FILE = _object(
    {
        "owner": _TEXT,
        "name": _TEXT,
        "folder": _NULLABLE_TEXT,
        "caption": _NULLABLE_TEXT,
        "text": _NULLABLE_TEXT,
        "base64": _NULLABLE_TEXT,
    },
    "owner",
    "name",
)
NEW_FILE["title"] = "AdminFilePost"
NEW_FILE["description"] = (
    "A Gallery file: its bytes as exactly one of text or base64; folder is a path from the "
    "owner's home folder (default: its section's Api Inbox)."
)
CREATED_FILE = _object(
    {
        "id": {"type": "integer"},
        "globalId": {"type": "string", "pattern": r"^GL\d+$"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
        "size": {"type": "integer"},
        "parentFolderId": {"type": "integer"},
    },
    "id",
    "globalId",
    "name",
    "owner",
    "size",
    "parentFolderId",
)
