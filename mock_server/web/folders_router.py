"""``/api/v1/folders``: folders and notebooks, and listings of what a folder holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..domain.errors import TypeMismatch
from ..domain.kinds import USERS
from ..domain.models import Folder, User
from ..domain.paging import SORT_CHOICES
from .api_router import (
    _ID,
    _document_id,
    _json_body,
    authenticate,
    long_parameter,
    spring_bound,
)
from .context import api_base, mock_of
from .representations import folder_json, tree_listing
from .responses import RSpaceJSONResponse
from .schemas import (
    LINK_SCHEMA,
    error_responses,
    id_parameter,
    json_success,
    paging_parameters,
    success_response,
)

router = APIRouter(prefix="/api/v1")

_FOLDER_ID = {"parameters": [id_parameter("A folder's or notebook's id")]}
_TREE_PARAMETERS = [
    *paging_parameters(SORT_CHOICES),
    {
        "name": "typesToInclude",
        "in": "query",
        "schema": {
            "type": "string",
            "pattern": r"^\s*(notebook|folder|document|snippet)?\s*"
            r"(,\s*(notebook|folder|document|snippet)?\s*)*$",
        },
        "description": "Comma-separated: notebook, folder, document, snippet",
    },
]


_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"}
_LINKS = {"type": "array", "items": LINK_SCHEMA}
_FOLDER_KEYS = {
    "id": {"type": "integer", "format": "int64"},
    "globalId": {"type": "string", "pattern": "^(FL|NB|GF)[0-9]+$"},
    "name": {"type": "string"},
    "created": _DATE,
    "lastModified": _DATE,
    "parentFolderId": {"type": ["integer", "null"], "format": "int64"},
    "notebook": {"type": "boolean"},
    "systemFolder": {"type": "boolean"},
    "sharedFolder": {"type": "boolean"},
    "mediaType": {"type": ["string", "null"]},
}
FOLDER_SCHEMA: dict[str, Any] = {
    "title": "ApiFolder",
    "type": "object",
    "properties": {
        **_FOLDER_KEYS,
        "pathToRootFolder": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": _FOLDER_KEYS},
        },
        "_links": _LINKS,
    },
    "required": [*_FOLDER_KEYS, "pathToRootFolder", "_links"],
}
_RECORD_SCHEMA: dict[str, Any] = {
    "title": "RecordTreeItemInfo",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "globalId": {"type": "string", "pattern": "^(FL|NB|GF|SD|GL)[0-9]+$"},
        "name": {"type": "string"},
        "created": _DATE,
        "lastModified": _DATE,
        "parentFolderId": {"type": "integer", "format": "int64"},
        "type": {"type": "string", "enum": ["FOLDER", "NOTEBOOK", "DOCUMENT", "MEDIA"]},
        "systemFolder": {"type": "boolean"},
        "sharedFolder": {"type": "boolean"},
        "_links": _LINKS,
        "owner": {"type": ["object", "null"]},
    },
    "required": ["id", "globalId", "name", "created", "lastModified", "type", "_links", "owner"],
}
TREE_SCHEMA: dict[str, Any] = {
    "title": "ApiRecordTreeItemListing",
    "type": "object",
    "properties": {
        "folderId": {"type": "integer", "format": "int64"},
        "totalHits": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "records": {"type": "array", "items": _RECORD_SCHEMA},
        "_links": _LINKS,
    },
    "required": ["folderId", "totalHits", "pageNumber", "records", "_links"],
}


def _boolean(raw: str | None, name: str) -> bool:
    """A Spring ``boolean`` request parameter (true/false/on/off/yes/no/1/0, any case)."""
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in ("true", "on", "yes", "1"):
        return True
    if value in ("false", "off", "no", "0"):
        return False
    raise TypeMismatch(name, raw, "boolean")


def _owner_ids(request: Request, ids: set[int], caller: User) -> dict[int, User]:
    owners = {caller.id: caller}
    users = mock_of(request).store.collection(USERS)
    for user_id in ids - {caller.id}:
        user = users.get(user_id)
        if user is not None:
            owners[user_id] = user
    return owners


def _folder_response(
    request: Request,
    folder: Folder,
    caller: User,
    status_code: int = 200,
    *,
    path: list[Folder] | None = None,
    parent_id: int | None = None,
) -> Response:
    base = api_base(request)
    parent = folder.parent_id if folder.owner_id == caller.id else None
    if path is not None:
        parent = path[0].id if path else parent
        if parent_id is not None:
            parent = parent_id
    path_json = None
    if path is not None:
        path_json = [folder_json(p, p.parent_id, None, None) for p in path]
    body = folder_json(folder, parent, path_json, base)
    return RSpaceJSONResponse(body, status_code=status_code)


@router.post(
    "/folders",
    status_code=201,
    responses={
        201: json_success(FOLDER_SCHEMA, "The new folder or notebook"),
        **error_responses(400, 401, 404, 415),
    },
    tags=["Folders"],
    summary="Create a folder, or a notebook with notebook: true",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "name": {"type": ["string", "null"], "maxLength": 255},
                            "notebook": {"type": ["boolean", "null"]},
                            "parentFolderId": {
                                "type": ["integer", "null"],
                                "format": "int64",
                                "minimum": 1,
                            },
                        },
                    }
                }
            },
        }
    },
)
async def create_folder(request: Request) -> Response:
    caller = authenticate(request)
    body = await _json_body(request)
    folder = mock_of(request).folders.create(caller.user, body)
    return _folder_response(request, folder, caller.user, 201)


async def _tree(request: Request, folder_id: int | None) -> Response:
    caller = authenticate(request)
    params = request.query_params
    types = [t.strip() for value in params.getlist("typesToInclude") for t in value.split(",")]
    listing = mock_of(request).folders.tree(caller.user, folder_id, spring_bound(params), types)
    owners = _owner_ids(request, {item.owner_id for item in listing.items}, caller.user)
    body: dict[str, Any] = tree_listing(listing, owners, api_base(request), folder_id is not None)
    return RSpaceJSONResponse(body)


@router.get(
    "/folders/tree",
    responses={
        200: json_success(TREE_SCHEMA, "A page of your home folder"),
        **error_responses(400, 401, 422),
    },
    tags=["Folders"],
    summary="List your home folder",
    openapi_extra={"parameters": _TREE_PARAMETERS},
)
async def home_tree(request: Request) -> Response:
    return await _tree(request, None)


@router.get(
    "/folders/tree/{id}",
    responses={
        200: json_success(TREE_SCHEMA, "A page of the folder's contents"),
        **error_responses(400, 401, 404, 422),
    },
    tags=["Folders"],
    summary="List a folder or notebook",
    openapi_extra={"parameters": [*_FOLDER_ID["parameters"], *_TREE_PARAMETERS]},
)
async def folder_tree(request: Request, id: str = _ID) -> Response:
    return await _tree(request, _document_id(id))


@router.get(
    "/folders/{id}",
    responses={
        200: json_success(FOLDER_SCHEMA, "The folder"),
        **error_responses(400, 401, 404, 422),
    },
    tags=["Folders"],
    summary="Get a folder or notebook",
    openapi_extra={
        "parameters": [
            *_FOLDER_ID["parameters"],
            {
                "name": "includePathToRootFolder",
                "in": "query",
                "schema": {"type": "string", "pattern": "^(?i:true|false|on|off|yes|no|1|0)?$"},
            },
            {
                "name": "parentId",
                "in": "query",
                "schema": {
                    "type": "integer",
                    "format": "int64",
                    "minimum": -(2**63),
                    "maximum": 2**63 - 1,
                },
            },
        ]
    },
)
async def get_folder(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    folder_id = _document_id(id)
    params = request.query_params
    with_path = _boolean(params.get("includePathToRootFolder"), "includePathToRootFolder")
    raw_parent = params.get("parentId")
    parent_id = None
    if raw_parent not in (None, ""):
        parent_id = long_parameter("parentId", str(raw_parent))
    folders = mock_of(request).folders
    folder = folders.get(caller.user, folder_id)
    if not with_path:
        return _folder_response(request, folder, caller.user)
    path = folders.path_to_root(caller.user, folder, parent_id)
    return _folder_response(request, folder, caller.user, path=path, parent_id=parent_id)


@router.delete(
    "/folders/{id}",
    status_code=204,
    responses={204: success_response("Deleted"), **error_responses(400, 401, 404, 422)},
    tags=["Folders"],
    summary="Delete a folder or notebook, and all it holds",
    openapi_extra=_FOLDER_ID,
)
async def delete_folder(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    mock_of(request).folders.delete(caller.user, _document_id(id))
    return Response(status_code=204)


@router.post(
    "/documents/move",
    status_code=204,
    responses={204: success_response("Moved"), **error_responses(400, 401, 404, 415, 422)},
    tags=["Documents"],
    summary="Move a document, folder or notebook into another folder or notebook",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "docId": {"type": ["integer", "null"], "format": "int64"},
                            "sourceFolderId": {"type": ["integer", "null"], "format": "int64"},
                            "targetFolderId": {"type": ["integer", "null"], "format": "int64"},
                            "currentGrandparentId": {
                                "type": ["integer", "null"],
                                "format": "int64",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def move_document(request: Request) -> Response:
    caller = authenticate(request)
    body = await _json_body(request)
    mock_of(request).folders.move(caller.user, body)
    return Response(status_code=204)
