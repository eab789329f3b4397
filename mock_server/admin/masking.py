"""Pure functions that hide secrets before anything is written to the request journal.

Masked: the values of ``password``, ``client_secret``, ``refresh_token``, ``access_token`` (and
a few look-alikes) in query strings, form and multipart bodies and JSON; ``apiKey`` and
``Authorization`` header values (the scheme word is kept: ``Bearer ***``); cookies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

MASK = "***"

#: Parameter and JSON keys whose values are secrets (compared case-insensitively).
SECRET_KEYS = frozenset(
    {
        "password",
        "client_secret",
        "refresh_token",
        "access_token",
        "apikey",
        "api_key",
        "clientsecret",
        "unhashedclientsecret",
        "token",
        "id_token",
    }
)

#: Header names whose values are secrets (lower case).
SECRET_HEADERS = frozenset({"apikey", "authorization", "cookie", "set-cookie", "x-admin-token"})

_KEY_ALTERNATION = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))
# key=value inside a query string or urlencoded body; the value runs to the next '&'.
_URLENCODED = re.compile(rf"(^|[&;?])((?:{_KEY_ALTERNATION})=)([^&;]*)", re.IGNORECASE)
# one multipart part: Content-Disposition names a secret key, the value follows a blank line
# and runs to the next CRLF + boundary.
_MULTIPART = re.compile(
    rf'(name="(?:{_KEY_ALTERNATION})"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)(.*?)(\r?\n--)',
    re.IGNORECASE | re.DOTALL,
)


#: Any secret key name anywhere in a text; a body without one has nothing to mask structurally.
_ANY_SECRET_KEY = re.compile(_KEY_ALTERNATION, re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def mask_header(name: str, value: str) -> str:
    """``Authorization: Bearer abc`` -> ``Bearer ***``; ``apiKey: abc`` -> ``***``."""
    lower = name.lower()
    if lower not in SECRET_HEADERS:
        return value
    if lower == "authorization":
        scheme, _, credentials = value.strip().partition(" ")
        if credentials:
            return f"{scheme} {MASK}"
        return MASK
    return MASK


def mask_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, mask_header(name, value)) for name, value in headers]


def mask_urlencoded(text: str) -> str:
    """Mask secret parameters in ``a=1&password=x`` (a query string or a form body)."""
    return _URLENCODED.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


def mask_multipart(text: str) -> str:
    """Mask the values of multipart parts named after a secret key."""
    return _MULTIPART.sub(lambda m: m.group(1) + MASK + m.group(3), text)


def mask_json_value(value: Any) -> Any:
    """A copy of a decoded JSON value with every secret key's value replaced."""
    if isinstance(value, dict):
        return {
            key: (MASK if is_secret_key(str(key)) else mask_json_value(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_json_value(item) for item in value]
    return value


def mask_body(text: str, content_type: str = "") -> str:
    """Mask a request or response body, whatever its declared type.

    The declared type is a hint only: a client may send a form with a JSON content type, and a
    secret must not slip through because of that. JSON is re-serialised compactly.
    """
    if not text or not _ANY_SECRET_KEY.search(text):
        # Fast path (e.g. a page of documents): no secret key can be in there.
        return text
    stripped = text.lstrip()
    if stripped[:1] in "{[" and stripped:
        try:
            decoded = json.loads(text)
        except ValueError:
            pass
        else:
            return json.dumps(mask_json_value(decoded), ensure_ascii=False)
    masked = text
    if "multipart/" in content_type.lower() or 'name="' in masked:
        masked = mask_multipart(masked)
    return mask_urlencoded(masked)


def secret_redactor(secrets: list[str]) -> Callable[[str], str]:
    """Belt and braces: a function that removes literal occurrences of the secrets seen in an
    exchange (e.g. a token echoed in an error message); longest first."""
    ordered = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(text: str) -> str:
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    return redact
