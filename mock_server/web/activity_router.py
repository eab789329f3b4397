"""``/api/v1/activity``: the audit trail of what the caller (or their lab) did."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..domain.activity import ACTIONS, DOMAINS, ORDERS
from .api_router import authenticate
from .context import api_base, mock_of
from .representations import activity_listing
from .responses import RSpaceJSONResponse
from .schemas import LINK_SCHEMA, error_responses, json_success, paging_parameters

router = APIRouter(prefix="/api/v1")

_ACTIVITY = {
    "title": "ApiActivity",
    "type": "object",
    "properties": {
        "username": {"type": "string"},
        "fullName": {"type": "string"},
        "domain": {"type": "string", "enum": list(DOMAINS)},
        "action": {"type": "string", "enum": list(ACTIONS)},
        "timestamp": {"type": "string"},
        "payload": {"type": "object"},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": ["username", "fullName", "domain", "action", "timestamp", "payload", "_links"],
}
_RESULT = {
    "title": "ApiActivitySearchResult",
    "type": "object",
    "properties": {
        "totalHits": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "activities": {"type": "array", "items": _ACTIVITY},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": ["totalHits", "pageNumber", "activities", "_links"],
}


def _list_of(values: tuple[str, ...]) -> dict[str, object]:
    return {"type": "array", "items": {"type": "string", "enum": list(values)}}


_PARAMETERS = [
    # An empty orderBy is refused here (it fails the pattern), so the paging's own is not used.
    *paging_parameters(ORDERS)[:2],
    {
        "name": "orderBy",
        "in": "query",
        "schema": {"type": "string", "enum": ["date desc", "date asc"]},
    },
    {
        "name": "dateFrom",
        "in": "query",
        "schema": {"type": "string", "pattern": r"^(19\d\d-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8]))?$"},
    },
    {
        "name": "dateTo",
        "in": "query",
        "schema": {
            "type": "string",
            "pattern": r"^(2\d\d\d-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8]))?$",
        },
    },
    {
        "name": "actions",
        "in": "query",
        "schema": _list_of(ACTIONS),
        "style": "form",
        "explode": True,
    },
    {
        "name": "domains",
        "in": "query",
        "schema": _list_of(DOMAINS),
        "style": "form",
        "explode": True,
    },
    {"name": "usernames", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
    {
        "name": "oid",
        "in": "query",
        "schema": {"type": "string", "pattern": r"^(SD|NB|FL|GL|GF|FM|ST|GP)\d+$"},
    },
]


@router.get(
    "/activity",
    responses={200: json_success(_RESULT, "A page of activity"), **error_responses(400, 401)},
    tags=["Activity"],
    summary="What you (or, for a PI, your lab; for a sysadmin, anyone) did: newest first",
    description=(
        "Searches look back at most 183 days from dateTo (or now): an earlier dateFrom is "
        "moved forward, as RSpace moves it."
    ),
    openapi_extra={"parameters": _PARAMETERS},
)
async def search_activity(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    page = mock_of(request).activity.search(caller.user, params)
    return RSpaceJSONResponse(activity_listing(page, api_base(request)))
