"""``/api/v1``: status and documents. Authentication runs first, before any 400 or 404."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response

from ..domain.authentication import Principal
from ..domain.documents import ListingRequest, parse_listing
from ..domain.errors import TypeMismatch, UnreadableBody, UnsupportedMediaType
from ..domain.json_text import JsonTextError, parse_json
from ..domain.kinds import USERS
from ..domain.models import Document, User
from .context import api_base, mock_of, server_url
from .representations import document_csv, document_info, full_document, listing_links
from .responses import RSpaceJSONResponse
from .schemas import (
    DOCUMENT_ID_PARAMETER,
    LISTING_PARAMETERS,
    DocumentSearchResult,
    Status,
    changed_document_schema,
    error_responses,
    json_body,
    new_document_schema,
    success_response,
)
from .schemas import Document as DocumentSchema

#: Handlers are ``async``: the rules are quick in-memory or SQLite work, and a thread-pool hop
#: per call would cost more than the work itself. A search is the exception (see
#: ``list_documents``).
router = APIRouter(prefix="/api/v1")

API_KEY_HEADER = "apiKey"

#: Searches that run at once: one core fewer than the machine has (at least one), so that a
#: core is always left for the event loop; more at once would only slow every request down.
_SEARCH_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 1) - 1))


def authenticate(request: Request) -> Principal:
    """Every handler calls this first, so authentication comes before any 400 or 404."""
    mock = mock_of(request)
    principal = mock.authenticator.authenticate(
        request.headers.get(API_KEY_HEADER),
        request.headers.get("authorization"),
        server_url(request),
    )
    request.state.principal = principal
    return principal


#: The id is bound as text and converted by :func:`_document_id` (RSpace's 400 for a bad
#: one); the document states it as the Java Long it is, so it is left out of FastAPI's schema.
_ID = Path(include_in_schema=False)
_DOCUMENT_ID = {"parameters": [DOCUMENT_ID_PARAMETER]}


def long_parameter(name: str, raw: str) -> int:
    """A Spring ``Long`` path or request parameter: 400 (40006) for what is not one."""
    try:
        value = int(raw)
    except ValueError:
        raise TypeMismatch(name, raw, "java.lang.Long") from None
    if not -(2**63) <= value < 2**63:
        raise TypeMismatch(name, raw, "java.lang.Long")
    return value


def _document_id(raw: str) -> int:
    return long_parameter("id", raw)


#: The listing criteria's Integer properties; the others are Strings.
_INTEGER_PARAMETERS = frozenset({"pageNumber", "pageSize"})


def spring_bound(params: QueryParams) -> dict[str, str]:
    """A repeated parameter as Spring binds it to a criteria bean: the first value for an
    Integer, all the values joined with commas for a String (``ArrayToObjectConverter``,
    ``ArrayToStringConverter``)."""
    return {
        name: params.getlist(name)[0]
        if name in _INTEGER_PARAMETERS
        else ",".join(params.getlist(name))
        for name in params
    }


async def _json_body(request: Request) -> object:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(content_type or "application/octet-stream")
    raw = await request.body()
    if not raw.strip():
        raise UnreadableBody("Required request body is missing")
    try:
        return parse_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, JsonTextError):
        raise UnreadableBody("JSON parse error") from None


def _owner_of(request: Request, document: Document, caller: User) -> User:
    if document.owner_id == caller.id:
        return caller
    owner = mock_of(request).store.collection(USERS).get(document.owner_id)
    return owner or caller


def wants_csv(request: Request) -> bool:
    """Whether the client asks for CSV before JSON (Spring picks the first acceptable type its
    converters can write; RSpace's ``SuperCSVMessageConverter`` writes documents)."""
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "json" not in accept


def _document_response(
    request: Request, document: Document, caller: User, status_code: int = 200
) -> Response:
    """A document as JSON, or as its fields' CSV when asked (GET, and POST and PUT too: they
    answer with the document as GET does)."""
    if wants_csv(request):
        return Response(
            document_csv(document), status_code=status_code, media_type="text/csv;charset=UTF-8"
        )
    mock = mock_of(request)
    files = mock.files.shown_by(document)
    owner = _owner_of(request, document, caller)
    form = mock.forms.of_documents([document])[document.form_id]
    body = full_document(document, form, owner, caller, api_base(request), files)
    return RSpaceJSONResponse(body, status_code=status_code)


@router.get(
    "/status",
    response_model=Status,
    responses={200: success_response("OK and the RSpace version"), **error_responses(401)},
    tags=["Status"],
    summary="Server status (authenticated)",
)
async def status(request: Request) -> RSpaceJSONResponse:
    authenticate(request)
    version = mock_of(request).settings.rspace_version
    return RSpaceJSONResponse({"message": "OK", "rspaceVersion": version})


@router.get(
    "/documents",
    response_model=DocumentSearchResult,
    responses={
        200: success_response("A page of your documents"),
        **error_responses(400, 401, 422),
    },
    tags=["Documents"],
    summary="List your documents",
    description=(
        "A page of your documents, newest change first by default. query and advancedQuery "
        "cannot be combined (a 422); a bad number or page bound is a 400."
    ),
    openapi_extra={"parameters": LISTING_PARAMETERS},
)
async def list_documents(request: Request) -> RSpaceJSONResponse:
    caller = authenticate(request)
    mock = mock_of(request)
    listing = parse_listing(spring_bound(request.query_params), caller.user.id)
    if listing.query.terms:
        # A search reads every document the caller has: on the event loop it would hold up
        # every other request meanwhile. The stores run it in SQL, which lets go of the GIL.
        search = mock.documents.search
        total, documents = await run_in_threadpool(_in_search_slot, search, listing)
    else:
        total, documents = mock.documents.search(listing)
    base = api_base(request)
    forms = mock.forms.of_documents(documents)
    body: dict[str, Any] = {
        "totalHits": total,
        "pageNumber": listing.query.page_number,
        "documents": [
            document_info(d, forms[d.form_id], caller.user, caller.user, base) for d in documents
        ],
        "_links": listing_links(listing, total, base),
    }
    return RSpaceJSONResponse(body)


def _in_search_slot(
    search: Callable[[ListingRequest], tuple[int, list[Document]]], listing: ListingRequest
) -> tuple[int, list[Document]]:
    """Runs in a worker thread, which waits for a free search slot without holding the GIL."""
    with _SEARCH_SLOTS:
        return search(listing)


@router.post(
    "/documents",
    status_code=201,
    response_model=DocumentSchema,
    responses={201: success_response("The new document"), **error_responses(400, 401, 415, 422)},
    tags=["Documents"],
    summary="Create a document",
    openapi_extra=json_body(new_document_schema()),
)
async def create_document(request: Request) -> Response:
    caller = authenticate(request)
    body = await _json_body(request)
    # Off the event loop: cleaning a large field's HTML takes long enough to hold up others.
    document = await run_in_threadpool(mock_of(request).documents.create, caller.user, body)
    return _document_response(request, document, caller.user, 201)


@router.get(
    "/documents/{id}",
    response_model=DocumentSchema,
    responses={
        200: success_response("The document", content={"text/csv": {"schema": {"type": "string"}}}),
        **error_responses(400, 401, 404),
    },
    tags=["Documents"],
    summary="Get a document (JSON, or CSV with Accept: text/csv)",
    openapi_extra=_DOCUMENT_ID,
)
async def get_document(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    document = mock_of(request).documents.get(caller.user, _document_id(id))
    return _document_response(request, document, caller.user)


@router.put(
    "/documents/{id}",
    response_model=DocumentSchema,
    responses={
        200: success_response("The changed document"),
        **error_responses(400, 401, 404, 415, 422),
    },
    tags=["Documents"],
    summary="Update a document (only the keys given change)",
    openapi_extra={**_DOCUMENT_ID, **json_body(changed_document_schema())},
)
async def update_document(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    document_id = _document_id(id)
    body = await _json_body(request)
    documents = mock_of(request).documents
    document = await run_in_threadpool(documents.update, caller.user, document_id, body)
    return _document_response(request, document, caller.user)


@router.delete(
    "/documents/{id}",
    status_code=204,
    responses={204: success_response("Deleted"), **error_responses(400, 401, 404)},
    tags=["Documents"],
    summary="Delete a document (soft delete)",
    openapi_extra=_DOCUMENT_ID,
)
async def delete_document(request: Request, id: str = _ID) -> Response:
    caller = authenticate(request)
    mock_of(request).documents.delete(caller.user, _document_id(id))
    return Response(status_code=204)
