"""``/api/v1/snippets/{id}``: a snippet, and its content as text."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..domain.kinds import USERS
from .api_router import _ID, authenticate, long_parameter
from .context import api_base, mock_of
from .groups_router import USER_SCHEMA
from .representations import snippet_json
from .responses import RSpaceJSONResponse
from .schemas import LINK_SCHEMA, error_responses, id_parameter, json_success, success_response

router = APIRouter(prefix="/api/v1")

SNIPPET_SCHEMA = {
    "title": "ApiSnippet",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "globalId": {"type": "string", "pattern": "^ST[0-9]+$"},
        "name": {"type": "string"},
        "owner": USER_SCHEMA,
        "content": {"type": "string"},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": ["id", "globalId", "name", "owner", "content", "_links"],
}
_SNIPPET_ID = {"parameters": [id_parameter("A snippet's id")]}


@router.get(
    "/snippets/{id}",
    responses={200: json_success(SNIPPET_SCHEMA, "The snippet"), **error_responses(400, 401, 404)},
    tags=["Snippets"],
    summary="A snippet of yours, or one shared with you",
    openapi_extra=_SNIPPET_ID,
)
async def get_snippet(request: Request, id: str = _ID) -> RSpaceJSONResponse:
    caller = authenticate(request)
    mock = mock_of(request)
    snippet = mock.snippets.get(caller.user, long_parameter("id", id))
    owner = mock.store.collection(USERS).get(snippet.owner_id) or caller.user
    return RSpaceJSONResponse(snippet_json(snippet, owner, api_base(request)))


@router.get(
    "/snippets/{id}/content",
    responses={
        200: success_response(
            "The snippet's content", content={"text/plain": {"schema": {"type": "string"}}}
        ),
        **error_responses(400, 401, 404),
    },
    tags=["Snippets"],
    summary="A snippet's content, as text",
    openapi_extra=_SNIPPET_ID,
)
async def get_snippet_content(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    snippet = mock_of(request).snippets.get(caller.user, long_parameter("id", id))
    return Response(snippet.content, media_type="text/plain;charset=UTF-8")
