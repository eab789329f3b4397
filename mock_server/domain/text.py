"""Unicode text: what every string the fake keeps, or writes into a response, must be.

A Python ``str`` can hold a lone surrogate (a code point U+D800..U+DFFF without its pair):
JSON's ``"\\ud800"`` escape decodes to one, and so does ``json.loads`` of raw bytes that
encode one. No UTF-8 encoder can write it, so one stored would break every later response
that includes it (a user's listing, the admin user list). Such strings are refused where
they come in (request bodies, advancedQuery, fixture files, users and apps), and the stores
refuse them again (:func:`mock_server.domain.store.check_storable`).

Strings from the query string, a form or multipart body, a path or a header cannot hold
one: Starlette decodes bad UTF-8 bytes there to U+FFFD, or headers as Latin-1.
"""

from __future__ import annotations

import math
from typing import Any


def is_unicode_text(value: str) -> bool:
    """True when ``value`` can be written as UTF-8 (it holds no lone surrogate)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogate_of(value: str) -> str:
    code_point = next(ord(c) for c in value if 0xD800 <= ord(c) <= 0xDFFF)
    return f"a lone surrogate (\\u{code_point:04x}), which is not Unicode text"


def _child(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def json_value_problem(value: Any, *, allow_non_finite: bool = True) -> str | None:
    """What makes a decoded JSON value unfit to keep, or ``None``: a string (or object key)
    with a lone surrogate, or, unless allowed, a NaN or infinite number. The answer names
    where: ``"fields[0].content holds a lone surrogate (\\ud800), ..."``.

    Iterative, so a deeply nested value cannot exhaust the stack.
    """
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if not is_unicode_text(item):
                return f"{path or 'the value'} holds {_surrogate_of(item)}"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not is_unicode_text(key):
                    where = f"a key in {path}" if path else "a key"
                    return f"{where} holds {_surrogate_of(key)}"
                pending.append((_child(path, key), child))
        elif isinstance(item, list | tuple):
            pending.extend((_child(path, index), child) for index, child in enumerate(item))
        elif isinstance(item, float) and not allow_non_finite and not math.isfinite(item):
            return f"{path or 'the value'} is {item!r}, which is not a JSON number"
    return None


def java_double(value: float) -> str:
    """Java's ``Double.toString``: ``5.0``, ``0.001``, ``1.0E7``, ``1.5E-4``, ``NaN``,
    ``Infinity`` (the shortest digits that read back as the value, as Java 19+ writes them)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if str(value).startswith("-") else ""
    magnitude = abs(value)
    if magnitude == 0 or 1e-3 <= magnitude < 1e7:
        text = format(magnitude, ".17g") if "e" in repr(magnitude) else repr(magnitude)
        if "e" in text or len(text) > 25:
            text = f"{magnitude:.20f}".rstrip("0")
        return sign + (text if "." in text and not text.endswith(".") else text.rstrip(".") + ".0")
    # Scientific: the shortest digits, one before the point.
    mantissa, _, exponent = f"{magnitude:.16e}".partition("e")
    shortest = repr(magnitude)
    digits = shortest.split("e")[0].replace(".", "").lstrip("0").rstrip("0") or "0"
    exp = int(exponent)
    if float(f"{digits[0]}.{digits[1:] or '0'}e{exp}") != magnitude:
        exp += 1 if float(f"{digits[0]}.{digits[1:] or '0'}e{exp}") < magnitude else -1
    del mantissa
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp}"


def java_string_order(text: str) -> bytes:
    """A sort key that orders as Java's ``String.compareTo`` does: by UTF-16 code units."""
    return text.encode("utf-16-be", "surrogatepass")


def and_list(items: list[str]) -> str:
    """``ListFormatUtils.formatList``, ICU's English "and" list: ``A``, ``A and B``,
    ``A, B, and C``."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]
