"""The sysadmin's system settings (:class:`SystemSwitches`), kept with the rest of the state."""

from __future__ import annotations

import dataclasses
import json

from .models import SystemSwitches
from .store import Store

#: Store meta key of the switches, as JSON.
SWITCHES_META = "switches"

_ATTRIBUTES = {f.name: f.name for f in dataclasses.fields(SystemSwitches)}

#: The last switches read, by their stored text: read on every request, parsed once.
_last: tuple[str | None, SystemSwitches] = (None, SystemSwitches())


def load_switches(store: Store) -> SystemSwitches:
    """The stored switches (RSpace's defaults where none are kept); a copy to change freely."""
    global _last
    text = store.get_meta(SWITCHES_META)
    seen, switches = _last
    if text != seen:
        values = json.loads(text) if text else {}
        switches = SystemSwitches(**{k: bool(v) for k, v in values.items() if k in _ATTRIBUTES})
        _last = (text, switches)
    return dataclasses.replace(switches)


def save_switches(store: Store, switches: SystemSwitches) -> None:
    store.set_meta(SWITCHES_META, json.dumps(dataclasses.asdict(switches), sort_keys=True))
