"""RSpace's JWT access tokens: HS256; claims exactly iss, iat, exp and refreshTokenHash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

#: ``OAuthTokenManagerImpl.ALLOWED_CLOCK_SKEW``: an expired JWT is still accepted for 3 minutes.
ALLOWED_CLOCK_SKEW_SECONDS = 180


class JwtRejected(Exception):
    """The JWT is expired, badly signed, from another issuer or malformed."""


@dataclass(frozen=True)
class JwtCodec:
    key: bytes

    def issue(
        self, issuer: str, refresh_token_hash: str, issued_at: datetime, expires_at: datetime
    ) -> str:
        claims = {
            "iss": issuer,
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "refreshTokenHash": refresh_token_hash,
        }
        # jjwt 0.11 writes no "typ" header; PyJWT adds one unless told otherwise.
        return jwt.encode(claims, self.key, algorithm="HS256", headers={"typ": None})

    def verify(self, token: str, issuer: str, now: datetime) -> str:
        """The ``refreshTokenHash`` of a valid token; raises :class:`JwtRejected` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=["HS256"],
                issuer=issuer,
                options={"verify_exp": False, "verify_iat": False, "require": ["iss", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise JwtRejected(str(exc)) from exc
        # Expiry is checked against the mock's own clock, not the system time.
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            raise JwtRejected("exp is not a number")
        # jjwt: expired when (now - skew) is strictly after exp.
        skew = timedelta(seconds=ALLOWED_CLOCK_SKEW_SECONDS)
        if now - skew > datetime.fromtimestamp(exp, tz=now.tzinfo):
            raise JwtRejected("JWT token expired!")
        refresh_hash = claims.get("refreshTokenHash")
        if not isinstance(refresh_hash, str):
            raise JwtRejected("no refreshTokenHash claim")
        return refresh_hash
