"""schemathesis hooks for the rules of the fake that no OpenAPI schema can state.

The published documents describe each parameter and body on its own; a few of RSpace's rules
tie two values together or depend on what the server holds. A request that breaks one of them
is schema-valid and still refused (rightly), so schemathesis would report the schema as wrong.
These hooks keep such requests out of the *positive* cases only; negative cases, and every
other positive one, are sent as generated.

Used by ``test_openapi_fuzz.py``, and by ``schemathesis run`` through ``schemathesis.toml``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import schemathesis

#: RSpace's limit on ``query`` and ``advancedQuery``, as sent (``ApiDocSearchConfig``).
MAX_QUERY_LENGTH = 2000
#: Times the fake's clock may show, and the largest move kept well inside them: where a move
#: may take the clock depends on where it stands, which no schema knows.
EARLIEST_YEAR, LATEST_YEAR = 1970, 9000
SAFE_CLOCK_MOVE_SECONDS = 10**9


def _term_problem(query_type: str, text: str) -> str | None:
    """What RSpace's search validator refuses in a term that the schema lets through."""
    if not text.strip():
        return "a blank search term (a 422)"
    if query_type in ("global", "fullText") and text.startswith(("*", "?")):
        return "a term starting with a wildcard (a 422)"
    if text.strip().startswith("l:") and ":*" in text:
        return "a too permissive native query (a 422)"
    if query_type in ("records", "created", "lastModified"):
        return "a records or date term, whose syntax the schema cannot state (a 422 if wrong)"
    return None


def _listing_problem(query: Mapping[str, Any]) -> str | None:
    advanced = query.get("advancedQuery")
    if advanced is not None and query.get("query"):
        return "query and advancedQuery together (a 422)"
    simple = query.get("query")
    if isinstance(simple, str) and simple:
        return _term_problem("global", simple)
    if advanced is not None:
        text = advanced if isinstance(advanced, str) else json.dumps(advanced)
        if len(text) > MAX_QUERY_LENGTH:
            return "advancedQuery longer than 2000 characters as sent (a 400)"
        parsed = advanced
        if isinstance(advanced, str):
            try:
                parsed = json.loads(advanced)
            except ValueError:
                parsed = None
        terms = parsed.get("terms") if isinstance(parsed, dict) else None
        for term in terms if isinstance(terms, list) else []:
            if isinstance(term, dict) and isinstance(term.get("query"), str):
                problem = _term_problem(str(term.get("queryType", "global")), term["query"])
                if problem is not None:
                    return problem
    return None


def _changed_fields_problem(body: Any) -> str | None:
    fields = body.get("fields") if isinstance(body, dict) else None
    if isinstance(fields, list) and any(
        isinstance(entry, dict) and entry.get("id") is not None for entry in fields
    ):
        return "field ids, which must be the document's own (a 422)"
    if isinstance(fields, list) and fields:
        # Without ids, all of the document's fields: as many as its form has, which no
        # schema of the path can know (documents are made from forms of 1 to 20 fields).
        return "a count of fields that the document's form may not have (a 422)"
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _out_of_order(low: Any, default: Any, high: Any, *, strict: bool) -> bool:
    """RSpace's bounds of a Number or Date field: min < max, and the default between them
    (a Date's strictly, a Number's inclusively); each part only when given."""
    low, default, high = _number(low), _number(default), _number(high)
    if low is not None and high is not None and not low < high:
        return True
    if default is None:
        return False
    if strict:
        return (low is not None and not low < default) or (high is not None and not default < high)
    return (low is not None and default < low) or (high is not None and default > high)


def _field_rules_problem(field: Any) -> str | None:
    if not isinstance(field, dict):
        return None
    kind = field.get("type")
    given = field.get("options")
    options: list[Any] = given if isinstance(given, list) else []
    if kind == "Number" and _out_of_order(
        field.get("min"), field.get("defaultValue"), field.get("max"), strict=False
    ):
        return "Number bounds out of order (a 400)"
    bounds = (field.get("min"), field.get("defaultValue"), field.get("max"))
    numeric = all(isinstance(value, int | float | type(None)) for value in bounds)
    if kind == "Date" and numeric and _out_of_order(*bounds, strict=True):
        return "Date bounds out of order (a 400)"
    if kind == "Date" and any(
        isinstance(field.get(k), str) for k in ("min", "max", "defaultValue")
    ):
        return "Date bounds as text, which no schema can order (a 400 when out of order)"
    default = field.get("defaultOption")
    if kind == "Radio" and default is not None and (default == "" or default not in options):
        return "a Radio default that is not one of its options (a 400)"
    defaults = field.get("defaultOptions")
    if (
        kind == "Choice"
        and isinstance(defaults, list)
        and not set(map(str, defaults)) <= set(map(str, options))
    ):
        return "Choice defaults that are not among its options (a 400)"
    return None


def _form_problem(body: Any) -> str | None:
    """The rules of a form body no schema states: each field's bounds and defaults against its
    options, and (on PUT) field ids, which must be the form's own."""
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, list):
        return None
    for field in fields:
        problem = _field_rules_problem(field)
        if problem is not None:
            return problem
    return None


def _form_field_ids_problem(body: Any) -> str | None:
    fields = body.get("fields") if isinstance(body, dict) else None
    if isinstance(fields, list) and any(
        isinstance(entry, dict) and entry.get("id") is not None for entry in fields
    ):
        return "field ids, which must be the form's own, each once and of its type (a 422)"
    return _form_problem(body)


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _outside_clock_range(value: Any) -> bool:
    moment = _timestamp(value) if value is not None else None
    return moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def _clock_problem(path: str, body: Any) -> str | None:
    body = body if isinstance(body, dict) else {}
    if path == "/_mock/clock/advance":
        seconds = body.get("seconds")
        if isinstance(seconds, int | float) and abs(seconds) > SAFE_CLOCK_MOVE_SECONDS:
            return "a move that may take the clock out of its range"
    elif _outside_clock_range(body.get("at")):
        return "a time outside the clock's range"
    return None


def _fixtures_problem(body: Any) -> str | None:
    """Cross-references of a fixture file: unique names and keys, owners that exist, and
    ``lastModified`` not before ``created``."""
    if not isinstance(body, dict):
        return None
    users = [u for u in body.get("users") or [] if isinstance(u, dict)]
    apps = [a for a in body.get("apps") or [] if isinstance(a, dict)]
    usernames = [u.get("username") for u in users]
    api_keys = [u["apiKey"] for u in users if u.get("apiKey")]
    client_ids = [a["clientId"] for a in apps if a.get("clientId")]
    if any(len(set(values)) != len(values) for values in (usernames, api_keys, client_ids)):
        return "a repeated username, apiKey or clientId"
    forms = [f for f in body.get("forms") or [] if isinstance(f, dict)]
    owners = [a.get("owner") for a in apps] + [
        d.get("owner") for d in [*forms, *(body.get("documents") or [])] if isinstance(d, dict)
    ]
    if any(owner not in usernames for owner in owners):
        return "an owner that is not one of the file's users"
    for form in forms:
        problem = _form_problem(form)
        if problem is not None:
            return problem
    for document in body.get("documents") or []:
        if not isinstance(document, dict):
            continue
        if document.get("form") is not None:
            return "a document of a named form, which must exist and whose fields it must match"
        created, modified = document.get("created"), document.get("lastModified")
        if _outside_clock_range(created) or _outside_clock_range(modified):
            return "a document time outside the clock's range"
        created_at = _timestamp(created) if created is not None else None
        modified_at = _timestamp(modified) if modified is not None else None
        if created_at and modified_at and modified_at < created_at:
            return "a document modified before it was created"
    return None


def unstatable_problem(method: str, path: str, query: Any, body: Any) -> str | None:
    """Which rule beyond the schemas a request breaks, or ``None``."""
    if method == "GET" and path == "/api/v1/documents":
        return _listing_problem(query or {})
    if method == "PUT" and path == "/api/v1/documents/{id}":
        return _changed_fields_problem(body)
    if method == "PUT" and path == "/api/v1/forms/{id}":
        return _form_field_ids_problem(body)
    if method == "POST" and path in ("/api/v1/forms", "/_mock/forms"):
        return _form_problem(body)
    if method == "PUT" and path == "/_mock/fixtures":
        return _fixtures_problem(body)
    if method == "POST" and path in (
        "/_mock/clock/advance",
        "/_mock/clock/set",
        "/_mock/clock/freeze",
    ):
        return _clock_problem(path, body)
    return None


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return True
    return unstatable_problem(case.method.upper(), case.path, case.query, case.body) is None


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """schemathesis reuses values it has seen, and a JSON body's ``2.0`` (the same integer as
    ``2`` there) can land in a path or query string, where it is the text ``2.0``, which no
    Java Long or Integer parameter reads. Such values go back to ``2``."""
    for container in (case.path_parameters, case.query):
        if isinstance(container, dict):
            for key, value in container.items():
                if isinstance(value, float) and value.is_integer():
                    container[key] = int(value)
    return case
