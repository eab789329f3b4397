"""The in-memory engine: any kind in plain dictionaries, behind one re-entrant lock.

Per kind: ``key -> entity``; ``value -> key`` per unique attribute; ``value -> keys`` per lookup
and partition attribute; and per (partition value, order) a sorted list of ``(order value,
*key)`` of the listed entities, built on the first listing in that order (a bulk load pays
nothing) and then kept up to date by every write with ``bisect`` (a page costs the page, not
the partition). Entities are copied in and out (:func:`~..codec.copier`). A kind with search
text also keeps its listed entities in a :class:`~.search_mirror.SearchMirror`, which answers
searches in SQLite, off the GIL.

While a transaction is open every write journals how to undo itself; if the outermost
transaction's block raises, the journal is played back, so a failed read-modify-write leaves
nothing behind, as on the SQL engines.
"""

from __future__ import annotations

import bisect
import contextlib
import operator
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from ...domain.store import (
    AllOf,
    AnyOf,
    Condition,
    Conflict,
    Kind,
    OneOf,
    check_equals,
    check_storable,
)
from ..codec import copier
from .search_mirror import SearchMirror

E = TypeVar("E")

Key = tuple[Any, ...]


class _Journal:
    """What the open transaction changed, to put back if it fails (as a database would)."""

    def __init__(self) -> None:
        self.depth = 0
        #: Undo steps of the open transaction, ``None`` outside one.
        self.undo: list[Callable[[], None]] | None = None


class MemoryCollection(Generic[E]):
    def __init__(self, kind: Kind[E], lock: threading.RLock, journal: _Journal) -> None:
        self.kind = kind
        self._lock = lock
        self._journal = journal
        self._copy = copier(kind.type)
        self._key = kind.key
        self._key_of = _key_getter(kind.key)
        self._unique_names = kind.unique
        self._lookup_names = tuple(dict.fromkeys([*kind.lookups, *filter(None, [kind.partition])]))
        self._mirror: SearchMirror[E] | None = None
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._rows: dict[Key, E] = {}
            self._unique: dict[str, dict[Any, Key]] = {n: {} for n in self._unique_names}
            self._lookups: dict[str, dict[Any, set[Key]]] = {n: {} for n in self._lookup_names}
            self._sorted: dict[tuple[Any, str], list[Key]] = {}
            # A search still running on the mirror this replaces keeps it until it is done.
            self._mirror = SearchMirror(self.kind, self._lock) if self.kind.text else None

    def close(self) -> None:
        if self._mirror is not None:
            self._mirror.close()

    def restorer(self) -> Callable[[], None]:
        """Puts back the present contents (for a :meth:`clear` in a failed transaction)."""
        saved = (self._rows, self._unique, self._lookups, self._sorted, self._mirror)

        def restore() -> None:
            self._rows, self._unique, self._lookups, self._sorted, self._mirror = saved

        return restore

    # reads

    def get(self, *key: Any) -> E | None:
        # One dictionary read is atomic, and stored entities are replaced, never changed.
        entity = self._rows.get(key)
        return self._copy(entity) if entity is not None else None

    def find(self, unique: str, value: object) -> E | None:
        if unique not in self._unique:
            raise ValueError(f"kind {self.kind.name!r} has no unique {unique!r}")
        if value is None:
            return None
        with self._lock:
            key = self._unique[unique].get(value)
            return self._copy(self._rows[key]) if key is not None else None

    def _keys(self, equals: Mapping[str, object]) -> list[Key]:
        check_equals(self.kind, equals)
        if any(v is None for v in equals.values()):
            return []
        candidates: Iterator[Key] | list[Key] | set[Key]
        if all(name in equals for name in self._key):
            key = tuple(equals[name] for name in self._key)
            candidates = [key] if key in self._rows else []
        elif unique := next((n for n in self._unique_names if n in equals), None):
            found = self._unique[unique].get(equals[unique])
            candidates = [found] if found is not None else []
        elif lookup := next((n for n in self._lookup_names if n in equals), None):
            candidates = self._lookups[lookup].get(equals[lookup], set())
        else:
            candidates = iter(self._rows)
        rows = self._rows
        return sorted(
            k
            for k in candidates
            if all(getattr(rows[k], name) == value for name, value in equals.items())
        )

    def select(self, **equals: object) -> list[E]:
        with self._lock:
            return [self._copy(self._rows[k]) for k in self._keys(equals)]

    def count(self, **equals: object) -> int:
        with self._lock:
            if not equals:
                return len(self._rows)
            return len(self._keys(equals))

    # writes

    def insert(self, entity: E) -> None:
        check_storable(entity)
        with self._lock:
            key = self._key_of(entity)
            if key in self._rows:
                raise Conflict(self.kind.name, "key", key)
            self._write(key, entity)

    def put(self, entity: E) -> None:
        check_storable(entity)
        with self._lock:
            self._write(self._key_of(entity), entity)

    def _write(self, key: Key, entity: E) -> None:
        for name in self._unique_names:
            value = getattr(entity, name)
            if value is not None:
                holder = self._unique[name].get(value)
                if holder is not None and holder != key:
                    raise Conflict(self.kind.name, name, value)
        old = self._rows.get(key)
        if old is not None:
            self._unindex(key, old)
        stored = self._copy(entity)
        self._rows[key] = stored
        self._index(key, stored)
        self._remember(key, old)

    def _remember(self, key: Key, old: E | None) -> None:
        undo = self._journal.undo
        if undo is not None:
            undo.append(lambda: self._restore(key, old))

    def _restore(self, key: Key, old: E | None) -> None:
        current = self._rows.pop(key, None)
        if current is not None:
            self._unindex(key, current)
        if old is not None:
            self._rows[key] = old
            self._index(key, old)

    def delete(self, *key: Any) -> bool:
        with self._lock:
            old = self._rows.pop(key, None)
            if old is None:
                return False
            self._unindex(key, old)
            self._remember(key, old)
            return True

    def delete_where(self, **equals: object) -> int:
        with self._lock:
            keys = self._keys(equals)
            for key in keys:
                old = self._rows.pop(key)
                self._unindex(key, old)
                self._remember(key, old)
            return len(keys)

    def _index(self, key: Key, entity: E) -> None:
        for name in self._unique_names:
            value = getattr(entity, name)
            if value is not None:
                self._unique[name][value] = key
        for name in self._lookup_names:
            value = getattr(entity, name)
            if value is not None:
                self._lookups[name].setdefault(value, set()).add(key)
        kind = self.kind
        listed = kind.listed is None or kind.listed(entity)
        if self._mirror is not None:
            self._mirror.record(key, entity if listed else None)
        if kind.orders and listed:
            partition = getattr(entity, kind.partition or "")
            for order in kind.orders:
                entries = self._sorted.get((partition, order.name))
                if entries is not None:
                    bisect.insort(entries, (order.value(entity), *key))

    def _unindex(self, key: Key, entity: E) -> None:
        for name in self._unique_names:
            value = getattr(entity, name)
            if value is not None and self._unique[name].get(value) == key:
                del self._unique[name][value]
        for name in self._lookup_names:
            value = getattr(entity, name)
            keys = self._lookups[name].get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._lookups[name][value]
        if self._mirror is not None:
            self._mirror.record(key, None)
        kind = self.kind
        if kind.orders and (kind.listed is None or kind.listed(entity)):
            partition = getattr(entity, kind.partition or "")
            for order in kind.orders:
                entries = self._sorted.get((partition, order.name))
                if entries is None:
                    continue
                entry = (order.value(entity), *key)
                position = bisect.bisect_left(entries, entry)
                if position < len(entries) and entries[position] == entry:
                    del entries[position]

    # listings

    def _listing(self, partition: object, order: str) -> list[Key]:
        """The partition's listed entities as sorted ``(order value, *key)`` entries."""
        entries = self._sorted.get((partition, order))
        if entries is None:
            kind = self.kind
            value = kind.order(order).value
            listed = kind.listed
            rows = self._rows
            owned = (rows[k] for k in self._lookups[kind.partition or ""].get(partition, ()))
            entries = sorted(
                (value(e), *kind.key_of(e)) for e in owned if listed is None or listed(e)
            )
            self._sorted[(partition, order)] = entries
        return entries

    def _slice(
        self, entries: list[Key], ascending: bool, offset: int, limit: int
    ) -> tuple[int, list[E]]:
        total = len(entries)
        if ascending:
            chosen = entries[offset : offset + limit]
        else:
            end = max(total - offset, 0)
            chosen = entries[max(end - limit, 0) : end][::-1]
        rows = self._rows
        return total, [self._copy(rows[entry[1:]]) for entry in chosen]

    def page(
        self,
        partition: object,
        order: str,
        *,
        ascending: bool = True,
        offset: int = 0,
        limit: int = 20,
        where: Mapping[str, object] | None = None,
    ) -> tuple[int, list[E]]:
        with self._lock:
            entries = self._listing(partition, order)
            if where:
                entries = self._narrowed(entries, where)
            return self._slice(entries, ascending, offset, limit)

    def _narrowed(self, entries: list[Key], where: Mapping[str, object]) -> list[Key]:
        check_equals(self.kind, where)
        if any(v is None for v in where.values()):
            return []
        rows = self._rows
        return [
            entry
            for entry in entries
            if all(getattr(rows[entry[1:]], name) == value for name, value in where.items())
        ]

    def search(
        self,
        partition: object,
        condition: Condition,
        order: str,
        *,
        ascending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[int, list[E]]:
        with self._lock:
            mirror = self._mirror
            if mirror is None:
                # No search text: only tests on indexed attributes, one comparison each.
                rows = self._rows
                entries = [
                    entry
                    for entry in self._listing(partition, order)
                    if _holds(condition, rows[entry[1:]], self.kind)
                ]
                return self._slice(entries, ascending, offset, limit)
        # A search may be long: it runs in SQLite, without the engine's lock.
        total, found = mirror.search(partition, condition, order, ascending, offset, limit)
        copy = self._copy
        return total, [copy(e) for e in found]


def _key_getter(names: tuple[str, ...]) -> Callable[[Any], Key]:
    """``Kind.key_of``, compiled: the key as a tuple, even of one attribute."""
    if len(names) == 1:
        getter = operator.attrgetter(names[0])
        return lambda entity: (getter(entity),)
    return operator.attrgetter(*names)


def _holds(condition: Condition, entity: Any, kind: Kind[Any]) -> bool:
    """``condition`` on a kind without search text (tests on indexed attributes only)."""
    if isinstance(condition, AllOf):
        return all(_holds(part, entity, kind) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(_holds(part, entity, kind) for part in condition.parts)
    if isinstance(condition, OneOf):
        check_equals(kind, {condition.attribute: None})
        value = getattr(entity, condition.attribute)
        return value is not None and value in condition.values
    raise ValueError(f"kind {kind.name!r} has no search text for {condition!r}")


class MemoryEngine:
    """Any kinds in memory: zero set-up, resets in microseconds. Safe for threads."""

    def __init__(self, first_ids: Mapping[str, int] | None = None) -> None:
        self._lock = threading.RLock()
        self._journal = _Journal()
        self._first_ids = dict(first_ids or {})
        self._collections: dict[str, MemoryCollection[Any]] = {}
        self._sequences: dict[str, int] = {}
        self._meta: dict[str, str] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic against other threads; on an exception, what it wrote is put back."""
        with self._lock:
            journal = self._journal
            if journal.depth:
                journal.depth += 1
                try:
                    yield
                finally:
                    journal.depth -= 1
                return
            journal.depth = 1
            journal.undo = []
            try:
                yield
            except BaseException:
                for step in reversed(journal.undo):
                    step()
                raise
            finally:
                journal.depth = 0
                journal.undo = None

    def _remember(self, values: dict[str, Any], key: str) -> None:
        """Undo for a sequence or meta value about to change."""
        undo = self._journal.undo
        if undo is not None:
            if key in values:
                old = values[key]
                undo.append(lambda: values.__setitem__(key, old))
            else:
                undo.append(lambda: values.pop(key, None))

    @property
    def process_local(self) -> bool:
        return True

    def set_sequence(self, sequence: str, next_value: int) -> None:
        with self._lock:
            self._remember(self._sequences, sequence)
            self._sequences[sequence] = next_value

    def next_id(self, sequence: str) -> int:
        with self._lock:
            value = self._sequences.get(sequence, self._first_ids.get(sequence, 1))
            self._remember(self._sequences, sequence)
            self._sequences[sequence] = value + 1
            return value

    def collection(self, kind: Kind[E]) -> MemoryCollection[E]:
        found = self._collections.get(kind.name)
        if found is None:
            with self._lock:
                found = self._collections.setdefault(
                    kind.name, MemoryCollection(kind, self._lock, self._journal)
                )
        if found.kind is not kind:
            raise ValueError(f"another kind is already named {kind.name!r}")
        return found

    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def request_view(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def set_meta(self, key: str, value: str) -> None:
        check_storable(key, value)
        with self._lock:
            self._remember(self._meta, key)
            self._meta[key] = value

    def clear(self) -> None:
        with self._lock:
            undo = self._journal.undo
            if undo is not None:
                for collection in self._collections.values():
                    undo.append(collection.restorer())
                sequences, meta = dict(self._sequences), dict(self._meta)

                def restore() -> None:
                    self._sequences.update(sequences)
                    self._meta.update(meta)

                undo.append(restore)
            for collection in self._collections.values():
                collection.clear()
            self._sequences.clear()
            self._meta.clear()

    def close(self) -> None:
        with self._lock:
            for collection in self._collections.values():
                collection.close()
