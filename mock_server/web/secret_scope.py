"""The secrets of the request being served, for the journal and for every log line.

:class:`SecretScope`, the outermost middleware, starts a :class:`Secrets` for each request
with the secrets of its headers and query string, and keeps it in the scope state (for the
journal) and in a context variable (for the logs); the token endpoint adds the parameters it
parsed and the tokens it issued. :class:`SecretLogFilter`, on the fake's and uvicorn's
loggers, masks the query string in the access log and removes the current request's secrets
from every record: its message, its arguments, its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ..admin.masking import field_secrets, mask_query, read_query
from ..admin.secret_values import Secrets, header_secrets

#: Where the journal finds the request's secrets (scope state key).
SECRETS_STATE_KEY = "rspace_mock_secrets"

# Not reset when the request ends: uvicorn runs each request in a task of its own, and its
# error log for a failed request is written after the app has returned, still in that task.
CURRENT_SECRETS: ContextVar[Secrets | None] = ContextVar("rspace_mock_secrets", default=None)

#: Loggers whose records speak of requests: uvicorn's access and error logs, the fake's own.
MASKED_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "rspace_mock")
_ACCESS_LOGGER = "uvicorn.access"
_FILTERED = "_rspace_mock_secrets_masked"


def request_secrets(scope: Scope) -> Secrets:
    """The request's :class:`Secrets` (a new one if :class:`SecretScope` did not run)."""
    state = scope.setdefault("state", {})
    secrets = state.get(SECRETS_STATE_KEY)
    if not isinstance(secrets, Secrets):
        secrets = state[SECRETS_STATE_KEY] = Secrets()
    return secrets


def scope_headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


class SecretScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secrets = request_secrets(scope)
        secrets.update(header_secrets(scope_headers(scope)))
        query = read_query(scope.get("query_string", b"").decode("latin-1"))
        if query is not None:
            secrets.update(field_secrets(query.fields))
        CURRENT_SECRETS.set(secrets)
        await self.app(scope, receive, send)


def mask_request_target(target: str, secrets: Secrets | None = None) -> str:
    """``/oauth/token?password=x`` -> ``/oauth/token?password=***``."""
    secrets = secrets or Secrets()
    path, question_mark, query = target.partition("?")
    return secrets.redact(path) + question_mark + mask_query(query, secrets)


class SecretLogFilter(logging.Filter):
    """Masks a record before any handler formats it; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _FILTERED, False):
            return True
        setattr(record, _FILTERED, True)
        secrets = CURRENT_SECRETS.get() or Secrets()
        args = record.args
        if record.name == _ACCESS_LOGGER and isinstance(args, tuple) and len(args) >= 3:
            # '%s - "%s %s HTTP/%s" %d': the third argument is the path and query string,
            # and uvicorn's access formatter needs the arguments as they are.
            record.args = (*args[:2], mask_request_target(str(args[2]), secrets), *args[3:])
        elif secrets:
            self._redact(record, secrets)
        return True

    @staticmethod
    def _redact(record: logging.LogRecord, secrets: Secrets) -> None:
        message = record.getMessage()
        cleaned = secrets.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
            # uvicorn's coloured formatter would format its own copy of the message.
            record.__dict__.pop("color_message", None)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = secrets.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = secrets.redact(record.stack_info)


def _has_filter(target: Any) -> bool:
    return any(isinstance(f, SecretLogFilter) for f in target.filters)


def install_log_masking(handlers: Iterable[logging.Handler] = ()) -> None:
    """Put :class:`SecretLogFilter` on the loggers that speak of requests, and on
    ``handlers`` (for records of any other logger that reach them). Idempotent."""
    for target in [*(logging.getLogger(name) for name in MASKED_LOGGERS), *handlers]:
        if not _has_filter(target):
            target.addFilter(SecretLogFilter())
