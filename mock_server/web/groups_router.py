"""``/api/v1/groups`` and ``/api/v1/userDetails``: the caller's groups, their members, and
finding users."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..domain.models import Group
from .api_router import _ID, authenticate, long_parameter
from .context import mock_of
from .representations import group_info, public_user_info, user_info
from .responses import RSpaceJSONResponse
from .schemas import error_responses, id_parameter, json_success

router = APIRouter(prefix="/api/v1")

_LINKS = {"type": "array", "items": {"type": "object"}}
USER_SCHEMA = {
    "title": "ApiUser",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "username": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "firstName": {"type": ["string", "null"]},
        "lastName": {"type": ["string", "null"]},
        "homeFolderId": {"type": ["integer", "null"], "format": "int64"},
        "workbenchId": {"type": ["integer", "null"], "format": "int64"},
        "hasPiRole": {"type": ["boolean", "null"]},
        "hasSysAdminRole": {"type": ["boolean", "null"]},
        "_links": _LINKS,
    },
    "required": ["id", "username", "_links"],
}
GROUP_SCHEMA = {
    "title": "ApiGroupInfo",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "globalId": {"type": "string", "pattern": "^GP[0-9]+$"},
        "name": {"type": "string"},
        "type": {"type": "string", "enum": ["LAB_GROUP", "COLLABORATION_GROUP", "PROJECT_GROUP"]},
        "sharedFolderId": {"type": ["integer", "null"], "format": "int64"},
        "sharedSnippetFolderId": {"type": ["integer", "null"], "format": "int64"},
        "raid": {"type": ["object", "null"]},
        "members": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "username": {"type": "string"},
                    "role": {"type": "string", "enum": ["PI", "LAB_ADMIN", "GROUP_OWNER", "USER"]},
                },
                "required": ["id", "username", "role"],
            },
        },
        "uniqueName": {"type": "string"},
        "_links": _LINKS,
    },
    "required": ["id", "globalId", "name", "type", "members", "_links"],
}
_GROUPS = {"type": "array", "items": GROUP_SCHEMA}
_USERS = {"type": "array", "items": USER_SCHEMA}
_QUERY = {"name": "query", "in": "query", "schema": {"type": "string"}}
#: At least three characters once trimmed (``searchUsers``: a 422 otherwise).
_USER_QUERY = {
    "name": "query",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\s*\S.+\S\s*$"},
}


def _group_json(request: Request, group: Group) -> dict[str, object]:
    return group_info(group, mock_of(request).groups.members_sorted(group))


@router.get(
    "/groups",
    responses={200: json_success(_GROUPS, "The caller's groups"), **error_responses(401)},
    tags=["Groups"],
    summary="The groups you are a member of, by name",
)
async def list_groups(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    groups = mock_of(request).groups.of_user(caller.user)
    return RSpaceJSONResponse([_group_json(request, g) for g in groups])


@router.get(
    "/groups/search",
    responses={200: json_success(_GROUPS, "Matching lab groups"), **error_responses(401)},
    tags=["Groups"],
    summary="Lab groups whose name holds the query (any case), yours or not",
    openapi_extra={"parameters": [_QUERY]},
)
async def search_groups(request: Request) -> RSpaceJSONResponse:
    authenticate(request)
    groups = mock_of(request).groups.search(request.query_params.get("query"))
    return RSpaceJSONResponse([_group_json(request, g) for g in groups])


@router.get(
    "/groups/{id}",
    responses={
        200: json_success(GROUP_SCHEMA, "The group"),
        **error_responses(400, 401, 404),
    },
    tags=["Groups"],
    summary="One of your groups (a 404 for a group you are not in)",
    openapi_extra={"parameters": [id_parameter("A group's id")]},
)
async def get_group(request: Request, id: str = _ID) -> RSpaceJSONResponse:
    caller = authenticate(request)
    group = mock_of(request).groups.get(caller.user, long_parameter("id", id))
    return RSpaceJSONResponse(_group_json(request, group))


@router.get(
    "/userDetails/whoami",
    responses={200: json_success(USER_SCHEMA, "The caller"), **error_responses(401)},
    tags=["User Details"],
    summary="Who the API key or token belongs to",
)
async def whoami(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    return RSpaceJSONResponse(user_info(caller.user))


@router.get(
    "/userDetails/groupMembers",
    responses={200: json_success(_USERS, "Everyone in your groups"), **error_responses(401)},
    tags=["User Details"],
    summary="The members of all your groups, you included, each once",
)
async def group_members(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    members = mock_of(request).groups.members_of_groups(caller.user)
    return RSpaceJSONResponse([user_info(u) for u in members])


@router.get(
    "/userDetails/search",
    responses={200: json_success(_USERS, "Matching users"), **error_responses(401, 422)},
    tags=["User Details"],
    summary="Users whose names, email or username hold the query (at least 3 characters)",
    description=(
        "Users you share a group with are shown in full; others without their email, home "
        "folder and roles."
    ),
    openapi_extra={"parameters": [_USER_QUERY]},
)
async def search_users(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    mock = mock_of(request)
    found = mock.directory.search_users(request.query_params.get("query"))
    connected = mock.groups.connected(caller.user)
    full = caller.user.has_sysadmin_role
    return RSpaceJSONResponse(
        [user_info(u) if full or u.id in connected else public_user_info(u) for u in found]
    )
