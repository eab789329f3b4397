"""The pytest plugin's fixtures: a real-port fake per session, reset per test, and an
in-process app, both with the Python helpers."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import requests

from mock_server.testing import ClientBehaviourError, RSpaceMockHandle


def password_grant(mock: RSpaceMockHandle, **extra: str) -> requests.Response:
    app = mock.seeded.apps[0]
    alice = mock.seeded.user("alice")
    return requests.post(
        mock.token_url,
        data={
            "grant_type": "password",
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "username": "alice",
            "password": alice["password"],
            **extra,
        },
        timeout=5,
    )


def test_the_plugin_is_registered_by_the_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("rspace_mock")


def test_rspace_mock_serves_on_a_real_loopback_port(rspace_mock: RSpaceMockHandle) -> None:
    assert rspace_mock.base_url.startswith("http://127.0.0.1:")
    response = requests.get(
        rspace_mock.api_url + "/status",
        headers={"apiKey": rspace_mock.seeded.user("alice")["apiKey"]},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["message"] == "OK"


def test_state_made_in_one_test_is_gone_in_the_next_part_1(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.users.create("zoe", "zoe-password", api_key="zoeKey1")
    rspace_mock.clock.advance(10_000)
    rspace_mock.faults.error("/api/*", 503, times=None)


def test_state_made_in_one_test_is_gone_in_the_next_part_2(rspace_mock: RSpaceMockHandle) -> None:
    assert "zoe" not in {u["username"] for u in rspace_mock.users.list()}
    assert abs(rspace_mock.clock.offset.total_seconds()) < 1
    assert rspace_mock.faults.rules() == []
    assert rspace_mock.journal.requests() == []


def test_an_expiry_scenario_driven_by_the_clock_takes_well_under_a_second(
    rspace_mock: RSpaceMockHandle,
) -> None:
    started = time.perf_counter()
    token = password_grant(rspace_mock).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(rspace_mock.api_url + "/documents", headers=headers, timeout=5).ok
    rspace_mock.clock.advance(3600)
    expired = requests.get(rspace_mock.api_url + "/documents", headers=headers, timeout=5)
    assert expired.status_code == 401
    assert "could not be authenticated" in expired.json()["message"]
    # The wall clock barely moved; the fake's clock moved an hour.
    assert time.perf_counter() - started < 1.0


def test_journal_records_the_token_request_with_username_and_masked_secrets(
    rspace_mock: RSpaceMockHandle,
) -> None:
    password_grant(rspace_mock)
    (entry,) = rspace_mock.journal.token_requests("password")
    assert entry.username == "alice"
    assert entry.status == 200
    assert entry.params["password"] == "***"
    assert entry.params["client_secret"] == "***"
    assert '"access_token": "***"' in entry.response_body


def test_assertion_helpers_explain_what_the_client_sent(rspace_mock: RSpaceMockHandle) -> None:
    password_grant(rspace_mock)
    since = rspace_mock.journal.last_id()
    requests.get(rspace_mock.api_url + "/documents", timeout=5)
    with pytest.raises(ClientBehaviourError) as failure:
        rspace_mock.journal.assert_refresh_before_api_call(since=since)
    message = str(failure.value)
    assert "expected a refresh grant before the first API call after expiry" in message
    assert "GET /api/v1/documents -> 401" in message


def test_credentials_in_basic_auth_are_reported(rspace_mock: RSpaceMockHandle) -> None:
    app = rspace_mock.seeded.apps[0]
    requests.post(
        rspace_mock.token_url,
        data={"grant_type": "password", "username": "alice", "password": "x"},
        auth=(app["clientId"], app["clientSecret"]),
        timeout=5,
    )
    with pytest.raises(ClientBehaviourError, match="HTTP Basic"):
        rspace_mock.journal.assert_credentials_in_form()


def test_rspace_mock_app_is_in_process_and_works_with_httpx(
    rspace_mock_app: RSpaceMockHandle,
) -> None:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=rspace_mock_app.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=rspace_mock_app.base_url
        ) as client:
            bob_key = rspace_mock_app.seeded.user("bob")["apiKey"]
            return await client.get("/api/v1/documents", headers={"apiKey": bob_key})

    response = asyncio.run(call())
    assert response.status_code == 200
    (entry,) = rspace_mock_app.journal.api_requests()
    assert entry.username == "bob"
    assert entry.auth_method == "api_key"
    assert entry.request_headers["apikey"] == "***"


def test_rspace_mock_app_client_helper(rspace_mock_app: RSpaceMockHandle) -> None:
    with rspace_mock_app.client() as client:
        response = client.get("/api/v1/documents")
    assert response.status_code == 401


def test_expire_tokens_helper(rspace_mock: RSpaceMockHandle) -> None:
    token = password_grant(rspace_mock).json()["access_token"]
    rspace_mock.expire_tokens()
    response = requests.get(
        rspace_mock.api_url + "/status", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert response.status_code == 401


def test_fixtures_loaded_by_one_test_part_1(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.reset({"users": [{"username": "only", "password": "only-pw"}]})
    assert [u["username"] for u in rspace_mock.users.list()] == ["only"]


def test_fixtures_loaded_by_one_test_part_2(rspace_mock: RSpaceMockHandle) -> None:
    assert "alice" in {u["username"] for u in rspace_mock.users.list()}


def test_the_guides_httpx_snippet_runs(rspace_mock_app: RSpaceMockHandle) -> None:
    from pathlib import Path

    guide = (Path(__file__).parent.parent / "docs" / "testing-your-client.md").read_text("utf-8")
    snippet = guide.split("For an httpx-based client")[1].split("```python\n")[1].split("```")[0]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "guide-snippet", "exec"), namespace)
    test = namespace["test_listing_in_process"]
    asyncio.run(test(rspace_mock_app))  # type: ignore[operator]
