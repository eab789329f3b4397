"""RSpace's OAuth token rules (``OAuthClientController`` + ``OAuthTokenManagerImpl``).

One token row per (client id, user). The grants:

* password: replaces the row's access and refresh tokens (the old ones, and every JWT made
  from the old refresh token, die at once);
* refresh_token: rotates both tokens; the used refresh token is then unknown;
* either with ``is_jwt``: returns a JWT built on the current refresh token and changes nothing,
  except that a password grant with no row yet creates a refresh-only row and returns it.

Each (grant type, is_jwt) pair is one small handler; :class:`TokenService` dispatches.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import Clock
from ..settings import Quirks
from .credentials import (
    UNKNOWN_USER_PASSWORD_HASH,
    CredentialFactory,
    password_matches,
    secret_matches,
    sha256_hex,
    token_format_problem,
)
from .errors import AuthenticationFailed, IllegalArgument, NotFound
from .jwt_tokens import JwtCodec
from .kinds import APPS, TOKENS, USERS
from .models import TokenRow, User
from .store import MetaReading, Store
from .system import load_switches

SCOPE = "all"

MSG_CLIENT_ID_EMPTY = "Parameter client_id must be present!"
MSG_CLIENT_SECRET_EMPTY = "Parameter client_secret must be present!"
MSG_API_DISABLED = "Access to API has been disabled by RSpace administrator."
MSG_OAUTH_DISABLED = "OAuth authentication has been disabled by RSpace administrator."
MSG_UNSUPPORTED_GRANT = "Only password grant and token refresh is supported for OAuth at this time."
MSG_PASSWORD_PARAMS = "Password grant requires parameters `username` and `password` to be present."
MSG_REFRESH_PARAM = "Refresh grant requires parameter `refresh_token` to be present."
MSG_INVALID_CREDENTIALS = "Invalid user credentials."
MSG_TOKEN_NOT_CREATED = "OAuth token could not be created."
MSG_CLIENT_INCORRECT = "ClientId or ClientSecret incorrect"
MSG_REFRESH_NOT_FOUND = "OAuth token not found! Perhaps its refresh rights have been removed."


@dataclass(frozen=True)
class TokenRequest:
    """The parameters of ``POST /oauth/token`` after HTTP binding."""

    grant_type: str
    client_id: str
    client_secret: str
    username: str | None = None
    password: str | None = None
    refresh_token: str | None = None
    is_jwt: bool = False


@dataclass(frozen=True)
class IssuedTokens:
    """``NewOAuthTokenResponse``: ``refresh_token`` is ``None`` when it must be left out."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scope: str = SCOPE
    #: Whose tokens these are (not sent; for the request journal).
    user_id: int | None = None

    def expires_in(self, now: datetime) -> int:
        """Whole seconds (rounded down) until expiry, computed when the response is written."""
        return math.floor((self.expires_at - now).total_seconds())


GrantHandler = Callable[[TokenRequest, str], IssuedTokens]


#: Store meta key of the token lifetime and quirks when changed at run time (the admin API);
#: absent, the start-up settings hold.
TOKEN_POLICY_META = "token_policy"


class TokenService:
    """Issues tokens under RSpace's rules. All state changes run in one store transaction."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        credentials: CredentialFactory,
        jwt_codec: JwtCodec,
        token_ttl_seconds: int,
        quirks: Quirks,
    ) -> None:
        self.store = store
        self.clock = clock
        self.credentials = credentials
        self.jwt_codec = jwt_codec
        self._default_ttl = timedelta(seconds=token_ttl_seconds)
        self._default_quirks = quirks
        #: Read on every grant.
        self._stored_policy = MetaReading(TOKEN_POLICY_META, self._parse_policy)
        self._handlers: dict[tuple[str, bool], GrantHandler] = {
            ("password", False): self._password_grant,
            ("password", True): self._password_grant_jwt,
            ("refresh_token", False): self._refresh_grant,
            ("refresh_token", True): self._refresh_grant_jwt,
        }

    # -- the token lifetime and quirks: kept in the store, so that every process agrees ----

    def _parse_policy(self, text: str | None) -> tuple[timedelta, Quirks]:
        if not text:
            return self._default_ttl, self._default_quirks
        data = json.loads(text)
        ttl = timedelta(seconds=int(data["ttl_seconds"]))
        return ttl, Quirks(refresh_keeps_expiry=bool(data["refresh_keeps_expiry"]))

    def _policy(self) -> tuple[timedelta, Quirks]:
        return self._stored_policy.read(self.store)

    def _save_policy(self, ttl: timedelta, quirks: Quirks) -> None:
        data = {
            "ttl_seconds": int(ttl.total_seconds()),
            "refresh_keeps_expiry": quirks.refresh_keeps_expiry,
        }
        self.store.set_meta(TOKEN_POLICY_META, json.dumps(data, sort_keys=True))

    @property
    def token_ttl(self) -> timedelta:
        return self._policy()[0]

    @token_ttl.setter
    def token_ttl(self, ttl: timedelta) -> None:
        with self.store.transaction():
            self._save_policy(ttl, self._policy()[1])

    @property
    def quirks(self) -> Quirks:
        return self._policy()[1]

    @quirks.setter
    def quirks(self, quirks: Quirks) -> None:
        with self.store.transaction():
            self._save_policy(self._policy()[0], quirks)

    # -- the endpoint ---------------------------------------------------------------------

    def grant(self, request: TokenRequest, server_url: str) -> IssuedTokens:
        """Run the controller's checks in RSpace's order, then the grant's handler."""
        if not request.client_id:
            raise AuthenticationFailed(MSG_CLIENT_ID_EMPTY)
        if not request.client_secret:
            raise AuthenticationFailed(MSG_CLIENT_SECRET_EMPTY)
        switches = load_switches(self.store)
        if not switches.api_enabled:
            raise AuthenticationFailed(MSG_API_DISABLED)
        if not switches.oauth_enabled:
            raise AuthenticationFailed(MSG_OAUTH_DISABLED)
        handler = self._handlers.get((request.grant_type, request.is_jwt))
        if handler is None:
            raise IllegalArgument(MSG_UNSUPPORTED_GRANT)
        with self.store.transaction():
            return handler(request, server_url)

    # -- password grant -------------------------------------------------------------------

    def _authenticate_user(self, request: TokenRequest) -> User:
        if not request.username or not request.password:
            raise IllegalArgument(MSG_PASSWORD_PARAMS)
        user = self.store.collection(USERS).find("username", request.username)
        # The password is hashed on every path, an unknown username's included, so that the
        # answer takes as long whether or not the username exists; RSpace's checks (and their
        # order) then decide the answer.
        stored = user.password_hash if user is not None else UNKNOWN_USER_PASSWORD_HASH
        password_correct = password_matches(request.password, stored)
        if user is None:
            raise AuthenticationFailed(
                MSG_INVALID_CREDENTIALS, reason=f"no user {request.username!r}"
            )
        if not user.api_access:
            raise AuthenticationFailed(f"User '{user.username}' doesn't have access to API")
        # RSpace checks the lock before the password.
        if user.blocked:
            raise AuthenticationFailed(
                f"User '{user.username}' has their account locked or disabled."
            )
        if not password_correct:
            raise AuthenticationFailed(
                MSG_INVALID_CREDENTIALS, reason=f"wrong password for {user.username!r}"
            )
        if not self._client_secret_correct(request):
            raise AuthenticationFailed(MSG_TOKEN_NOT_CREATED, reason=self._client_problem(request))
        return user

    def _password_grant(self, request: TokenRequest, server_url: str) -> IssuedTokens:
        user = self._authenticate_user(request)
        access_token = self.credentials.opaque_token()
        refresh_token = self.credentials.opaque_token()
        expires_at = self.clock.now() + self.token_ttl
        # A new grant overwrites the row: the old pair and its JWTs stop working.
        self.store.collection(TOKENS).put(
            TokenRow(
                client_id=request.client_id,
                user_id=user.id,
                access_token_hash=sha256_hex(access_token),
                refresh_token_hash=sha256_hex(refresh_token),
                expiry=expires_at,
            )
        )
        return IssuedTokens(access_token, refresh_token, expires_at, user_id=user.id)

    def _password_grant_jwt(self, request: TokenRequest, server_url: str) -> IssuedTokens:
        user = self._authenticate_user(request)
        row = self.store.collection(TOKENS).get(request.client_id, user.id)
        new_refresh_token: str | None = None
        if row is None:
            # JWT-first: a refresh-only row (no access token, no expiry), returned once.
            new_refresh_token = self.credentials.opaque_token()
            row = TokenRow(
                client_id=request.client_id,
                user_id=user.id,
                access_token_hash=None,
                refresh_token_hash=sha256_hex(new_refresh_token),
                expiry=None,
            )
            self.store.collection(TOKENS).put(row)
        return self._jwt_response(row, server_url, new_refresh_token)

    # -- refresh grant --------------------------------------------------------------------

    def _row_for_refresh_token(self, request: TokenRequest) -> TokenRow:
        if not request.refresh_token:
            raise IllegalArgument(MSG_REFRESH_PARAM)
        problem = token_format_problem(request.refresh_token)
        if problem is not None:
            raise IllegalArgument(problem)
        # RSpace answers 404, not 401, for a wrong client or an unknown refresh token.
        if not self._client_secret_correct(request):
            raise NotFound(MSG_CLIENT_INCORRECT, reason=self._client_problem(request))
        row = self.store.collection(TOKENS).find(
            "refresh_token_hash", sha256_hex(request.refresh_token)
        )
        if row is None:
            raise NotFound(
                MSG_REFRESH_NOT_FOUND,
                reason="no such refresh token (never issued, or replaced by a later grant)",
            )
        if row.client_id != request.client_id:
            raise NotFound(MSG_REFRESH_NOT_FOUND, reason="the refresh token is another app's")
        return row

    def _refresh_grant(self, request: TokenRequest, server_url: str) -> IssuedTokens:
        row = self._row_for_refresh_token(request)
        access_token = self.credentials.opaque_token()
        refresh_token = self.credentials.opaque_token()
        expires_at = self.clock.now() + self.token_ttl
        row.access_token_hash = sha256_hex(access_token)
        row.refresh_token_hash = sha256_hex(refresh_token)
        if not self.quirks.refresh_keeps_expiry:
            row.expiry = expires_at
        self.store.collection(TOKENS).put(row)
        return IssuedTokens(access_token, refresh_token, expires_at, user_id=row.user_id)

    def _refresh_grant_jwt(self, request: TokenRequest, server_url: str) -> IssuedTokens:
        row = self._row_for_refresh_token(request)
        return self._jwt_response(row, server_url, None)

    # -- shared ---------------------------------------------------------------------------

    def _client_problem(self, request: TokenRequest) -> str:
        """Why the client's credentials were refused, for the log (no secret in it)."""
        app = self.store.collection(APPS).get(request.client_id)
        if app is None:
            return f"no OAuth app with client id {request.client_id!r}"
        return f"wrong client secret for the OAuth app {app.name!r} ({app.client_id})"

    def _client_secret_correct(self, request: TokenRequest) -> bool:
        """The secret is hashed for an unknown client id too (see ``secret_matches``)."""
        app = self.store.collection(APPS).get(request.client_id)
        return secret_matches(request.client_secret, app.client_secret_hash if app else None)

    def _jwt_response(
        self, row: TokenRow, server_url: str, refresh_token: str | None
    ) -> IssuedTokens:
        now = self.clock.now()
        expires_at = now + self.token_ttl
        token = self.jwt_codec.issue(server_url, row.refresh_token_hash, now, expires_at)
        return IssuedTokens(token, refresh_token, expires_at, user_id=row.user_id)
