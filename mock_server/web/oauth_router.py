"""``POST /oauth/token``: binds parameters the way Spring does, then asks the token service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import FormData

from ..admin.masking import parameter_secrets
from ..domain.errors import MissingParameter, TypeMismatch
from ..domain.oauth import TokenRequest
from .context import TOKEN_OWNER_STATE_KEY, mock_of, server_url
from .form_reading import form_kind
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


async def request_parameters(request: Request) -> dict[str, str]:
    """The servlet parameter map: query string first, then a form or multipart body.

    A JSON body is not read (RSpace reads no JSON here); an unparseable body adds nothing.
    Every parameter under a secret name is handed to the request's secrets, so that neither
    the journal nor a log line shows it.
    """
    items = list(request.query_params.multi_items())
    if form_kind(request.headers.get("content-type")) is not None:
        try:
            form: FormData = await request.form()
        except Exception:  # malformed body: RSpace sees no parameters in it
            form = FormData()
        items += [(key, item) for key, item in form.multi_items() if isinstance(item, str)]
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
