"""Testing an RSpace client against the fake: a pytest plugin, helpers, conformance scenarios
and example client adapters. See ``docs/testing-your-client.md``."""

from .helpers import ClientBehaviourError, RSpaceMockHandle
from .server import ThreadedServer

__all__ = ["ClientBehaviourError", "RSpaceMockHandle", "ThreadedServer"]
