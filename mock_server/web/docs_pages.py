"""Interactive API documentation (Swagger UI and ReDoc) served from the package itself.

FastAPI's own pages load their scripts from a CDN, so offline (and in most CI) they are
blank. The assets here come from ``fastapi-offline``, which ships them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"


def install_docs(app: FastAPI, prefix: str = "", *, redoc: bool = True) -> None:
    """``{prefix}/docs`` (Swagger UI), ``{prefix}/redoc`` and their assets under
    ``{prefix}/docs/static/``, for the app's ``openapi_url``. Make the app with
    ``docs_url=None, redoc_url=None``, and call this before any catch-all route.

    The pages are plain Starlette routes whose handlers close over no app: FastAPI keeps the
    endpoints of its own routes in a process-wide cache, where a closure over the app would
    keep every app ever built (and its store's connections) alive."""
    openapi_url = app.openapi_url or "/openapi.json"
    static = f"{prefix}/docs/static"
    redirect = f"{prefix}/docs/oauth2-redirect"
    app.mount(static, StaticFiles(directory=ASSETS), name=f"docs-assets{prefix}")
    app.add_route(
        f"{prefix}/docs", _swagger_ui(openapi_url, static, redirect), include_in_schema=False
    )
    app.add_route(redirect, _swagger_ui_redirect, include_in_schema=False)
    if redoc:
        app.add_route(f"{prefix}/redoc", _redoc(openapi_url, static), include_in_schema=False)


def _swagger_ui(openapi_url: str, static: str, redirect: str) -> Any:
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{request.app.title}: Swagger UI",
            oauth2_redirect_url=f"{root}{redirect}",
            swagger_js_url=f"{root}{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{static}/swagger-ui.css",
            swagger_favicon_url=f"{root}{static}/favicon.png",
        )

    return swagger_ui


async def _swagger_ui_redirect(request: Request) -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


def _redoc(openapi_url: str, static: str) -> Any:
    async def redoc_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{request.app.title}: ReDoc",
            redoc_js_url=f"{root}{static}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{static}/favicon.png",
            with_google_fonts=False,
        )

    return redoc_page
