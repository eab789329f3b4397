"""Per-request helpers shared by the routers."""

from __future__ import annotations

from fastapi import Request

from ..runtime import MockRSpace

#: Request-state key under which ``POST /oauth/token`` leaves the id of the user whose tokens it
#: issued, for the request journal.
TOKEN_OWNER_STATE_KEY = "rspace_mock_token_owner"


def mock_of(request: Request) -> MockRSpace:
    mock: MockRSpace = request.app.state.mock
    return mock


def server_url(request: Request) -> str:
    """RSpace's ``server.urls.prefix``: ``--public-url``, else this request's own origin (so
    that links work for whatever scheme, host and port the client used)."""
    configured = mock_of(request).settings.public_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


def api_base(request: Request) -> str:
    return server_url(request) + "/api/v1"
