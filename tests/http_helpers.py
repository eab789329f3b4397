"""Small helpers shared by the HTTP-level tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from mock_server import Settings, create_app

DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "default.json"
FIXTURES = json.loads(DEFAULT_FIXTURES.read_text())
APP = FIXTURES["apps"][0]
OTHER_APP = FIXTURES["apps"][1]
USERS = {u["username"]: u for u in FIXTURES["users"]}
API_KEYS = {name: u.get("apiKey") for name, u in USERS.items()}

ERROR_KEYS = [
    "status",
    "httpCode",
    "internalCode",
    "message",
    "messageCode",
    "errors",
    "iso8601Timestamp",
    "data",
]
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$")


def make_client(**settings: Any) -> TestClient:
    settings.setdefault("random_seed", 3)
    return TestClient(create_app(Settings(**settings)))


def grant_form(username: str = "alice", app: dict[str, str] = APP, **extra: str) -> dict[str, str]:
    form = {
        "grant_type": "password",
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "username": username,
        "password": USERS.get(username, {}).get("password", "any-password"),
    }
    form.update(extra)
    return form


def refresh_form(refresh_token: str, app: dict[str, str] = APP, **extra: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "refresh_token": refresh_token,
    }
    form.update(extra)
    return form


def as_multipart(form: dict[str, str]) -> dict[str, tuple[None, str]]:
    """``curl -F`` style: every field a multipart part."""
    return {key: (None, value) for key, value in form.items()}


def assert_api_error(
    response: httpx.Response,
    status: int,
    internal_code: int,
    message: str | None = None,
    errors: list[str] | None = None,
) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert list(body) == ERROR_KEYS
    assert body["httpCode"] == status
    assert body["internalCode"] == internal_code
    assert isinstance(body["errors"], list) and body["errors"]
    assert all(isinstance(e, str) for e in body["errors"])
    assert INSTANT.match(body["iso8601Timestamp"]), body["iso8601Timestamp"]
    if message is not None:
        assert body["message"] == message
    if errors is not None:
        assert body["errors"] == errors
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
