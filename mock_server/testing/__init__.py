"""Testing an RSpace client against the fake: a pytest plugin, helpers, conformance scenarios
and example client adapters. See ``docs/testing-your-client.md``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .helpers import ClientBehaviourError, RSpaceMockHandle
    from .server import ThreadedServer

__all__ = ["ClientBehaviourError", "RSpaceMockHandle", "ThreadedServer"]


def __getattr__(name: str) -> object:
    # Imported on first use: pytest imports this package (for its plugin) in every run.
    if name in ("ClientBehaviourError", "RSpaceMockHandle"):
        from . import helpers

        return getattr(helpers, name)
    if name == "ThreadedServer":
        from .server import ThreadedServer

        return ThreadedServer
    raise AttributeError(name)
