"""JSON written the way RSpace's Jackson ``DefaultPrettyPrinter`` writes it.

``{`` then one ``"key" : value`` per line, two spaces per object level; arrays stay on the
line (``[ {``, ``}, {``, ``} ]``, empty ``[ ]``); non-ASCII characters are sent as UTF-8.
"""

from __future__ import annotations

import json
import re
from typing import Any

_CONTROL = re.compile(r"\\u00([0-9a-f]{2})")
_encode_string = json.JSONEncoder(ensure_ascii=False).encode


def _string(value: str) -> str:
    text = _encode_string(value)
    if "\\u00" in text:
        # Jackson writes control-character escapes with upper-case hex digits.
        text = _CONTROL.sub(lambda m: "\\u00" + m.group(1).upper(), text)
    return text


def _write(value: Any, level: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{ }")
            return
        inner = "\n" + "  " * (level + 1)
        out.append("{")
        first = True
        for key, item in value.items():
            out.append(inner if first else "," + inner)
            first = False
            out.append(_string(str(key)))
            out.append(" : ")
            _write(item, level + 1, out)
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        for index, item in enumerate(value):
            if index:
                out.append(", ")
            _write(item, level, out)
        out.append(" ]")
    elif isinstance(value, str):
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, float):
        out.append(repr(value))
    else:
        out.append(str(value))


def dumps(value: Any) -> str:
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)
