"""Records every request to the fake (except admin calls) in the journal, masked."""

from __future__ import annotations

import time
from dataclasses import replace

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..admin.instruments import Instruments
from ..admin.journal import RawExchange
from ..admin.masking import field_secrets, read_query
from ..domain.kinds import USERS
from ..runtime import MockRSpace
from .context import TOKEN_OWNER_STATE_KEY
from .fault_middleware import (
    CALLER_STATE_KEY,
    FAULT_STATE_KEY,
    FLUSH_STATE_KEY,
    OUTCOME_STATE_KEY,
)
from .form_reading import first_value, read_form
from .middleware import normalise_path
from .secret_scope import request_secrets, scope_headers

#: Request and response bodies kept per exchange, before masking.
MAX_CAPTURE_BYTES = 65_536


class JournalRecorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mock = scope["app"].state.mock
        instruments: Instruments = mock.instruments
        if not instruments.journal.enabled:
            await self.app(scope, receive, send)
            return
        # Shared with the inner layers (they may copy the scope), so the principal the API
        # router stores, and the fault that fired, are visible here afterwards.
        state = scope.setdefault("state", {})
        started_at = mock.clock.now()
        started = time.perf_counter()
        request_body = bytearray()
        request_cut_short = False
        response_body = bytearray()
        status: int | None = None
        response_headers: list[tuple[str, str]] = []
        #: Bytes of a download (``Content-Disposition: attachment``): counted, never kept.
        download_size: int | None = None

        async def recording_receive() -> Message:
            nonlocal request_cut_short
            message = await receive()
            if message["type"] == "http.request":
                if len(request_body) < MAX_CAPTURE_BYTES:
                    request_body.extend(message.get("body", b""))
                elif message.get("body"):
                    request_cut_short = True
            return message

        recorded = False

        async def flush(outcome: str = "completed") -> None:
            """Write the entry once. Called before the last byte goes out, so a client that
            reads the journal right after its response always finds its request there."""
            nonlocal recorded
            if recorded:
                return
            recorded = True
            outcome = str(state.get(OUTCOME_STATE_KEY, outcome))
            request_headers = scope_headers(scope)
            body = bytes(request_body)
            # Read with the server's own form parser, so masking follows what it parsed; a
            # body cut short is not what the server read, and is treated as unparsed.
            form = None if request_cut_short else await read_form(request_headers, body)
            secrets = request_secrets(scope)
            if form is not None:
                secrets.update(field_secrets(form.fields))
            kept_response = bytes(response_body)
            if download_size is not None:
                kept_response = f"({download_size} bytes of a download, not kept)".encode()
            exchange = RawExchange(
                time=started_at,
                method=scope["method"],
                path=normalise_path(scope["path"]),
                query=scope.get("query_string", b"").decode("latin-1"),
                request_headers=request_headers,
                request_body=body,
                status=None if outcome == "dropped" else status,
                response_headers=response_headers,
                response_body=kept_response,
                fault=state.get(FAULT_STATE_KEY),
                outcome=outcome,
                duration_ms=(time.perf_counter() - started) * 1000,
                secrets=tuple(secrets.values),
                request_form=form,
            )
            self._record(mock, state, exchange)

        state[FLUSH_STATE_KEY] = flush

        async def recording_send(message: Message) -> None:
            nonlocal status, response_headers, download_size
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                ]
                disposition = next(
                    (v for k, v in response_headers if k.lower() == "content-disposition"), ""
                )
                if disposition.strip().lower().startswith("attachment"):
                    download_size = 0
            elif message["type"] == "http.response.body":
                if download_size is not None:
                    download_size += len(message.get("body", b""))
                elif len(response_body) < MAX_CAPTURE_BYTES:
                    response_body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await flush()
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        except Exception:
            # An unexpected error: the server's outermost layer answers 500 for it.
            if status is None and OUTCOME_STATE_KEY not in state:
                status = 500
            await flush("error")
            raise
        finally:
            await flush()

    @staticmethod
    def _record(mock: MockRSpace, state: dict[str, object], exchange: RawExchange) -> None:
        principal = state.get("principal")
        username: str | None = None
        auth_method: str | None = None
        if principal is not None:
            username = getattr(getattr(principal, "user", None), "username", None)
            auth_method = getattr(principal, "method", None)
        elif exchange.path == "/oauth/token":
            owner_id = state.get(TOKEN_OWNER_STATE_KEY)
            owner = (
                mock.store.collection(USERS).get(owner_id) if isinstance(owner_id, int) else None
            )
            # A refused grant issued nothing: name the user it was for, if it said.
            username = owner.username if owner else _token_username(exchange)
        else:
            caller = state.get(CALLER_STATE_KEY)
            username = caller if isinstance(caller, str) else None
        mock.instruments.journal.record(
            replace(exchange, username=username, auth_method=auth_method)
        )


def _token_username(exchange: RawExchange) -> str | None:
    """The ``username`` parameter of a token request (a refused or faulted grant)."""
    readings = (read_query(exchange.query), exchange.request_form)
    return first_value(readings, "username") or None
