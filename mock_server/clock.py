"""The one clock behind token expiry, JWT ``iat``/``exp`` checks and document timestamps.

The domain never calls ``time.time()``: it asks a :class:`Clock`. The default follows the
system time; tests (and the admin API) can freeze it, set it or move it forward, so that
"the token expired" takes a millisecond instead of an hour.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


class ClockStateStore(Protocol):
    """Where a durable clock keeps its state (a JSON text): e.g. a store's meta table."""

    def load(self) -> str | None: ...
    def save(self, state: str) -> None: ...


class Clock:
    """A controllable UTC clock: follows the system time, shifted by an offset, or frozen.

    With a ``state_store`` the clock's setting survives restarts; with ``shared=True`` it is
    re-read on every call, so that several worker processes agree on the time.
    """

    def __init__(self, state_store: ClockStateStore | None = None, shared: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        self._state_store = state_store
        self._shared = shared and state_store is not None
        self._load()

    def _load(self) -> None:
        if self._state_store is None:
            return
        text = self._state_store.load()
        if not text:
            return
        state = json.loads(text)
        self._offset = timedelta(microseconds=int(state.get("offset_us", 0)))
        frozen = state.get("frozen_at")
        self._frozen_at = datetime.fromisoformat(frozen) if frozen else None

    def _save(self) -> None:
        if self._state_store is None:
            return
        state = {
            "offset_us": round(self._offset / timedelta(microseconds=1)),
            "frozen_at": self._frozen_at.isoformat() if self._frozen_at else None,
        }
        self._state_store.save(json.dumps(state))

    @staticmethod
    def _system_now() -> datetime:
        return datetime.now(timezone.utc)

    def now(self) -> datetime:
        with self._lock:
            self._refresh()
            if self._frozen_at is not None:
                return self._frozen_at
            return self._system_now() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset(self) -> timedelta:
        """How far the clock is from the system time (meaningful while not frozen)."""
        return self._offset

    def _refresh(self) -> None:
        if self._shared:
            self._load()

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock, at ``at`` or at the current (possibly shifted) time."""
        with self._lock:
            self._refresh()
            current = self._frozen_at or (self._system_now() + self._offset)
            self._frozen_at = utc(at) if at is not None else current
            self._save()
            return self._frozen_at

    def unfreeze(self) -> datetime:
        """Let the clock run again from where it stands (the shift is kept)."""
        with self._lock:
            self._refresh()
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._system_now()
                self._frozen_at = None
                self._save()
            return self._system_now() + self._offset

    def set(self, at: datetime) -> datetime:
        """Jump to ``at``; a frozen clock stays frozen there, a running one runs on from it."""
        at = utc(at)
        with self._lock:
            self._refresh()
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - self._system_now()
            self._save()
            return at

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, with a negative value) by ``seconds``."""
        delta = timedelta(seconds=seconds)
        with self._lock:
            self._refresh()
            if self._frozen_at is not None:
                self._frozen_at = self._frozen_at + delta
            else:
                self._offset = self._offset + delta
            self._save()
            return self._frozen_at or self._system_now() + self._offset

    def reset(self) -> None:
        """Back to the system time, running."""
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None
            self._save()
