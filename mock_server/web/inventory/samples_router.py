"""``/api/inventory/v1/samples``, ``/subSamples``, ``/workbenches`` and ``/api/v1/units``.
Rules: ``domain/inventory/samples.py``; shapes: ``web/inventory/representations.py``."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from ...domain.inventory.units import units_listing
from ...domain.kinds import USERS
from ...domain.models import User
from ..api_router import _json_body, authenticate, long_parameter, spring_bound
from ..context import mock_of, server_url
from ..responses import RSpaceJSONResponse
from .representations import Renderer

router = APIRouter(include_in_schema=False)
BASE = "/api/inventory/v1"


def _renderer(request: Request, caller: User) -> Renderer:
    mock = mock_of(request)
    return Renderer(mock.samples, caller, server_url(request) + BASE, mock.store.collection(USERS))


@router.get("/api/v1/units")
async def units(request: Request) -> RSpaceJSONResponse:
    authenticate(request)
    return RSpaceJSONResponse(units_listing())


@router.post(f"{BASE}/samples", status_code=201)
async def create_sample(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    body = await _json_body(request)
    sample = mock_of(request).samples.create(caller, body)
    return RSpaceJSONResponse(_renderer(request, caller).new_sample(sample), status_code=201)


@router.get(f"{BASE}/samples")
async def list_samples(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    listing = mock_of(request).samples.listing(caller, spring_bound(request.query_params))
    return RSpaceJSONResponse(_renderer(request, caller).listing(listing))


@router.get(BASE + "/samples/{id}")
async def get_sample(request: Request, id: str = Path()) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    sample = mock_of(request).samples.get(caller, long_parameter("id", id))
    return RSpaceJSONResponse(_renderer(request, caller).sample(sample))


@router.delete(BASE + "/samples/{id}")
async def delete_sample(request: Request, id: str = Path()) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    force = request.query_params.get("forceDelete", "").lower() == "true"
    sample = mock_of(request).samples.delete(caller, long_parameter("id", id), force)
    return RSpaceJSONResponse(_renderer(request, caller).sample(sample, links=False))


@router.put(BASE + "/samples/{id}/restore")
async def restore_sample(request: Request, id: str = Path()) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    sample = mock_of(request).samples.restore(caller, long_parameter("id", id))
    return RSpaceJSONResponse(_renderer(request, caller).sample(sample, links=False))


@router.get(BASE + "/subSamples/{id}")
async def get_subsample(request: Request, id: str = Path()) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    subsample = mock_of(request).samples.get_subsample(caller, long_parameter("id", id))
    return RSpaceJSONResponse(_renderer(request, caller).subsample(subsample))


@router.get(f"{BASE}/workbenches")
async def list_workbenches(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request).user
    bench = mock_of(request).samples.workbench(caller)
    renderer = _renderer(request, caller)
    url = f"{renderer.base}/containers?pageNumber=0&orderBy=name%20asc"
    return RSpaceJSONResponse(
        {
            "totalHits": 1,
            "pageNumber": 0,
            "containers": [renderer.container_info(bench, top=True)],
            "_links": [{"link": url, "rel": "self"}],
        }
    )
