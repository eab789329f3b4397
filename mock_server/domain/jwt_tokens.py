"""RSpace's JWT access tokens: HS256; claims exactly iss, iat, exp and refreshTokenHash."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

#: ``OAuthTokenManagerImpl.ALLOWED_CLOCK_SKEW``: an expired JWT is still accepted for 3 minutes.
ALLOWED_CLOCK_SKEW_SECONDS = 180

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
#: What Java's ``Long.parseLong`` reads.
_JAVA_LONG_TEXT = re.compile(r"[+-]?[0-9]+")


def _java_long(value: int) -> int:
    """``value`` wrapped to 64 bits, as Java's long arithmetic and ``BigInteger.longValue``."""
    return (value - _LONG_MIN) % 2**64 + _LONG_MIN


def numeric_date_millis(value: object) -> int | None:
    """A NumericDate claim (seconds since 1970) as jjwt reads it: Java epoch milliseconds.

    jjwt takes the claim's ``Number.longValue()`` (an integer keeps its low 64 bits, a
    fraction is cut, a double too large saturates) or a string ``Long.parseLong`` accepts,
    then multiplies by 1000 in long arithmetic, which wraps. ``None``, and the token is refused:
    NaN (which RSpace's JSON reader refuses) and other strings (jjwt tries them as ISO-8601
    dates; the fake does not). Only hand-made tokens hold such values: the fake writes whole
    seconds.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value >= 2.0**63:
            seconds = _LONG_MAX
        elif value < -(2.0**63):
            seconds = _LONG_MIN
        else:
            seconds = int(value)
    elif isinstance(value, int):
        seconds = _java_long(value)
    elif isinstance(value, str) and _JAVA_LONG_TEXT.fullmatch(value):
        seconds = int(value)
        if not _LONG_MIN <= seconds <= _LONG_MAX:
            return None
    else:
        return None
    return _java_long(seconds * 1000)


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
                # The time claims are checked below, against the mock's clock (PyJWT would use
                # the system time); jjwt, like the fake, never reads iat.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["iss", "exp"],
                },
            )
        except jwt.PyJWTError as exc:
            raise JwtRejected(str(exc)) from exc
        # jjwt: expired when (now - skew) is strictly after exp; premature when (now + skew)
        # is strictly before nbf. In milliseconds, as Java's Date compares them.
        now_ms = (now - _EPOCH) // _MILLISECOND
        skew_ms = ALLOWED_CLOCK_SKEW_SECONDS * 1000
        exp_ms = numeric_date_millis(claims.get("exp"))
        if exp_ms is None:
            raise JwtRejected("exp is not a date")
        if now_ms - skew_ms > exp_ms:
            raise JwtRejected("JWT token expired!")
        if claims.get("nbf") is not None:
            nbf_ms = numeric_date_millis(claims["nbf"])
            if nbf_ms is None or now_ms + skew_ms < nbf_ms:
                raise JwtRejected("JWT token not yet valid")
        refresh_hash = claims.get("refreshTokenHash")
        if not isinstance(refresh_hash, str):
            raise JwtRejected("no refreshTokenHash claim")
        return refresh_hash
