"""Test instruments around the fake RSpace: request journal, fault plan, throttle.

Plain modules with no web framework imports; ``mock_server.web`` wires them in as ASGI
middleware and an admin router under ``/_mock/``.
"""

from .faults import FaultAction, FaultPlan, FaultRule
from .instruments import Instruments
from .journal import Journal, JournalEntry
from .throttle import Throttle, ThrottleLimits

__all__ = [
    "FaultAction",
    "FaultPlan",
    "FaultRule",
    "Instruments",
    "Journal",
    "JournalEntry",
    "Throttle",
    "ThrottleLimits",
]
