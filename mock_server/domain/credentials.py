"""RSpace's formats for tokens, secrets and keys.

From ``CryptoUtils``, ``SecureStringUtils`` and ``UserApiKey`` (rspace-web, rspace-core-model).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import secrets
import string
import threading

_BASE64_CHARS = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
#: Any Bearer string of three dot-separated parts is taken for a JWT (``OAuthTokenManagerImpl``).
_JWT_SHAPE = re.compile(r"^.+\..+\..+$", re.DOTALL)
API_KEY_PATTERN = re.compile(r"^[A-Za-z_0-9]+$")
OPAQUE_TOKEN_LENGTH = 32


def sha256_hex(value: str) -> str:
    """Unsalted SHA-256 hex, as RSpace stores tokens, client secrets and API keys."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.sha256(salt + password.encode("utf-8")).hexdigest()
    return f"{salt.hex()}${digest}"


def password_matches(password: str, stored: str) -> bool:
    salt_hex, _, digest = stored.partition("$")
    candidate = hashlib.sha256(bytes.fromhex(salt_hex) + password.encode("utf-8")).hexdigest()
    return hmac.compare_digest(candidate, digest)


#: Checked against the password given for an unknown username: that costs what checking a
#: user's own does (the cost grows with the password), so how long the answer takes does not
#: tell which usernames exist. Its result is never used.
UNKNOWN_USER_PASSWORD_HASH = hash_password("", salt=bytes(16))
#: The same, for the client secret given with an unknown client id.
UNKNOWN_CLIENT_SECRET_HASH = sha256_hex("")


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Whether ``secret`` hashes to ``stored_hash`` (unsalted SHA-256, compared in constant
    time); ``None`` (no such client) costs the same and is never matched."""
    expected = stored_hash if stored_hash is not None else UNKNOWN_CLIENT_SECRET_HASH
    return hmac.compare_digest(sha256_hex(secret), expected) and stored_hash is not None


def looks_like_jwt(token: str) -> bool:
    return _JWT_SHAPE.match(token) is not None


def is_base64(text: str) -> bool:
    """Commons-codec ``Base64.isBase64``: only Base64 alphabet (either variant), ``=`` and space."""
    return all(c.isascii() and (c.isalnum() or c in "+/-_= \t\r\n") for c in text)


def token_format_problem(token: str) -> str | None:
    """Why RSpace's ``validateToken`` rejects a refresh token, or ``None`` when it passes."""
    if not token:
        return "token empty or missing"
    if looks_like_jwt(token):
        for section in token.split("."):
            if not is_base64(section):
                return f"{section} not in base64 format"
        return None
    if len(token) != OPAQUE_TOKEN_LENGTH:
        return "token length incorrect"
    if not is_base64(token):
        return "token not in base64 format"
    return None


def is_opaque_token_shape(token: str) -> bool:
    """32 characters of standard Base64, as ``OAuthTokenAuthenticator`` requires."""
    return len(token) == OPAQUE_TOKEN_LENGTH and _BASE64_CHARS.match(token) is not None


class CredentialFactory:
    """Makes new tokens, secrets, client ids and API keys in RSpace's formats.

    Uses the OS's secure random source, or a seeded generator for reproducible test runs.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng: random.Random | None = random.Random(seed) if seed is not None else None

    def _bytes(self, n: int) -> bytes:
        if self._rng is None:
            return secrets.token_bytes(n)
        with self._lock:
            return self._rng.randbytes(n)

    def opaque_token(self) -> str:
        """24 random bytes in standard Base64, no padding: exactly 32 characters."""
        return base64.b64encode(self._bytes(24)).decode("ascii").rstrip("=")

    def client_secret(self) -> str:
        return self.opaque_token()

    def client_id(self) -> str:
        """24 random bytes in Base32, no padding: 39 characters of ``A-Z2-7``."""
        return base64.b32encode(self._bytes(24)).decode("ascii").rstrip("=")

    def api_key(self) -> str:
        """32 alphanumeric characters (``SecureStringUtils.getSecureRandomAlphanumeric(32)``)."""
        alphabet = string.ascii_letters + string.digits
        raw = self._bytes(32)
        return "".join(alphabet[b % len(alphabet)] for b in raw)

    def session_id(self) -> str:
        """A browser session's id, as a servlet container makes ``JSESSIONID``: 32 hex digits."""
        return self._bytes(16).hex().upper()

    def hmac_key(self) -> bytes:
        return self._bytes(32)
