"""RSpace's API throttle (``ApiRequestThrottlerImpl`` over ``AbstractTokenBucketThrottler``).

Token buckets per identity key (the raw ``apiKey`` header, else the raw ``Authorization``
header, else ``anonymousApiUser``), one bucket per interval, refilled continuously at
``limit / period`` per second and capped at ``limit``. A request needs ``allowance - 1 > 0``
in every bucket (so a full 15-per-15 s bucket admits 14 requests in a burst, as RSpace's
does). Time comes from the mock's :class:`~mock_server.clock.Clock`, so tests move it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..clock import Clock
from ..domain.errors import TooManyRequests
from ..domain.store import MetaReading, Store
from .instrument_kinds import THROTTLE_TRACKERS, ThrottleTracker
from .validation import as_whole, unknown_keys_problem

ANONYMOUS_KEY = "anonymousApiUser"
JAVA_INT_MAX = 2**31 - 1
GLOBAL_KEY = "__global__"

LIMIT_EXCEEDED = (
    # RSpace's format string has two spaces before "seconds".
    "Too many requests: please restrict requests to no more than {limit} per {per}  seconds "
    "on average"
)
TOO_FREQUENT = (
    "Requests were too frequent - please allow at least {min_ms} ms between requests. "
    "Last interval between requests was only {interval_ms} ms"
)

#: Interval names as they appear in header suffixes (``ThrottleInterval``).
QUARTER_MIN, HOUR, DAY = "quarter_min", "hour", "day"


@dataclass(frozen=True)
class ThrottleLimits:
    """RSpace's production defaults (``deployments/defaultDeployment.properties``)."""

    user_per_quarter_min: int = 15
    user_per_hour: int = 1000
    user_per_day: int = 5000
    user_min_interval_ms: int = 0
    global_per_quarter_min: int = 75
    #: RSpace's global minimum interval is 1 ms. The fake defaults to 0: with the clock
    #: frozen every request would arrive "0 ms" after the last one. Set 1 to reproduce it.
    global_min_interval_ms: int = 0

    def user_buckets(self) -> list[tuple[str, int, int]]:
        return [
            (QUARTER_MIN, self.user_per_quarter_min, 15),
            (HOUR, self.user_per_hour, 3600),
            (DAY, self.user_per_day, 86400),
        ]

    def global_buckets(self) -> list[tuple[str, int, int]]:
        return [(QUARTER_MIN, self.global_per_quarter_min, 15)]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> ThrottleLimits:
        problem = unknown_keys_problem(changes, asdict(self), what="limit")
        changes = {key: as_whole(value) for key, value in changes.items()}
        if problem:
            raise ValueError(problem)
        for key, value in changes.items():
            # RSpace's limits are Java ints; a larger one would also overflow the float
            # arithmetic of the buckets and the X-Rate-Limit headers.
            lowest = 0 if key.endswith("_ms") else 1
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not lowest <= value <= JAVA_INT_MAX
            ):
                raise ValueError(f"'{key}' must be a whole number from {lowest} to {JAVA_INT_MAX}")
        return replace(self, **changes)


def java_float(value: float) -> str:
    """Java's ``Float.toString`` for everyday values: ``10.0``, ``13.52``, ``0.6666667``."""
    as_float32 = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{as_float32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == as_float32:
            break
    if "e" in text:
        text = repr(float(text))
    if "." not in text:
        text += ".0"
    return text


def identity_key(api_key: str | None, authorization: str | None) -> str:
    if api_key:
        return api_key
    if authorization:
        return authorization
    return ANONYMOUS_KEY


@dataclass(frozen=True)
class UsageStats:
    interval: str
    limit: int
    period_seconds: int
    remaining: float
    min_interval_ms: int

    @property
    def wait_ms(self) -> int:
        if self.remaining >= 1:
            return self.min_interval_ms
        wait = round((1 - self.remaining) * self.period_seconds / self.limit * 1000) + 1
        return max(wait, self.min_interval_ms)


#: Store meta key of the throttling switch and limits (kept across restarts by a durable
#: store, like RSpace's ``api.throttling.enabled`` deployment property).
THROTTLE_META = "throttling"


class Throttle:
    """Throttling for one fake RSpace, in its store: the switch and limits (a meta value) and
    every caller's buckets (:data:`THROTTLE_TRACKERS`, keyed by a hash of the identity, which
    is a raw API key or token), so that every process and host counts against one set of
    buckets. Off by default, like RSpace's ``api.throttling.enabled``."""

    def __init__(self, clock: Clock, store: Store, *, default_enabled: bool = False) -> None:
        self.clock = clock
        self.store = store
        self.default_enabled = default_enabled
        self._trackers = store.collection(THROTTLE_TRACKERS)
        #: Read on every request.
        self._setting = MetaReading(THROTTLE_META, self._parse)

    def _parse(self, text: str | None) -> tuple[bool, ThrottleLimits]:
        enabled, limits = self.default_enabled, ThrottleLimits()
        if text:
            try:
                data = json.loads(text)
                enabled = bool(data.get("enabled", enabled))
                limits = ThrottleLimits().updated(data.get("limits", {}))
            except ValueError:
                pass
        return enabled, limits

    def _config(self) -> tuple[bool, ThrottleLimits]:
        return self._setting.read(self.store)

    @property
    def enabled(self) -> bool:
        return self._config()[0]

    @property
    def limits(self) -> ThrottleLimits:
        return self._config()[1]

    def configure(self, enabled: bool | None = None, limits: ThrottleLimits | None = None) -> None:
        """Switch throttling and change its limits; every bucket starts full again."""
        with self.store.transaction():
            now_enabled, now_limits = self._config()
            data = {
                "enabled": now_enabled if enabled is None else enabled,
                "limits": (now_limits if limits is None else limits).to_json(),
            }
            self.store.set_meta(THROTTLE_META, json.dumps(data))
            self._trackers.delete_where()

    def reset(self) -> None:
        """Every bucket full again."""
        self._trackers.delete_where()

    def _tracker(self, key: str, buckets: list[tuple[str, int, int]]) -> ThrottleTracker:
        tracker = self._trackers.get(key)
        if tracker is None:
            full = {name: float(limit) for name, limit, _ in buckets}
            tracker = ThrottleTracker(key, json.dumps(full))
        return tracker

    def _proceed(
        self, key: str, buckets: list[tuple[str, int, int]], min_ms: int
    ) -> TooManyRequests | None:
        """Count one request in the buckets of ``key``; what to refuse it with, if over."""
        tracker = self._tracker(key, buckets)
        allowances: dict[str, float] = json.loads(tracker.allowances)
        now = self.clock.now()
        interval_ms = min_ms
        refusal: TooManyRequests | None = None
        if tracker.last_check is not None:
            interval_ms = int((now - tracker.last_check).total_seconds() * 1000)
            if interval_ms < min_ms:
                return TooManyRequests(TOO_FREQUENT.format(min_ms=min_ms, interval_ms=interval_ms))
        for name, limit, period in buckets:
            tracker.last_check = now
            allowance = allowances.get(name, float(limit)) + (interval_ms / 1000) * (limit / period)
            allowance = min(allowance, float(limit))
            allowances[name] = allowance
            if not allowance - 1 > 0:
                refusal = TooManyRequests(LIMIT_EXCEEDED.format(limit=limit, per=period))
                break
            allowances[name] = allowance - 1
        tracker.allowances = json.dumps(allowances)
        self._trackers.put(tracker)
        return refusal

    def check(self, identity: str) -> None:
        """Count one request of ``identity``; raises :class:`TooManyRequests` over a limit."""
        enabled, limits = self._config()
        if not enabled:
            return
        with self.store.transaction():
            # What a refused request used up is kept (RSpace's buckets work so), so the
            # refusal is raised once the transaction is done.
            refusal = self._proceed(
                _tracker_key(identity), limits.user_buckets(), limits.user_min_interval_ms
            )
            if refusal is None:
                refusal = self._proceed(
                    GLOBAL_KEY, limits.global_buckets(), limits.global_min_interval_ms
                )
        if refusal is not None:
            raise refusal

    def stats(self, identity: str) -> list[UsageStats]:
        limits = self.limits
        buckets = limits.user_buckets()
        allowances: dict[str, float] = json.loads(
            self._tracker(_tracker_key(identity), buckets).allowances
        )
        return [
            UsageStats(
                name,
                limit,
                period,
                allowances.get(name, float(limit)),
                limits.user_min_interval_ms,
            )
            for name, limit, period in buckets
        ]

    def headers(self, identity: str) -> list[tuple[str, str]]:
        """The ``X-Rate-Limit-*`` headers for ``identity`` while throttling is on."""
        return headers_from_stats(self.stats(identity))

    def exhausted_headers(self) -> list[tuple[str, str]]:
        """Headers as RSpace sends them with a 429 for a spent quarter-minute bucket (for
        injected 429 faults)."""
        limits = self.limits
        stats = [
            UsageStats(name, limit, period, float(limit), limits.user_min_interval_ms)
            for name, limit, period in limits.user_buckets()
        ]
        stats[0] = replace(stats[0], remaining=0.0)
        return headers_from_stats(stats)

    def too_many_requests(self) -> TooManyRequests:
        return TooManyRequests(
            LIMIT_EXCEEDED.format(limit=self.limits.user_per_quarter_min, per=15)
        )

    def to_json(self) -> dict[str, Any]:
        enabled, limits = self._config()
        return {"enabled": enabled, "limits": limits.to_json()}


def _tracker_key(identity: str) -> str:
    """Identities are raw API keys and tokens: the store keeps only a hash of each."""
    if identity == ANONYMOUS_KEY:
        return identity
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()


def headers_from_stats(stats: list[UsageStats]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for item in stats:
        suffix = "" if item.interval == QUARTER_MIN else f"-{item.interval}"
        wait_suffix = f"-{item.interval}"
        headers += [
            (f"X-Rate-Limit-Limit{suffix}", str(item.limit)),
            (f"X-Rate-Limit-Remaining{suffix}", java_float(item.remaining)),
            (f"X-Rate-Limit-WaitTimeTillNextRequestMillis{wait_suffix}", str(item.wait_ms)),
        ]
    headers.append(("X-Rate-Limit-MinWaitIntervalMillis", str(stats[-1].min_interval_ms)))
    headers.append(("X-Rate-Limit-WaitTimeMillis", str(max(s.wait_ms for s in stats))))
    return headers
