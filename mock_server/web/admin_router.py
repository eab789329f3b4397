"""The admin API under ``/_mock/`` (a prefix no RSpace path uses): reset and fixtures, users,
apps and documents, settings, the clock, the journal and the fault plan.

Plain JSON in and out (not RSpace's ``ApiError`` shape). Admin calls are neither journaled
nor subject to faults or throttling. ``--no-admin`` hides it (RSpace's 404 answers instead);
``--admin-token`` requires ``X-Admin-Token``.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Any

from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ..admin.control import AdminError, MockControl
from ..domain.text import json_value_problem
from ..runtime import MockRSpace

PREFIX = "/_mock"
TOKEN_HEADER = "x-admin-token"

router = APIRouter(prefix=PREFIX)
log = logging.getLogger("rspace_mock")

JsonObject = dict[str, Any]


def control(request: Request) -> MockControl:
    mock: MockRSpace = request.app.state.mock
    return MockControl(mock)


def _readable(body: Any) -> Any:
    """FastAPI's JSON reader lets through what JSON cannot mean and no answer could carry:
    NaN and Infinity, and lone surrogates (a "\\ud800" escape, or raw bytes of one)."""
    problem = json_value_problem(body, allow_non_finite=False)
    if problem is not None:
        raise AdminError(f"bad request: {problem}")
    return body


def _object(body: Any) -> JsonObject:
    if body is None:
        return {}
    body = _readable(body)
    if not isinstance(body, dict):
        raise AdminError("the body must be a JSON object")
    return body


@router.get("")
def index() -> JsonObject:
    return {
        "service": "rspace-mock admin API",
        "endpoints": [
            "POST /_mock/reset",
            "PUT /_mock/fixtures",
            "GET|POST /_mock/users",
            "PATCH /_mock/users/{username}",
            "DELETE /_mock/users/{username}/apps/{clientId}",
            "GET|POST /_mock/apps",
            "DELETE /_mock/apps/{clientId}",
            "POST /_mock/documents",
            "GET|PATCH /_mock/settings",
            "GET /_mock/clock",
            "POST /_mock/clock/{freeze,set,advance,unfreeze,reset}",
            "GET|DELETE /_mock/journal",
            "GET|POST|DELETE /_mock/faults",
            "DELETE /_mock/faults/{id}",
        ],
    }


@router.post("/reset")
def reset(request: Request, keep_clock: bool = False) -> JsonObject:
    return control(request).reset(keep_clock=keep_clock)


@router.put("/fixtures")
def load_fixtures(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).load_fixtures(_readable(body))


@router.get("/users")
def list_users(request: Request) -> JsonObject:
    return {"users": control(request).list_users()}


@router.post("/users", status_code=201)
def create_user(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_user(_object(body))


@router.patch("/users/{username}")
def update_user(request: Request, username: str, body: Any = Body(...)) -> JsonObject:
    return control(request).update_user(username, _object(body))


@router.delete("/users/{username}/apps/{client_id}")
def disconnect_app(request: Request, username: str, client_id: str) -> JsonObject:
    return control(request).disconnect_app(username, client_id)


@router.get("/apps")
def list_apps(request: Request) -> JsonObject:
    return {"apps": control(request).list_apps()}


@router.post("/apps", status_code=201)
def create_app(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_app(_object(body))


@router.delete("/apps/{client_id}")
def delete_app(request: Request, client_id: str) -> JsonObject:
    return control(request).delete_app(client_id)


@router.post("/documents", status_code=201)
def create_document(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_document(_object(body))


@router.get("/settings")
def get_settings(request: Request) -> JsonObject:
    return control(request).get_settings()


@router.patch("/settings")
def update_settings(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).update_settings(_object(body))


@router.get("/clock")
def get_clock(request: Request) -> JsonObject:
    return control(request).clock_json()


@router.post("/clock/freeze")
def freeze_clock(request: Request, body: Any = Body(None)) -> JsonObject:
    return control(request).clock_freeze(_object(body).get("at"))


@router.post("/clock/set")
def set_clock(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).clock_set(_object(body).get("at"))


@router.post("/clock/advance")
def advance_clock(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).clock_advance(_object(body).get("seconds"))


@router.post("/clock/unfreeze")
def unfreeze_clock(request: Request) -> JsonObject:
    return control(request).clock_unfreeze()


@router.post("/clock/reset")
def reset_clock(request: Request) -> JsonObject:
    return control(request).clock_reset()


@router.get("/journal")
def journal(
    request: Request,
    path: str | None = None,
    method: str | None = None,
    user: str | None = None,
    status: int | None = None,
    since: int | None = None,
) -> JsonObject:
    entries = control(request).journal(
        path=path, method=method, user=user, status=status, since_id=since
    )
    return {"entries": [e.to_json() for e in entries]}


@router.delete("/journal")
def clear_journal(request: Request) -> JsonObject:
    return {"cleared": control(request).clear_journal()}


@router.get("/faults")
def list_faults(request: Request) -> JsonObject:
    return {"faults": [rule.to_json() for rule in control(request).faults()]}


@router.post("/faults", status_code=201)
def add_fault(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).add_fault(_object(body)).to_json()


@router.delete("/faults")
def clear_faults(request: Request) -> JsonObject:
    control(request).clear_faults()
    return {"faults": []}


@router.delete("/faults/{rule_id}")
def remove_fault(request: Request, rule_id: int) -> JsonObject:
    control(request).remove_fault(rule_id)
    return {"removed": rule_id}


def build_admin_app(mock: MockRSpace) -> FastAPI:
    app = FastAPI(
        title="rspace-mock admin API",
        docs_url=f"{PREFIX}/docs",
        openapi_url=f"{PREFIX}/openapi.json",
        redoc_url=None,
    )
    app.state.mock = mock
    app.include_router(router)

    async def on_admin_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AdminError)
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def on_bad_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg')}"
            for error in exc.errors()
        )
        return JSONResponse({"error": f"bad request: {problems}"}, status_code=400)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        # E.g. a body that is not UTF-8: the admin API's own shape, not FastAPI's.
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            {"error": f"bad request: {exc.detail}" if exc.status_code == 400 else exc.detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    app.add_exception_handler(AdminError, on_admin_error)
    app.add_exception_handler(RequestValidationError, on_bad_request)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    return app


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AdminMount:
    """Sends ``/_mock/**`` to the admin app (when enabled), everything else to the fake."""

    def __init__(self, app: ASGIApp, mock: MockRSpace) -> None:
        self.app = app
        self.mock = mock
        self.admin = build_admin_app(mock)
        self.token = mock.settings.admin_token
        settings = mock.settings
        if settings.admin_enabled and self.token is None and not _is_loopback(settings.host):
            log.warning(
                "the admin API (/_mock/) is open to anyone who can reach %s: it can reset "
                "state and read the journal; use --admin-token or --no-admin",
                settings.host,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        is_admin = scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/"))
        if not is_admin or not self.mock.settings.admin_enabled:
            await self.app(scope, receive, send)
            return
        if self.token is not None:
            # Bytes, not str: compare_digest refuses non-ASCII strings (a header may carry any).
            sent = dict(scope["headers"]).get(TOKEN_HEADER.encode(), b"")
            if not hmac.compare_digest(sent, self.token.encode("utf-8")):
                response = JSONResponse(
                    {"error": f"admin API: missing or wrong {TOKEN_HEADER} header"},
                    status_code=401,
                )
                await response(scope, receive, send)
                return
        await self.admin(scope, receive, send)
