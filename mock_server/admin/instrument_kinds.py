"""What the test instruments keep in the store, declared once for every engine.

Kept in the store, the instruments are one for every process and host that serves one state:
a request is journalled once, counted against the same throttle buckets and fault rules,
whichever worker answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.store import Kind, Order


@dataclass
class ThrottleTracker:
    """The buckets of one caller (or of everyone, for the global limits)."""

    key: str
    #: bucket name -> the requests still allowed, as JSON (``{"quarter_min": 14.2, ...}``)
    allowances: str
    last_check: datetime | None = None


THROTTLE_TRACKERS: Kind[ThrottleTracker] = Kind(
    name="throttle_tracker", type=ThrottleTracker, key=("key",)
)


@dataclass
class JournalRow:
    """One masked journal entry, as the JSON of ``JournalEntry.to_json``."""

    id: int
    entry: str
    #: When it was recorded (the system's time, not the fake's clock, which may stand still),
    #: in microseconds: the journal lists entries in this order, whichever process wrote them.
    recorded: int
    #: Always 0: the one partition that the journal is listed within.
    journal: int = 0


def _recorded(row: JournalRow) -> int:
    return row.recorded


JOURNAL_ROWS: Kind[JournalRow] = Kind(
    name="journal_row",
    type=JournalRow,
    key=("id",),
    partition="journal",
    orders=(Order("recorded", _recorded, int),),
)

INSTRUMENT_KINDS: tuple[Kind[Any], ...] = (THROTTLE_TRACKERS, JOURNAL_ROWS)
