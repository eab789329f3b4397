"""How RSpace authenticates ``/api/v1/**`` calls (``CombinedApiAuthenticator``,
``OAuthTokenAuthenticator``): a non-empty ``apiKey`` header wins, else ``Authorization:
Bearer <opaque token or JWT>``, else 401. Every failure is a 401 with its own message."""

from __future__ import annotations

from dataclasses import dataclass

from ..clock import Clock
from .credentials import API_KEY_PATTERN, looks_like_jwt, sha256_hex, token_format_problem
from .errors import AuthenticationFailed
from .jwt_tokens import JwtCodec, JwtRejected
from .kinds import TOKENS, USERS
from .models import TokenRow, User
from .store import Store
from .system import load_switches

MSG_MISSING = (
    # The doubled quotes are sent literally: RSpace returns argument-less messages unformatted.
    "API authentication information is missing - please include your apiKey as a header in "
    "the format ''apiKey:myAPikey'' or with OAuth in the format ''Authorization: Bearer "
    "<myAccessToken>''."
)
MSG_API_DISABLED = "Access to API has been disabled by RSpace administrator."
MSG_BAD_API_KEY = "API key invalid - must match regexp:[A-Za-z_0-9]+"
MSG_BAD_AUTH_HEADER = 'Authorization header for OAuth must be in the form "Bearer <myAccessToken>"'
MSG_BAD_TOKEN = "OAuth token is invalid or expired."


def abbreviate(token: str, max_width: int = 4) -> str:
    """Commons-lang ``StringUtils.abbreviate(token, 4)``."""
    if len(token) <= max_width:
        return token
    return token[: max_width - 3] + "..."


def unknown_token(token: str) -> AuthenticationFailed:
    return AuthenticationFailed(f"User could not be authenticated for token {abbreviate(token)}...")


@dataclass(frozen=True)
class Principal:
    """Who made an API call, and how."""

    user: User
    #: ``api_key``, ``bearer`` or ``jwt``.
    method: str
    client_id: str | None = None


class ApiAuthenticator:
    def __init__(self, store: Store, clock: Clock, jwt_codec: JwtCodec) -> None:
        self.store = store
        self.clock = clock
        self.jwt_codec = jwt_codec

    def authenticate(
        self, api_key: str | None, authorization: str | None, server_url: str
    ) -> Principal:
        if api_key:
            return self._by_api_key(api_key)
        if authorization:
            return self._by_bearer(authorization, server_url)
        raise AuthenticationFailed(MSG_MISSING)

    def _by_api_key(self, api_key: str) -> Principal:
        if not load_switches(self.store).api_enabled:
            raise AuthenticationFailed(MSG_API_DISABLED)
        if not API_KEY_PATTERN.match(api_key):
            raise AuthenticationFailed(MSG_BAD_API_KEY)
        user = self.store.collection(USERS).find("api_key_hash", sha256_hex(api_key))
        if user is None:
            raise unknown_token(api_key)
        self._check_not_locked(user)
        if not user.api_access:
            raise AuthenticationFailed(
                f"Access to API has been disabled for user '{user.username}'"
            )
        return Principal(user, "api_key")

    def _by_bearer(self, authorization: str, server_url: str) -> Principal:
        parts = authorization.split()
        if len(parts) != 2 or parts[0] != "Bearer":
            raise AuthenticationFailed(MSG_BAD_AUTH_HEADER)
        token = parts[1]
        if token_format_problem(token) is not None:
            raise AuthenticationFailed(MSG_BAD_TOKEN)
        is_jwt = looks_like_jwt(token)
        row = self._jwt_row(token, server_url) if is_jwt else self._opaque_row(token)
        if row is None:
            raise unknown_token(token)
        user = self.store.collection(USERS).get(row.user_id)
        if user is None:
            raise unknown_token(token)
        self._check_not_locked(user)
        if not load_switches(self.store).oauth_enabled:
            raise AuthenticationFailed(
                f"Access through OAuth tokens has been disabled for user '{user.username}'"
            )
        return Principal(user, "jwt" if is_jwt else "bearer", row.client_id)

    def _opaque_row(self, token: str) -> TokenRow | None:
        row = self.store.collection(TOKENS).find("access_token_hash", sha256_hex(token))
        # A row with no expiry (JWT-first, then refreshed under the expiry quirk) would make
        # RSpace throw; the fake rejects the token instead.
        if row is None or row.expiry is None or row.expiry <= self.clock.now():
            return None
        return row

    def _jwt_row(self, token: str, server_url: str) -> TokenRow | None:
        try:
            refresh_hash = self.jwt_codec.verify(token, server_url, self.clock.now())
        except JwtRejected:
            return None
        # A JWT lives while its refresh token is current; the row's expiry is not checked.
        return self.store.collection(TOKENS).find("refresh_token_hash", refresh_hash)

    @staticmethod
    def _check_not_locked(user: User) -> None:
        if user.blocked:
            raise AuthenticationFailed(
                f"Api access denied as account for user '{user.username}', who is associated "
                "with provided authentication token, is locked or disabled"
            )
