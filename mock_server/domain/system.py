"""The sysadmin's system settings (:class:`SystemSwitches`), kept with the rest of the state."""

from __future__ import annotations

import dataclasses
import json

from .models import SystemSwitches
from .store import MetaReading, Store

#: Store meta key of the switches, as JSON.
SWITCHES_META = "switches"

_ATTRIBUTES = {f.name: f.name for f in dataclasses.fields(SystemSwitches)}


def _parse(text: str | None) -> SystemSwitches:
    values = json.loads(text) if text else {}
    return SystemSwitches(**{k: bool(v) for k, v in values.items() if k in _ATTRIBUTES})


#: Read on every request.
_SWITCHES = MetaReading(SWITCHES_META, _parse)


def load_switches(store: Store) -> SystemSwitches:
    """The stored switches (RSpace's defaults where none are kept); a copy to change freely."""
    return dataclasses.replace(_SWITCHES.read(store))


def save_switches(store: Store, switches: SystemSwitches) -> None:
    store.set_meta(SWITCHES_META, json.dumps(dataclasses.asdict(switches), sort_keys=True))
