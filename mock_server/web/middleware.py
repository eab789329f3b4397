"""ASGI middleware: RSpace's path tolerance and the ``X-Rate-Limit-*`` headers."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.store import Store

_SLASHES = re.compile(r"/{2,}")

#: ``X-Rate-Limit-*`` values RSpace sends while throttling is off (its default).
UNTHROTTLED_RATE_HEADERS: list[tuple[bytes, bytes]] = [
    (name.encode(), value.encode())
    for name, value in (
        ("X-Rate-Limit-Limit", "10"),
        ("X-Rate-Limit-Remaining", "10.0"),
        ("X-Rate-Limit-WaitTimeTillNextRequestMillis-quarter_min", "100"),
        ("X-Rate-Limit-Limit-hour", "10"),
        ("X-Rate-Limit-Remaining-hour", "10.0"),
        ("X-Rate-Limit-WaitTimeTillNextRequestMillis-hour", "100"),
        ("X-Rate-Limit-Limit-day", "10"),
        ("X-Rate-Limit-Remaining-day", "10.0"),
        ("X-Rate-Limit-WaitTimeTillNextRequestMillis-day", "100"),
        ("X-Rate-Limit-MinWaitIntervalMillis", "100"),
        ("X-Rate-Limit-WaitTimeMillis", "100"),
    )
]

#: Set in the ASGI scope's state by the catch-all route: no RSpace handler matched.
UNMATCHED_FLAG = "rspace_unmatched"


def normalise_path(path: str) -> str:
    """``/api/v1//documents/1/`` -> ``/api/v1/documents/1`` (RSpace tolerates both forms)."""
    path = _SLASHES.sub("/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


class PathNormaliser:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            normalised = normalise_path(path)
            if normalised != path:
                scope = dict(scope)
                scope["path"] = normalised
                scope["raw_path"] = normalised.encode("utf-8")
        await self.app(scope, receive, send)


RateHeaderSource = Callable[[Scope], list[tuple[bytes, bytes]]]


class RateLimitHeaders:
    """Adds the throttle headers to every ``/api/`` response that an RSpace handler answered
    (401s included: RSpace's throttle interceptor runs before authentication)."""

    def __init__(self, app: ASGIApp, headers_for: RateHeaderSource | None = None) -> None:
        self.app = app
        self.headers_for = headers_for or (lambda scope: UNTHROTTLED_RATE_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                if not state.get(UNMATCHED_FLAG):
                    message = dict(message)
                    message["headers"] = list(message.get("headers", [])) + self.headers_for(scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class StoreView:
    """Each request reads the store's settings (switches, the instruments' plans, the clock)
    from one snapshot taken as it starts (``Store.request_view``): on a database, one query
    instead of one per setting, and a request that never waits on the GIL between them. Only
    added for a store shared with other processes: in memory there is nothing to gain."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.store.request_view():
            await self.app(scope, receive, send)
