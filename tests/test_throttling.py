"""RSpace's API throttle (B.2): token buckets per identity, driven by the fake's clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from mock_server.admin.throttle import Throttle, ThrottleLimits, java_float
from mock_server.clock import Clock
from mock_server.domain.errors import TooManyRequests
from mock_server.storage.engines.memory import MemoryEngine
from mock_server.testing import RSpaceMockHandle

LIMIT_MESSAGE = (
    "Too many requests: please restrict requests to no more than 15 per 15  seconds on average"
)


def throttle_on(clock: Clock, limits: ThrottleLimits | None = None) -> Throttle:
    """Throttling switched on, in a store of its own."""
    throttle = Throttle(clock, MemoryEngine())
    throttle.configure(True, limits or ThrottleLimits())
    return throttle


def frozen_clock() -> Clock:
    clock = Clock()
    clock.freeze(datetime(2030, 1, 1, tzinfo=timezone.utc))
    return clock


def test_a_full_bucket_admits_14_requests_then_refuses_like_rspace() -> None:
    throttle = throttle_on(frozen_clock())
    for _ in range(14):
        throttle.check("key")
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("key")
    assert refused.value.message == LIMIT_MESSAGE
    assert refused.value.internal_code == 42901


def test_the_bucket_refills_at_limit_per_period() -> None:
    clock = frozen_clock()
    throttle = throttle_on(clock)
    for _ in range(14):
        throttle.check("key")
    clock.advance(1)  # 15 per 15 s: one more request per second
    throttle.check("key")
    with pytest.raises(TooManyRequests):
        throttle.check("key")


def test_identities_have_separate_buckets() -> None:
    throttle = throttle_on(frozen_clock())
    for _ in range(14):
        throttle.check("alice-key")
    throttle.check("bob-key")


def test_the_global_bucket_limits_everyone_together() -> None:
    throttle = throttle_on(frozen_clock())
    for index in range(74):
        throttle.check(f"user-{index % 10}")
    with pytest.raises(TooManyRequests, match="no more than 75 per 15"):
        throttle.check("someone-new")


def test_minimum_interval_gives_rspaces_too_frequent_message() -> None:
    clock = frozen_clock()
    throttle = throttle_on(clock, ThrottleLimits(user_min_interval_ms=100))
    throttle.check("key")
    clock.advance(0.04)
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("key")
    assert refused.value.message == (
        "Requests were too frequent - please allow at least 100 ms between requests. "
        "Last interval between requests was only 40 ms"
    )


def test_disabled_throttle_never_refuses() -> None:
    throttle = Throttle(frozen_clock(), MemoryEngine())
    for _ in range(100):
        throttle.check("key")


def test_header_values_follow_rspaces_wait_rule() -> None:
    throttle = throttle_on(frozen_clock())
    for _ in range(14):
        throttle.check("key")
    headers = dict(throttle.headers("key"))
    assert headers["X-Rate-Limit-Limit"] == "15"
    assert headers["X-Rate-Limit-Remaining"] == "1.0"
    assert headers["X-Rate-Limit-WaitTimeTillNextRequestMillis-quarter_min"] == "0"
    assert headers["X-Rate-Limit-Limit-hour"] == "1000"
    assert headers["X-Rate-Limit-Remaining-hour"] == "986.0"
    assert headers["X-Rate-Limit-Limit-day"] == "5000"
    assert headers["X-Rate-Limit-MinWaitIntervalMillis"] == "0"
    with pytest.raises(TooManyRequests):
        throttle.check("key")
    # remaining stays 1.0 (< 1 is needed to go on): allowance - 1 > 0 fails at exactly 1
    exhausted = dict(throttle_on(frozen_clock()).exhausted_headers())
    assert exhausted["X-Rate-Limit-Remaining"] == "0.0"
    assert exhausted["X-Rate-Limit-WaitTimeTillNextRequestMillis-quarter_min"] == "1001"
    assert exhausted["X-Rate-Limit-WaitTimeMillis"] == "1001"


@pytest.mark.parametrize(
    ("value", "text"),
    [(10.0, "10.0"), (13.52, "13.52"), (2 / 3, "0.6666667"), (986.0, "986.0"), (0.5, "0.5")],
)
def test_remaining_is_written_like_java_float_to_string(value: float, text: str) -> None:
    assert java_float(value) == text


def key_headers(mock: RSpaceMockHandle, user: str = "alice") -> dict[str, str]:
    return {"apiKey": mock.seeded.user(user)["apiKey"]}


def test_over_http_throttling_is_off_by_default_with_fixed_headers(
    rspace_mock: RSpaceMockHandle,
) -> None:
    for _ in range(20):
        response = requests.get(
            rspace_mock.api_url + "/status", headers=key_headers(rspace_mock), timeout=5
        )
        assert response.status_code == 200
    assert response.headers["X-Rate-Limit-Limit"] == "10"
    assert response.headers["X-Rate-Limit-Remaining"] == "10.0"


def test_over_http_the_15th_burst_request_gets_429_before_authentication(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.clock.freeze()
    rspace_mock.settings.update(throttling=True)
    url = rspace_mock.api_url + "/status"
    statuses = [
        requests.get(url, headers={"apiKey": "noSuchKey"}, timeout=5).status_code for _ in range(15)
    ]
    # Unknown key: 401 while the bucket lasts, then 429 (the throttle runs first).
    assert statuses == [401] * 14 + [429]
    refused = requests.get(url, headers={"apiKey": "noSuchKey"}, timeout=5)
    body = refused.json()
    assert (refused.status_code, body["internalCode"], body["message"]) == (
        429,
        42901,
        LIMIT_MESSAGE,
    )
    assert body["errors"] == [""]
    assert refused.headers["X-Rate-Limit-Limit"] == "15"
    assert "Retry-After" not in refused.headers
    # Another identity is not affected; the clock refills the bucket.
    assert requests.get(url, headers=key_headers(rspace_mock), timeout=5).status_code == 200
    rspace_mock.clock.advance(2)
    assert requests.get(url, headers={"apiKey": "noSuchKey"}, timeout=5).status_code == 401


def test_over_http_remaining_counts_down(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.clock.freeze()
    rspace_mock.settings.update(throttling=True)
    url = rspace_mock.api_url + "/status"
    first = requests.get(url, headers=key_headers(rspace_mock), timeout=5)
    second = requests.get(url, headers=key_headers(rspace_mock), timeout=5)
    assert first.headers["X-Rate-Limit-Remaining"] == "14.0"
    assert second.headers["X-Rate-Limit-Remaining"] == "13.0"
    assert second.headers["X-Rate-Limit-Remaining-hour"] == "998.0"


def test_over_http_the_token_endpoint_is_never_throttled(rspace_mock: RSpaceMockHandle) -> None:
    rspace_mock.clock.freeze()
    rspace_mock.settings.update(throttling=True, throttleLimits={"user_per_quarter_min": 2})
    statuses = {
        requests.post(rspace_mock.token_url, data={"grant_type": "x"}, timeout=5).status_code
        for _ in range(5)
    }
    assert 429 not in statuses


def test_over_http_custom_limits_and_reset_restores_the_default(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.clock.freeze()
    rspace_mock.settings.update(throttling=True, throttleLimits={"user_per_quarter_min": 3})
    url = rspace_mock.api_url + "/status"
    statuses = [
        requests.get(url, headers=key_headers(rspace_mock), timeout=5).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    rspace_mock.reset()
    assert rspace_mock.settings.get()["throttling"] is False


def test_over_http_unknown_paths_and_wrong_methods_are_not_counted(
    rspace_mock: RSpaceMockHandle,
) -> None:
    rspace_mock.clock.freeze()
    rspace_mock.settings.update(throttling=True, throttleLimits={"user_per_quarter_min": 2})
    headers = key_headers(rspace_mock)
    for _ in range(3):
        missing = requests.get(rspace_mock.api_url + "/nowhere", headers=headers, timeout=5)
        assert missing.status_code == 404
        wrong = requests.patch(rspace_mock.api_url + "/status", headers=headers, timeout=5)
        assert wrong.status_code == 405
    assert requests.get(rspace_mock.api_url + "/status", headers=headers, timeout=5).ok
