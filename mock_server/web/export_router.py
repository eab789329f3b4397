"""``/api/v1/export`` and ``/api/v1/jobs``: export jobs, their progress and their archives."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from ..domain.export import JobView, parse_export
from ..domain.models import ExportJob
from .api_router import _ID, authenticate, long_parameter, spring_bound
from .context import api_base, mock_of, server_url
from .representations import link, rspace_date
from .responses import RSpaceJSONResponse
from .schemas import LINK_SCHEMA, error_responses, id_parameter, json_success, success_response

router = APIRouter(prefix="/api/v1")


#: Bound as text and checked by the rules (RSpace's 400); stated in the schema by hand. Each
#: parameter has its own ``Path``: FastAPI names a shared one after its first parameter.
def _text() -> Any:
    return Path(include_in_schema=False)


JOB_SCHEMA: dict[str, Any] = {
    "title": "ApiJob",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "status": {
            "type": "string",
            "enum": [
                "STARTING",
                "STARTED",
                "STOPPING",
                "STOPPED",
                "COMPLETED",
                "FAILED",
                "ABANDONED",
                "UNKNOWN",
            ],
        },
        "result": {"type": ["object", "null"]},
        "percentComplete": {"type": "number"},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": ["id", "status", "percentComplete", "_links"],
}
_EXPORT_PARAMETERS = [
    {
        "name": "format",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["html", "xml"]},
    },
    {
        "name": "scope",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["user", "group", "selection"]},
    },
    {
        "name": "selections",
        "in": "query",
        "schema": {"type": "string", "pattern": r"^\s*\d{1,18}(\s*,\s*\d{1,18})*\s*$"},
        "description": "For scope=selection: comma-separated ids of documents, notebooks, folders",
    },
    {"name": "includeRevisionHistory", "in": "query", "schema": {"type": "boolean"}},
    {
        "name": "maxLinkLevel",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    },
]
_EXPORT_RESPONSES = {
    202: json_success(JOB_SCHEMA, "The job, started"),
    **error_responses(400, 401, 422, 429),
}


def _job_json(request: Request, job: ExportJob, view: JobView | None) -> dict[str, Any]:
    """``ApiJob``, keys as RSpace's answers have them."""
    base = api_base(request)
    if view is None:  # just started
        return {
            "id": job.id,
            "status": "STARTING",
            "result": None,
            "percentComplete": -1.0,
            "_links": [link(f"{base}/jobs/{job.id}", "self")],
        }
    body: dict[str, Any] = {"id": job.id, "status": view.status, "result": None}
    body["percentComplete"] = view.percent_complete
    body["_links"] = []
    if view.status == "COMPLETED":
        assert view.expiry is not None
        body["result"] = {
            "expiryDate": rspace_date(view.expiry),
            "size": job.size,
            "checksum": job.checksum,
            "algorithm": "CRC32",
        }
        body["_links"] = [link(f"{base}/export/{job.file_name}", "enclosure")]
    return body


async def _start(
    request: Request, export_format: str, scope: str, target: int | None
) -> RSpaceJSONResponse:
    caller = authenticate(request)
    parsed = parse_export(export_format, scope, target, spring_bound(request.query_params))
    job = mock_of(request).exports.start(caller.user, parsed, server_url(request))
    return RSpaceJSONResponse(_job_json(request, job, None), status_code=202)


@router.post(
    "/export/{format}/{scope}",
    status_code=202,
    responses=_EXPORT_RESPONSES,
    tags=["Export"],
    summary="Export your work (user), your lab's (group, for its PI) or a selection",
    openapi_extra={"parameters": _EXPORT_PARAMETERS},
)
async def start_export(
    request: Request, format: str = _text(), scope: str = _text()
) -> RSpaceJSONResponse:  # noqa: A002
    return await _start(request, format, scope, None)


@router.post(
    "/export/{format}/{scope}/{id}",
    status_code=202,
    responses=_EXPORT_RESPONSES,
    tags=["Export"],
    summary="Export a user's work or a group's, by the user's or the group's id",
    openapi_extra={"parameters": [*_EXPORT_PARAMETERS, id_parameter("A user's or group's id")]},
)
async def start_export_of(
    request: Request,
    format: str = _text(),  # noqa: A002
    scope: str = _text(),
    id: str = _ID,  # noqa: A002
) -> RSpaceJSONResponse:
    target = long_parameter("id", id)
    return await _start(request, format, scope, target)


@router.get(
    "/jobs/{id}",
    responses={200: json_success(JOB_SCHEMA, "The job now"), **error_responses(400, 401, 404)},
    tags=["Jobs"],
    summary="An export job's progress; when COMPLETED, its archive (the enclosure link)",
    openapi_extra={"parameters": [id_parameter("A job's id")]},
)
async def get_job(request: Request, id: str = _ID) -> RSpaceJSONResponse:  # noqa: A002
    caller = authenticate(request)
    view = mock_of(request).exports.job(caller.user, long_parameter("id", id))
    return RSpaceJSONResponse(_job_json(request, view.job, view))


@router.get(
    "/export/{file}",
    responses={
        200: success_response(
            "The archive",
            content={
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        ),
        **error_responses(401, 404, 422),
    },
    tags=["Export"],
    summary="Download an export's archive",
    openapi_extra={
        "parameters": [
            {
                "name": "file",
                "in": "path",
                "required": True,
                "schema": {
                    "type": "string",
                    "pattern": r"^[A-Za-z0-9_\-]+(\.zip)?(\.csv)?(\.eln)?$",
                },
            }
        ]
    },
)
async def download_export(request: Request, file: str = _text()) -> Response:
    authenticate(request)
    name, data = mock_of(request).exports.download(file)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
