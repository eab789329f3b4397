"""Which names and texts hold secrets, and the secret values of one exchange.

A :class:`Secrets` collects the values the server read as secrets (a parsed ``password`` or
``client_secret``, an ``apiKey`` header, a bearer token, tokens it issued) and removes every
occurrence of them from a text in any encoding they may take there: raw, percent-encoded with
upper- or lower-case hex (any mix, character by character), ``+`` for a space, JSON or Python
escapes. Structural masking (by the name a value sits under) is in :mod:`.masking`; this is
what catches a secret echoed somewhere else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

MASK = "***"

#: Secrets shorter than this are masked where they sit under a secret name, but not hunted
#: for everywhere else (a 2-character password would turn every entry into asterisks).
MIN_REDACTED_CHARS = 4

#: Names (compared after :func:`normalise_name`) that hold a secret wherever they appear in
#: them; ``token`` alone must match whole (``token_type`` is no secret).
_SECRET_NAME_PARTS = (
    "password",
    "passwd",
    "secret",
    "apikey",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "authtoken",
    "admintoken",
)
#: ``key``: the one-time API key the My Profile page shows (``apiKeyDisplayInfo``'s ``key``).
_WHOLE_SECRET_NAMES = frozenset({"token", "authorization", "proxyauthorization", "cookie", "key"})

#: Header names whose values are secrets (lower case), besides those :func:`names_secret` finds.
SECRET_HEADERS = frozenset(
    {"apikey", "authorization", "proxy-authorization", "cookie", "set-cookie", "x-admin-token"}
)

_SECRET_WORD = r"(?:password|passwd|secret|api[-_ ]?key|access[-_ ]?token|refresh[-_ ]?token|token)"
# A secret's name followed by what assigns it a value in some syntax (``password=``,
# ``"password": ``, a multipart header ``name="password"`` then a line break).
_SECRET_ASSIGNMENT = re.compile(_SECRET_WORD + r"[\"'\s\])]*[=:\r\n]")
_SECRET_MENTION = re.compile(_SECRET_WORD)
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
#: Dropped from names before they are compared: every white-space character, quotes and
#: separators (the highest white-space code point is U+3000).
_NAME_NOISE = {c: None for c in range(0x3001) if chr(c).isspace() or chr(c) in "\"'_-.[]"}
_BASE64_SECTION = re.compile(r"[A-Za-z0-9+/=_\-]*")
#: How many layers of encoding :func:`loosened` undoes.
_DECODING_ROUNDS = 4


def normalise_name(name: str) -> str:
    """``" Client-Secret"`` -> ``clientsecret``: case, quotes, spaces and separators dropped."""
    return name.translate(_NAME_NOISE).lower()


@functools.lru_cache(maxsize=4096)
def names_secret(name: str) -> bool:
    """Whether a parameter, part, JSON member or header of this name holds a secret."""
    normalised = normalise_name(name)
    if normalised in _WHOLE_SECRET_NAMES:
        return True
    return any(part in normalised for part in _SECRET_NAME_PARTS)


def could_name_secret(text: str) -> bool:
    """``False`` only if no name inside this text (a JSON document, say) can be a secret's:
    a cheap test that spares walking the many responses that hold none."""
    if "\\" in text or "%" in text:
        return True  # an escape could spell any name
    normalised = normalise_name(text)
    return any(part in normalised for part in (*_SECRET_NAME_PARTS, *_WHOLE_SECRET_NAMES))


def loosened(text: str) -> str:
    """The text lower-cased, with percent, ``+`` and JSON ``\\u`` escapes undone (a few layers
    deep), so that a check for secret names sees through any encoding a reader could undo."""
    text = text.lower()
    for _ in range(_DECODING_ROUNDS):
        decoded = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), unquote_plus(text))
        decoded = decoded.lower()
        if decoded == text:
            break
        text = decoded
    return text


def might_hold_secret(text: str) -> bool:
    """Whether a name or value (that is not itself under a secret name) carries one in some
    other syntax: ``grant_type=password\\r\\npassword=...`` sent with CRLF for ``&``, or a
    ``password%3D...`` key that decodes to ``password=...``."""
    return bool(text) and _SECRET_ASSIGNMENT.search(loosened(text)) is not None


def mentions_secret(text: str) -> bool:
    """Whether an unparsed text names a secret at all, in any of the encodings
    :func:`loosened` undoes."""
    return bool(text) and _SECRET_MENTION.search(loosened(text)) is not None


def header_secrets(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The secret values in request or response headers: API keys, the credentials of an
    ``Authorization`` header (and the password inside HTTP Basic), cookies."""
    found: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.strip().partition(" ")
            credentials = credentials.strip()
            found.append(credentials or scheme)
            if scheme.lower() == "basic" and credentials:
                found.extend(_basic_credentials(credentials))
        elif lower in ("cookie", "set-cookie"):
            found.append(value.strip())
            for pair in value.split(";"):
                found.append(pair.partition("=")[2].strip())
        elif lower in SECRET_HEADERS or names_secret(name):
            found.append(value.strip())
    return found


def _basic_credentials(encoded: str) -> list[str]:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return []
    return [decoded, decoded.partition(":")[2]]


def secret_variants(value: str) -> set[str]:
    """The strings to hunt for, given one secret value: the value; the sections of a
    JWT-shaped value that are not Base64 (RSpace's answer to such a refresh token quotes the
    first of them); and the value as it reads when UTF-8 bytes are taken as Latin-1 or the
    other way round (the parser decodes query strings and urlencoded bodies as Latin-1)."""
    variants = {value}
    if value.count(".") >= 2:
        variants.update(s for s in value.split(".") if not _BASE64_SECTION.fullmatch(s))
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        variants.add(value.encode("latin-1").decode("utf-8"))
    if not value.isascii():
        variants.add(value.encode("utf-8", "surrogatepass").decode("latin-1"))
    return {v for v in variants if len(v) >= MIN_REDACTED_CHARS}


_JSON_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _hex_pattern(byte: int) -> str:
    """``0x3d`` -> ``3[dD]``: two hex digits, either case."""
    return "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in f"{byte:02X}")


def _character_pattern(char: str) -> str:
    """Every way one character of a secret may be written in a text the fake keeps."""
    utf8 = char.encode("utf-8", "surrogatepass")
    options = [re.escape(char), "".join("%" + _hex_pattern(b) for b in utf8)]
    if char == " ":
        options.append(r"\+")
    if char in _JSON_SHORT_ESCAPES:
        options.append(re.escape(_JSON_SHORT_ESCAPES[char]))
    code = ord(char)
    if code < 0x10000:
        options.append(r"\\u" + _hex_pattern(code >> 8) + _hex_pattern(code & 0xFF))
    else:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        options.append(
            "".join(rf"\\u{_hex_pattern(u >> 8)}{_hex_pattern(u & 0xFF)}" for u in (high, low))
        )
    if not char.isascii():
        options.append("".join(r"\\x" + _hex_pattern(b) for b in utf8))
    return "(?:" + "|".join(options) + ")"


@functools.lru_cache(maxsize=1024)
def encoded_pattern(secret: str) -> str:
    """A regular expression matching the secret in any mix of the encodings it may take."""
    return "".join(_character_pattern(char) for char in secret)


#: Characters without which a text can hold a secret only raw (so ``str.replace`` will do).
_ENCODING_MARKS = ("%", "\\", "+")


@functools.lru_cache(maxsize=256)
def _combined_pattern(values: frozenset[str]) -> re.Pattern[str]:
    # The same API key or token comes back request after request: compile it once.
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(encoded_pattern(v) for v in ordered))


class Secrets:
    """The secret values of one exchange, and their removal from any text."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.update(values)

    def add(self, value: str | None) -> None:
        if not value:
            return
        new = secret_variants(value) - self._values
        if new:
            self._values |= new
            self._pattern = None

    def update(self, values: Iterable[str | None]) -> None:
        for value in values:
            self.add(value)

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None:
            self._pattern = _combined_pattern(frozenset(self._values))
        return self._pattern

    def found_in(self, text: str) -> bool:
        if not self._values or not text:
            return False
        if not any(mark in text for mark in _ENCODING_MARKS):
            return any(value in text for value in self._values)
        return self._compiled().search(text) is not None

    def redact(self, text: str) -> str:
        """The text with every occurrence of every secret, however encoded, replaced."""
        if not self._values or not text:
            return text
        if not any(mark in text for mark in _ENCODING_MARKS):
            # Fast path: with no escape character in it, a text holds a secret only raw.
            for value in sorted(self._values, key=len, reverse=True):
                if value in text:
                    text = text.replace(value, MASK)
            return text
        return self._compiled().sub(MASK, text)
