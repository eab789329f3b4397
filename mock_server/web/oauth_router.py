"""``POST /oauth/token``: binds parameters the way Spring does, then asks the token service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.types import Message, Receive

from ..admin.masking import parameter_secrets
from ..domain.errors import MissingParameter, TypeMismatch
from ..domain.oauth import TokenRequest
from .context import TOKEN_OWNER_STATE_KEY, mock_of, server_url
from .form_reading import MULTIPART, form_kind
from .representations import token_response
from .responses import RSpaceJSONResponse
from .schemas import TokenResponse, error_responses, token_form_schema
from .secret_scope import request_secrets

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
    Every parameter under a secret name is handed to the request's secrets, so that neither
    the journal nor a log line shows it.
    """
    items = list(request.query_params.multi_items())
    kind = form_kind(request.headers.get("content-type"))
    if kind is not None:
        limit = MAX_UPLOAD_SIZE if kind == MULTIPART else MAX_POST_SIZE
        body = Request(request.scope, _capped(request.receive, limit))
        try:
            async with body.form(max_part_size=MAX_POST_SIZE) as form:
                if kind != MULTIPART or _field_data_size(form) <= MAX_POST_SIZE:
                    items += [(k, item) for k, item in form.multi_items() if isinstance(item, str)]
        except Exception:  # malformed or too long: RSpace sees no parameters in it
            pass
    request_secrets(request.scope).update(parameter_secrets(items))
    params: dict[str, str] = {}
    for key, value in items:
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


_FORM_SCHEMA = {"schema": token_form_schema()}


@router.post(
    "/oauth/token",
    summary="Grant or refresh an OAuth token",
    description=(
        "RSpace's token endpoint. Parameters come from a multipart body (curl -F), a "
        "urlencoded body or the query string; client credentials are parameters, never HTTP "
        "Basic. grant_type is password or refresh_token; is_jwt=true returns a JWT. A missing "
        "or unconvertible parameter is a 400, an empty client_id or client_secret or wrong "
        "credentials a 401, an unknown refresh token a 404, and an unsupported grant or a "
        "missing username, password or refresh_token a 422."
    ),
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses={
        200: {"description": "The new tokens"},
        **error_responses(400, 401, 404, 422, api=False),
    },
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
    request_secrets(request.scope).update([issued.access_token, issued.refresh_token])
    return RSpaceJSONResponse(token_response(issued, mock.clock.now()))
