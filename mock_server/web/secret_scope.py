"""The secrets of the request being served, for the journal.

:class:`SecretScope`, the outermost middleware, starts a :class:`Secrets` for each request
with the secrets of its headers and query string, and keeps it in the scope state; the token
endpoint adds the parameters it parsed and the tokens it issued, the journal what its own
reading of the body found.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..admin.masking import field_secrets, read_query
from ..admin.secret_values import Secrets, header_secrets

#: Where the journal finds the request's secrets (scope state key).
SECRETS_STATE_KEY = "rspace_mock_secrets"


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
        await self.app(scope, receive, send)
