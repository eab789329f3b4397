"""The test instruments of one fake RSpace, held next to its store and clock on ``MockRSpace``.

All of them keep their state in the store, so that every worker process and host serving one
state behaves as one fake: the fault plan and the throttle always; the journal too when the
state is one other processes can open (``--state``; see :mod:`.journal`).
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from ..domain.store import Store
from .faults import FaultPlan
from .journal import DEFAULT_CAPACITY, Journal, LocalJournal, StoredJournal
from .throttle import THROTTLE_META, Throttle

__all__ = ["THROTTLE_META", "Instruments"]


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
        shared: bool = False,
    ) -> None:
        """``shared``: other processes may serve the same state (it was named by ``--state``);
        else (in memory, or a throw-away file no other process knows) the journal stays in
        this process's memory, where recording costs nothing."""
        self.store = store
        self.journal: Journal = (
            StoredJournal(store, journal_capacity)
            if shared and not store.process_local
            else LocalJournal(store, journal_capacity)
        )
        self.faults = FaultPlan(store, seed=seed)
        self.throttle = Throttle(clock, store, default_enabled=throttling)

    def set_throttling(
        self, enabled: bool | None = None, limits: dict[str, Any] | None = None
    ) -> None:
        """Switch throttling and change its limits; raises ValueError for a bad limit."""
        new_limits = self.throttle.limits.updated(limits or {})
        self.throttle.configure(enabled, new_limits)

    def reset(self) -> None:
        """Empty journal, no faults, throttling as configured at start with fresh buckets.
        (Call after the store has been reset, which forgets the stored throttle setting.)"""
        with self.store.transaction():
            self.journal.clear(restart_ids=True)
            self.journal.enabled = True
            self.faults.clear()
            self.throttle.reset()
