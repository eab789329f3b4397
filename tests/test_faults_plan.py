"""The fault plan's rules, as pure logic: matching, Nth call, firing counts, seeded chance."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.admin.faults import FaultPlan, FaultRule, FaultRuleError, build_rule
from mock_server.storage.engines.memory import MemoryEngine

pytestmark = pytest.mark.own_engines

PATHS = ["/api/v1/documents", "/api/v1/documents/5", "/api/v1/status", "/oauth/token"]
METHODS = ["GET", "POST", "PUT", "DELETE"]
requests_strategy = st.lists(st.tuples(st.sampled_from(METHODS), st.sampled_from(PATHS)))


def rule(**data: object) -> FaultRule:
    return build_rule({"action": "error", "status": 500, **data})


@given(requests=requests_strategy, times=st.integers(1, 5))
def test_a_rule_never_fires_more_than_its_times(
    requests: list[tuple[str, str]], times: int
) -> None:
    plan = FaultPlan(MemoryEngine())
    plan.add(rule(path="/api/*", times=times))
    fired = [plan.pick(method, path) for method, path in requests]
    api_requests = [path for _, path in requests if path.startswith("/api/")]
    assert sum(f is not None for f in fired) == min(times, len(api_requests))
    # ... and it fires on the first matching requests, not later ones.
    firing_paths = [path for (_, path), f in zip(requests, fired, strict=True) if f is not None]
    assert firing_paths == api_requests[: len(firing_paths)]


@given(requests=requests_strategy, nth=st.integers(1, 6))
def test_nth_rule_fires_exactly_on_the_nth_match(requests: list[tuple[str, str]], nth: int) -> None:
    plan = FaultPlan(MemoryEngine())
    plan.add(rule(method="GET", path="/api/v1/documents*", nth=nth))
    matches = 0
    for method, path in requests:
        fired = plan.pick(method, path)
        if method == "GET" and path.startswith("/api/v1/documents"):
            matches += 1
            assert (fired is not None) == (matches == nth)
        else:
            assert fired is None


@given(seed=st.integers(0, 2**32), probability=st.floats(0.1, 0.9))
def test_a_seeded_plan_fires_the_same_way_every_run(seed: int, probability: float) -> None:
    def run() -> list[bool]:
        plan = FaultPlan(MemoryEngine(), seed=seed)
        plan.add(rule(probability=probability, times=None))
        return [plan.pick("GET", "/api/v1/status") is not None for _ in range(30)]

    assert run() == run()


def test_first_live_rule_wins_and_others_still_count_the_request() -> None:
    plan = FaultPlan(MemoryEngine())
    first = plan.add(rule(path="/api/*"))
    second = plan.add(rule(path="/api/v1/status", nth=2, status=503))
    fired = plan.pick("GET", "/api/v1/status")
    assert fired is not None and fired.rule_id == first.id
    fired = plan.pick("GET", "/api/v1/status")
    assert fired is not None and (fired.rule_id, fired.action.status) == (second.id, 503)


def test_user_rules_only_match_that_user() -> None:
    plan = FaultPlan(MemoryEngine())
    plan.add(rule(user="bob", times=None))
    assert plan.wants_user("GET", "/api/v1/status")
    assert plan.pick("GET", "/api/v1/status", "alice") is None
    assert plan.pick("GET", "/api/v1/status", None) is None
    assert plan.pick("GET", "/api/v1/status", "bob") is not None


def test_concurrent_picks_fire_a_rule_exactly_times() -> None:
    plan = FaultPlan(MemoryEngine())
    plan.add(rule(times=25))
    fired: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            hit = plan.pick("GET", "/api/v1/status") is not None
            with lock:
                fired.append(hit)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fired) == 25


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "error", "path": "api/v1"}, "'path'"),
        ({"action": "error", "times": 0}, "'times'"),
        ({"action": "error", "method": 3}, "'method'"),
        ({"action": {"kind": "delay", "delay_seconds": 500}}, "'delay_seconds'"),
        ({"action": "delay", "delay_seconds": float("nan")}, "'delay_seconds'"),
        ({"action": "error", "message": "\ud800"}, "message holds a lone surrogate"),
    ],
)
def test_bad_rules_say_which_field_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(FaultRuleError, match=message):
        build_rule(data)
