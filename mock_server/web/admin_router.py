"""The admin API under ``/_mock/`` (a prefix no RSpace path uses): reset and fixtures, users,
apps and documents, settings, the clock, the journal and the fault plan.

Plain JSON in and out (not RSpace's ``ApiError`` shape). Admin calls are neither journaled
nor subject to faults or throttling. ``--no-admin`` hides it (RSpace's 404 answers instead);
``--admin-token`` requires ``X-Admin-Token``. What a web page sends to it (a cross-origin call
that changes state, a rebinding page's foreign ``Host``) is refused before it gets here, by
:mod:`.browser_guard`.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..admin.control import AdminError, MockControl
from ..domain.kinds import USERS
from ..domain.text import json_value_problem
from ..runtime import MockRSpace
from ..settings import Settings
from . import admin_schemas as S
from . import dashboard
from .docs_pages import install_docs
from .schemas import drop_fastapi_validation_errors

PREFIX = "/_mock"
TOKEN_HEADER = "x-admin-token"

router = APIRouter(prefix=PREFIX)

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


@router.get("", openapi_extra=S.answers(200, "The admin endpoints", S.INDEX))
def index() -> JsonObject:
    return {
        "service": "rspace-mock admin API",
        "endpoints": [
            "GET /_mock/health",
            "GET /_mock/ui (the dashboard, for a browser)",
            "POST /_mock/reset",
            "PUT /_mock/fixtures",
            "GET|POST /_mock/users",
            "PATCH /_mock/users/{username}",
            "DELETE /_mock/users/{username}/apps/{clientId}",
            "GET|POST /_mock/apps",
            "GET|POST /_mock/groups",
            "DELETE /_mock/apps/{clientId}",
            "POST /_mock/forms",
            "POST /_mock/documents",
            "POST /_mock/folders",
            "POST /_mock/snippets",
            "POST /_mock/files",
            "GET|PATCH /_mock/settings",
            "GET /_mock/clock",
            "POST /_mock/clock/{freeze,set,advance,unfreeze,reset}",
            "GET|DELETE /_mock/journal",
            "GET|POST|DELETE /_mock/faults",
            "DELETE /_mock/faults/{id}",
        ],
    }


@router.get(
    "/health",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Serving, and the store answers",
                "content": {"application/json": {"schema": S.HEALTH}},
            },
            "503": {
                "description": "The store does not answer",
                "content": {"application/json": {"schema": S.HEALTH}},
            },
        }
    },
)
def health(request: Request) -> JSONResponse:
    """For readiness probes: needs no X-Admin-Token, and tells nothing but what is running."""
    mock = request.app.state.mock
    body: JsonObject = {
        "status": "ok",
        "version": __version__,
        "rspaceVersion": mock.settings.rspace_version,
        "store": store_kind(mock.settings),
    }
    try:
        mock.store.collection(USERS).count()
    except Exception as error:  # the probe reports a broken store, it does not crash on it
        body["status"], body["error"] = "unavailable", error.__class__.__name__
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)


def store_kind(settings: Settings) -> str:
    if settings.state_url is not None:
        return "postgresql"
    if settings.state_file is not None:
        return "sqlite"
    return settings.backend


@router.post("/reset", openapi_extra=S.answers(200, "What was loaded", S.SEED_REPORT, 400))
def reset(request: Request, keep_clock: bool = False) -> JsonObject:
    return control(request).reset(keep_clock=keep_clock)


@router.put(
    "/fixtures",
    openapi_extra={
        **S.answers(200, "What was loaded", S.SEED_REPORT, 400),
        **S.body(S.FIXTURES),
    },
)
def load_fixtures(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).load_fixtures(_readable(body))


@router.get("/users", openapi_extra=S.answers(200, "Every user", S.USERS))
def list_users(request: Request) -> JsonObject:
    return {"users": control(request).list_users()}


@router.post(
    "/users",
    status_code=201,
    openapi_extra={**S.answers(201, "The new user", S.USER, 400, 409), **S.body(S.NEW_USER)},
)
def create_user(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_user(_object(body))


@router.patch(
    "/users/{username}",
    openapi_extra={
        **S.answers(200, "The changed user", S.USER, 400, 404),
        **S.body(S.USER_CHANGES),
    },
)
def update_user(request: Request, username: str, body: Any = Body(...)) -> JsonObject:
    return control(request).update_user(username, _object(body))


@router.delete(
    "/users/{username}/apps/{client_id}",
    openapi_extra=S.answers(200, "Whether a token pair was removed", S.DISCONNECTED_APP, 404),
)
def disconnect_app(request: Request, username: str, client_id: str) -> JsonObject:
    return control(request).disconnect_app(username, client_id)


@router.get("/apps", openapi_extra=S.answers(200, "Every OAuth app", S.APPS))
def list_apps(request: Request) -> JsonObject:
    return {"apps": control(request).list_apps()}


@router.post(
    "/apps",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The new app and its secret", S.CREATED_APP, 400, 404, 409),
        **S.body(S.NEW_APP),
    },
)
def create_app(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_app(_object(body))


@router.delete(
    "/apps/{client_id}",
    openapi_extra=S.answers(200, "The app and its tokens are gone", S.DELETED_APP, 404),
)
def delete_app(request: Request, client_id: str) -> JsonObject:
    return control(request).delete_app(client_id)


@router.post(
    "/documents",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The new document", S.CREATED_DOCUMENT, 400, 404),
        **S.body(S.NEW_DOCUMENT),
    },
)
def create_document(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_document(_object(body))


@router.post(
    "/forms",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The form", S.CREATED_FORM, 400, 404),
        **S.body(S.NEW_FORM),
    },
)
def create_form(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_form(_object(body))


@router.get("/groups", openapi_extra=S.answers(200, "Every group", S.GROUPS))
def list_groups(request: Request) -> JsonObject:
    return {"groups": control(request).list_groups()}


@router.post(
    "/groups",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The group", S.GROUP, 400, 404),
        **S.body(S.NEW_GROUP),
    },
)
def create_group(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_group(_object(body))


@router.post(
    "/snippets",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The snippet", S.CREATED_SNIPPET, 400, 404),
        **S.body(S.NEW_SNIPPET),
    },
)
def create_snippet(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_snippet(_object(body))


@router.post(
    "/folders",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The folder or notebook", S.CREATED_FOLDER, 400, 404),
        **S.body(S.NEW_FOLDER),
    },
)
def create_folder(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_folder(_object(body))


@router.post(
    "/files",
    status_code=201,
    openapi_extra={
        **S.answers(201, "The Gallery file", S.CREATED_FILE, 400, 404),
        **S.body(S.NEW_FILE),
    },
)
def create_file(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).create_file(_object(body))


@router.get("/settings", openapi_extra=S.answers(200, "The settings", S.SETTINGS))
def get_settings(request: Request) -> JsonObject:
    return control(request).get_settings()


@router.patch(
    "/settings",
    openapi_extra={
        **S.answers(200, "The settings now", S.SETTINGS, 400),
        **S.body(S.SETTINGS_CHANGES),
    },
)
def update_settings(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).update_settings(_object(body))


@router.get("/clock", openapi_extra=S.answers(200, "The clock", S.CLOCK))
def get_clock(request: Request) -> JsonObject:
    return control(request).clock_json()


@router.post(
    "/clock/freeze",
    openapi_extra={
        **S.answers(200, "The clock", S.CLOCK, 400),
        **S.body(S.CLOCK_FREEZE, required=False),
    },
)
def freeze_clock(request: Request, body: Any = Body(None)) -> JsonObject:
    return control(request).clock_freeze(_object(body).get("at"))


@router.post(
    "/clock/set",
    openapi_extra={**S.answers(200, "The clock", S.CLOCK, 400), **S.body(S.CLOCK_AT)},
)
def set_clock(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).clock_set(_object(body).get("at"))


@router.post(
    "/clock/advance",
    openapi_extra={**S.answers(200, "The clock", S.CLOCK, 400), **S.body(S.CLOCK_ADVANCE)},
)
def advance_clock(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).clock_advance(_object(body).get("seconds"))


@router.post("/clock/unfreeze", openapi_extra=S.answers(200, "The clock", S.CLOCK))
def unfreeze_clock(request: Request) -> JsonObject:
    return control(request).clock_unfreeze()


@router.post("/clock/reset", openapi_extra=S.answers(200, "The clock", S.CLOCK))
def reset_clock(request: Request) -> JsonObject:
    return control(request).clock_reset()


@router.get("/journal", openapi_extra=S.answers(200, "Matching entries", S.JOURNAL, 400))
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


@router.delete("/journal", openapi_extra=S.answers(200, "How many went", S.CLEARED_JOURNAL))
def clear_journal(request: Request) -> JsonObject:
    return {"cleared": control(request).clear_journal()}


@router.get("/faults", openapi_extra=S.answers(200, "The fault plan", S.FAULTS))
def list_faults(request: Request) -> JsonObject:
    return {"faults": [rule.to_json() for rule in control(request).faults()]}


@router.post(
    "/faults",
    status_code=201,
    openapi_extra={**S.answers(201, "The new rule", S.FAULT, 400), **S.body(S.NEW_FAULT)},
)
def add_fault(request: Request, body: Any = Body(...)) -> JsonObject:
    return control(request).add_fault(_object(body)).to_json()


@router.delete("/faults", openapi_extra=S.answers(200, "No rules left", S.FAULTS))
def clear_faults(request: Request) -> JsonObject:
    control(request).clear_faults()
    return {"faults": []}


@router.delete(
    "/faults/{rule_id}",
    openapi_extra=S.answers(200, "The rule is gone", S.REMOVED_FAULT, 400, 404),
)
def remove_fault(request: Request, rule_id: int) -> JsonObject:
    control(request).remove_fault(rule_id)
    return {"removed": rule_id}


def build_admin_app(mock: MockRSpace) -> FastAPI:
    app = FastAPI(
        title="rspace-mock admin API",
        docs_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
        redoc_url=None,
    )
    install_docs(app, PREFIX, redoc=False)
    app.state.mock = mock
    app.include_router(router)
    app.include_router(dashboard.router)

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
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:  # e.g. a body that is not UTF-8
            return JSONResponse({"error": f"bad request: {exc.detail}"}, status_code=400)
        if exc.status_code != 405:
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        # Starlette's Allow names only the first route that matched the path; RFC 9110 wants
        # every method the resource takes (GET and PATCH for /_mock/settings).
        allowed = sorted(
            {
                method
                for route in router.routes
                if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)
                for method in route.methods or ()
            }
        )
        return JSONResponse(
            {"error": f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"},
            status_code=405,
            headers={"Allow": ", ".join(allowed)},
        )

    app.add_exception_handler(AdminError, on_admin_error)
    app.add_exception_handler(RequestValidationError, on_bad_request)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            drop_fastapi_validation_errors(original_openapi())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    return app


#: Answered without the admin token: a readiness probe has no secrets to give.
HEALTH_PATH = f"{PREFIX}/health"
#: Paths the admin token does not guard: the probe, and the dashboard's token form.
OPEN_PATHS = frozenset({HEALTH_PATH, f"{dashboard.PREFIX}/login"})


class AdminMount:
    """Sends ``/_mock/**`` to the admin app (when enabled), everything else to the fake."""

    def __init__(self, app: ASGIApp, mock: MockRSpace) -> None:
        self.app = app
        self.mock = mock
        self.admin = build_admin_app(mock)
        self.token = mock.settings.admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        is_admin = scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/"))
        if not is_admin or not self.mock.settings.admin_enabled:
            await self.app(scope, receive, send)
            return
        if self.token is not None and path not in OPEN_PATHS:
            # Bytes, not str: compare_digest refuses non-ASCII strings (a header may carry any).
            sent = dict(scope["headers"]).get(TOKEN_HEADER.encode(), b"")
            on_dashboard = path == dashboard.PREFIX or path.startswith(dashboard.PREFIX + "/")
            if on_dashboard and not hmac.compare_digest(sent, self.token.encode("utf-8")):
                # A browser has no header to send: the token form's cookie stands for it.
                cookie = Request(scope).cookies.get(dashboard.ADMIN_COOKIE)
                if not dashboard.token_matches(cookie, self.token):
                    login = RedirectResponse(dashboard.PREFIX + "/login", status_code=303)
                    await login(scope, receive, send)
                    return
                sent = self.token.encode("utf-8")
            if not hmac.compare_digest(sent, self.token.encode("utf-8")):
                response = JSONResponse(
                    {"error": f"admin API: missing or wrong {TOKEN_HEADER} header"},
                    status_code=401,
                )
                await response(scope, receive, send)
                return
        await self.admin(scope, receive, send)
