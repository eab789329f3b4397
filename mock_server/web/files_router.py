"""``/api/v1/files``: uploading, listing, reading, downloading and replacing Gallery files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from ..domain.errors import ApiProblem
from ..domain.files import (
    MAX_CAPTION_LENGTH,
    MEDIA_TYPE_PATTERN,
    MissingFilePart,
    Upload,
)
from ..domain.models import MediaFile
from ..domain.paging import SORT_CHOICES
from .api_router import _ID, _document_id, authenticate, long_parameter, spring_bound
from .context import api_base, mock_of
from .form_reading import form_kind
from .representations import file_json, file_listing
from .responses import RSpaceJSONResponse
from .schemas import (
    LINK_SCHEMA,
    error_responses,
    id_parameter,
    json_success,
    paging_parameters,
)

router = APIRouter(prefix="/api/v1")


class UploadTooLarge(ApiProblem):
    """Spring's ``MaxUploadSizeExceededException``, raised before any handler runs."""

    http_status = 400
    internal_code = 40004

    def __init__(self, size: int | None, limit: int) -> None:
        actual = f"({size}) " if size is not None else ""
        message = (
            f"Maximum upload size exceeded; the request was rejected because its size {actual}"
            f"exceeds the configured maximum ({limit})"
        )
        super().__init__(message, [message])


_FILE_ID = id_parameter("A file's id")
_LISTING_PARAMETERS = [
    *paging_parameters(SORT_CHOICES),
    {
        "name": "mediaType",
        "in": "query",
        "schema": {"type": "string", "enum": ["image", "document", "av", "chemistry", ""]},
        "description": f"Matches {MEDIA_TYPE_PATTERN}: image, av (audio or video), chemistry, "
        "or document (any other file)",
    },
]
FILE_SCHEMA: dict[str, Any] = {
    "title": "ApiFile",
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "globalId": {"type": "string", "pattern": "^GL[0-9]+$"},
        "name": {"type": "string"},
        "caption": {"type": ["string", "null"]},
        "contentType": {"type": "string"},
        "created": {"type": "string"},
        "size": {"type": "integer", "format": "int64"},
        "version": {"type": "integer"},
        "parentFolderId": {"type": ["integer", "null"], "format": "int64"},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": [
        "id",
        "globalId",
        "name",
        "caption",
        "contentType",
        "created",
        "size",
        "version",
        "parentFolderId",
        "_links",
    ],
}
_LISTING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "totalHits": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "files": {"type": "array", "items": FILE_SCHEMA},
        "_links": {"type": "array", "items": LINK_SCHEMA},
    },
    "required": ["totalHits", "pageNumber", "files", "_links"],
}


def _multipart_body(with_folder: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"file": {"type": "string", "format": "binary"}}
    if with_folder:
        properties["folderId"] = {"type": "integer", "format": "int64", "minimum": 1}
        properties["caption"] = {"type": "string", "maxLength": MAX_CAPTION_LENGTH}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": properties, "required": ["file"]}
                }
            },
        }
    }


async def _read_upload(request: Request) -> tuple[Upload | None, dict[str, str]]:
    """The ``file`` part and the other parameters (query string first, then form fields, as
    Spring merges them), the whole request held to RSpace's upload limit."""
    limit = mock_of(request).settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(int(declared), limit)
    if form_kind(request.headers.get("content-type")) != "multipart":
        raise MissingFilePart("Current request is not a multipart request")
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > limit:
            raise UploadTooLarge(None, limit)
    request._body = bytes(received)  # the form parser reads the body held here
    params: dict[str, str] = {}
    for name, text in request.query_params.multi_items():
        params.setdefault(name, text)
    upload: Upload | None = None
    try:
        async with request.form(max_files=1000, max_fields=1000) as form:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if name == "file" and upload is None and value.filename is not None:
                        upload = Upload(file_name=value.filename, data=await value.read())
                else:
                    params.setdefault(name, value)
    except MultiPartException:
        raise MissingFilePart("Failed to parse multipart servlet request") from None
    return upload, params


def _long_or_none(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return None
    return long_parameter(name, raw.strip())


def _file_response(request: Request, file: MediaFile, status_code: int = 200) -> Response:
    return RSpaceJSONResponse(file_json(file, api_base(request)), status_code=status_code)


@router.get(
    "/files",
    responses={
        200: json_success(_LISTING_SCHEMA, "A page of your Gallery files"),
        **error_responses(400, 401, 422),
    },
    tags=["Files"],
    summary="List your Gallery files",
    openapi_extra={"parameters": _LISTING_PARAMETERS},
)
async def list_files(request: Request) -> Response:
    caller = authenticate(request)
    listing = mock_of(request).files.list(caller.user, spring_bound(request.query_params))
    return RSpaceJSONResponse(file_listing(listing, api_base(request)))


@router.post(
    "/files",
    status_code=201,
    responses={201: json_success(FILE_SCHEMA, "The new file"), **error_responses(400, 401, 422)},
    tags=["Files"],
    summary="Upload a file into the Gallery",
    openapi_extra=_multipart_body(with_folder=True),
)
async def upload_file(request: Request) -> Response:
    caller = authenticate(request)
    upload, params = await _read_upload(request)
    # Spring binds the parameters in the handler's order: folderId, caption, originalImageId,
    # then the file.
    folder_id = _long_or_none(params, "folderId")
    caption = params.get("caption")
    _long_or_none(params, "originalImageId")
    if upload is None:
        raise MissingFilePart()
    file = mock_of(request).files.upload(caller.user, upload, folder_id, caption)
    return _file_response(request, file, 201)


@router.get(
    "/files/{id}",
    responses={200: json_success(FILE_SCHEMA, "The file"), **error_responses(400, 401, 404)},
    tags=["Files"],
    summary="Get a file's details",
    openapi_extra={"parameters": [_FILE_ID]},
)
async def get_file(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    file = mock_of(request).files.get(caller.user, _document_id(id))
    return _file_response(request, file)


def _header_safe(text: str) -> str:
    """As Tomcat writes a header: ISO-8859-1, anything else (and any control) as ``?``."""
    return "".join(c if " " <= c <= "\xff" and c != "\x7f" else "?" for c in text)


@router.get(
    "/files/{id}/file",
    responses={
        200: {
            "description": "The file's bytes",
            # The type the file was stored with.
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(400, 401, 404),
    },
    tags=["Files"],
    summary="Download a file",
    openapi_extra={"parameters": [_FILE_ID]},
    response_class=Response,
)
async def download_file(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    file, data = mock_of(request).files.content(caller.user, _document_id(id))
    return Response(
        data,
        media_type=file.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{_header_safe(file.stored_name)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/files/{id}/file",
    status_code=201,
    responses={
        201: json_success(FILE_SCHEMA, "The file, a version newer"),
        **error_responses(400, 401, 404, 422),
    },
    tags=["Files"],
    summary="Replace a file's bytes with a new version",
    openapi_extra={"parameters": [_FILE_ID], **_multipart_body(with_folder=False)},
)
async def replace_file(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    file_id = _document_id(id)
    upload, _params = await _read_upload(request)
    if upload is None:
        raise MissingFilePart()
    file = mock_of(request).files.replace(caller.user, file_id, upload)
    return _file_response(request, file, 201)
