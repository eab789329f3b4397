"""Small checks shared by the admin operations and fault rules: their messages name the
offending key and what is allowed, so a typo in a test explains itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def unknown_keys_problem(
    data: Mapping[str, Any], allowed: Iterable[str], what: str = "field"
) -> str | None:
    """``"unknown field(s) pasword; allowed: [...]"``, or ``None`` when every key is known."""
    allowed_keys = sorted(allowed)
    unknown = sorted(set(data) - set(allowed_keys))
    if not unknown:
        return None
    return f"unknown {what}(s) {', '.join(unknown)}; allowed: {', '.join(allowed_keys)}"


def missing_text_problem(data: Mapping[str, Any], required: Iterable[str]) -> str | None:
    """``"'username' is required"`` for the first required key that is not a non-empty string."""
    for key in required:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            return f"'{key}' is required"
    return None


def as_whole(value: Any) -> Any:
    """``2.0`` as ``2``: JSON has one number type, and a whole float is the same integer. Other
    values come back unchanged for the caller's own checks."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
