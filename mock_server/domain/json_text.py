"""JSON text from clients (request bodies, ``advancedQuery``), read the way RSpace's Jackson 2.15
reads it: no ``NaN``/``Infinity``, and at most 1000 levels of nesting (the default
``StreamReadConstraints.maxNestingDepth``), deeper text being a parse error.

Python's own parser recurses once per level and meets the interpreter's recursion limit a little
below 1000 levels (how far below depends on the caller's stack), so the depth is measured first
with a loop, and text nested deeper than :data:`SHALLOW_DEPTH` is parsed by a loop as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json import decoder
from json.scanner import NUMBER_RE
from typing import Any

MAX_NESTING_DEPTH = 1000
#: Nesting the recursive C parser handles from any caller's stack.
SHALLOW_DEPTH = 200

_STRUCTURE = re.compile(r'["\[\]{}]')
#: The rest of a string after its opening quote, up to and including the closing quote.
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_CONSTANTS: dict[str, object] = {"true": True, "false": False, "null": None}
#: The standard library's string reader (in C): ``(text, index after the opening quote)``.
_scanstring: Callable[[str, int], tuple[str, int]] = decoder.scanstring  # type: ignore[attr-defined]


class JsonTextError(ValueError):
    """The text is not JSON that Jackson would read."""


def nesting_depth(text: str, limit: int = MAX_NESTING_DEPTH) -> int:
    """The deepest nesting of arrays and objects in ``text`` (counting stops past ``limit``).

    Brackets inside strings do not count. For text that is not JSON the answer is still at
    least as deep as anything a parser would open before finding the error."""
    depth = deepest = 0
    position = 0
    while deepest <= limit:
        match = _STRUCTURE.search(text, position)
        if match is None:
            break
        char = match.group()
        if char == '"':
            string = _STRING_REST.match(text, match.end())
            if string is None:
                break  # an unterminated string: a parser stops here
            position = string.end()
            continue
        position = match.end()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _reject_constant(name: str) -> object:
    raise JsonTextError(f"{name} is not valid JSON")


def parse_json(text: str) -> Any:
    """``json.loads`` with Jackson's limits; :class:`JsonTextError` for anything it rejects."""
    openings = text.count("[") + text.count("{")  # at C speed; most bodies have a few
    depth = openings if openings <= SHALLOW_DEPTH else nesting_depth(text)
    if depth > MAX_NESTING_DEPTH:
        raise JsonTextError(f"nesting depth exceeds the maximum allowed ({MAX_NESTING_DEPTH})")
    try:
        if depth <= SHALLOW_DEPTH:
            return json.loads(text, parse_constant=_reject_constant)
        return _parse_deep(text)
    except ValueError as error:  # JSONDecodeError, or an integer too long to convert
        raise JsonTextError(str(error)) from None


def _skip_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _key(text: str, position: int) -> tuple[str, int]:
    """An object key and its colon, from ``position`` (at the key's opening quote)."""
    if not text.startswith('"', position):
        raise JsonTextError(f"expected a property name at {position}")
    key, position = _scanstring(text, position + 1)
    position = _skip_whitespace(text, position)
    if not text.startswith(":", position):
        raise JsonTextError(f"expected ':' at {position}")
    return key, _skip_whitespace(text, position + 1)


def _scalar(text: str, position: int) -> tuple[object, int]:
    if text.startswith('"', position):
        return _scanstring(text, position + 1)
    for word, value in _CONSTANTS.items():
        if text.startswith(word, position):
            return value, position + len(word)
    number = NUMBER_RE.match(text, position)
    if number is None:
        raise JsonTextError(f"expected a value at {position}")
    integer, fraction, exponent = number.groups()
    if fraction or exponent:
        return float(integer + (fraction or "") + (exponent or "")), number.end()
    return int(integer), number.end()


def _parse_deep(text: str) -> Any:
    """What ``json.loads`` answers, with a stack of open containers instead of recursion."""
    #: Open arrays and objects, outermost first, each with the key its next value goes under.
    open_containers: list[tuple[list[Any] | dict[str, Any], str]] = []
    position = _skip_whitespace(text, 0)
    while True:
        value: Any
        if text.startswith("{", position):
            position = _skip_whitespace(text, position + 1)
            if text.startswith("}", position):
                value, position = {}, position + 1
            else:
                key, position = _key(text, position)
                open_containers.append(({}, key))
                continue
        elif text.startswith("[", position):
            position = _skip_whitespace(text, position + 1)
            if text.startswith("]", position):
                value, position = [], position + 1
            else:
                open_containers.append(([], ""))
                continue
        else:
            value, position = _scalar(text, position)
        # A value is complete: store it, closing every container that ends after it.
        while True:
            position = _skip_whitespace(text, position)
            if not open_containers:
                if position != len(text):
                    raise JsonTextError(f"extra data at {position}")
                return value
            container, key = open_containers[-1]
            if isinstance(container, list):
                container.append(value)
            else:
                container[key] = value
            if text.startswith(",", position):
                position = _skip_whitespace(text, position + 1)
                if isinstance(container, dict):
                    key, position = _key(text, position)
                    open_containers[-1] = (container, key)
                break
            closing = "]" if isinstance(container, list) else "}"
            if not text.startswith(closing, position):
                raise JsonTextError(f"expected ',' or {closing!r} at {position}")
            position += 1
            open_containers.pop()
            value = container
