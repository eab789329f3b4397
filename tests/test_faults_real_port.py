"""Every fault kind, observed by real HTTP clients (requests, httpx) over a real port."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import requests

from mock_server.testing import RSpaceMockHandle


def alice(mock: RSpaceMockHandle) -> dict[str, str]:
    return {"apiKey": mock.seeded.user("alice")["apiKey"]}


def get_documents(mock: RSpaceMockHandle) -> requests.Response:
    return requests.get(mock.api_url + "/documents", headers=alice(mock), timeout=10)


def test_error_fault_answers_an_rspace_shaped_5xx_once(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.error("/api/v1/documents", 503)
    failed = get_documents(rspace_mock)
    assert failed.status_code == 503
    body = failed.json()
    assert body["httpCode"] == 503
    assert body["status"] == "SERVICE_UNAVAILABLE"
    assert set(body) >= {"internalCode", "message", "errors", "iso8601Timestamp"}
    assert failed.headers["X-Rate-Limit-Limit"] == "10"
    assert get_documents(rspace_mock).status_code == 200


def test_429_fault_carries_rspace_throttle_message_and_headers(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.faults.throttle()
    response = get_documents(rspace_mock)
    assert response.status_code == 429
    assert response.json()["internalCode"] == 42901
    assert response.json()["message"] == (
        "Too many requests: please restrict requests to no more than 15 per 15  seconds on average"
    )
    assert response.headers["X-Rate-Limit-Remaining"] == "0.0"
    assert int(response.headers["X-Rate-Limit-WaitTimeMillis"]) > 0
    assert "Retry-After" not in response.headers


def test_dropped_connection_is_a_connection_error_for_requests(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.faults.drop("/api/v1/documents")
    with pytest.raises(requests.exceptions.ConnectionError):
        get_documents(rspace_mock)
    (entry,) = rspace_mock.journal.requests(path="/api/v1/documents")
    assert entry.outcome == "dropped"
    assert entry.status is None
    assert entry.username == "alice"
    assert entry.fault == "rule 1: drop"
    assert get_documents(rspace_mock).status_code == 200


def test_dropped_connection_is_a_protocol_error_for_httpx(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.drop("/oauth/token", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(rspace_mock.token_url, data={"grant_type": "password"}, timeout=10)


def test_truncated_body_is_seen_as_an_incomplete_read(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.truncate("/api/v1/documents")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get_documents(rspace_mock)
    with pytest.raises(httpx.RemoteProtocolError):
        rspace_mock.faults.truncate("/api/v1/documents")
        httpx.get(rspace_mock.api_url + "/documents", headers=alice(rspace_mock), timeout=10)
    entries = rspace_mock.journal.requests(path="/api/v1/documents")
    assert [e.outcome for e in entries] == ["truncated", "truncated"]


def test_delay_fault_delays_only_the_matching_request(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.delay("/api/v1/documents", 0.3)
    results: dict[str, int] = {}

    def slow() -> None:
        results["slow"] = get_documents(rspace_mock).status_code

    worker = threading.Thread(target=slow)
    worker.start()
    # While the delayed request waits, other requests are answered.
    status = requests.get(rspace_mock.api_url + "/status", headers=alice(rspace_mock), timeout=10)
    assert status.status_code == 200
    assert "slow" not in results
    worker.join(10)
    assert results["slow"] == 200
    (delayed,) = rspace_mock.journal.requests(path="/api/v1/documents")
    assert delayed.fault == "rule 1: delay 0.3s"
    assert delayed.duration_ms >= 300


def test_nth_rule_fires_on_the_nth_matching_call_only(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.error("/api/v1/documents", 500, nth=3)
    statuses = [get_documents(rspace_mock).status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]


def test_rule_for_one_user_leaves_others_alone(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.error("/api/*", 502, user="bob", times=None)
    bob = {"apiKey": rspace_mock.seeded.user("bob")["apiKey"]}
    assert requests.get(rspace_mock.api_url + "/status", headers=bob, timeout=5).status_code == 502
    assert get_documents(rspace_mock).status_code == 200
    assert requests.get(rspace_mock.api_url + "/status", headers=bob, timeout=5).status_code == 502


def test_user_rule_on_the_token_endpoint_matches_the_username_parameter(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.faults.error("/oauth/token", 500, user="alice")
    app = rspace_mock.seeded.apps[0]
    form = {
        "grant_type": "password",
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "password": rspace_mock.seeded.user("bob")["password"],
    }
    ok = requests.post(rspace_mock.token_url, data={**form, "username": "bob"}, timeout=5)
    assert ok.status_code == 200
    failed = requests.post(rspace_mock.token_url, data={**form, "username": "alice"}, timeout=5)
    assert failed.status_code == 500


def test_seeded_probability_is_reproducible(rspace_mock: RSpaceMockHandle) -> None:
    def run() -> list[int]:
        rspace_mock.reset()
        rspace_mock.faults.add(
            "/api/v1/documents", "error", status=500, probability=0.5, times=None
        )
        return [get_documents(rspace_mock).status_code for _ in range(12)]

    rspace_mock.mock.instruments.faults.seed = 7
    first = run()
    assert run() == first
    assert set(first) == {200, 500}


def test_rules_fire_a_set_number_of_times_or_until_cleared(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.error("/api/v1/documents", 500, times=2)
    assert [get_documents(rspace_mock).status_code for _ in range(3)] == [500, 500, 200]
    forever = rspace_mock.faults.error("/api/v1/documents", 504, times=None)
    assert [get_documents(rspace_mock).status_code for _ in range(3)] == [504, 504, 504]
    rspace_mock.faults.remove(forever)
    assert get_documents(rspace_mock).status_code == 200


def test_fired_faults_appear_in_the_journal(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.faults.error("/api/v1/documents", 500)
    get_documents(rspace_mock)
    get_documents(rspace_mock)
    first, second = rspace_mock.journal.requests(path="/api/v1/documents")
    assert (first.status, first.fault) == (500, "rule 1: error 500")
    assert first.username == second.username == "alice"
    assert (second.status, second.fault) == (200, None)


def test_many_concurrent_requests_fire_a_limited_rule_exactly_its_times(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.faults.error("/api/v1/status", 500, times=3)
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        code = requests.get(
            rspace_mock.api_url + "/status", headers=alice(rspace_mock), timeout=10
        ).status_code
        with lock:
            statuses.append(code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(statuses) == [200] * 7 + [500] * 3


def test_server_keeps_serving_after_drops_and_truncations(rspace_mock: RSpaceMockHandle) -> None:
    for _ in range(3):
        rspace_mock.faults.drop("/api/v1/documents")
        with pytest.raises(requests.exceptions.ConnectionError):
            get_documents(rspace_mock)
    started = time.perf_counter()
    assert get_documents(rspace_mock).status_code == 200
    assert time.perf_counter() - started < 5
