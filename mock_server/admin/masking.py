"""Pure functions that hide secrets before anything is written to the request journal or a log.

Masking follows what the server parsed, never a second, looser reading of the raw text: the
web layer hands over each parameter as the server's own parser read it (name and value
decoded, and where both lie in the raw text; see :class:`FormReading`), and the values under
secret names (``password``, ``client_secret``, tokens, API keys, in any spelling the parser
accepts: ``pass%77ord``, ``name = "password"``) become ``***`` in place. Whatever the parser
did not read as a parameter or as structure (an epilogue, an unfinished part) is masked too,
and every secret value seen anywhere in the exchange is removed from all its texts in any
encoding (:class:`~.secret_values.Secrets`). A body the server could not parse is not shown
when it may hold a secret. Walkers are iterative and JSON nesting is bounded, so no request
can make masking fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from .secret_values import (
    MASK,
    SECRET_HEADERS,
    Secrets,
    could_name_secret,
    mentions_secret,
    might_hold_secret,
    names_secret,
)

#: ``(start, end)`` offsets into a raw text.
Span = tuple[int, int]

#: JSON nested deeper than this is not walked (RSpace's own documents nest four levels).
MAX_JSON_DEPTH = 64

#: What may stand between the parts of a multipart body, besides its delimiter, and between
#: the parameters of a query string or urlencoded body.
_STRUCTURAL_CHARACTERS = frozenset("\r\n-:; \t&=")


@dataclass(frozen=True)
class FormField:
    """One parameter as the server's parser read it, and where it lies in the raw text.

    For a multipart part, ``name_span`` is its ``Content-Disposition`` header value and
    ``label`` that header's text.
    """

    name: str
    value: str
    name_span: Span | None = None
    value_span: Span | None = None
    label: str = ""
    #: A file part: ``value`` says what it was, and its bytes are never shown.
    file: bool = False


@dataclass(frozen=True)
class FormReading:
    """A query string or form body as the server's parser read it. Spans index the raw text
    (for a body: its bytes decoded as Latin-1, which keeps byte offsets)."""

    fields: tuple[FormField, ...]
    #: Other stretches the parser read as structure: multipart header names and values.
    structure: tuple[Span, ...] = ()
    #: Stretches the parser read but never accepted as a parameter (an unfinished part).
    unaccepted: tuple[Span, ...] = ()
    #: ``--boundary`` of a multipart body (may stand between the spans).
    delimiter: str = ""


def is_secret_key(key: str) -> bool:
    return names_secret(key)


def field_is_secret(field: FormField) -> bool:
    """Whether a parameter's value is a secret: by its name (also the raw multipart header,
    which may name it twice), or because it carries one in some other syntax."""
    return (
        names_secret(field.name) or mentions_secret(field.label) or might_hold_secret(field.value)
    )


def field_secrets(fields: Iterable[FormField]) -> list[str]:
    """The secret values among parsed parameters (to hunt for elsewhere in the exchange)."""
    found: list[str] = []
    for field in fields:
        if field_is_secret(field):
            found.append(field.value)
        if might_hold_secret(field.name):
            found.append(field.name)
    return found


def parameter_secrets(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """:func:`field_secrets` for plain ``(name, value)`` pairs (the endpoint's own map)."""
    return field_secrets(FormField(name, value) for name, value in pairs)


def read_query(query: str) -> FormReading | None:
    """The query string as Starlette's ``QueryParams`` reads it (``parse_qsl`` with blank
    values kept), with spans; ``None`` if the spans do not give the parser's own result."""
    fields: list[FormField] = []
    position = 0
    for piece in query.split("&"):
        start, position = position, position + len(piece) + 1
        if not piece:
            continue
        name, equals, value = piece.partition("=")
        value_start = start + len(name) + 1
        fields.append(
            FormField(
                unquote_plus(name),
                unquote_plus(value),
                (start, start + len(name)),
                (value_start, value_start + len(value)) if equals else None,
            )
        )
    if [(f.name, f.value) for f in fields] != parse_qsl(query, keep_blank_values=True):
        return None
    return FormReading(tuple(fields))


def mask_form_text(raw: str, reading: FormReading, secrets: Secrets) -> str:
    """``raw`` with every secret value (and any name carrying one) replaced by ``***``, and
    anything the parser did not read as a parameter or as structure masked too."""
    masked: list[Span] = []
    kept: list[Span] = []
    replaced: dict[Span, str] = {}
    for field in reading.fields:
        if field.file and field.value_span is not None:
            replaced[field.value_span] = field.value
            masked.append(field.value_span)
        elif field.value_span is not None:
            secret = field_is_secret(field) or secrets.found_in(field.value)
            (masked if secret else kept).append(field.value_span)
        if field.name_span is not None:
            name_text = field.label or field.name
            secret = might_hold_secret(name_text) or secrets.found_in(field.name)
            (masked if secret else kept).append(field.name_span)
    for span in reading.structure:
        text = raw[span[0] : span[1]]
        (masked if might_hold_secret(text) or secrets.found_in(text) else kept).append(span)
    masked.extend(reading.unaccepted)
    return _rebuild(raw, masked, kept, reading.delimiter, replaced)


def _rebuild(
    raw: str,
    masked: list[Span],
    kept: list[Span],
    delimiter: str,
    replaced: dict[Span, str] | None = None,
) -> str:
    """``raw`` with the masked spans as ``***`` (or as their text in ``replaced``)."""
    replaced = replaced or {}
    spans = sorted([(s, e, True) for s, e in masked] + [(s, e, False) for s, e in kept])
    out: list[str] = []
    position = 0
    for start, end, hide in spans:
        if start < position:
            if hide and end > position:  # overlapping spans: the masked one wins
                out.append(MASK)
                position = end
            continue
        out.append(_gap(raw[position:start], delimiter))
        out.append(replaced.get((start, end), MASK) if hide else raw[start:end])
        position = end
    out.append(_gap(raw[position:], delimiter))
    return "".join(out)


def _gap(text: str, delimiter: str) -> str:
    """Text between parsed spans: kept if it is only delimiters and separators."""
    rest = text.replace(delimiter, "") if delimiter else text
    if all(char in _STRUCTURAL_CHARACTERS for char in rest):
        return text
    return MASK


def mask_query(query: str, secrets: Secrets | None = None) -> str:
    """A query string with its secrets masked (for the journal and the access log)."""
    secrets = secrets or Secrets()
    reading = read_query(query)
    if reading is None:
        return MASK if query else query
    return secrets.redact(mask_form_text(query, reading, secrets))


def mask_header(name: str, value: str) -> str:
    """``Authorization: Bearer abc`` -> ``Bearer ***``; ``apiKey: abc`` -> ``***``."""
    lower = name.lower()
    if lower not in SECRET_HEADERS and not names_secret(name):
        return value
    if lower in ("authorization", "proxy-authorization"):
        scheme, _, credentials = value.strip().partition(" ")
        if credentials:
            return f"{scheme} {MASK}"
        return MASK
    return MASK


def mask_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, mask_header(name, value)) for name, value in headers]


class _TooDeep(Exception):
    pass


def mask_json_value(value: Any, found: list[str] | None = None) -> Any:
    """A copy of a decoded JSON value with every secret member's value replaced (their values
    are appended to ``found``). Iterative; raises :class:`ValueError` beyond
    :data:`MAX_JSON_DEPTH` levels."""
    try:
        return _masked_copy(value, found if found is not None else [])
    except _TooDeep:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


def _empty_like(value: Any) -> Any:
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return value


def _masked_copy(value: Any, found: list[str]) -> Any:
    result = _empty_like(value)
    if result is value:
        return value
    stack: list[tuple[Any, Any, int]] = [(value, result, 1)]
    while stack:
        source, target, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _TooDeep
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(source, dict) and names_secret(str(key)):
                found.append(item if isinstance(item, str) else json.dumps(item))
                copy: Any = MASK
            else:
                copy = _empty_like(item)
                if copy is not item:
                    stack.append((item, copy, depth + 1))
            if isinstance(target, dict):
                target[key] = copy
            else:
                target.append(copy)
    return result


def read_json(text: str) -> tuple[str, list[str]] | None:
    """``(masked JSON text, secret values found)``, or ``None`` if the text is no JSON the
    journal can walk (not JSON, or nested too deep)."""
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "{[":
        return None
    if not could_name_secret(text):
        return text, []  # nothing to mask in it, JSON or not: kept as it is
    try:
        decoded = json.loads(text)
        found: list[str] = []
        masked = mask_json_value(decoded, found)
        return json.dumps(masked, ensure_ascii=False), found
    except (ValueError, RecursionError):
        return None


def unread_body(size: int) -> str:
    """What the journal shows instead of a body that it cannot mask and may hold a secret."""
    return f"{MASK} ({size} bytes not shown: not a body the server could parse)"


__all__ = [
    "MASK",
    "FormField",
    "FormReading",
    "Secrets",
    "field_secrets",
    "is_secret_key",
    "mask_form_text",
    "mask_header",
    "mask_headers",
    "mask_json_value",
    "mask_query",
    "parameter_secrets",
    "read_json",
    "read_query",
    "unread_body",
]
