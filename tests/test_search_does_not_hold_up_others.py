"""A search reads every document its owner has; it must not hold up anybody else's requests.

A real server holds many documents of one user. While several clients search them (simple and
advanced full-text queries), another user's ``GET /api/v1/status`` must stay about as quick as
on an idle server. Run on the event loop, or as Python in a worker thread (which keeps the GIL),
each search stalls every other request for its whole length, and the stalls add up.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ServedMock

DOCUMENTS = 10_000
SEARCHERS = 6
SEARCHER_KEY = "S" * 32
BYSTANDER_KEY = "B" * 32
#: Searches that match much, little and nothing, in both forms of query; each reads every
#: document, and the one-document pages keep the clients' own work small.
SEARCHES: list[dict[str, str]] = [
    {"query": "gradient", "pageSize": "1"},
    {"query": "sample 77", "pageSize": "1"},
    {"query": "nowhere to be found", "pageSize": "1"},
    {
        "advancedQuery": json.dumps({"terms": [{"query": "yield", "queryType": "fullText"}]}),
        "pageSize": "1",
    },
]
#: The old code made the bystander wait seconds; an idle server answers in a few ms.
BOUND_SECONDS = 0.050


def many_documents_fixture(path: Path) -> Path:
    def user(name: str, key: str) -> dict[str, str]:
        return {
            "username": name,
            "password": f"{name}-password",
            "apiKey": key,
            "email": f"{name}@lab.example.org",
            "firstName": name.title(),
            "lastName": "Tester",
        }

    documents = [
        {
            "owner": "searcher",
            "name": f"Experiment {n}",
            "tags": "pcr,gel" if n % 3 else "",
            # Plain text: seeding parses it quickly, a search still reads all of it.
            "fields": [{"content": f"Gradient from 55 to 65 C, sample {n}. Best yield at 61 C."}],
        }
        for n in range(DOCUMENTS)
    ]
    data = {
        "users": [user("searcher", SEARCHER_KEY), user("bystander", BYSTANDER_KEY)],
        "apps": [],
        "documents": documents,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def status_latencies(client: httpx.Client, samples: int) -> list[float]:
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get("/api/v1/status")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        time.sleep(0.01)
    return latencies


def test_searches_do_not_hold_up_another_users_requests(tmp_path: Path) -> None:
    fixtures = many_documents_fixture(tmp_path / "many.json")
    server = ServedMock("--fixtures", str(fixtures), start_timeout=120)
    try:
        searches_done: list[float] = []
        failures: list[Any] = []
        stop = threading.Event()

        def search_until_stopped(first: int) -> None:
            with httpx.Client(
                base_url=server.url, headers={"apiKey": SEARCHER_KEY}, timeout=60
            ) as searcher:
                turn = first
                while not stop.is_set():
                    params = SEARCHES[turn % len(SEARCHES)]
                    response = searcher.get("/api/v1/documents", params=params)
                    if response.status_code != 200:
                        failures.append(response.text)
                    searches_done.append(time.perf_counter())
                    turn += 1

        with httpx.Client(
            base_url=server.url, headers={"apiKey": BYSTANDER_KEY}, timeout=60
        ) as bystander:
            # Warm up: connections, and whatever a store does on its first search.
            with httpx.Client(base_url=server.url, headers={"apiKey": SEARCHER_KEY}) as warm:
                for params in SEARCHES:
                    assert warm.get("/api/v1/documents", params=params).status_code == 200
            idle = statistics.median(status_latencies(bystander, 30))

            searchers = [
                threading.Thread(target=search_until_stopped, args=(n,)) for n in range(SEARCHERS)
            ]
            for thread in searchers:
                thread.start()
            time.sleep(0.2)
            window_start = time.perf_counter()
            loaded = status_latencies(bystander, 60)
            window_end = time.perf_counter()
            stop.set()
            for thread in searchers:
                thread.join(timeout=120)

        searched = [t for t in searches_done if window_start <= t <= window_end]
        assert not failures, failures[:1]
        # The bystander was measured while the searchers kept the server busy.
        assert len(searched) >= SEARCHERS, f"only {len(searched)} searches during the window"
        bound = max(BOUND_SECONDS, 3 * idle)
        waited = statistics.median(loaded)
        assert waited < bound, (
            f"GET /api/v1/status took {waited * 1000:.1f} ms (median) while {SEARCHERS} clients "
            f"searched {DOCUMENTS} documents ({idle * 1000:.1f} ms idle; bound "
            f"{bound * 1000:.0f} ms)"
        )
    finally:
        server.stop_cleanly()
