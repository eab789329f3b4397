"""The one clock behind token expiry, JWT ``iat``/``exp`` checks and document timestamps.

The domain never calls ``time.time()``: it asks a :class:`Clock`. The default follows the
system time; tests (and the admin API) can freeze it, set it or move it forward, so that
"the token expired" takes a millisecond instead of an hour.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


class Clock:
    """A controllable UTC clock: follows the system time, shifted by an offset, or frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    @staticmethod
    def _system_now() -> datetime:
        return datetime.now(timezone.utc)

    def now(self) -> datetime:
        with self._lock:
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

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock, at ``at`` or at the current (possibly shifted) time."""
        with self._lock:
            current = self._frozen_at or (self._system_now() + self._offset)
            self._frozen_at = utc(at) if at is not None else current
            return self._frozen_at

    def unfreeze(self) -> datetime:
        """Let the clock run again from where it stands (the shift is kept)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._system_now()
                self._frozen_at = None
            return self._system_now() + self._offset

    def set(self, at: datetime) -> datetime:
        """Jump to ``at``; a frozen clock stays frozen there, a running one runs on from it."""
        at = utc(at)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - self._system_now()
            return at

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, with a negative value) by ``seconds``."""
        delta = timedelta(seconds=seconds)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = self._frozen_at + delta
                return self._frozen_at
            self._offset = self._offset + delta
            return self._system_now() + self._offset

    def reset(self) -> None:
        """Back to the system time, running."""
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None
