"""The admin API refuses what its OpenAPI document forbids and takes what it allows: typed
optional keys, booleans that are not numbers, whole numbers written as 2.0, and a 405 whose
Allow names every method of the path."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, make_client


@pytest.fixture
def client() -> TestClient:
    return make_client()


def test_wrong_method_on_an_admin_path_lists_every_method_in_allow(client: TestClient) -> None:
    response = client.options("/_mock/settings")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"
    assert "error" in response.json()


@pytest.mark.parametrize("key", ["apiKey", "email", "firstName", "lastName"])
def test_new_user_text_keys_must_be_strings(client: TestClient, key: str) -> None:
    body = {"username": "erin", "password": "erin-password", key: 5}
    response = client.post("/_mock/users", json=body)
    assert response.status_code == 400, response.text
    assert key in response.json()["error"]


@pytest.mark.parametrize("key", ["accountLocked", "apiAccess", "piRole"])
def test_new_user_flags_must_be_booleans(client: TestClient, key: str) -> None:
    body = {"username": "erin", "password": "erin-password", key: "yes"}
    assert client.post("/_mock/users", json=body).status_code == 400


def test_new_user_with_another_users_api_key_is_a_conflict(client: TestClient) -> None:
    body = {"username": "erin", "password": "erin-password", "apiKey": API_KEYS["alice"]}
    assert client.post("/_mock/users", json=body).status_code == 409


@pytest.mark.parametrize("key", ["clientId", "clientSecret"])
def test_new_app_credentials_must_be_strings(client: TestClient, key: str) -> None:
    body = {"name": "Exporter", "owner": "alice", key: 5}
    assert client.post("/_mock/apps", json=body).status_code == 400


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "error", "status": True},
        {"action": "delay", "delay_seconds": True},
        {"action": "drop", "nth": True},
        {"action": "drop", "times": True},
        {"action": "drop", "probability": False},
    ],
)
def test_fault_rule_numbers_are_not_booleans(client: TestClient, rule: dict[str, Any]) -> None:
    assert client.post("/_mock/faults", json=rule).status_code == 400


def test_fault_rule_whole_numbers_may_be_written_with_a_fraction(client: TestClient) -> None:
    rule = {"action": "error", "status": 503.0, "times": 2.0, "nth": 1.0}
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 201, response.text
    assert response.json()["action"]["status"] == 503
    assert response.json()["times"] == 2


def test_settings_whole_numbers_may_be_written_with_a_fraction(client: TestClient) -> None:
    body = {"tokenTtlSeconds": 60.0, "throttleLimits": {"user_per_hour": 100.0}}
    response = client.patch("/_mock/settings", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["tokenTtlSeconds"] == 60
    assert response.json()["throttleLimits"]["user_per_hour"] == 100


def test_a_null_quirk_changes_nothing(client: TestClient) -> None:
    response = client.patch("/_mock/settings", json={"quirks": {"refreshKeepsExpiry": None}})
    assert response.status_code == 200
    assert response.json()["quirks"] == {"refreshKeepsExpiry": False}
