"""JSON written the way RSpace's Jackson ``DefaultPrettyPrinter`` writes it.

``{`` then one ``"key" : value`` per line, two spaces per object level; arrays stay on the
line (``[ {``, ``}, {``, ``} ]``, empty ``[ ]``); non-ASCII characters are sent as UTF-8.
"""

from __future__ import annotations

import re
from json.encoder import encode_basestring
from typing import Any

#: A ``\u00xx`` escape the encoder wrote: its backslash is not itself an escaped backslash
#: (the text ``\u00e9`` in a value is encoded as ``\\u00e9`` and must stay as it is).
_CONTROL = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")
_INDENTS = ["\n" + "  " * level for level in range(64)]
#: Encoded object keys: a response repeats the same few dozen keys many times.
_KEYS: dict[str, str] = {}


class Members(tuple):  # type: ignore[type-arg]
    """A JSON object given as ``(key, value)`` pairs, in order; a key may come twice, as Jackson
    writes a type id that is also a property (``"type"`` of a form's field)."""


def _string(value: str) -> str:
    text: str = encode_basestring(value)
    if "\\u00" in text:
        # Jackson writes control-character escapes with upper-case hex digits.
        text = _CONTROL.sub(lambda m: m.group(1) + "\\u00" + m.group(2).upper(), text)
    return text


def _key(key: str) -> str:
    encoded = _KEYS.get(key)
    if encoded is None:
        encoded = _string(key) + " : "
        if len(_KEYS) < 4096:
            _KEYS[key] = encoded
    return encoded


def _indent(level: int) -> str:
    return _INDENTS[level] if level < len(_INDENTS) else "\n" + "  " * level


def _write(value: Any, level: int, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is dict:
        if not value:
            out.append("{ }")
            return
        separator = _indent(level + 1)
        out.append("{")
        for key, item in value.items():
            out.append(separator)
            separator = "," + _indent(level + 1)
            out.append(_key(key if type(key) is str else str(key)))
            _write(item, level + 1, out)
        out.append(_indent(level))
        out.append("}")
    elif kind is Members:
        separator = _indent(level + 1)
        out.append("{")
        for key, item in value:
            out.append(separator)
            separator = "," + _indent(level + 1)
            out.append(_key(key))
            _write(item, level + 1, out)
        out.append(_indent(level))
        out.append("}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        first = True
        for item in value:
            if not first:
                out.append(", ")
            first = False
            _write(item, level, out)
        out.append(" ]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(str(value))
    elif kind is float:
        out.append(repr(value))
    elif isinstance(value, dict):
        _write(dict(value), level, out)
    elif isinstance(value, list | tuple):
        _write(list(value), level, out)
    elif isinstance(value, str):
        out.append(_string(str(value)))
    else:
        out.append(str(value))


def dumps(value: Any) -> str:
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)
