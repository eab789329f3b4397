"""Seed data: one JSON file of users, OAuth apps and documents (camelCase, like RSpace's API).

A bad file stops the start with one message naming the file, the entry and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import ClockRangeError, in_clock_range
from .directory import CreatedApp, Directory, NewUser
from .documents import DocumentService
from .errors import ApiProblem
from .text import json_value_problem

USER_KEYS = {
    "username",
    "password",
    "apiKey",
    "email",
    "firstName",
    "lastName",
    "accountLocked",
    "apiAccess",
    "piRole",
}
APP_KEYS = {"name", "owner", "clientId", "clientSecret"}
DOCUMENT_KEYS = {"owner", "name", "tags", "fields", "created", "lastModified"}


class FixtureError(Exception):
    """A fixture file that cannot be loaded; the message says where and why."""


@dataclass
class SeedReport:
    """What a fixture load made; generated secrets are listed so they can be shown once."""

    users: int = 0
    documents: int = 0
    apps: list[CreatedApp] = field(default_factory=list)
    generated_credentials: list[CreatedApp] = field(default_factory=list)


def new_user_from_entry(entry: Mapping[str, Any]) -> NewUser:
    """A user entry of the fixture format (camelCase keys, already checked) as a NewUser."""
    return NewUser(
        username=entry["username"],
        password=entry["password"],
        api_key=entry.get("apiKey"),
        email=entry.get("email"),
        first_name=entry.get("firstName"),
        last_name=entry.get("lastName"),
        account_locked=bool(entry.get("accountLocked", False)),
        api_access=bool(entry.get("apiAccess", True)),
        has_pi_role=bool(entry.get("piRole", False)),
    )


def read_fixture_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read the fixture file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise FixtureError(
            f"{path}: not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: the top level must be an object with users, apps, documents")
    return data


def _where(source: str, section: str, index: int, entry: Any) -> str:
    label = ""
    if isinstance(entry, dict):
        label = entry.get("username") or entry.get("name") or ""
    return f"{source}: {section}[{index}]" + (f" ({label!r})" if label else "")


def _check_keys(entry: Any, allowed: set[str], required: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise FixtureError(f"{where}: must be an object")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise FixtureError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in sorted(required):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise FixtureError(f"{where}: '{key}' is required and must be a non-empty string")


def _optional(entry: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if value is not None and not isinstance(value, kind):
        raise FixtureError(f"{where}: '{key}' must be a {kind.__name__}")
    return value


def _timestamp(entry: dict[str, Any], key: str, where: str) -> datetime | None:
    value = _optional(entry, key, str, where)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FixtureError(
            f"{where}: '{key}' must be an ISO-8601 time like 2026-01-31T09:30:00.000Z"
        ) from None
    if moment.tzinfo is None:
        raise FixtureError(f"{where}: '{key}' needs a time zone (end it with Z)")
    try:
        # The clock's range: a time outside it may not even have a UTC form to render.
        return in_clock_range(moment)
    except ClockRangeError as exc:
        raise FixtureError(f"{where}: '{key}' {exc}") from None


def seed(
    data: dict[str, Any], directory: Directory, documents: DocumentService, source: str = "fixtures"
) -> SeedReport:
    """Create everything ``data`` describes. Raises :class:`FixtureError` at the first problem."""
    unknown = sorted(set(data) - {"users", "apps", "documents"})
    if unknown:
        raise FixtureError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
            "allowed: users, apps, documents"
        )
    # JSON can spell strings no response can carry (a "\ud800" escape) and, in Python,
    # NaN: refused here for a file and for the admin API alike, before anything is created.
    problem = json_value_problem(data, allow_non_finite=False)
    if problem is not None:
        raise FixtureError(f"{source}: {problem}")
    report = SeedReport()
    sections = {}
    for section in ("users", "apps", "documents"):
        entries = data.get(section, [])
        if not isinstance(entries, list):
            raise FixtureError(f"{source}: '{section}' must be a list")
        sections[section] = entries

    for index, entry in enumerate(sections["users"]):
        where = _where(source, "users", index, entry)
        _check_keys(entry, USER_KEYS, {"username", "password"}, where)
        for key in ("apiKey", "email", "firstName", "lastName"):
            _optional(entry, key, str, where)
        for key in ("accountLocked", "apiAccess", "piRole"):
            _optional(entry, key, bool, where)
        new_user = new_user_from_entry(entry)
        try:
            directory.create_user(new_user)
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {exc.message}") from None
        report.users += 1

    for index, entry in enumerate(sections["apps"]):
        where = _where(source, "apps", index, entry)
        _check_keys(entry, APP_KEYS, {"name", "owner"}, where)
        for key in ("clientId", "clientSecret"):
            _optional(entry, key, str, where)
        try:
            created_app = directory.create_app(
                entry["owner"], entry["name"], entry.get("clientId"), entry.get("clientSecret")
            )
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {exc.message}") from None
        report.apps.append(created_app)
        if not entry.get("clientId") or not entry.get("clientSecret"):
            report.generated_credentials.append(created_app)

    for index, entry in enumerate(sections["documents"]):
        where = _where(source, "documents", index, entry)
        _check_keys(entry, DOCUMENT_KEYS, {"owner"}, where)
        _optional(entry, "name", str, where)
        _optional(entry, "tags", str, where)
        fields = _optional(entry, "fields", list, where)
        created = _timestamp(entry, "created", where)
        last_modified = _timestamp(entry, "lastModified", where)
        if created and last_modified and last_modified < created:
            raise FixtureError(f"{where}: 'lastModified' is before 'created'")
        body: dict[str, Any] = {k: entry[k] for k in ("name", "tags") if k in entry}
        if fields is not None:
            for field_index, item in enumerate(fields):
                if (
                    not isinstance(item, dict)
                    or set(item) - {"content"}
                    or not isinstance(item.get("content", ""), str)
                ):
                    raise FixtureError(
                        f'{where}: fields[{field_index}] must be an object {{"content": "<html>"}}'
                    )
            body["fields"] = fields
        try:
            owner = directory.user_named(entry["owner"])
            documents.create(owner, body, created=created, last_modified=last_modified)
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {exc.message}") from None
        report.documents += 1
    return report
