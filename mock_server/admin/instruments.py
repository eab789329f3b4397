"""The per-server test instruments, held next to the store and clock on ``MockRSpace``."""

from __future__ import annotations

import json
from typing import Any

from ..clock import Clock
from ..storage.base import Store
from .faults import FaultPlan
from .journal import DEFAULT_CAPACITY, Journal
from .throttle import Throttle, ThrottleLimits

#: Store meta key for the throttling switch and limits (kept across restarts by a durable
#: store, like RSpace's ``api.throttling.enabled`` deployment property).
THROTTLE_META = "throttling"


class Instruments:
    """Journal, fault plan and throttle for one fake server."""

    def __init__(
        self,
        clock: Clock,
        store: Store,
        *,
        throttling: bool = False,
        seed: int | None = None,
        journal_capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.store = store
        self.default_throttling = throttling
        self.journal = Journal(journal_capacity)
        self.faults = FaultPlan(seed=seed)
        self.throttle = Throttle(clock)
        self._load_throttle_settings()

    def _load_throttle_settings(self) -> None:
        stored = self.store.get_meta(THROTTLE_META)
        enabled, limits = self.default_throttling, ThrottleLimits()
        if stored:
            try:
                data = json.loads(stored)
                enabled = bool(data.get("enabled", enabled))
                limits = ThrottleLimits().updated(data.get("limits", {}))
            except ValueError:
                pass
        self.throttle.configure(enabled, limits)

    def set_throttling(
        self, enabled: bool | None = None, limits: dict[str, Any] | None = None
    ) -> None:
        """Switch throttling and change its limits; raises ValueError for a bad limit."""
        new_limits = self.throttle.limits.updated(limits or {})
        self.throttle.configure(enabled, new_limits)
        self.store.set_meta(THROTTLE_META, json.dumps(self.throttle.to_json()))

    def reset(self) -> None:
        """Empty journal, no faults, throttling as configured at start with fresh buckets.
        (Call after the store has been reset, which forgets the stored throttle setting.)"""
        self.journal.clear(restart_ids=True)
        self.journal.enabled = True
        self.faults.clear()
        self._load_throttle_settings()
