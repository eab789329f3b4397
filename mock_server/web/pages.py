"""Server-rendered HTML: the templates of the fake's web pages and of the dashboard, and the
page-request rules shared by them (RSpace's Origin/Referer check, the session cookie)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .. import __version__

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
#: Where the pages' own script and style sheet are served (RSpace's pages load theirs from
#: ``/scripts/`` and ``/styles/``; these names are the fake's).
STATIC_URL = "/scripts/rspace-mock"

#: The servlet container's session cookie, as RSpace's is named by default.
SESSION_COOKIE = "JSESSIONID"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=STATIC_URL, version=__version__)
    return env


def render(name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    html = environment().get_template(name).render(**values)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def own_origin(request: Request, public_url: str | None) -> set[str]:
    """The origins a page of this server has: its own and that of ``--public-url``."""
    origins = {f"{request.url.scheme}://{request.url.netloc}"}
    if public_url:
        scheme, _, rest = public_url.partition("://")
        origins.add(f"{scheme}://{rest.split('/', 1)[0]}")
    return origins


def origin_problem(request: Request, public_url: str | None) -> str | None:
    """RSpace's ``OriginRefererCheckerImpl``: a request that changes something must come from
    one of the server's own pages (its Origin, or else its Referer, starts with the server's
    URL or ``http(s)://localhost:``). ``None``: it does."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    accepted = (*own_origin(request, public_url), "http://localhost:", "https://localhost:")
    origin = request.headers.get("origin")
    if origin is not None:
        return None if origin.startswith(accepted) else f"mismatched origin '{origin}'"
    referer = request.headers.get("referer")
    if referer is not None:
        return None if referer.startswith(accepted) else f"mismatched referer '{referer}'"
    return "no origin or referer"
