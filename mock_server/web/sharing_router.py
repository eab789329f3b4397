"""``/api/v1/share``: sharing documents and notebooks with groups and users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from .api_router import _ID, _json_body, authenticate, long_parameter, spring_bound
from .context import api_base, mock_of
from .representations import document_shares, share_info, share_listing
from .responses import RSpaceJSONResponse
from .schemas import (
    LINK_SCHEMA,
    LONG,
    error_responses,
    id_parameter,
    json_body,
    json_success,
    paging_parameters,
    success_response,
)

router = APIRouter(prefix="/api/v1")

_LINKS = {"type": "array", "items": LINK_SCHEMA}
_PERMISSION = {"type": ["string", "null"], "pattern": "^(READ|EDIT|read|edit)$"}
SHARE_SCHEMA: dict[str, Any] = {
    "title": "ApiShareInfo",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "sharedItemId": {"type": "integer", "format": "int64"},
        "shareItemName": {"type": "string"},
        "sharedTargetId": {"type": "integer", "format": "int64"},
        "sharedTargetType": {"type": "string", "enum": ["USER", "GROUP"]},
        "permission": {"type": "string", "enum": ["READ", "EDIT"]},
        "_links": _LINKS,
    },
    "required": ["id", "sharedItemId", "sharedTargetId", "sharedTargetType", "permission"],
}
_SHARING_RESULT = {
    "title": "ApiSharingResult",
    "type": "object",
    "properties": {
        "shareInfos": {"type": "array", "items": SHARE_SCHEMA},
        "failedShares": {"type": "array", "items": {"type": "integer", "format": "int64"}},
        "_links": _LINKS,
    },
    "required": ["shareInfos", "failedShares", "_links"],
}
_SHARE_SEARCH_RESULT = {
    "title": "ApiShareSearchResult",
    "type": "object",
    "properties": {
        "totalHits": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "shares": {"type": "array", "items": SHARE_SCHEMA},
        "folderShares": {"type": "array", "items": SHARE_SCHEMA},
        "_links": _LINKS,
    },
    "required": ["totalHits", "pageNumber", "shares", "_links"],
}
_PLACE = {
    "type": "object",
    "properties": {
        "shareId": {"type": "integer"},
        "sharerId": {"type": ["integer", "null"]},
        "sharerName": {"type": ["string", "null"]},
        "recipientId": {"type": "integer"},
        "recipientName": {"type": ["string", "null"]},
        "recipientType": {"type": "string", "enum": ["USER", "GROUP"]},
        "permission": {"type": "string", "enum": ["READ", "EDIT"]},
        "parentId": {"type": ["integer", "null"]},
        "grandparentId": {"type": ["integer", "null"]},
        "path": {"type": ["string", "null"]},
    },
}
_DOCUMENT_SHARES = {
    "title": "DocumentShares",
    "type": "object",
    "properties": {
        "sharedDocId": {"type": "integer"},
        "sharedDocName": {"type": "string"},
        "notebookShares": {"type": "array", "items": _PLACE},
        "directShares": {"type": "array", "items": _PLACE},
    },
    "required": ["sharedDocId", "sharedDocName", "notebookShares", "directShares"],
}
_RECIPIENT_KEYS: dict[str, Any] = {"id": LONG, "permission": _PERMISSION}
_RECIPIENT: dict[str, Any] = {
    "type": "object",
    "properties": _RECIPIENT_KEYS,
    "required": ["id"],
}
_SHARE_POST = {
    "title": "SharePost",
    "type": "object",
    "properties": {
        "itemsToShare": {"type": "array", "items": LONG, "minItems": 1, "maxItems": 255},
        "groups": {
            "type": ["array", "null"],
            "items": {
                **_RECIPIENT,
                "properties": {**_RECIPIENT_KEYS, "sharedFolderId": LONG},
            },
        },
        "users": {"type": ["array", "null"], "items": _RECIPIENT},
    },
    "required": ["itemsToShare"],
    # At least one group or user (``ValidSharePost``).
    "anyOf": [
        {"required": ["groups"], "properties": {"groups": {"type": "array", "minItems": 1}}},
        {"required": ["users"], "properties": {"users": {"type": "array", "minItems": 1}}},
    ],
}
_PERMISSION_UPDATE = {
    "title": "SharePermissionUpdate",
    "type": "object",
    "properties": {"shareId": LONG, "permission": _PERMISSION},
}
_LISTING_PARAMETERS = [
    *paging_parameters(("name asc", "name desc", "created asc", "created desc")),
    {"name": "query", "in": "query", "schema": {"type": "string"}},
    {
        "name": "sharedItemIds",
        "in": "query",
        "schema": {"type": "string", "pattern": r"^\s*\d*(\s*,\s*\d*)*\s*$"},
        "description": "Comma-separated ids of your documents or notebooks",
    },
]


@router.post(
    "/share",
    status_code=201,
    responses={
        201: json_success(_SHARING_RESULT, "The shares made, one per item"),
        **error_responses(400, 401, 415, 422),
    },
    tags=["Share"],
    summary="Share your documents and notebooks with groups and users",
    openapi_extra=json_body(_SHARE_POST),
)
async def share_items(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    body = await _json_body(request)
    made = mock_of(request).sharing.share(caller.user, body)
    result = {
        "shareInfos": [share_info(share, item, None) for share, item in made],
        "failedShares": [],
        "_links": [],
    }
    return RSpaceJSONResponse(result, status_code=201)


@router.get(
    "/share",
    responses={
        200: json_success(_SHARE_SEARCH_RESULT, "A page of the shares of your items"),
        **error_responses(400, 401, 422),
    },
    tags=["Share"],
    summary="The shares of your documents and notebooks",
    openapi_extra={"parameters": _LISTING_PARAMETERS},
)
async def list_shares(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    params = request.query_params
    listing = mock_of(request).sharing.listing(
        caller.user, spring_bound(params), params.getlist("sharedItemIds")
    )
    return RSpaceJSONResponse(share_listing(listing, api_base(request)))


@router.put(
    "/share",
    status_code=204,
    responses={204: success_response("Changed"), **error_responses(400, 401, 404, 415)},
    tags=["Share"],
    summary="Change a share's permission (READ or EDIT)",
    openapi_extra=json_body(_PERMISSION_UPDATE),
)
async def update_share(request: Request) -> Response:
    caller = authenticate(request)
    body = await _json_body(request)
    mock_of(request).sharing.update(caller.user, body)
    return Response(status_code=204)


@router.delete(
    "/share/{id}",
    status_code=204,
    responses={204: success_response("Unshared"), **error_responses(400, 401, 404)},
    tags=["Share"],
    summary="Unshare: the recipients lose the item at once",
    openapi_extra={"parameters": [id_parameter("A share's id")]},
)
async def delete_share(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    mock_of(request).sharing.delete(caller.user, long_parameter("id", id))
    return Response(status_code=204)


@router.get(
    "/share/document/{id}",
    responses={
        200: json_success(_DOCUMENT_SHARES, "Where the document is shared"),
        **error_responses(400, 401, 404),
    },
    tags=["Share"],
    summary="Every share of one of your documents or notebooks, and where it puts it",
    openapi_extra={"parameters": [id_parameter("A document's or notebook's id")]},
)
async def document_share_list(request: Request, id: str = _ID) -> RSpaceJSONResponse:
    caller = authenticate(request)
    report = mock_of(request).sharing.of_document(caller.user, long_parameter("id", id))
    return RSpaceJSONResponse(document_shares(report))
