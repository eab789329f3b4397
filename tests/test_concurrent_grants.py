"""Races on ``/oauth/token`` against the served fake: RSpace keeps one token row per (app, user),
so however many grants arrive together, exactly one pair survives, and a refresh token can be
spent only once. Checked on one process and on several worker processes sharing a state file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import requests

GRANTS = 32
REFRESHES = 16

T = TypeVar("T")


def run_together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for ``i`` in ``range(count)`` on ``count`` threads released at once."""
    barrier = threading.Barrier(count)

    def task(index: int) -> T:
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


@pytest.fixture(scope="module", params=["one-process", "workers-sharing-a-state-file"])
def racing_server(
    request: pytest.FixtureRequest,
    serve_mock_for_module: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """``serve --seed 1``, alone or as 4 workers on one SQLite state file (RSpace's own
    deployments run many threads on one database, so the rules must hold across them).

    Shared by this module's tests: each starts with its own password grant, so what earlier
    tests left behind does not matter."""
    if request.param == "one-process":
        return str(serve_mock_for_module("--seed", "1").url)
    state = tmp_path_factory.mktemp("racing") / "state.sqlite"
    # Workers ignore --seed (the last test of this module shows why they must).
    return str(serve_mock_for_module("--seed", "1", "--state", str(state), "--workers", "4").url)


def token_post(base_url: str, **params: str) -> requests.Response:
    return requests.post(f"{base_url}/oauth/token", data=params, timeout=30)


def access_token_works(base_url: str, access_token: str) -> bool:
    response = requests.get(
        f"{base_url}/api/v1/status",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def refresh_token_is_current(
    base_url: str, grant_credentials: dict[str, str], refresh_token: str
) -> bool:
    """Probe with ``is_jwt=true``: RSpace's JWT refresh does not rotate the refresh token."""
    response = token_post(
        base_url,
        grant_type="refresh_token",
        client_id=grant_credentials["client_id"],
        client_secret=grant_credentials["client_secret"],
        refresh_token=refresh_token,
        is_jwt="true",
    )
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_simultaneous_password_grants_leave_exactly_one_valid_pair(
    racing_server: str, grant_credentials: dict[str, str]
) -> None:
    live_server = racing_server
    responses = run_together(
        GRANTS, lambda _: token_post(live_server, grant_type="password", **grant_credentials)
    )
    assert [r.status_code for r in responses] == [200] * GRANTS, [r.text for r in responses]
    pairs = [r.json() for r in responses]
    assert len({p["access_token"] for p in pairs}) == GRANTS
    assert len({p["refresh_token"] for p in pairs}) == GRANTS

    # Access tokens first: probing a refresh token must not change which pair is current.
    live_access = [
        i for i, p in enumerate(pairs) if access_token_works(live_server, p["access_token"])
    ]
    live_refresh = [
        i
        for i, p in enumerate(pairs)
        if refresh_token_is_current(live_server, grant_credentials, p["refresh_token"])
    ]
    assert len(live_access) == 1, f"{len(live_access)} access tokens still work"
    assert len(live_refresh) == 1, f"{len(live_refresh)} refresh tokens still work"
    # ... and they are the two halves of the same grant's pair.
    assert live_access == live_refresh


def test_simultaneous_refreshes_with_one_refresh_token_succeed_exactly_once(
    racing_server: str, grant_credentials: dict[str, str]
) -> None:
    live_server = racing_server
    pair = token_post(live_server, grant_type="password", **grant_credentials).json()
    responses = run_together(
        REFRESHES,
        lambda _: token_post(
            live_server,
            grant_type="refresh_token",
            client_id=grant_credentials["client_id"],
            client_secret=grant_credentials["client_secret"],
            refresh_token=pair["refresh_token"],
        ),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [404] * (REFRESHES - 1), [r.text for r in responses]
    for response in responses:
        if response.status_code == 404:
            assert response.json()["message"] == (
                "OAuth token not found! Perhaps its refresh rights have been removed."
            )
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    assert access_token_works(live_server, winner["access_token"])
    assert not access_token_works(live_server, pair["access_token"])
    assert refresh_token_is_current(live_server, grant_credentials, winner["refresh_token"])


def test_simultaneous_grants_for_different_users_do_not_disturb_each_other(
    racing_server: str, fixtures_data: dict[str, Any]
) -> None:
    live_server = racing_server
    # alice and bob on both apps: four independent (app, user) rows.
    users = [u for u in fixtures_data["users"] if u["username"] in ("alice", "bob")]
    combos = [(app, user) for app in fixtures_data["apps"] for user in users]

    def grant(index: int) -> requests.Response:
        app, user = combos[index % len(combos)]
        return token_post(
            live_server,
            grant_type="password",
            client_id=app["clientId"],
            client_secret=app["clientSecret"],
            username=user["username"],
            password=user["password"],
        )

    responses = run_together(len(combos), grant)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert all(access_token_works(live_server, r.json()["access_token"]) for r in responses)


def test_no_two_grants_ever_get_the_same_token_even_from_seeded_workers(
    racing_server: str, fixtures_data: dict[str, Any]
) -> None:
    # RSpace's tokens are 24 secure random bytes: no two grants ever share one. Both servers
    # were started with --seed 1; several workers must still not replay one sequence.
    users = [u for u in fixtures_data["users"] if u["username"] in ("alice", "bob")]
    combos = [(app, user) for app in fixtures_data["apps"] for user in users]
    statuses: list[int] = []
    tokens: list[str] = []
    # One new connection per grant, so that the grants spread over the workers.
    for index in range(48):
        app, user = combos[index % len(combos)]
        response = token_post(
            racing_server,
            grant_type="password",
            client_id=app["clientId"],
            client_secret=app["clientSecret"],
            username=user["username"],
            password=user["password"],
        )
        statuses.append(response.status_code)
        if response.status_code == 200:
            tokens += [response.json()["access_token"], response.json()["refresh_token"]]
    assert statuses == [200] * len(statuses), statuses
    assert len(set(tokens)) == len(tokens), f"{len(tokens) - len(set(tokens))} repeated tokens"
