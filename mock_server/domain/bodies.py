"""How RSpace's Jackson binding reads a JSON request body: an object, and its ``long`` values.

Any string in a body, read or not, must be Unicode text (a lone surrogate is no text a response
or a store could carry), else RSpace's unreadable-body 400 (40009) answers.
"""

from __future__ import annotations

from typing import Any

from .errors import UnreadableBody
from .text import json_value_problem


def json_object(body: object) -> dict[str, Any]:
    """The body as the JSON object a request bean is bound from."""
    problem = json_value_problem(body)
    if problem is not None:
        raise UnreadableBody(f"JSON parse error: {problem}")
    if not isinstance(body, dict):
        raise UnreadableBody("JSON parse error: the body must be a JSON object")
    return body


def string_value(value: Any, what: str) -> str | None:
    """A Java ``String`` (``None`` for null): scalars become their text, as Jackson coerces
    them; an array or an object is unreadable."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise UnreadableBody(
        f"JSON parse error: cannot deserialize a String from {type(value).__name__} ({what})"
    )


def long_value(value: Any, what: str) -> int | None:
    """A Java ``Long`` (``None`` for null or absent): a number, its fraction cut off (Jackson's
    ``ACCEPT_FLOAT_AS_INT``, on by default), or a string of one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnreadableBody(f"JSON parse error: {what} is not a number")
    try:
        number = int(value)
    except (ValueError, OverflowError):  # OverflowError: 1e400 reads as infinity
        raise UnreadableBody(f"JSON parse error: {what} is not a number") from None
    if not -(2**63) <= number < 2**63:
        raise UnreadableBody(f"JSON parse error: {what} is out of range")
    return number
