"""``/api/v1/forms``: listing, reading, creating, editing, deleting, publishing and sharing
forms, and their icons."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from ..domain.files import MissingFilePart
from ..domain.form_fields import NAME_MAX_LENGTH, STRING_DEFAULT_MAX_LENGTH
from ..domain.forms import IMAGE_TYPES, image_type
from ..domain.models import Form, User
from ..domain.paging import SORT_CHOICES
from .api_router import _ID, _json_body, authenticate, long_parameter, spring_bound
from .context import api_base, mock_of
from .files_router import _read_upload
from .representations import form_json, form_listing
from .responses import RSpaceJSONResponse
from .schemas import (
    LINK_SCHEMA,
    NULLABLE_LONG,
    STRINGISH,
    error_responses,
    id_parameter,
    json_success,
    paging_parameters,
)

router = APIRouter(prefix="/api/v1")


def _png(width: int, height: int, grey: int) -> bytes:
    """A plain grey PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


#: What RSpace sends for a form without an icon (its ``text.png``; here a plain 32x32 image).
_DEFAULT_ICON = _png(32, 32, 0xDD)

_FORM_ID = {"parameters": [id_parameter("A form's id")]}
_LINKS = {"type": "array", "items": LINK_SCHEMA}
_ACCESS = {
    "type": "object",
    "properties": {
        name: {"enum": ["NONE", "READ", "WRITE"]}
        for name in ("ownerPermissionType", "groupPermissionType", "worldPermissionType")
    },
    "required": ["ownerPermissionType", "groupPermissionType", "worldPermissionType"],
}
_INFO_KEYS: dict[str, Any] = {
    "id": {"type": "integer", "format": "int64"},
    "globalId": {"type": "string", "pattern": "^FM[0-9]+$"},
    "stableId": {"type": "string"},
    "version": {"type": "integer"},
    "name": {"type": "string"},
    "tags": {"type": ["string", "null"]},
    "formState": {"enum": ["NEW", "PUBLISHED", "UNPUBLISHED", "OLD"]},
    "accessControl": _ACCESS,
    "iconId": {"type": "integer", "format": "int64"},
    "_links": _LINKS,
}
FORM_INFO_SCHEMA: dict[str, Any] = {
    "title": "ApiFormInfo",
    "type": "object",
    "properties": _INFO_KEYS,
    "required": list(_INFO_KEYS),
}
_FIELD_SCHEMA: dict[str, Any] = {
    "title": "ApiFormField",
    "type": "object",
    "description": "One of String, Text, Number, Radio, Choice, Date, Time, Reference, Uri, "
    "Attachment; its type's settings beside the common keys",
    "properties": {
        "type": {
            "enum": [
                "String",
                "Text",
                "Number",
                "Radio",
                "Choice",
                "Date",
                "Time",
                "Reference",
                "Uri",
                "Attachment",
            ]
        },
        "id": {"type": "integer", "format": "int64"},
        "globalId": {"type": "string", "pattern": "^FF[0-9]+$"},
        "name": {"type": "string"},
        "lastModified": {"type": ["string", "null"]},
        "index": {"type": "integer"},
        "_links": _LINKS,
    },
    "required": ["type", "id", "globalId", "name", "index", "_links"],
}
FORM_SCHEMA: dict[str, Any] = {
    "title": "ApiForm",
    "type": "object",
    "properties": {**_INFO_KEYS, "fields": {"type": "array", "items": _FIELD_SCHEMA}},
    "required": [*_INFO_KEYS, "fields"],
}
LISTING_SCHEMA: dict[str, Any] = {
    "title": "ApiFormSearchResult",
    "type": "object",
    "properties": {
        "totalHits": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "forms": {"type": "array", "items": FORM_INFO_SCHEMA},
        "_links": _LINKS,
    },
    "required": ["totalHits", "pageNumber", "forms", "_links"],
}
#: A name: text that is not blank, or a number or boolean (read as its text).
_NAME = {
    "anyOf": [
        {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH, "pattern": r"\S"},
        {"type": ["number", "boolean"]},
    ]
}
#: Options as Jackson reads a ``List<String>`` (a null one is the text "null").
_OPTIONS = {"type": "array", "items": STRINGISH, "minItems": 1}
_NUMBER = {"type": ["number", "null"]}
#: A ``java.util.Date`` as Jackson reads it: epoch milliseconds or an ISO-8601 date.
_DATE = {
    "anyOf": [
        {"type": ["null", "number"]},
        {
            "type": "string",
            "pattern": r"^(-?\d{1,18}|\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?"
            r"(Z|[+-]\d\d:?\d\d)?)?)$",
        },
    ]
}
#: A Java ``boolean`` as Jackson reads it (null is false).
_BOOLEAN = {"anyOf": [{"type": ["boolean", "null", "integer"]}, {"enum": ["true", "false"]}]}


def _field_post(type_name: str, *required: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"const": type_name},
            "name": _NAME,
            "id": NULLABLE_LONG,
            **properties,
        },
        "required": ["type", "name", *required],
    }


FIELD_POST_SCHEMA: dict[str, Any] = {
    "title": "FormFieldPost",
    "description": (
        "A field definition; its type decides its settings. Choice and Radio defaults must be "
        "among the options; Number and Date need min < max and a default between them."
    ),
    "anyOf": [
        _field_post(
            "String",
            defaultValue={
                "anyOf": [
                    {"type": "string", "maxLength": STRING_DEFAULT_MAX_LENGTH},
                    {"type": ["number", "boolean", "null"]},
                ]
            },
        ),
        _field_post("Text", defaultValue=STRINGISH),
        _field_post(
            "Number",
            min=_NUMBER,
            max=_NUMBER,
            defaultValue=_NUMBER,
            decimalPlaces={"type": ["integer", "null"], "minimum": 0, "maximum": 127},
        ),
        _field_post("Radio", "options", options=_OPTIONS, showAsPickList=_BOOLEAN),
        _field_post("Choice", "options", options=_OPTIONS, multipleChoice=_BOOLEAN),
        _field_post("Date", defaultValue=_DATE, min=_DATE, max=_DATE),
        _field_post("Time", defaultValue=NULLABLE_LONG),
        _field_post("Reference"),
        _field_post("Uri"),
        _field_post("Attachment"),
    ],
}
FORM_POST_SCHEMA: dict[str, Any] = {
    "title": "FormPost",
    "type": "object",
    "properties": {
        "name": _NAME,
        "tags": STRINGISH,
        "formType": {"enum": ["NORMAL", "TEMPLATE", None]},
        "fields": {"type": ["array", "null"], "items": FIELD_POST_SCHEMA},
    },
    "required": ["name"],
}
_LISTING_PARAMETERS = [
    *paging_parameters(SORT_CHOICES),
    {
        "name": "query",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Part of a form's name or tags (or, with scope=all, its owner's name)",
    },
    {
        "name": "scope",
        "in": "query",
        "schema": {"type": "string"},
        "description": "all: every form you may read; anything else (mine, the default): "
        "your own forms",
    },
]
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": FORM_POST_SCHEMA}},
    }
}


def _form_id(raw: str) -> int:
    return long_parameter("id", raw)


def _form_response(form: Form, caller: User, request: Request, status: int = 200) -> Response:
    return RSpaceJSONResponse(form_json(form, caller, api_base(request)), status_code=status)


@router.get(
    "/forms",
    responses={
        200: json_success(LISTING_SCHEMA, "A page of forms"),
        **error_responses(400, 401, 422),
    },
    tags=["Forms"],
    summary="List forms (yours, or with scope=all every one you may read)",
    openapi_extra={"parameters": _LISTING_PARAMETERS},
)
async def list_forms(request: Request) -> Response:
    caller = authenticate(request)
    listing = mock_of(request).forms.list(caller.user, spring_bound(request.query_params))
    return RSpaceJSONResponse(form_listing(listing, api_base(request)))


@router.post(
    "/forms",
    status_code=201,
    responses={
        201: json_success(FORM_SCHEMA, "The new form (NEW)"),
        **error_responses(400, 401, 415),
    },
    tags=["Forms"],
    summary="Create a form with its fields",
    openapi_extra=_BODY,
)
async def create_form(request: Request) -> Response:
    caller = authenticate(request)
    body = await _json_body(request)
    form = mock_of(request).forms.create(caller.user, body)
    return _form_response(form, caller.user, request, 201)


@router.get(
    "/forms/{id}",
    responses={200: json_success(FORM_SCHEMA, "The form"), **error_responses(400, 401, 404)},
    tags=["Forms"],
    summary="Get a form with its fields",
    openapi_extra=_FORM_ID,
)
async def get_form(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    form = mock_of(request).forms.get(caller.user, _form_id(id))
    return _form_response(form, caller.user, request)


@router.put(
    "/forms/{id}",
    responses={
        200: json_success(FORM_SCHEMA, "The form (a new version if it was in use)"),
        **error_responses(400, 401, 404, 415, 422),
    },
    tags=["Forms"],
    summary="Edit a form: fields with an id are kept, others are new, missing ones go",
    openapi_extra={**_FORM_ID, **_BODY},
)
async def edit_form(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    form_id = _form_id(id)
    body = await _json_body(request)
    form = mock_of(request).forms.edit(caller.user, form_id, body)
    return _form_response(form, caller.user, request)


@router.delete(
    "/forms/{id}",
    status_code=204,
    responses={204: {"description": "Deleted"}, **error_responses(400, 401, 404, 422)},
    tags=["Forms"],
    summary="Delete a form no document was made from",
    openapi_extra=_FORM_ID,
)
async def delete_form(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    mock = mock_of(request)
    mock.forms.delete(caller.user, _form_id(id), mock.documents.count_made_from)
    return Response(status_code=204)


def _state_change(path: str, summary: str, change: str) -> None:
    @router.put(
        f"/forms/{{id}}/{path}",
        responses={200: json_success(FORM_SCHEMA, "The form"), **error_responses(400, 401, 404)},
        tags=["Forms"],
        summary=summary,
        openapi_extra=_FORM_ID,
        name=f"{path}_form",
    )
    async def handler(request: Request, id: str = _ID) -> Response:
        caller = authenticate(request)
        forms = mock_of(request).forms
        form_id = _form_id(id)
        if change == "publish":
            form = forms.publish(caller.user, form_id, True)
        elif change == "unpublish":
            form = forms.publish(caller.user, form_id, False)
        elif change == "share":
            form = forms.share(caller.user, form_id, group=True)
        elif change == "unshare":
            form = forms.share(caller.user, form_id, group=False)
        else:
            form = forms.share(caller.user, form_id, group=True, world=True)
        return _form_response(form, caller.user, request)


_state_change("publish", "Publish a form: documents can be made from it", "publish")
_state_change("unpublish", "Unpublish a form: no new documents from it", "unpublish")
_state_change("share", "Share a form with your groups (read)", "share")
_state_change("unshare", "Stop sharing a form", "unshare")
_state_change("shareglobal", "Share a form with every user (sysadmins only)", "shareglobal")


@router.post(
    "/forms/{id}/icon",
    status_code=201,
    responses={
        201: json_success(FORM_SCHEMA, "The form with its new iconId"),
        **error_responses(400, 401, 404, 422),
    },
    tags=["Forms"],
    summary="Set a form's icon (an image)",
    openapi_extra={
        **_FORM_ID,
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            },
        },
    },
)
async def set_icon(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    form_id = _form_id(id)
    upload, _params = await _read_upload(request)
    if upload is None:
        raise MissingFilePart()
    form = mock_of(request).forms.set_icon(caller.user, form_id, upload.file_name, upload.data)
    return _form_response(form, caller.user, request, 201)


@router.get(
    "/forms/{formId}/icon/{iconId}",
    responses={
        200: {
            "description": "The icon's bytes (the default icon for an unknown id)",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in sorted(set(IMAGE_TYPES.values()))
            },
        },
        **error_responses(400, 401),
    },
    tags=["Forms"],
    summary="Get a form's icon",
    openapi_extra={
        "parameters": [
            {**id_parameter("A form's id (not checked, as in RSpace)"), "name": "formId"},
            {**id_parameter("The icon's id (-1: the default icon)"), "name": "iconId"},
        ]
    },
    response_class=Response,
)
async def get_icon(
    request: Request,
    formId: str = Path(include_in_schema=False),  # noqa: N803 - RSpace's path variable
    iconId: str = Path(include_in_schema=False),  # noqa: N803
) -> Response:
    authenticate(request)
    long_parameter("formId", formId)
    icon = mock_of(request).forms.icon(long_parameter("iconId", iconId))
    if icon is None:
        return Response(_DEFAULT_ICON, media_type="image/png")
    return Response(icon.data, media_type=image_type(icon.data) or "image/png")
