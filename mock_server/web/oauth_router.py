"""``POST /oauth/token``: binds parameters the way Spring does, then asks the token service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.types import Message, Receive

from ..domain.errors import MissingParameter, TypeMismatch
from ..domain.oauth import TokenRequest
from .context import TOKEN_OWNER_STATE_KEY, mock_of, server_url
from .representations import token_response
from .responses import RSpaceJSONResponse
from .schemas import TokenRequestForm, TokenResponse, error_responses, inline_schema

router = APIRouter()

#: Spring's String-to-Boolean conversion.
_BOOLEANS = {
    "true": True,
    "on": True,
    "yes": True,
    "1": True,
    "false": False,
    "off": False,
    "no": False,
    "0": False,
}

_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"

#: Tomcat's ``maxPostSize`` (its default; RSpace's sources set no other): the most form data,
#: in bytes, that Tomcat parses. A longer urlencoded body gives no parameters at all (the
#: controller sees only the query string's); longer multipart fields in all make Spring refuse
#: the request with 400.
MAX_POST_SIZE = 2 * 1024 * 1024
#: RSpace's ``files.maxUploadSize`` default: the largest multipart request it takes.
MAX_UPLOAD_SIZE = 50 * 1024 * 1024


class _BodyTooLarge(Exception):
    pass


def _capped(receive: Receive, limit: int) -> Receive:
    """``receive``, refusing a body longer than ``limit`` bytes once it has read that far."""
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _BodyTooLarge
        return message

    return capped_receive


def _field_data_size(form: FormData) -> int:
    """Multipart field data as Tomcat counts it against ``maxPostSize``: ``name=value&``."""
    return sum(
        len(key.encode()) + len(item.encode()) + 2
        for key, item in form.multi_items()
        if isinstance(item, str)
    )


async def request_parameters(request: Request) -> dict[str, str]:
    """The servlet parameter map: query string first, then a form or multipart body.

    A JSON body is not read (RSpace reads no JSON here); an unparseable body adds nothing, and
    nor does one over Tomcat's limits. For a multipart body over them RSpace answers 400 from
    its generic error handler; without the body's parameters the fake answers 400 as well
    (for the first parameter missing). So no password or secret longer than 2 MB is hashed.
    """
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, value)
    content_type = request.headers.get("content-type", "").lower()
    multipart = content_type.startswith(_MULTIPART)
    if not multipart and not content_type.startswith(_URLENCODED):
        return params
    limit = MAX_UPLOAD_SIZE if multipart else MAX_POST_SIZE
    body = Request(request.scope, _capped(request.receive, limit))
    try:
        async with body.form(max_part_size=MAX_POST_SIZE) as form:
            if multipart and _field_data_size(form) > MAX_POST_SIZE:
                return params
            fields = [(k, item) for k, item in form.multi_items() if isinstance(item, str)]
    except Exception:  # malformed or too long: RSpace sees no parameters in it
        return params
    for key, value in fields:
        params.setdefault(key, value)
    return params


def bind_token_request(params: dict[str, str]) -> TokenRequest:
    # Spring resolves the method's parameters in declaration order.
    for required in ("grant_type", "client_secret", "client_id"):
        if required not in params:
            raise MissingParameter(required)
    raw_is_jwt = params.get("is_jwt", "")
    if raw_is_jwt.strip() == "":
        is_jwt = False
    elif raw_is_jwt.strip().lower() in _BOOLEANS:
        is_jwt = _BOOLEANS[raw_is_jwt.strip().lower()]
    else:
        raise TypeMismatch("is_jwt", raw_is_jwt, "java.lang.Boolean")
    return TokenRequest(
        grant_type=params["grant_type"],
        client_id=params["client_id"],
        client_secret=params["client_secret"],
        username=params.get("username"),
        password=params.get("password"),
        refresh_token=params.get("refresh_token"),
        is_jwt=is_jwt,
    )


_FORM_SCHEMA = {"schema": inline_schema(TokenRequestForm)}


@router.post(
    "/oauth/token",
    summary="Grant or refresh an OAuth token",
    description=(
        "RSpace's token endpoint. Parameters come from a multipart body (curl -F), a "
        "urlencoded body or the query string; client credentials are parameters, never HTTP "
        "Basic. grant_type is password or refresh_token; is_jwt=true returns a JWT."
    ),
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=error_responses(400, 401, 404, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": _FORM_SCHEMA,
                "application/x-www-form-urlencoded": _FORM_SCHEMA,
            },
        }
    },
    tags=["OAuth"],
)
async def token(request: Request) -> RSpaceJSONResponse:
    mock = mock_of(request)
    token_request = bind_token_request(await request_parameters(request))
    issued = mock.tokens.grant(token_request, server_url(request))
    setattr(request.state, TOKEN_OWNER_STATE_KEY, issued.user_id)
    return RSpaceJSONResponse(token_response(issued, mock.clock.now()))
