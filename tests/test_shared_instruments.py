"""Several processes serving one state behave as one fake, test instruments included.

Two set-ups: ``rspace-mock serve --workers 4`` on a SQLite file (one URL; every request below
opens a new connection, so the requests are spread over the workers), and two servers on one
PostgreSQL database (two URLs, as two hosts behind a load balancer would be; the requests go
to each in turn). A fault rule added through either admin API fires wherever the request
lands, ``nth`` counts the requests of every process, the journal lists each request once, and
throttling limits hold for all processes together.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServedMock

pytestmark = pytest.mark.own_engines

ALICE_KEY = "aliceApiKey000000000000000000001"


class Fleet:
    """The URLs of one fake served by several processes; each request on a new connection."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._turn = itertools.cycle(range(len(urls)))

    def url(self) -> str:
        return self.urls[next(self._turn)]

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        # No keep-alive: a new connection each time, which a worker of --workers takes in turn.
        with httpx.Client(base_url=self.url(), timeout=30) as client:
            return client.request(method, path, **kwargs)  # type: ignore[arg-type]

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = self.request(method, f"/_mock{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response

    def status(self, marker: int | str) -> httpx.Response:
        return self.request(
            "GET", "/api/v1/status", params={"n": str(marker)}, headers={"apiKey": ALICE_KEY}
        )


@pytest.fixture(params=["sqlite, 4 workers", "postgresql, 2 servers"])
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fleet]:
    servers: list[ServedMock] = []
    try:
        if request.param.startswith("sqlite"):
            state = str(tmp_path / "state.sqlite")
            servers.append(ServedMock("--state", state, "--workers", "4"))
            urls = [servers[0].url]
        else:
            dsn = request.getfixturevalue("postgres_dsn")
            servers.append(ServedMock("--state", dsn))
            servers.append(ServedMock("--state", dsn))
            urls = [s.url for s in servers]
        fleet = Fleet(urls)
        fleet.admin("POST", "/reset")
        yield fleet
    finally:
        for server in servers:
            server.stop_cleanly()


def test_a_fault_rule_counts_nth_across_processes_and_fires_wherever_it_lands(
    fleet: Fleet,
) -> None:
    fleet.admin(
        "POST",
        "/faults",
        json={"path": "/api/v1/status", "action": "error", "status": 503, "nth": 5, "times": 2},
    )
    statuses = [fleet.status(n).status_code for n in range(12)]
    # The 5th and 6th matching requests fail, whichever process served them; no other does.
    assert statuses == [200] * 4 + [503] * 2 + [200] * 6, statuses
    (rule,) = fleet.admin("GET", "/faults").json()["faults"]
    assert (rule["matched"], rule["fired"], rule["exhausted"]) == (6, 2, True)


def test_the_journal_lists_every_request_of_every_process_exactly_once(fleet: Fleet) -> None:
    fleet.admin("DELETE", "/journal")
    markers = [f"m{n}" for n in range(40)]
    for marker in markers:
        assert fleet.status(marker).status_code == 200
    for _ in fleet.urls:  # read through each server: the same journal
        entries = fleet.admin("GET", "/journal", params={"path": "/api/v1/status"}).json()[
            "entries"
        ]
        seen = [e["query"].removeprefix("n=") for e in entries]
        assert seen == markers  # each once, in the order they were made
        assert len({e["id"] for e in entries}) == len(markers)


def test_throttling_limits_hold_for_all_processes_together(fleet: Fleet) -> None:
    fleet.admin("POST", "/clock/freeze", json={})  # no refill while the requests are made
    fleet.admin(
        "PATCH",
        "/settings",
        json={"throttling": True, "throttleLimits": {"user_per_quarter_min": 10}},
    )
    statuses = [fleet.status(n).status_code for n in range(20)]
    # A full bucket of 10 admits 9 (RSpace's allowance - 1 > 0), across every process.
    assert statuses.count(200) == 9 and statuses.count(429) == 11, statuses
    assert statuses[:9] == [200] * 9


def test_settings_changed_through_one_process_hold_in_every_process(fleet: Fleet) -> None:
    fleet.admin("PATCH", "/settings", json={"tokenTtlSeconds": 120, "journal": False})
    for _ in range(4):
        settings = fleet.admin("GET", "/settings").json()
        assert settings["tokenTtlSeconds"] == 120 and settings["journal"] is False
