"""``POST /oauth/token`` takes as long to refuse an unknown username, or an unknown client id,
as a known one: how long an answer takes must not tell which usernames or clients exist.

A long password (or client secret) makes the difference plain: checking it against a stored
hash costs milliseconds, so a server that skips the check for an unknown name answers faster.
Each case sends pairs of requests, one known and one unknown in alternating order, to the app
in-process, and compares the fastest tenth of each kind: noise only ever adds time, so the low
quantiles show what the work itself costs (the "box test" of timing attacks).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.parse

import httpx

from mock_server import Settings, create_app
from tests.http_helpers import APP

#: Long enough that hashing it takes about a millisecond, short enough that it is parsed.
LONG = "p" * 1_000_000
PAIRS = 150
FORM = {"content-type": "application/x-www-form-urlencoded"}


def password_grant(username: str) -> bytes:
    form = {
        "grant_type": "password",
        "client_id": APP["clientId"],
        "client_secret": APP["clientSecret"],
        "username": username,
        "password": LONG,
    }
    return urllib.parse.urlencode(form).encode()


def refresh_grant(client_id: str) -> bytes:
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": LONG,
        "refresh_token": "A" * 32,
    }
    return urllib.parse.urlencode(form).encode()


def low_quantile(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 10]


async def timings(known: bytes, unknown: bytes) -> tuple[list[float], list[float], set[str]]:
    app = create_app(Settings(random_seed=1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # The journal (a test instrument) copies and masks every body: only noise here.
        switched = await client.patch("/_mock/settings", json={"journal": False})
        assert switched.status_code == 200, switched.text
        times: dict[bytes, list[float]] = {known: [], unknown: []}
        answers = set()
        for turn in range(PAIRS):
            for body in (known, unknown) if turn % 2 else (unknown, known):
                started = time.perf_counter()
                response = await client.post("/oauth/token", content=body, headers=FORM)
                times[body].append(time.perf_counter() - started)
                answers.add(f"{response.status_code} {response.json()['message']}")
    return times[known], times[unknown], answers


#: Each comparison may be measured again: on a shared machine one run can be disturbed by
#: other work, but a real difference in work shows in every run.
ATTEMPTS = 3


def assert_same_time(known: bytes, unknown: bytes) -> None:
    failures = []
    for _ in range(ATTEMPTS):
        known_times, unknown_times, answers = asyncio.run(timings(known, unknown))
        assert len(answers) == 1, answers  # the same refusal either way
        difference = low_quantile(known_times) - low_quantile(unknown_times)
        median = statistics.median(known_times + unknown_times)
        bound = max(0.0003, 0.05 * median)
        if abs(difference) < bound:
            return
        failures.append(
            f"known {low_quantile(known_times) * 1000:.2f} ms, unknown "
            f"{low_quantile(unknown_times) * 1000:.2f} ms (fastest tenth; median "
            f"{median * 1000:.2f} ms, bound {bound * 1000:.2f} ms)"
        )
    raise AssertionError("; ".join(failures))


def test_an_unknown_username_is_refused_as_slowly_as_a_wrong_password() -> None:
    assert_same_time(password_grant("alice"), password_grant("nobody-at-all"))


def test_an_unknown_client_id_is_refused_as_slowly_as_a_wrong_secret() -> None:
    assert_same_time(refresh_grant(APP["clientId"]), refresh_grant("Q" * 39))
