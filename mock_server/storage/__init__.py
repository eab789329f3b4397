"""State behind one small interface: :class:`Store`. In-memory by default."""

from .base import Store
from .memory import MemoryStore

__all__ = ["MemoryStore", "Store"]
