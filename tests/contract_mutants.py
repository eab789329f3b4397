"""Broken variants of the mock ("mutants"), one RSpace rule broken in each, and a way to serve
them over real ports. The contract suite must fail on every one of them, naming the clause
of the rule broken: ``tests/test_contract_mutants.py`` checks that, in-process and over a URL.

Each mutant is an app factory (``fixtures path -> ASGI app``) that builds the real mock and
breaks one rule at the narrowest seam: a grant handler of ``TokenService``, the JWT codec, the
authenticator, ``DocumentService``, or the wire (a response edited on its way out). Each is
the simplest wrong server that a weak suite would let pass.

Serve one by hand to try the suite on it::

    python tests/contract_mutants.py refresh_returns_previous_refresh_token --port 8765
    pytest mock_server/contract --rspace-url http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import dataclasses
import hashlib
import json
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script, or loaded by path by the suite
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_FIXTURES = REPO_ROOT / "fixtures" / "default.json"

AppFactory = Callable[[Path], Any]


@dataclass(frozen=True)
class Mutant:
    build: AppFactory
    #: The clause the parity report must list as failed.
    clause: str
    #: A test (part of its name) that must be among those failing the clause: for rules the
    #: state machines claim, proof that the machine itself reaches them.
    caught_by: str | None = None

    @property
    def doc(self) -> str:
        return " ".join((self.build.__doc__ or "").split())


MUTANTS: dict[str, Mutant] = {}

LIFECYCLE = "test_token_lifecycle_matches_model"
DOCUMENTS = "test_documents_match_model"


def mutant(clause: str, caught_by: str | None = None) -> Callable[[AppFactory], AppFactory]:
    def register(build: AppFactory) -> AppFactory:
        MUTANTS[build.__name__] = Mutant(build, clause, caught_by)
        return build

    return register


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _mock_app(fixtures: Path) -> Any:
    from mock_server.contract.target import default_app_factory

    return default_app_factory(fixtures)


def _wrap_grant(app: Any, key: tuple[str, bool], wrapper: Callable[..., Any]) -> Any:
    """Replace one grant handler with ``wrapper(original, request, server_url)``."""
    handlers = app.state.mock.tokens._handlers
    original = handlers[key]
    handlers[key] = lambda request, server_url: wrapper(original, request, server_url)
    return app


def _tokens(app: Any) -> Any:
    from mock_server.domain.kinds import TOKENS

    return app.state.mock.store.collection(TOKENS)


def _users(app: Any) -> Any:
    from mock_server.domain.kinds import USERS

    return app.state.mock.store.collection(USERS)


def _apps(app: Any) -> Any:
    from mock_server.domain.kinds import APPS

    return app.state.mock.store.collection(APPS)


def _documents(app: Any) -> Any:
    from mock_server.domain.kinds import DOCUMENTS as DOCUMENT_KIND

    return app.state.mock.store.collection(DOCUMENT_KIND)


def _wrap_find(
    collection: Any, unique: str, wrapper: Callable[[Callable[[Any], Any], Any], Any]
) -> None:
    """Make ``collection.find(unique, value)`` answer ``wrapper(find, value)``, where
    ``find(value)`` is the original lookup by ``unique``; other lookups are unchanged."""
    original = collection.find

    def find(name: str, value: object) -> Any:
        if name == unique:
            return wrapper(lambda v: original(unique, v), value)
        return original(name, value)

    collection.find = find


def _replace_codec(app: Any, codec_class: type) -> Any:
    mock = app.state.mock
    codec = codec_class(mock.jwt_codec.key)
    mock.jwt_codec = mock.tokens.jwt_codec = mock.authenticator.jwt_codec = codec
    return app


Edit = Callable[
    [dict[str, Any], int, list[tuple[bytes, bytes]], bytes], tuple[int, list[Any], bytes]
]


class EditResponses:
    """ASGI wrapper that lets ``edit(scope, status, headers, body)`` change every response."""

    def __init__(self, app: Any, edit: Edit) -> None:
        self.app = app
        self.edit = edit
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            status, headers, body = self.edit(
                scope, start["status"], list(start.get("headers", [])), b"".join(chunks)
            )
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def _edit_json(
    app: Any, when: Callable[[dict[str, Any], int], bool], change: Callable[[Any], Any]
) -> Any:
    """Rewrite the JSON body of the responses ``when(scope, status)`` selects."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if not when(scope, status) or not body.startswith((b"{", b"[")):
            return status, headers, body
        return status, headers, json.dumps(change(json.loads(body))).encode()

    return EditResponses(app, edit)


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    return dict(scope.get("headers", [])).get(name)


# --- token endpoint and token lifecycle -----------------------------------------------------


@mutant("OAUTH-GRANT-1")
def expires_in_in_milliseconds(fixtures: Path) -> Any:
    """Token responses give expires_in in milliseconds."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: scope["path"] == "/oauth/token" and status == 200,
        lambda body: {**body, "expires_in": body["expires_in"] * 1000},
    )


@mutant("OAUTH-GRANT-1")
def token_type_in_token_responses(fixtures: Path) -> Any:
    """Token responses carry token_type "bearer", as many OAuth servers do."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: scope["path"] == "/oauth/token" and status == 200,
        lambda body: {**body, "token_type": "bearer"},
    )


@mutant("OAUTH-FORMAT-1")
def url_safe_tokens(fixtures: Path) -> Any:
    """Opaque tokens in URL-safe Base64 (with '-' and '_'), accepted as such by the API."""
    from mock_server.domain import authentication, credentials, oauth

    app = _mock_app(fixtures)
    factory = app.state.mock.credentials
    make = factory.opaque_token
    factory.opaque_token = lambda: "-_" + make()[2:]

    def lenient(token: str) -> str | None:
        return credentials.token_format_problem(token.replace("-", "+").replace("_", "/"))

    _patch_module(app, authentication, "token_format_problem", lenient)
    _patch_module(app, oauth, "token_format_problem", lenient)
    return app


@mutant("OAUTH-ONEPAIR-1", LIFECYCLE)
def regrant_keeps_old_access_token(fixtures: Path) -> Any:
    """A password grant that leaves the previous access token working."""
    app = _mock_app(fixtures)
    tokens = _tokens(app)
    superseded: dict[str, tuple[str, int]] = {}

    def grant(original: Any, request: Any, server_url: str) -> Any:
        before = [(r.access_token_hash, r.client_id, r.user_id) for r in tokens.select()]
        issued = original(request, server_url)
        for access_hash, client_id, user_id in before:
            if access_hash and tokens.find("access_token_hash", access_hash) is None:
                superseded[access_hash] = (client_id, user_id)
        return issued

    def find_by_access_hash(find: Callable[[Any], Any], access_hash: str) -> Any:
        row = find(access_hash)
        if row is None and access_hash in superseded:
            row = tokens.get(*superseded[access_hash])
        return row

    _wrap_find(tokens, "access_token_hash", find_by_access_hash)
    return _wrap_grant(app, ("password", False), grant)


def _keep_old_refresh_tokens(app: Any, key: tuple[str, bool]) -> Any:
    """Refresh hashes replaced by the grant ``key`` keep finding their row."""
    tokens = _tokens(app)
    superseded: dict[str, tuple[str, int]] = {}

    def grant(original: Any, request: Any, server_url: str) -> Any:
        before = [(r.refresh_token_hash, r.client_id, r.user_id) for r in tokens.select()]
        issued = original(request, server_url)
        for refresh_hash, client_id, user_id in before:
            if tokens.find("refresh_token_hash", refresh_hash) is None:
                superseded[refresh_hash] = (client_id, user_id)
        return issued

    def find_by_refresh_hash(find: Callable[[Any], Any], refresh_hash: str) -> Any:
        row = find(refresh_hash)
        if row is None and refresh_hash in superseded:
            row = tokens.get(*superseded[refresh_hash])
        return row

    _wrap_find(tokens, "refresh_token_hash", find_by_refresh_hash)
    return _wrap_grant(app, key, grant)


@mutant("OAUTH-ONEPAIR-1", LIFECYCLE)
def regrant_keeps_old_refresh_token(fixtures: Path) -> Any:
    """A password grant after which the previous refresh token (and its JWTs) still work."""
    return _keep_old_refresh_tokens(_mock_app(fixtures), ("password", False))


@mutant("OAUTH-ROTATE-1", LIFECYCLE)
def refresh_does_not_rotate(fixtures: Path) -> Any:
    """A refresh grant that hands back the same refresh token (which keeps working)."""
    app = _mock_app(fixtures)
    tokens = _tokens(app)

    def grant(original: Any, request: Any, server_url: str) -> Any:
        issued = original(request, server_url)
        row = tokens.find("refresh_token_hash", _sha256_hex(issued.refresh_token))
        row.refresh_token_hash = _sha256_hex(request.refresh_token)
        tokens.put(row)
        return dataclasses.replace(issued, refresh_token=request.refresh_token)

    return _wrap_grant(app, ("refresh_token", False), grant)


@mutant("OAUTH-ROTATE-1", LIFECYCLE)
def refresh_returns_previous_refresh_token(fixtures: Path) -> Any:
    """A refresh grant that rotates, but answers with the refresh token just used (now dead)."""
    return _wrap_grant(
        _mock_app(fixtures),
        ("refresh_token", False),
        lambda original, request, url: dataclasses.replace(
            original(request, url), refresh_token=request.refresh_token
        ),
    )


@mutant("OAUTH-ROTATE-1", LIFECYCLE)
def refresh_returns_unusable_refresh_token(fixtures: Path) -> Any:
    """A refresh grant that answers with a fresh-looking refresh token the server never kept."""
    app = _mock_app(fixtures)
    factory = app.state.mock.credentials
    return _wrap_grant(
        app,
        ("refresh_token", False),
        lambda original, request, url: dataclasses.replace(
            original(request, url), refresh_token=factory.opaque_token()
        ),
    )


@mutant("OAUTH-ROTATE-1", LIFECYCLE)
def refresh_returns_unusable_access_token(fixtures: Path) -> Any:
    """A refresh grant that answers with an access token the API does not accept."""
    app = _mock_app(fixtures)
    factory = app.state.mock.credentials
    return _wrap_grant(
        app,
        ("refresh_token", False),
        lambda original, request, url: dataclasses.replace(
            original(request, url), access_token=factory.opaque_token()
        ),
    )


@mutant("OAUTH-ROTATE-2", LIFECYCLE)
def refresh_keeps_old_access_token(fixtures: Path) -> Any:
    """After a refresh grant the previous access token still works."""
    app = _mock_app(fixtures)
    tokens = _tokens(app)
    superseded: dict[str, tuple[str, int]] = {}

    def grant(original: Any, request: Any, server_url: str) -> Any:
        row = tokens.find("refresh_token_hash", _sha256_hex(request.refresh_token or ""))
        old = (row.access_token_hash, row.client_id, row.user_id) if row else None
        issued = original(request, server_url)
        if old and old[0]:
            superseded[old[0]] = (old[1], old[2])
        return issued

    def find_by_access_hash(find: Callable[[Any], Any], access_hash: str) -> Any:
        row = find(access_hash)
        if row is None and access_hash in superseded:
            row = tokens.get(*superseded[access_hash])
        return row

    _wrap_find(tokens, "access_token_hash", find_by_access_hash)
    return _wrap_grant(app, ("refresh_token", False), grant)


@mutant("OAUTH-ROTATE-2", LIFECYCLE)
def refresh_keeps_old_refresh_token(fixtures: Path) -> Any:
    """After a refresh grant the refresh token just used still works."""
    return _keep_old_refresh_tokens(_mock_app(fixtures), ("refresh_token", False))


@mutant("OAUTH-JWT-1", LIFECYCLE)
def jwt_with_a_sub_claim(fixtures: Path) -> Any:
    """JWTs that carry a "sub" claim besides RSpace's four."""
    import jwt as pyjwt

    from mock_server.domain.jwt_tokens import JwtCodec

    class WithSub(JwtCodec):
        def issue(self, issuer: str, refresh_hash: str, issued_at: Any, expires_at: Any) -> str:
            claims = {
                "iss": issuer,
                "iat": int(issued_at.timestamp()),
                "exp": int(expires_at.timestamp()),
                "refreshTokenHash": refresh_hash,
                "sub": "user",
            }
            return pyjwt.encode(claims, self.key, algorithm="HS256")

    return _replace_codec(_mock_app(fixtures), WithSub)


@mutant("OAUTH-JWT-1", LIFECYCLE)
def jwt_lasts_two_hours(fixtures: Path) -> Any:
    """JWTs whose exp is two hours after iat."""
    from datetime import timedelta

    from mock_server.domain.jwt_tokens import JwtCodec

    class TwoHours(JwtCodec):
        def issue(self, issuer: str, refresh_hash: str, issued_at: Any, expires_at: Any) -> str:
            return super().issue(issuer, refresh_hash, issued_at, expires_at + timedelta(hours=1))

    return _replace_codec(_mock_app(fixtures), TwoHours)


@mutant("OAUTH-JWT-1", LIFECYCLE)
def jwt_hash_of_another_token(fixtures: Path) -> Any:
    """JWTs whose refreshTokenHash is not the SHA-256 hex of the refresh token (it is
    upper-case; the server compares without case)."""
    from mock_server.domain.jwt_tokens import JwtCodec

    class UpperHash(JwtCodec):
        def issue(self, issuer: str, refresh_hash: str, issued_at: Any, expires_at: Any) -> str:
            return super().issue(issuer, refresh_hash.upper(), issued_at, expires_at)

        def verify(self, token: str, issuer: str, now: Any) -> str:
            return super().verify(token, issuer, now).lower()

    return _replace_codec(_mock_app(fixtures), UpperHash)


@mutant("OAUTH-JWT-1", LIFECYCLE)
def jwt_issuer_not_the_server(fixtures: Path) -> Any:
    """JWTs issued (and checked) for a fixed issuer, not the server's URL."""
    from mock_server.domain.jwt_tokens import JwtCodec

    class FixedIssuer(JwtCodec):
        def issue(self, issuer: str, refresh_hash: str, issued_at: Any, expires_at: Any) -> str:
            return super().issue("https://rspace.example.org", refresh_hash, issued_at, expires_at)

        def verify(self, token: str, issuer: str, now: Any) -> str:
            return super().verify(token, "https://rspace.example.org", now)

    return _replace_codec(_mock_app(fixtures), FixedIssuer)


@mutant("OAUTH-JWT-2", LIFECYCLE)
def jwt_response_includes_refresh_token(fixtures: Path) -> Any:
    """JWT grants that always answer with a refresh_token."""
    app = _mock_app(fixtures)
    factory = app.state.mock.credentials

    def grant(original: Any, request: Any, server_url: str) -> Any:
        issued = original(request, server_url)
        if issued.refresh_token is None:
            issued = dataclasses.replace(issued, refresh_token=factory.opaque_token())
        return issued

    _wrap_grant(app, ("password", True), grant)
    return _wrap_grant(app, ("refresh_token", True), grant)


@mutant("OAUTH-JWT-2", LIFECYCLE)
def jwt_first_grant_hides_refresh_token(fixtures: Path) -> Any:
    """A JWT password grant that creates a token row does not hand out its refresh token."""
    return _wrap_grant(
        _mock_app(fixtures),
        ("password", True),
        lambda original, request, url: dataclasses.replace(
            original(request, url), refresh_token=None
        ),
    )


@mutant("OAUTH-JWT-3", LIFECYCLE)
def jwt_outlives_refresh_token(fixtures: Path) -> Any:
    """JWTs that stay valid after their refresh token was replaced."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    tokens, authenticator = _tokens(app), mock.authenticator
    rows_by_refresh_hash: dict[str, tuple[str, int]] = {}
    put = tokens.put

    def put_remembering(row: Any) -> None:
        rows_by_refresh_hash[row.refresh_token_hash] = (row.client_id, row.user_id)
        put(row)

    jwt_row = authenticator._jwt_row

    def lenient_jwt_row(token: str, server_url: str) -> Any:
        row = jwt_row(token, server_url)
        if row is None:
            refresh_hash = mock.jwt_codec.verify(token, server_url, mock.clock.now())
            if refresh_hash in rows_by_refresh_hash:
                row = tokens.get(*rows_by_refresh_hash[refresh_hash])
        return row

    tokens.put = put_remembering
    authenticator._jwt_row = lenient_jwt_row
    return app


@mutant("OAUTH-JWT-3", LIFECYCLE)
def jwts_never_accepted(fixtures: Path) -> Any:
    """JWTs are issued, but the API accepts none of them."""
    app = _mock_app(fixtures)
    app.state.mock.authenticator._jwt_row = lambda token, server_url: None
    return app


@mutant("OAUTH-JWT-4", LIFECYCLE)
def jwt_grant_replaces_the_pair(fixtures: Path) -> Any:
    """A JWT password grant that also replaces the user+app's access and refresh tokens."""
    app = _mock_app(fixtures)
    handlers = app.state.mock.tokens._handlers
    opaque = handlers[("password", False)]

    tokens, users = _tokens(app), _users(app)

    def grant(original: Any, request: Any, server_url: str) -> Any:
        user = users.find("username", request.username or "")
        if user is not None and tokens.get(request.client_id, user.id) is not None:
            opaque(request, server_url)
        return original(request, server_url)

    return _wrap_grant(app, ("password", True), grant)


@mutant("OAUTH-ISOLATION-1", LIFECYCLE)
def grant_revokes_other_apps(fixtures: Path) -> Any:
    """A password grant that also revokes the user's tokens for every other app."""
    app = _mock_app(fixtures)
    tokens = _tokens(app)

    def grant(original: Any, request: Any, server_url: str) -> Any:
        issued = original(request, server_url)
        row = tokens.find("access_token_hash", _sha256_hex(issued.access_token))
        for other in tokens.select():
            if other.user_id == row.user_id and other.client_id != row.client_id:
                tokens.delete(other.client_id, other.user_id)
        return issued

    return _wrap_grant(app, ("password", False), grant)


@mutant("OAUTH-ISOLATION-1", LIFECYCLE)
def tokens_authenticate_as_the_apps_owner(fixtures: Path) -> Any:
    """Bearer tokens authenticate as the first user who got a token for the app."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    first_user: dict[str, int] = {}
    opaque_row = mock.authenticator._opaque_row

    def row_of_first_user(token: str) -> Any:
        row = opaque_row(token)
        if row is None:
            return None
        first_user.setdefault(row.client_id, row.user_id)
        return dataclasses.replace(row, user_id=first_user[row.client_id])

    mock.authenticator._opaque_row = row_of_first_user
    return app


@mutant("OAUTH-ERR-REFRESH-2", LIFECYCLE)
def refresh_token_of_another_app_accepted(fixtures: Path) -> Any:
    """A refresh grant that takes a refresh token issued to another app."""
    app = _mock_app(fixtures)
    tokens, rows = app.state.mock.tokens, _tokens(app)
    row_for = tokens._row_for_refresh_token

    def any_apps_row(request: Any) -> Any:
        row = rows.find("refresh_token_hash", _sha256_hex(request.refresh_token or ""))
        if row is not None and tokens._client_secret_correct(request):
            return row
        return row_for(request)

    tokens._row_for_refresh_token = any_apps_row
    return app


@mutant("OAUTH-EXPIRY-1")
def opaque_tokens_never_expire(fixtures: Path) -> Any:
    """Opaque access tokens are accepted whatever their expiry."""
    app = _mock_app(fixtures)
    tokens = _tokens(app)
    app.state.mock.authenticator._opaque_row = lambda token: tokens.find(
        "access_token_hash", _sha256_hex(token)
    )
    return app


@mutant("OAUTH-EXPIRY-1")
def jwts_expire_without_clock_skew(fixtures: Path) -> Any:
    """JWTs are refused as soon as exp has passed (RSpace allows 180 s of clock skew)."""
    from datetime import timedelta

    from mock_server.domain.jwt_tokens import JwtCodec

    class NoSkew(JwtCodec):
        def verify(self, token: str, issuer: str, now: Any) -> str:
            return super().verify(token, issuer, now + timedelta(seconds=180))

    return _replace_codec(_mock_app(fixtures), NoSkew)


@mutant("OAUTH-EXPIRY-1")
def jwts_never_expire(fixtures: Path) -> Any:
    """JWTs are accepted whatever their exp."""
    from datetime import datetime, timezone

    from mock_server.domain.jwt_tokens import JwtCodec

    class Timeless(JwtCodec):
        def verify(self, token: str, issuer: str, now: Any) -> str:
            return super().verify(token, issuer, datetime.fromtimestamp(0, tz=timezone.utc))

    return _replace_codec(_mock_app(fixtures), Timeless)


@mutant("OAUTH-EXPIRY-1")
def access_tokens_last_half_an_hour(fixtures: Path) -> Any:
    """Opaque access tokens are refused after 30 minutes, though expires_in says an hour."""
    from datetime import timedelta

    app = _mock_app(fixtures)
    mock = app.state.mock
    opaque_row = mock.authenticator._opaque_row

    def half_hour(token: str) -> Any:
        row = opaque_row(token)
        if row is not None and row.expiry - mock.clock.now() < timedelta(minutes=30):
            return None
        return row

    mock.authenticator._opaque_row = half_hour
    return app


@mutant("OAUTH-EXPIRY-1")
def refresh_refused_once_the_access_token_expired(fixtures: Path) -> Any:
    """A refresh grant is refused (404) once the row's access token has expired."""
    from mock_server.domain.errors import NotFound

    app = _mock_app(fixtures)
    mock, tokens = app.state.mock, _tokens(app)

    def grant(original: Any, request: Any, server_url: str) -> Any:
        row = tokens.find("refresh_token_hash", _sha256_hex(request.refresh_token or ""))
        if row is not None and row.expiry is not None and row.expiry <= mock.clock.now():
            raise NotFound("OAuth token not found! Perhaps its refresh rights have been removed.")
        return original(request, server_url)

    return _wrap_grant(app, ("refresh_token", False), grant)


@mutant("OAUTH-ERR-REFRESH-2", LIFECYCLE)
def refresh_ignores_client_secret(fixtures: Path) -> Any:
    """A refresh grant with the right client id and a wrong client secret succeeds."""
    app = _mock_app(fixtures)
    tokens, apps = app.state.mock.tokens, _apps(app)
    row_for = tokens._row_for_refresh_token

    def any_secret(request: Any) -> Any:
        app_row = apps.get(request.client_id)
        if app_row is None:
            return row_for(request)
        secret_ok = tokens._client_secret_correct
        tokens._client_secret_correct = lambda _request: True
        try:
            return row_for(request)
        finally:
            tokens._client_secret_correct = secret_ok

    tokens._row_for_refresh_token = any_secret
    return app


# --- /oauth/token parameters and errors -----------------------------------------------------


@mutant("OAUTH-PARAMS-1")
def token_endpoint_reads_json(fixtures: Path) -> Any:
    """/oauth/token also reads a JSON body."""
    from mock_server.web import oauth_router

    app = _mock_app(fixtures)
    read = oauth_router.request_parameters

    async def with_json(request: Any) -> dict[str, str]:
        if request.headers.get("content-type", "").startswith("application/json"):
            return {k: str(v) for k, v in (await request.json()).items()}
        return await read(request)

    _patch_module(app, oauth_router, "request_parameters", with_json)
    return app


@mutant("OAUTH-ISJWT-1")
def is_jwt_takes_true_only(fixtures: Path) -> Any:
    """is_jwt=true is a JWT; every other value (yes, on, 1) is an opaque grant."""
    from mock_server.web import oauth_router

    app = _mock_app(fixtures)
    bind = oauth_router.bind_token_request

    def strict(params: dict[str, str]) -> Any:
        raw = params.get("is_jwt")
        if raw is not None:
            params = dict(params, is_jwt="true" if raw == "true" else "false")
        return bind(params)

    _patch_module(app, oauth_router, "bind_token_request", strict)
    return app


@mutant("OAUTH-METHOD-1")
def token_endpoint_get_is_400(fixtures: Path) -> Any:
    """GET /oauth/token gives 400 instead of 405."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if scope["path"] == "/oauth/token" and scope["method"] == "GET":
            return 400, headers, body
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("OAUTH-ERR-MISSING-1")
def missing_parameters_in_another_order(fixtures: Path) -> Any:
    """Missing parameters are reported client_id before client_secret."""
    from mock_server.domain.errors import MissingParameter
    from mock_server.web import oauth_router

    app = _mock_app(fixtures)
    bind = oauth_router.bind_token_request

    def reordered(params: dict[str, str]) -> Any:
        for required in ("grant_type", "client_id", "client_secret"):
            if required not in params:
                raise MissingParameter(required)
        return bind(params)

    _patch_module(app, oauth_router, "bind_token_request", reordered)
    return app


@mutant("OAUTH-ERR-CLIENT-1")
def password_grant_ignores_client_secret(fixtures: Path) -> Any:
    """A password grant with the right user and a wrong client secret succeeds."""
    app = _mock_app(fixtures)
    tokens = app.state.mock.tokens
    check = tokens._client_secret_correct
    grant_types: dict[str, str] = {}

    def grant(original: Any, request: Any, server_url: str) -> Any:
        grant_types["current"] = "password"
        try:
            return original(request, server_url)
        finally:
            grant_types.clear()

    tokens._client_secret_correct = lambda request: bool(grant_types) or check(request)
    return _wrap_grant(app, ("password", False), grant)


@mutant("OAUTH-ERR-USER-1")
def locked_user_gets_tokens(fixtures: Path) -> Any:
    """A locked user still gets tokens from a password grant."""
    app = _mock_app(fixtures)

    def unlocked(find: Callable[[Any], Any], username: str) -> Any:
        user = find(username)
        return dataclasses.replace(user, account_locked=False) if user else user

    _wrap_find(_users(app), "username", unlocked)
    return app


@mutant("OAUTH-ERR-GRANT-1")
def unsupported_grant_type_is_400(fixtures: Path) -> Any:
    """An unsupported grant_type gives 400 instead of 422."""
    return _edit_status(
        _mock_app(fixtures),
        lambda scope, status, body: (
            scope["path"] == "/oauth/token" and status == 422 and b"Only password grant" in body
        ),
        400,
    )


# --- API authentication ---------------------------------------------------------------------


@mutant("AUTH-APIKEY-1")
def authorization_wins_over_api_key(fixtures: Path) -> Any:
    """An Authorization header is read before a non-empty apiKey header."""
    app = _mock_app(fixtures)
    authenticator = app.state.mock.authenticator
    authenticate = authenticator.authenticate

    def bearer_first(api_key: str | None, authorization: str | None, server_url: str) -> Any:
        if authorization:
            return authenticate(None, authorization, server_url)
        return authenticate(api_key, authorization, server_url)

    authenticator.authenticate = bearer_first
    return app


@mutant("AUTH-HEADERS-1")
def www_authenticate_on_bearer_401s(fixtures: Path) -> Any:
    """401s for Bearer tokens carry WWW-Authenticate: Bearer."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if status == 401 and (_header(scope, b"authorization") or b"").startswith(b"Bearer"):
            headers = [*headers, (b"www-authenticate", b'Bearer realm="rspace"')]
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("AUTH-ORDER-1")
def not_found_before_authentication(fixtures: Path) -> Any:
    """A missing document gives 404 before the API key is checked."""
    app = _mock_app(fixtures)
    documents = _documents(app)

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        document_id = scope["path"].removeprefix("/api/v1/documents/")
        if status == 401 and document_id != scope["path"]:
            missing = not document_id.isdigit() or documents.get(int(document_id)) is None
            if missing:
                return 404, headers, body
        return status, headers, body

    return EditResponses(app, edit)


@mutant("RATE-HEADERS-1")
def no_rate_headers_on_writes(fixtures: Path) -> Any:
    """POST, PUT and DELETE responses lack the X-Rate-Limit-* headers."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if scope["method"] in ("POST", "PUT", "DELETE"):
            headers = [(k, v) for k, v in headers if not k.lower().startswith(b"x-rate-limit")]
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("STATUS-1")
def status_without_authentication(fixtures: Path) -> Any:
    """GET /api/v1/status answers 200 without credentials."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if scope["path"] == "/api/v1/status" and status == 401:
            return 200, headers, b'{"message": "OK", "rspaceVersion": "2.25.0"}'
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


# --- documents ------------------------------------------------------------------------------


@mutant("DOCS-CREATE-1", DOCUMENTS)
def empty_create_is_named_new_document(fixtures: Path) -> Any:
    """POST {} creates a document named "New document"."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    create = service.create

    def create_named(user: Any, body: object, **kwargs: Any) -> Any:
        if body == {}:
            body = {"name": "New document"}
        return create(user, body, **kwargs)

    service.create = create_named
    return app


@mutant("DOCS-ROUNDTRIP-1", DOCUMENTS)
def update_clears_keys_not_given(fixtures: Path) -> Any:
    """PUT replaces the document: tags and field content not given are cleared."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    update = service.update

    def replace_all(user: Any, document_id: int, body: object) -> Any:
        if isinstance(body, dict):
            body = {"tags": None, **body}
            if "fields" not in body:
                body["fields"] = [{"content": ""}]
        return update(user, document_id, body)

    service.update = replace_all
    return app


@mutant("DOCS-TOTAL-1", DOCUMENTS)
def deleted_documents_still_counted(fixtures: Path) -> Any:
    """A listing whose totalHits still counts the caller's deleted documents."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    deleted_by_owner: dict[int, int] = {}
    search, delete = service.search, service.delete

    def delete_and_count(user: Any, document_id: int) -> None:
        delete(user, document_id)
        deleted_by_owner[user.id] = deleted_by_owner.get(user.id, 0) + 1

    def search_counting_deleted(listing: Any) -> tuple[int, list[Any]]:
        total, page = search(listing)
        return total + deleted_by_owner.get(listing.query.owner_id, 0), page

    service.delete = delete_and_count
    service.search = search_counting_deleted
    return app


@mutant("DOCS-PAGING-1", DOCUMENTS)
def listing_drops_last_document(fixtures: Path) -> Any:
    """A listing that leaves out the last document of every page."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    search = service.search

    def search_dropping_last(listing: Any) -> tuple[int, list[Any]]:
        total, page = search(listing)
        return total, page[:-1]

    service.search = search_dropping_last
    return app


@mutant("DOCS-PAGING-1", DOCUMENTS)
def listing_ignores_page_size(fixtures: Path) -> Any:
    """A listing that returns up to 20 documents a page whatever pageSize says (links still
    follow pageSize)."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    search = service.search

    def twenty_a_page(listing: Any) -> tuple[int, list[Any]]:
        query = dataclasses.replace(listing.query, page_size=20)
        return search(dataclasses.replace(listing, query=query))

    service.search = twenty_a_page
    return app


@mutant("DOCS-PAGING-1", DOCUMENTS)
def listing_ignores_order_by(fixtures: Path) -> Any:
    """A listing always sorted by lastModified desc, whatever orderBy says."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    search = service.search

    def default_order(listing: Any) -> tuple[int, list[Any]]:
        query = dataclasses.replace(listing.query, order_field="lastModified", ascending=False)
        return search(dataclasses.replace(listing, query=query))

    service.search = default_order
    return app


@mutant("DOCS-HTML-1")
def field_html_stored_as_sent(fixtures: Path) -> Any:
    """Field content is stored as sent: scripts and event handlers included."""
    from mock_server.domain import documents

    app = _mock_app(fixtures)
    service = app.state.mock.documents
    create = service.create

    def unclean(user: Any, body: Any, **kwargs: Any) -> Any:
        original = documents.clean_field_html
        documents.clean_field_html = lambda content: content  # type: ignore[assignment]
        try:
            return create(user, body, **kwargs)
        finally:
            documents.clean_field_html = original

    service.create = unclean
    return app


@mutant("DOCS-SEARCH-1")
def search_finds_parts_of_words(fixtures: Path) -> Any:
    """A search that finds any text containing the term, as substring search does."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    search = service.search

    def substrings(listing: Any) -> tuple[int, list[Any]]:
        terms = tuple(
            dataclasses.replace(t, query=f"*{t.query}*")
            if t.query_type in ("global", "fullText", "name", "tag") and t.query.isalnum()
            else t
            for t in listing.query.terms
        )
        query = dataclasses.replace(listing.query, terms=terms)
        return search(dataclasses.replace(listing, query=query))

    service.search = substrings
    return app


@mutant("DOCS-SEARCH-2")
def short_search_terms_accepted(fixtures: Path) -> Any:
    """A one-character search term answers an empty listing instead of RSpace's 422."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if status == 422 and b"Search term must be at least" in body:
            listing = {"totalHits": 0, "pageNumber": 0, "documents": [], "_links": []}
            return 200, headers, json.dumps(listing).encode()
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("DOCS-PAGING-1", DOCUMENTS)
def next_link_on_last_page(fixtures: Path) -> Any:
    """The last page of a listing still has a 'next' link."""
    from mock_server.web import api_router, representations

    app = _mock_app(fixtures)
    links = representations.listing_links

    def with_next(listing: Any, total_hits: int, api_base: str) -> list[dict[str, str]]:
        result = links(listing, total_hits, api_base)
        if not any(link["rel"] == "next" for link in result):
            page = listing.query.page_number + 1
            href = f"{api_base}/documents?pageSize={listing.query.page_size}&pageNumber={page}"
            result.insert(len(result) - 1, {"link": href, "rel": "next"})
        return result

    _patch_module(app, api_router, "listing_links", with_next)
    return app


@mutant("DOCS-LINKS-1", DOCUMENTS)
def relative_listing_links(fixtures: Path) -> Any:
    """Listing links are relative (/api/v1/documents?...), not absolute URLs."""

    def relative(body: Any) -> Any:
        for link in body.get("_links", []):
            link["link"] = "/" + link["link"].split("/", 3)[3]
        return body

    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: (
            scope["path"] == "/api/v1/documents" and scope["method"] == "GET" and status == 200
        ),
        relative,
    )


@mutant("DOCS-LINKS-1", DOCUMENTS)
def links_always_carry_page_size(fixtures: Path) -> Any:
    """Listing links repeat pageSize=20 although it is the default."""

    def with_page_size(body: Any) -> Any:
        for link in body.get("_links", []):
            if "pageSize=" not in link["link"]:
                link["link"] = link["link"].replace("?", "?pageSize=20&", 1)
        return body

    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: (
            scope["path"] == "/api/v1/documents" and scope["method"] == "GET" and status == 200
        ),
        with_page_size,
    )


@mutant("DOCS-PASTEND-1", DOCUMENTS)
def page_past_the_end_is_404(fixtures: Path) -> Any:
    """A listing page past the end gives 404."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if scope["path"] == "/api/v1/documents" and scope["method"] == "GET" and status == 200:
            listing = json.loads(body)
            if not listing["documents"] and listing["totalHits"] and listing["pageNumber"] > 0:
                return 404, headers, body
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("DOCS-DELETE-1", DOCUMENTS)
def delete_does_nothing(fixtures: Path) -> Any:
    """DELETE answers 204 and leaves the document in place."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    service.delete = lambda user, document_id: service.get(user, document_id) and None
    return app


@mutant("DOCS-ISOLATION-1", DOCUMENTS)
def other_users_document_readable(fixtures: Path) -> Any:
    """GET of another user's document answers 200 instead of 404."""
    app = _mock_app(fixtures)
    service, documents = app.state.mock.documents, _documents(app)
    get = service.get

    def get_any_owner(user: Any, document_id: int) -> Any:
        document = documents.get(document_id)
        if document is not None and not document.deleted:
            return document
        return get(user, document_id)

    service.get = get_any_owner
    return app


@mutant("DOCS-ISOLATION-1", DOCUMENTS)
def other_users_document_forbidden(fixtures: Path) -> Any:
    """Another user's document gives 403 instead of RSpace's 404."""
    from mock_server.domain.errors import ApiProblem

    app = _mock_app(fixtures)
    service, documents = app.state.mock.documents, _documents(app)
    get = service.get

    class Forbidden(ApiProblem):
        http_status = 403
        internal_code = 40301

    def forbidding(user: Any, document_id: int) -> Any:
        document = documents.get(document_id)
        if document is not None and not document.deleted and document.owner_id != user.id:
            raise Forbidden("You do not have permission to access this document")
        return get(user, document_id)

    service.get = forbidding
    return app


@mutant("DOCS-ISOLATION-1", DOCUMENTS)
def other_users_delete_answers_404_but_deletes(fixtures: Path) -> Any:
    """Another user's DELETE answers 404, as it should, and deletes the document anyway."""
    from mock_server.domain.errors import DocumentNotFound

    app = _mock_app(fixtures)
    service, documents = app.state.mock.documents, _documents(app)
    delete = service.delete

    def deleting_anyway(user: Any, document_id: int) -> None:
        document = documents.get(document_id)
        if document is not None and not document.deleted and document.owner_id != user.id:
            document.deleted = True
            documents.put(document)
            raise DocumentNotFound(document_id)
        delete(user, document_id)

    service.delete = deleting_anyway
    return app


@mutant("DOCS-CSV-1")
def csv_answered_as_json(fixtures: Path) -> Any:
    """Accept: text/csv is ignored: documents come back as JSON."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        accept = _header(scope, b"accept") or b""
        if b"text/csv" in accept and scope["path"].startswith("/api/v1/documents/"):
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            return status, headers, b"{}"
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("DOCS-NOTFOUND-1")
def not_found_with_another_internal_code(fixtures: Path) -> Any:
    """A missing document's ApiError has internalCode 40401, not RSpace's 50301."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: status == 404 and scope["path"].startswith("/api/v1/documents/"),
        lambda body: {**body, "internalCode": 40401},
    )


@mutant("DOCS-PARAMS-1")
def page_size_up_to_1000(fixtures: Path) -> Any:
    """pageSize is accepted up to 1000."""
    from mock_server.domain import documents
    from mock_server.web import api_router

    app = _mock_app(fixtures)
    parse = documents.parse_listing

    def lenient(params: Any, owner_id: int) -> Any:
        size = params.get("pageSize")
        if size and size.isdigit() and 100 < int(size) <= 1000:
            listing = parse({**params, "pageSize": "100"}, owner_id)
            query = dataclasses.replace(listing.query, page_size=int(size))
            return dataclasses.replace(listing, query=query)
        return parse(params, owner_id)

    _patch_module(app, api_router, "parse_listing", lenient)
    return app


@mutant("DOCS-PARAMS-2")
def order_by_with_extra_spaces_accepted(fixtures: Path) -> Any:
    """orderBy "name  asc" (two spaces) is taken as "name asc"."""
    from mock_server.domain import documents
    from mock_server.web import api_router

    app = _mock_app(fixtures)
    parse = documents.parse_listing

    def lenient(params: Any, owner_id: int) -> Any:
        order = params.get("orderBy")
        if order:
            params = {**params, "orderBy": " ".join(order.split())}
        return parse(params, owner_id)

    _patch_module(app, api_router, "parse_listing", lenient)
    return app


@mutant("DOCS-FIELDS-1")
def mismatched_fields_still_create(fixtures: Path) -> Any:
    """A create whose fields do not match the form stores the document, then answers 422."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    create = service.create

    def create_anyway(user: Any, body: object, **kwargs: Any) -> Any:
        try:
            return create(user, body, **kwargs)
        except Exception:
            if isinstance(body, dict) and "fields" in body:
                create(user, {k: v for k, v in body.items() if k != "fields"}, **kwargs)
            raise

    service.create = create_anyway
    return app


@mutant("DOCS-BADID-1")
def non_numeric_id_is_404(fixtures: Path) -> Any:
    """A non-numeric document id gives 404 instead of 400."""
    return _edit_status(
        _mock_app(fixtures),
        lambda scope, status, body: status == 400 and scope["path"].endswith("/abc"),
        404,
    )


@mutant("DOCS-BADBODY-1")
def unparseable_body_is_422(fixtures: Path) -> Any:
    """A body that is not JSON gives 422 instead of 400."""
    return _edit_status(
        _mock_app(fixtures),
        lambda scope, status, body: status == 400 and b"40009" in body,
        422,
    )


@mutant("DOCS-VERSION-1")
def every_update_is_a_revision(fixtures: Path) -> Any:
    """Every PUT adds a version, tags-only and empty ones included."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    update = service.update

    def counting(user: Any, document_id: int, body: object) -> Any:
        from mock_server.domain.kinds import DOCUMENTS as DOCUMENT_KIND

        document = update(user, document_id, body)
        document.version += 1
        service.store.collection(DOCUMENT_KIND).put(document)
        return document

    service.update = counting
    return app


@mutant("DOCS-TAGS-1")
def slashes_allowed_in_tags(fixtures: Path) -> Any:
    """Tags with a forbidden character are stored with it replaced, not refused."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents

    def cleaned(body: object) -> object:
        if isinstance(body, dict) and isinstance(body.get("tags"), str):
            tags = body["tags"]
            for character in "<>\\/":
                tags = tags.replace(character, "-")
            body = {**body, "tags": tags}
        return body

    create, update = service.create, service.update
    service.create = lambda user, body, **kw: create(user, cleaned(body), **kw)
    service.update = lambda user, document_id, body: update(user, document_id, cleaned(body))
    return app


@mutant("DOCS-CSV-2")
def csv_with_a_column_of_its_own(fixtures: Path) -> Any:
    """A document's CSV names its third column fieldName instead of RSpace's name."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if body.startswith(b"id,globalId,name,type,"):
            body = body.replace(b"id,globalId,name,", b"id,globalId,fieldName,", 1)
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


# --- where things live: folders, notebooks, files ---------------------------------------------


@mutant("FOLDERS-CREATE-1")
def notebooks_made_as_folders(fixtures: Path) -> Any:
    """POST /folders with notebook: true makes a plain folder."""
    app = _mock_app(fixtures)
    folders = app.state.mock.folders
    create = folders.create

    def as_folder(user: Any, body: object) -> Any:
        if isinstance(body, dict):
            body = {**body, "notebook": False}
        return create(user, body)

    folders.create = as_folder
    return app


@mutant("FOLDERS-RULES-1")
def folders_inside_notebooks_are_422(fixtures: Path) -> Any:
    """Creating inside a notebook is refused with 422 instead of RSpace's 400."""
    return _edit_status(
        _mock_app(fixtures),
        lambda scope, status, body: status == 400 and b"inside notebooks" in body,
        422,
    )


@mutant("FOLDERS-TREE-1")
def documents_ignore_their_parent_folder(fixtures: Path) -> Any:
    """A new document goes into the Api Inbox whatever parentFolderId says (and says so)."""
    app = _mock_app(fixtures)
    folders = app.state.mock.folders
    target = folders.document_target

    def inbox(user: Any, parent_folder_id: int | None) -> Any:
        target(user, parent_folder_id)  # the same checks
        return target(user, None)

    folders.document_target = inbox
    return app


@mutant("FILES-ROUNDTRIP-1")
def downloads_lose_their_last_byte(fixtures: Path) -> Any:
    """A download gives the file's bytes less the last one."""
    app = _mock_app(fixtures)
    files = app.state.mock.files
    content = files.content

    def shorter(user: Any, file_id: int) -> Any:
        file, data = content(user, file_id)
        return file, data[:-1]

    files.content = shorter
    return app


@mutant("FILES-PLACE-1")
def any_gallery_folder_takes_any_file(fixtures: Path) -> Any:
    """A file goes into the folder given, whatever its Gallery section."""
    app = _mock_app(fixtures)
    files = app.state.mock.files
    upload_target = files.upload_target

    def anywhere(user: Any, section: str, folder_id: int | None) -> Any:
        if folder_id is None:
            return upload_target(user, section, None)
        return files.folders.get(user, folder_id)

    files.upload_target = anywhere
    return app


@mutant("FILES-ISOLATION-1")
def other_users_files_readable(fixtures: Path) -> Any:
    """Any user may read any file by its id."""
    app = _mock_app(fixtures)
    files = app.state.mock.files

    def anyones(user: Any, file_id: int) -> Any:
        from mock_server.domain.files import file_not_found

        file = files.files.get(file_id)
        if file is None or file.deleted:
            raise file_not_found(file_id)
        return file

    files.get = anyones
    return app


@mutant("FILES-ATTACH-1")
def fields_list_no_files(fixtures: Path) -> Any:
    """A field's files list is always empty."""
    app = _mock_app(fixtures)
    app.state.mock.files.shown_by = lambda document: {}
    return app


# --- groups and sharing ------------------------------------------------------------------


@mutant("SHARE-GROUP-1")
def shares_grant_nothing(fixtures: Path) -> Any:
    """A share gives its recipients nothing: only owners read documents."""
    from mock_server.domain.permissions import NO_ACCESS

    app = _mock_app(fixtures)
    permissions = app.state.mock.permissions
    permissions._by_shares_and_role = lambda user, owner_id, item_ids: NO_ACCESS
    return app


@mutant("SHARE-READONLY-1")
def read_shares_are_editable(fixtures: Path) -> Any:
    """A READ share lets its recipients save the document."""
    from mock_server.domain.permissions import OWNER_ACCESS, Permissions

    app = _mock_app(fixtures)
    permissions = app.state.mock.permissions
    original = Permissions._by_shares_and_role

    def any_share_edits(user: Any, owner_id: int, item_ids: list[int]) -> Any:
        access = original(permissions, user, owner_id, item_ids)
        return OWNER_ACCESS if access.read else access

    permissions._by_shares_and_role = any_share_edits
    return app


@mutant("SHARE-MODEL-1", caught_by="test_sharing_matches_model")
def permission_changes_ignored(fixtures: Path) -> Any:
    """PUT /share answers 204 and changes nothing."""
    app = _mock_app(fixtures)
    sharing = app.state.mock.sharing

    def unchanged(user: Any, body: object) -> Any:
        from mock_server.domain.bodies import json_object, long_value

        share_id = long_value(json_object(body).get("shareId"), "shareId") or 0
        return sharing._own_share(user, share_id)

    sharing.update = unchanged
    return app


@mutant("SHARE-OWNER-1")
def anyone_shares(fixtures: Path) -> Any:
    """Anyone who may read a document may share it, and so may anyone at all."""
    from mock_server.domain.sharing import SharingService

    app = _mock_app(fixtures)
    sharing = app.state.mock.sharing

    def shareable(user: Any, item_id: int | None) -> Any:
        item = sharing.item(item_id) if item_id is not None else None
        if item is None:
            return SharingService._shareable(sharing, user, item_id)
        return item

    sharing._shareable = shareable
    return app


# --- forms ----------------------------------------------------------------------------------

FORMS = "test_forms_match_model"


@mutant("FORMS-SHIPPED-1")
def basic_document_not_world_readable(fixtures: Path) -> Any:
    """Basic Document is listed as a form nobody but its owner may read."""

    def hide(body: Any) -> Any:
        for form in body.get("forms", []):
            form["accessControl"]["worldPermissionType"] = "NONE"
        return body

    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: scope.get("path") == "/api/v1/forms" and status == 200,
        hide,
    )


@mutant("FORMS-CREATE-1")
def form_fields_out_of_order(fixtures: Path) -> Any:
    """A new form lists its fields last first."""
    app = _mock_app(fixtures)
    service = app.state.mock.forms
    create = service.create

    def reversed_fields(user: Any, body: Any) -> Any:
        form = create(user, body)
        form.fields.reverse()
        return form

    service.create = reversed_fields
    return app


@mutant("FORMS-VALIDATION-1")
def number_bounds_unchecked(fixtures: Path) -> Any:
    """A Number field's min, max and default are taken in any order."""
    from mock_server.domain import form_fields

    app = _mock_app(fixtures)
    _patch_module(app, form_fields, "_number_range_ok", lambda field: True)
    return app


@mutant("FORMS-LIFECYCLE-1", caught_by=FORMS)
def published_form_edited_in_place(fixtures: Path) -> Any:
    """An edit of a form in use changes it in place, as if it were NEW: no new version."""
    from mock_server.domain.kinds import FORMS as FORM_KIND

    app = _mock_app(fixtures)
    service = app.state.mock.forms
    edit = service.edit
    forms = app.state.mock.store.collection(FORM_KIND)

    def in_place(user: Any, form_id: int, body: Any) -> Any:
        form = forms.get(form_id)
        state = form.form_state if form is not None else None
        if form is not None and state != "NEW":
            form.form_state = "NEW"
            forms.put(form)
        edited = edit(user, form_id, body)
        if state is not None and edited.form_state == "NEW":
            edited.form_state = state
            forms.put(edited)
        return edited

    service.edit = in_place
    return app


@mutant("FORMS-UNPUBLISHED-1", caught_by=FORMS)
def unpublished_forms_usable(fixtures: Path) -> Any:
    """Documents may be made from an unpublished form."""
    app = _mock_app(fixtures)
    app.state.mock.forms.check_usable = lambda user, form, folder_id: None
    return app


@mutant("FORMS-DOCFIELDS-1")
def form_defaults_ignored(fixtures: Path) -> Any:
    """A document made from a form starts with every field empty."""
    from mock_server.domain import documents

    app = _mock_app(fixtures)
    _patch_module(app, documents, "default_content", lambda field: "")
    return app


@mutant("FORMS-CONTENT-1")
def field_content_unchecked(fixtures: Path) -> Any:
    """Any content is taken for a field of any type."""
    from mock_server.domain import documents

    app = _mock_app(fixtures)
    _patch_module(app, documents, "content_problems", lambda field, content: [])
    return app


@mutant("FORMS-SEARCH-1")
def form_term_finds_one_version(fixtures: Path) -> Any:
    """A form term FMn finds the documents of that version of the form only."""
    from mock_server.domain import document_query

    app = _mock_app(fixtures)
    _patch_module(app, document_query, "same_form", lambda forms, text: {int(text[2:])})
    return app


# --- errors and the wire --------------------------------------------------------------------


@mutant("ERR-SHAPE-1")
def api_error_drops_null_fields(fixtures: Path) -> Any:
    """ApiError bodies leave out their null fields (messageCode, data) instead of sending null."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: status >= 400,
        lambda body: {k: v for k, v in body.items() if v is not None},
    )


@mutant("ERR-NO5XX-1")
def out_of_range_page_parameters_crash(fixtures: Path) -> Any:
    """A listing with an out-of-range pageSize or pageNumber crashes (500)."""
    from mock_server.domain import documents
    from mock_server.web import api_router

    app = _mock_app(fixtures)
    parse = documents.parse_listing

    def crashing(params: Any, owner_id: int) -> Any:
        for name, low, high in (("pageSize", 1, 100), ("pageNumber", 0, 10**9)):
            value = params.get(name)
            numeric = value is not None and value.lstrip("-").isdigit()
            if numeric and not low <= int(value) <= high:
                raise RuntimeError(f"unchecked {name}")
        return parse(params, owner_id)

    _patch_module(app, api_router, "parse_listing", crashing)
    return app


@mutant("WIRE-CT-1")
def json_sent_as_text_plain(fixtures: Path) -> Any:
    """JSON responses of /api/v1 are labelled text/plain."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if scope["path"].startswith("/api/v1"):
            headers = [
                (k, b"text/plain; charset=utf-8" if v.startswith(b"application/json") else v)
                if k.lower() == b"content-type"
                else (k, v)
                for k, v in headers
            ]
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("WIRE-NOCOOKIE-1")
def session_cookie_on_token_grants(fixtures: Path) -> Any:
    """Successful token grants set a session cookie."""

    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if scope["path"] == "/oauth/token" and status == 200:
            headers = [*headers, (b"set-cookie", b"JSESSIONID=0123456789; Path=/; HttpOnly")]
        return status, headers, body

    return EditResponses(_mock_app(fixtures), edit)


@mutant("WIRE-SLASH-1")
def trailing_slash_is_404(fixtures: Path) -> Any:
    """/api/v1/documents/ (trailing slash) gives 404."""
    app = _mock_app(fixtures)

    async def strict(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v1/documents/":
            scope = dict(scope, path="/api/v1/no-such-path", raw_path=b"/api/v1/no-such-path")
        await app(scope, receive, send)

    return _with_state(strict, app)


@mutant("WIRE-DOC-1", DOCUMENTS)
def document_dates_without_milliseconds(fixtures: Path) -> Any:
    """A full document's created and lastModified dates lack their milliseconds."""
    from mock_server.web import api_router, representations

    app = _mock_app(fixtures)
    full = representations.full_document

    def seconds_only(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = full(*args, **kwargs)
        for key in ("created", "lastModified"):
            body[key] = body[key][:19] + "Z"
        return body

    _patch_module(app, api_router, "full_document", seconds_only)
    return app


@mutant("WIRE-LISTING-1", DOCUMENTS)
def listing_with_a_page_size_key(fixtures: Path) -> Any:
    """Listings carry an extra pageSize key."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: (
            scope["path"] == "/api/v1/documents" and scope["method"] == "GET" and status == 200
        ),
        lambda body: {**body, "pageSize": 20},
    )


@mutant("WIRE-TOKEN-1")
def scope_read_write(fixtures: Path) -> Any:
    """Refresh grants answer scope "read write" instead of "all"."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: scope["path"] == "/oauth/token" and status == 200,
        lambda body: {**body, "scope": "read write"} if "refresh_token" in body else body,
    )


@mutant("OPENAPI-FUZZ-1")
def names_longer_than_five_crash(fixtures: Path) -> Any:
    """Creating a document whose name is longer than 5 characters crashes (500)."""
    app = _mock_app(fixtures)
    service = app.state.mock.documents
    create = service.create

    def crashing(user: Any, body: object, **kwargs: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("name"), str) and len(body["name"]) > 5:
            raise RuntimeError("name column overflow")
        return create(user, body, **kwargs)

    service.create = crashing
    return app


@mutant("OAUTH-ERR-EMPTYCLIENT-1")
def empty_client_id_is_400(fixtures: Path) -> Any:
    """An empty client_id gives 400 instead of 401."""
    return _edit_status(
        _mock_app(fixtures),
        lambda scope, status, body: status == 401 and b"must be present!" in body,
        400,
    )


@mutant("OAUTH-ERR-PASSWORD-1")
def password_grant_without_password_is_401(fixtures: Path) -> Any:
    """A password grant without a password gives 401 instead of 422."""
    return _edit_status(
        _mock_app(fixtures),
        lambda scope, status, body: status == 422 and b"Password grant requires" in body,
        401,
    )


@mutant("OAUTH-ERR-CREDENTIALS-1")
def unknown_user_says_so(fixtures: Path) -> Any:
    """An unknown username gets "User not found" (which tells who has an account)."""
    from mock_server.domain.errors import AuthenticationFailed

    app = _mock_app(fixtures)
    users = _users(app)

    def grant(original: Any, request: Any, server_url: str) -> Any:
        if request.username and users.find("username", request.username) is None:
            raise AuthenticationFailed("User not found.")
        return original(request, server_url)

    return _wrap_grant(app, ("password", False), grant)


@mutant("OAUTH-ERR-REFRESH-1")
def malformed_refresh_token_is_404(fixtures: Path) -> Any:
    """A malformed refresh token is looked up like any other (404), not refused with 422."""
    from mock_server.domain import oauth

    app = _mock_app(fixtures)
    _patch_module(app, oauth, "token_format_problem", lambda token: None)
    return app


@mutant("AUTH-MISSING-1")
def missing_credentials_with_other_errors(fixtures: Path) -> Any:
    """A call without credentials gives errors ["Authentication required"]."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: status == 401 and not _header(scope, b"apikey"),
        lambda body: (
            {**body, "errors": ["Authentication required"]}
            if str(body.get("message", "")).startswith("API authentication information is missing")
            else body
        ),
    )


@mutant("AUTH-USER-1")
def api_key_of_user_without_api_access_works(fixtures: Path) -> Any:
    """The API key of a user whose API access is off still authenticates."""
    app = _mock_app(fixtures)

    def with_access(find: Callable[[Any], Any], api_key_hash: str) -> Any:
        user = find(api_key_hash)
        return dataclasses.replace(user, api_access=True) if user else user

    _wrap_find(_users(app), "api_key_hash", with_access)
    return app


@mutant("AUTH-BEARER-1")
def lower_case_bearer_accepted(fixtures: Path) -> Any:
    """An Authorization header "bearer <token>" (lower case) is taken as "Bearer <token>"."""
    app = _mock_app(fixtures)
    authenticator = app.state.mock.authenticator
    by_bearer = authenticator._by_bearer

    def case_blind(authorization: str, server_url: str) -> Any:
        if authorization[:7].lower() == "bearer ":
            authorization = "Bearer " + authorization[7:]
        return by_bearer(authorization, server_url)

    authenticator._by_bearer = case_blind
    return app


@mutant("AUTH-BEARER-2")
def replaced_tokens_say_so(fixtures: Path) -> Any:
    """A token that was valid once, now replaced, gets "OAuth token has been revoked." instead
    of RSpace's message for any unknown token (which tells nothing about its history)."""
    from mock_server.domain.errors import AuthenticationFailed

    app = _mock_app(fixtures)
    tokens, authenticator = _tokens(app), app.state.mock.authenticator
    ever_issued: set[str] = set()
    put = tokens.put

    def remembering(row: Any) -> None:
        ever_issued.update(h for h in (row.access_token_hash,) if h)
        put(row)

    by_bearer = authenticator._by_bearer

    def telling(authorization: str, server_url: str) -> Any:
        try:
            return by_bearer(authorization, server_url)
        except AuthenticationFailed:
            if _sha256_hex(authorization.split()[-1]) in ever_issued:
                raise AuthenticationFailed("OAuth token has been revoked.") from None
            raise

    tokens.put = remembering
    authenticator._by_bearer = telling
    return app


@mutant("AUTH-BEARER-2")
def malformed_bearer_token_message(fixtures: Path) -> Any:
    """A malformed Bearer token gets the message "Invalid token"."""
    return _edit_json(
        _mock_app(fixtures),
        lambda scope, status: status == 401,
        lambda body: (
            {**body, "message": "Invalid token"}
            if body.get("message") == "OAuth token is invalid or expired."
            else body
        ),
    )


# --- helpers for module-level seams ---------------------------------------------------------


def _patch_module(app: Any, module: Any, name: str, replacement: Any) -> None:
    """Use ``replacement`` for ``module.name`` while this app handles a request (and only
    this app: mutants served side by side in one process must not see each other's)."""
    original = getattr(module, name)
    patched_by = getattr(module, "_mutant_patches", {})
    module._mutant_patches = patched_by
    chain = patched_by.setdefault(name, {"original": original, "by_app": {}})
    chain["by_app"][id(app)] = replacement

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        chosen = chain["by_app"].get(_current_app.get(None), chain["original"])
        return chosen(*args, **kwargs)

    if not getattr(getattr(module, name), "_mutant_dispatch", False):
        dispatch._mutant_dispatch = True  # type: ignore[attr-defined]
        setattr(module, name, dispatch)
    _mark_app(app)


_current_app: contextvars.ContextVar[int] = contextvars.ContextVar("mutant_app")


def _mark_app(app: Any) -> None:
    """Make the app set :data:`_current_app` while it handles a request."""
    if getattr(app, "_mutant_marked", False):
        return
    app._mutant_marked = True
    inner = app.build_middleware_stack

    def build() -> Any:
        stack = inner()

        async def marked(scope: Any, receive: Any, send: Any) -> None:
            token = _current_app.set(id(app))
            try:
                await stack(scope, receive, send)
            finally:
                _current_app.reset(token)

        return marked

    app.build_middleware_stack = build


def _edit_status(
    app: Any, when: Callable[[dict[str, Any], int, bytes], bool], new_status: int
) -> Any:
    def edit(
        scope: Any, status: int, headers: list[Any], body: bytes
    ) -> tuple[int, list[Any], bytes]:
        if when(scope, status, body):
            if body.startswith(b"{"):
                problem = json.loads(body)
                if "httpCode" in problem:
                    problem["httpCode"] = new_status
                body = json.dumps(problem).encode()
            return new_status, headers, body
        return status, headers, body

    return EditResponses(app, edit)


def _with_state(asgi: Callable[..., Awaitable[None]], app: Any) -> Any:
    class Wrapped:
        state = app.state

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await asgi(scope, receive, send)

    return Wrapped()


# --- serving them ---------------------------------------------------------------------------


class _ByPort:
    """One ASGI app that hands each request to the mutant listening on its port."""

    def __init__(self, apps: dict[int, Any]) -> None:
        self.apps = apps

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        answered = False

        async def noting_send(message: dict[str, Any]) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True
            await send(message)

        try:
            await self.apps[scope["server"][1]](scope, receive, noting_send)
        except Exception:
            # Starlette re-raises a crash after answering 500, and uvicorn then closes the
            # connection under the client's next request: a mutant breaks one rule, not HTTP.
            if not answered:
                raise


@contextmanager
def serve(names: list[str], fixtures: Path = DEFAULT_FIXTURES) -> Iterator[dict[str, str]]:
    """Serve the named mutants on free loopback ports (one uvicorn server, one thread);
    yields name -> base URL."""
    import uvicorn

    sockets: dict[str, socket.socket] = {}
    apps: dict[int, Any] = {}
    for name in names:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for such
        # sockets, and without it every response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sockets[name] = sock
        apps[sock.getsockname()[1]] = MUTANTS[name].build(fixtures)
    config = uvicorn.Config(_ByPort(apps), log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=list(sockets.values()))), daemon=True
    )
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the mutant server did not start")
            threading.Event().wait(0.05)
        yield {name: f"http://127.0.0.1:{sock.getsockname()[1]}" for name, sock in sockets.items()}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for sock in sockets.values():
            sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve broken variants of the mock.")
    parser.add_argument("mutant", nargs="?", choices=sorted(MUTANTS))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--all",
        action="store_true",
        help="serve every mutant on a free port; print one JSON line {name: url}",
    )
    args = parser.parse_args()
    if args.all:
        with serve(sorted(MUTANTS)) as urls:
            print(json.dumps(urls), flush=True)
            threading.Event().wait()
        return
    if not args.mutant:
        parser.error("name a mutant, or give --all")
    import uvicorn

    print(f"{args.mutant}: {MUTANTS[args.mutant].doc}")
    uvicorn.run(MUTANTS[args.mutant].build(DEFAULT_FIXTURES), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
