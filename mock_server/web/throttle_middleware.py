"""RSpace's request throttle interceptor as ASGI middleware: it runs before authentication,
on ``/api/**`` only, and its ``X-Rate-Limit-*`` values feed :class:`RateLimitHeaders`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ..admin.instruments import Instruments
from ..admin.throttle import identity_key
from ..domain.errors import TooManyRequests
from .errors import problem_response
from .middleware import UNTHROTTLED_RATE_HEADERS


def _instruments(scope: Scope) -> Instruments:
    instruments: Instruments = scope["app"].state.mock.instruments
    return instruments


def _identity(scope: Scope) -> str:
    api_key = authorization = None
    for name, value in scope.get("headers", []):
        lower = name.lower()
        if lower == b"apikey" and api_key is None:
            api_key = value.decode("latin-1")
        elif lower == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    return identity_key(api_key, authorization)


def rate_limit_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """``headers_for`` hook of :class:`RateLimitHeaders`: fixed values while throttling is
    off (RSpace's pass-through throttler), the caller's bucket levels while it is on."""
    throttle = _instruments(scope).throttle
    if not throttle.enabled:
        return UNTHROTTLED_RATE_HEADERS
    return [(k.encode(), v.encode()) for k, v in throttle.headers(_identity(scope))]


#: The fake's catch-all route (no RSpace handler): such requests are not throttled.
_CATCH_ALL_PATH = "/{rest:path}"


def _handled_by_rspace(scope: Scope) -> bool:
    """Whether an RSpace handler takes this method and path. RSpace's interceptors run only
    for a mapped handler: an unknown path (404) or a wrong method (405) is not counted."""
    for route in scope["app"].routes:
        if getattr(route, "path", None) == _CATCH_ALL_PATH:
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return True
    return False


class ThrottleGate:
    """Counts each ``/api/`` request against its identity's buckets; over a limit it answers
    RSpace's 429 (internalCode 42901) before any authentication happens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/api/")
            and _instruments(scope).throttle.enabled
            and _handled_by_rspace(scope)
        ):
            try:
                _instruments(scope).throttle.check(_identity(scope))
            except TooManyRequests as exc:
                response = problem_response(Request(scope, receive), exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
