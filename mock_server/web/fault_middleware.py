"""Performs the fault plan's actions on live requests: RSpace-shaped errors, delays, dropped
connections and truncated bodies. Only the request a rule picked is affected; a delay awaits
without blocking the event loop, so other requests go on."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..admin.faults import FaultAction, FiredFault
from ..admin.instruments import Instruments
from ..admin.masking import read_query
from ..domain.errors import ApiProblem
from .errors import problem_response
from .form_reading import first_value, read_form
from .middleware import normalise_path
from .throttle_middleware import rate_limit_headers

#: Where the journal middleware finds the fault that fired on a request.
FAULT_STATE_KEY = "rspace_mock_fault"
#: Set in the scope state when the connection was cut (``dropped`` / ``truncated``).
OUTCOME_STATE_KEY = "rspace_mock_outcome"
#: An async callable the journal leaves in the scope state: write the entry now (before a cut).
FLUSH_STATE_KEY = "rspace_mock_flush_journal"
#: The caller's username, when a fault answered before the fake could authenticate them.
CALLER_STATE_KEY = "rspace_mock_caller"

_REASONS = {
    500: "General server error",
    501: "Not implemented",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def injected_problem(action: FaultAction, instruments: Instruments) -> ApiProblem:
    if action.status == 429:
        problem: ApiProblem = instruments.throttle.too_many_requests()
        if action.message:
            problem.message = action.message
        return problem
    message = action.message or _REASONS.get(action.status, f"Injected error {action.status}")
    problem = ApiProblem(message, [message])
    problem.http_status = action.status
    problem.internal_code = action.status * 100 + 1
    return problem


def find_transport(send: Any) -> Any:
    """The server's transport behind a chain of ASGI ``send`` wrappers (uvicorn keeps it on
    the bound method's object; Starlette's wrappers keep ``send`` in their closures)."""
    seen: set[int] = set()
    queue: deque[Any] = deque([send])
    while queue:
        item = queue.popleft()
        if id(item) in seen or len(seen) > 200:
            continue
        seen.add(id(item))
        owner = getattr(item, "__self__", None)
        transport = getattr(owner, "transport", None)
        if transport is not None and hasattr(transport, "close"):
            return transport
        for cell in getattr(item, "__closure__", None) or ():
            with contextlib.suppress(ValueError):
                if callable(cell.cell_contents):
                    queue.append(cell.cell_contents)
        for attribute in ("func", "send", "_send"):
            inner = getattr(item, attribute, None)
            if inner is not None and callable(inner):
                queue.append(inner)
    return None


class ConnectionDropped(Exception):
    """Raised (in-process, where there is no socket to close) to abort the response."""


async def _wait_for_disconnect(receive: Receive) -> None:
    async def drain() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(drain(), timeout=2)


async def _cut(scope: Scope, send: Send, receive: Receive) -> None:
    """Close the connection with nothing more written."""
    flush = scope.get("state", {}).get(FLUSH_STATE_KEY)
    if flush is not None:
        await flush()
    transport = find_transport(send)
    if transport is None:
        raise ConnectionDropped("connection dropped by a fault rule")
    transport.close()
    await _wait_for_disconnect(receive)


class FaultInjector:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        instruments: Instruments = scope["app"].state.mock.instruments
        plan = instruments.faults
        if not plan.any_rules():
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], normalise_path(scope["path"])
        user = None
        resolved = False
        if plan.wants_user(method, path):
            receive, user = await _caller(scope, receive)
            resolved = True
        fired = plan.pick(method, path, user)
        if fired is None:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[FAULT_STATE_KEY] = fired.describe()
        if fired.action.kind in ("error", "drop"):
            # The fake never sees this request, so name the caller for the journal here.
            if not resolved:
                receive, user = await _caller(scope, receive)
            state[CALLER_STATE_KEY] = user
        await self._perform(fired, scope, receive, send)

    async def _perform(self, fired: FiredFault, scope: Scope, receive: Receive, send: Send) -> None:
        action = fired.action
        state = scope["state"]
        if action.kind == "delay":
            await asyncio.sleep(action.delay_seconds)
            await self.app(scope, receive, send)
        elif action.kind == "error":
            instruments: Instruments = scope["app"].state.mock.instruments
            request = Request(scope, receive)
            response = problem_response(request, injected_problem(action, instruments))
            if scope["path"].startswith("/api/"):
                if action.status == 429:
                    extra = instruments.throttle.exhausted_headers()
                else:
                    extra = [(k.decode(), v.decode()) for k, v in rate_limit_headers(scope)]
                for name, value in extra:
                    response.headers.append(name, value)
            await response(scope, receive, send)
        elif action.kind == "drop":
            state[OUTCOME_STATE_KEY] = "dropped"
            await _cut(scope, send, receive)
        else:
            state[OUTCOME_STATE_KEY] = "truncated"
            await self._truncated(scope, receive, send)

    async def _truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request for real, then send the headers (with the full Content-Length) and
        half the body, and close."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        assert start is not None
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        half = body[: len(body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        await _cut(scope, send, receive)


async def _caller(scope: Scope, receive: Receive) -> tuple[Receive, str | None]:
    """Who is calling, for rules with a ``user``: the API key's or token's owner, or the
    ``username`` of a password grant. Reads (and replays) the body when needed."""
    mock = scope["app"].state.mock
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if scope["path"].startswith("/api/"):
        try:
            principal = mock.authenticator.authenticate(
                headers.get("apikey"), headers.get("authorization"), _server_url(scope, mock)
            )
        except ApiProblem:
            return receive, None
        return receive, principal.user.username
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    pending = deque(messages)

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    # The parameter map as the token endpoint's own parser reads it.
    readings = (
        read_query(scope.get("query_string", b"").decode("latin-1")),
        await read_form(list(headers.items()), body),
    )
    return replay, first_value(readings, "username")


def _server_url(scope: Scope, mock: Any) -> str:
    configured = mock.settings.public_url
    if configured:
        return str(configured).rstrip("/")
    return str(Request(scope).base_url).rstrip("/")
