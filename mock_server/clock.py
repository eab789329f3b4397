"""The one clock behind token expiry, JWT ``iat``/``exp`` checks and document timestamps.

The domain never calls ``time.time()``: it asks a :class:`Clock`. The default follows the
system time; tests (and the admin API) can freeze it, set it or move it forward, so that
"the token expired" takes a millisecond instead of an hour.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol

log = logging.getLogger("rspace_mock")

#: The times the clock can show. From the Unix epoch, so that JWT NumericDates (seconds since
#: 1970) stay positive; to the end of year 9000, so that the latest time plus the longest token
#: lifetime (``settings.MAX_TOKEN_TTL_SECONDS``, 100 years) plus the JWT clock skew still is a
#: ``datetime`` (which ends with year 9999): no later grant or API call can overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
CLOCK_RANGE = "from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z"
#: No move larger than this can end in range.
_MAX_SHIFT_SECONDS = (LATEST - EARLIEST).total_seconds()


class ClockRangeError(ValueError):
    """A time, or a move, that would take the clock out of ``EARLIEST..LATEST``."""


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def in_clock_range(moment: datetime) -> datetime:
    """``moment`` in UTC, or :class:`ClockRangeError` when the clock may not show it. Also the
    range of the times fixtures may give documents, which are then rendered like the clock's."""
    try:
        at = utc(moment)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        at = None
    if at is None or not EARLIEST <= at <= LATEST:
        raise ClockRangeError(f"{moment.isoformat()} is outside the clock's range, {CLOCK_RANGE}")
    return at


class ClockStateStore(Protocol):
    """Where a durable clock keeps its state (a JSON text): e.g. a store's meta table."""

    def load(self) -> str | None: ...
    def save(self, state: str) -> None: ...


def _advance_problem(seconds: float) -> ClockRangeError:
    # An int too long for repr() (past 4300 digits) is only said to be too large.
    shown = "so many" if isinstance(seconds, int) and abs(seconds) >= 10**30 else repr(seconds)
    return ClockRangeError(f"cannot move the clock by {shown} seconds: it must stay {CLOCK_RANGE}")


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
        self._bad_state_logged = False
        self._load()

    def _load(self) -> None:
        if self._state_store is None:
            return
        text = self._state_store.load()
        if not text:
            return
        try:
            state = json.loads(text)
            offset = timedelta(microseconds=int(state.get("offset_us", 0)))
            frozen = state.get("frozen_at")
            frozen_at = in_clock_range(datetime.fromisoformat(frozen)) if frozen else None
            in_clock_range(frozen_at or self._system_now() + offset)
        except (ValueError, TypeError, AttributeError, OverflowError):
            # Kept by an older version, or edited by hand: a clock out of range would fail
            # every later grant, so the system time it is.
            if not self._bad_state_logged:
                log.warning("ignoring the stored clock setting %r: the system time is used", text)
                self._bad_state_logged = True
            offset, frozen_at = timedelta(0), None
        self._offset, self._frozen_at = offset, frozen_at

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
        at = in_clock_range(at) if at is not None else None
        with self._lock:
            self._refresh()
            current = self._frozen_at or (self._system_now() + self._offset)
            self._frozen_at = at if at is not None else current
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
        at = in_clock_range(at)
        with self._lock:
            self._refresh()
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - self._system_now()
            self._save()
            return at

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, with a negative value) by ``seconds``; the clock
        must end in range (:class:`ClockRangeError` otherwise, and it stays where it was)."""
        if not abs(seconds) <= _MAX_SHIFT_SECONDS:  # also NaN and the infinities
            raise _advance_problem(seconds)
        delta = timedelta(seconds=seconds)
        with self._lock:
            self._refresh()
            current = self._frozen_at or self._system_now() + self._offset
            try:
                in_clock_range(current + delta)
            except (ClockRangeError, OverflowError):
                raise _advance_problem(seconds) from None
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
