"""``/api/v1/sysadmin``: a sysadmin's account management (users and groups)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from .api_router import _json_body, authenticate, long_parameter, spring_bound
from .context import api_base, mock_of
from .groups_router import GROUP_SCHEMA, USER_SCHEMA
from .representations import group_info, user_info, user_listing
from .responses import RSpaceJSONResponse
from .schemas import (
    DAY_SCHEMA,
    LINK_SCHEMA,
    error_responses,
    id_parameter,
    json_body,
    json_success,
    paging_parameters,
    success_response,
)

router = APIRouter(prefix="/api/v1/sysadmin")

_USER_LISTING = {
    "title": "ApiSysadminUserSearchResult",
    "type": "object",
    "properties": {
        "totalHits": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "users": {"type": "array", "items": USER_SCHEMA},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": ["totalHits", "pageNumber", "users", "_links"],
}
_LISTING_PARAMETERS = [
    *paging_parameters(("creationDate asc", "creationDate desc")),
    {"name": "createdBefore", "in": "query", "schema": DAY_SCHEMA},
    {"name": "lastLoginBefore", "in": "query", "schema": DAY_SCHEMA},
    {
        "name": "tempAccountsOnly",
        "in": "query",
        "schema": {"type": "boolean"},
        "description": "Default: true",
    },
]
_TEXT = {"type": ["string", "null"]}
_NEW_USER = {
    "title": "UserApiPost",
    "type": "object",
    "properties": {
        "username": {"type": "string", "pattern": r"\S"},
        "password": {"type": "string", "minLength": 8},
        "email": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$"},
        "firstName": {"type": "string", "minLength": 1},
        "lastName": {"type": "string", "minLength": 1},
        "role": {"type": "string", "enum": ["ROLE_USER", "ROLE_PI", "ROLE_ADMIN", "ROLE_SYSADMIN"]},
        "affiliation": {"type": ["string", "null"], "minLength": 1},
        "apiKey": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9]{16,32}$"},
        "createGroupForPi": {"type": ["boolean", "null"]},
    },
    "required": ["username", "password", "email", "firstName", "lastName", "role"],
}
_NEW_GROUP = {
    "title": "GroupApiPost",
    "type": "object",
    "properties": {
        "displayName": {"type": "string", "pattern": r"\S"},
        "type": {"type": "string", "enum": ["LAB_GROUP", "COLLABORATION_GROUP", "PROJECT_GROUP"]},
        "members": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "properties": {
                    "username": {"type": "string", "pattern": r"\S"},
                    "roleInGroup": {
                        "type": "string",
                        "enum": ["DEFAULT", "RS_LAB_ADMIN", "PI", "GROUP_OWNER"],
                    },
                },
                "required": ["username", "roleInGroup"],
            },
        },
    },
    "required": ["displayName", "members"],
}
#: Bound as text, converted by ``long_parameter`` (RSpace's 400 for a bad one).
_USER_ID_PATH = Path(include_in_schema=False)
_USER_ID = {"parameters": [{**id_parameter("A user's id"), "name": "userId"}]}


@router.get(
    "/users",
    responses={200: json_success(_USER_LISTING, "A page of users"), **error_responses(400, 401)},
    tags=["Accounts"],
    summary="Users, oldest account first (temporary accounts only, unless told)",
    openapi_extra={"parameters": _LISTING_PARAMETERS},
)
async def list_users(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    listing = mock_of(request).accounts.list_users(caller.user, spring_bound(request.query_params))
    return RSpaceJSONResponse(user_listing(listing, api_base(request)))


@router.post(
    "/users",
    status_code=201,
    responses={
        201: json_success(USER_SCHEMA, "The new user"),
        **error_responses(400, 401, 415, 422),
    },
    tags=["Accounts"],
    summary="Create a user",
    openapi_extra=json_body(_NEW_USER),
)
async def create_user(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    body = await _json_body(request)
    user = mock_of(request).accounts.create_user(caller.user, body)
    return RSpaceJSONResponse(user_info(user), status_code=201)


async def _set_enabled(request: Request, user_id: str, enabled: bool) -> Response:
    caller = authenticate(request)
    mock_of(request).accounts.set_enabled(caller.user, long_parameter("userId", user_id), enabled)
    return Response(status_code=204)


@router.put(
    "/users/{userId}/enable",
    status_code=204,
    responses={204: success_response("Enabled"), **error_responses(400, 401, 404)},
    tags=["Accounts"],
    summary="Enable a user's account",
    openapi_extra=_USER_ID,
)
async def enable_user(request: Request, userId: str = _USER_ID_PATH) -> Response:  # noqa: N803
    return await _set_enabled(request, userId, True)


@router.put(
    "/users/{userId}/disable",
    status_code=204,
    responses={204: success_response("Disabled"), **error_responses(400, 401, 404)},
    tags=["Accounts"],
    summary="Disable a user's account (its API key and tokens are refused)",
    openapi_extra=_USER_ID,
)
async def disable_user(request: Request, userId: str = _USER_ID_PATH) -> Response:  # noqa: N803
    return await _set_enabled(request, userId, False)


@router.delete(
    "/users/{userId}",
    status_code=204,
    responses={204: success_response("Deleted"), **error_responses(400, 401, 404, 422)},
    tags=["Accounts"],
    summary="Delete an account made more than a year ago",
    openapi_extra={
        "parameters": [
            *_USER_ID["parameters"],
            {"name": "maxLastLogin", "in": "query", "schema": DAY_SCHEMA},
        ]
    },
)
async def delete_user(request: Request, userId: str = _USER_ID_PATH) -> Response:  # noqa: N803
    caller = authenticate(request)
    mock_of(request).accounts.delete_user(
        caller.user, long_parameter("userId", userId), request.query_params.get("maxLastLogin")
    )
    return Response(status_code=204)


@router.post(
    "/groups",
    status_code=201,
    responses={
        201: json_success(GROUP_SCHEMA, "The new group"),
        **error_responses(400, 401, 415, 422),
    },
    tags=["Accounts"],
    summary="Create a group: one PI (with the PI role) for a lab group, 1 to 20 members",
    openapi_extra=json_body(_NEW_GROUP),
)
async def create_group(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    body = await _json_body(request)
    mock = mock_of(request)
    group = mock.accounts.create_group(caller.user, body)
    return RSpaceJSONResponse(group_info(group, mock.groups.members_sorted(group)), status_code=201)
