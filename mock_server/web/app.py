"""``create_app(settings)``: the fake RSpace as an ASGI app, for uvicorn or in-process tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..clock import Clock
from ..domain.errors import MethodNotAllowed
from ..domain.store import Store
from ..runtime import MockRSpace, build_mock
from ..settings import Settings
from . import (
    accounts_router,
    activity_router,
    api_router,
    export_router,
    files_router,
    folders_router,
    forms_router,
    groups_router,
    oauth_router,
    profile_router,
    sharing_router,
    signin_router,
    snippets_router,
)
from .admin_router import AdminMount
from .browser_guard import BrowserGuard
from .docs_pages import install_docs
from .errors import NoHandlerFound, install_error_handlers
from .fault_middleware import FaultInjector
from .inventory import samples_router as inventory_samples_router
from .journal_middleware import JournalRecorder
from .middleware import UNMATCHED_FLAG, PathNormaliser, RateLimitHeaders, StoreView
from .pages import STATIC, STATIC_URL
from .schemas import drop_fastapi_validation_errors, rate_limit_header_components
from .secret_scope import SecretScope, install_log_masking
from .throttle_middleware import ThrottleGate, rate_limit_headers

_ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

DESCRIPTION = """\
A faithful fake of the RSpace electronic lab notebook: its OAuth token endpoint
(`POST /oauth/token`, password and refresh_token grants, opaque tokens and JWTs) and its
`/api/v1/documents` API, speaking RSpace's exact wire format.

Authenticate API calls with an `apiKey` header or `Authorization: Bearer <token>`.
"""


#: Environment variable through which ``rspace-mock serve --workers N`` hands its settings to
#: each worker process.
SETTINGS_ENV = "RSPACE_MOCK_SETTINGS_JSON"


#: RSpace's endpoints, one router per resource (its rules in ``domain/`` of the same name).
RSPACE_ROUTERS = (
    oauth_router.router,
    api_router.router,
    folders_router.router,
    files_router.router,
    forms_router.router,
    groups_router.router,
    sharing_router.router,
    accounts_router.router,
    snippets_router.router,
    activity_router.router,
    export_router.router,
    inventory_samples_router.router,
)
#: RSpace's web pages that the fake has: signing in, and My Profile (not in /openapi.json).
PAGE_ROUTERS = (signin_router.router, profile_router.router)


def app_from_environment() -> FastAPI:
    """Factory for uvicorn worker processes: settings from :data:`SETTINGS_ENV`; the state
    file was already seeded by the parent process."""
    import os

    settings = Settings.from_json(os.environ[SETTINGS_ENV])
    # Workers must never hand out the same token: a shared --seed would give each one the
    # same generator. Tokens from several processes cannot be reproducible anyway.
    settings.random_seed = None
    return create_app(settings, mock=build_mock(settings, seed_fixtures=False))


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    mock: MockRSpace | None = None,
) -> FastAPI:
    """Build the app. Seeds the store from ``settings.fixtures`` when the store is empty.

    Raises :class:`mock_server.domain.fixtures.FixtureError` for a bad fixture file.
    """
    settings = settings or Settings()
    mock = mock or build_mock(settings, store, clock)
    app = FastAPI(
        title="rspace-mock: RSpace API (fake)",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.mock = mock
    install_error_handlers(app)
    app.add_exception_handler(profile_router.PageRefused, profile_router.on_page_refused)
    install_docs(app)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="pages-static")
    for router in (*RSPACE_ROUTERS, *PAGE_ROUTERS):
        app.include_router(router)

    # (path regex, methods) of every RSpace route, to tell a wrong method (405) from an
    # unknown path (404).
    known_routes = [
        (route.path_regex, set(route.methods or ()))
        for router in (*RSPACE_ROUTERS, *PAGE_ROUTERS)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]

    @app.api_route("/{rest:path}", methods=_ALL_METHODS, include_in_schema=False)
    async def no_handler(request: Request, rest: str) -> None:
        path = request.url.path
        allowed = sorted(
            {m for regex, methods in known_routes if regex.match(path) for m in methods}
        )
        # No RSpace handler matched: no interceptors ran, so no throttle headers either.
        setattr(request.state, UNMATCHED_FLAG, True)
        if allowed:
            raise MethodNotAllowed(request.method, allowed)
        raise NoHandlerFound(request.method, path)

    app.openapi_schema = None
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original_openapi()
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {
                "apiKey": {"type": "apiKey", "in": "header", "name": "apiKey"},
                # As RSpace's own document: a password flow; the access token (opaque or a
                # JWT) goes in "Authorization: Bearer".
                "oauth": {
                    "type": "oauth2",
                    "description": "Opaque access token or JWT from /oauth/token",
                    "flows": {
                        "password": {
                            "tokenUrl": "/oauth/token",
                            "refreshUrl": "/oauth/token",
                            "scopes": {"all": "The whole API"},
                        }
                    },
                },
            }
            components["headers"] = rate_limit_header_components()
            drop_fastapi_validation_errors(schema)
            for path, operations in schema.get("paths", {}).items():
                if path.startswith("/api/"):
                    for operation in operations.values():
                        operation["security"] = [{"apiKey": []}, {"oauth": ["all"]}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Outermost first: paths are normalised before routing and header stamping.
    app.add_middleware(ThrottleGate)
    app.add_middleware(RateLimitHeaders, headers_for=rate_limit_headers)
    app.add_middleware(PathNormaliser)
    # Test instruments, outside the fake: faults, the journal, and the /_mock/ admin API.
    app.add_middleware(FaultInjector)
    app.add_middleware(JournalRecorder)
    app.add_middleware(AdminMount, mock=mock)
    # What a hostile web page sends never reaches the fake or its instruments.
    app.add_middleware(BrowserGuard, mock=mock)
    if not mock.store.process_local:
        app.add_middleware(StoreView, store=mock.store)
    # Outermost: every layer inside, and every log line written meanwhile, knows the
    # request's secrets.
    app.add_middleware(SecretScope)
    install_log_masking()
    return app
