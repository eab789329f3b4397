"""The storage port: what the domain asks of any engine, for any kind of entity.

A :class:`Kind` declares one stored entity type once (its key, unique lookups, non-unique
lookups, listing orders and search text); every engine (in memory, SQLite, PostgreSQL) keeps any
kind from that declaration alone, so a new resource is persisted by declaring its kind, never by
writing a store method per engine.

The rules every engine keeps, and ``tests/test_store_engines.py`` checks on each:

* entities are copied in and out: a caller never shares live state with the store;
* ``None`` is never indexed: two entities may both have ``None`` as a unique value, and an
  equality on ``None`` (``find``, ``select``, ``count``, ``delete_where``) matches nothing;
* a duplicate key (``insert``) or a unique value held by another entity (``insert``, ``put``)
  raises :class:`Conflict`, and the store is left as it was;
* ``select`` answers in key order; ``page`` in the named order, ties broken by the key, in the
  same direction as the order (so pages never overlap or skip);
* :meth:`Store.transaction` makes a read-modify-write atomic against other threads, and on a
  database engine against other processes and hosts; if its block raises, nothing it wrote
  stays (entities, sequences, meta); nested calls join the outermost one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

E = TypeVar("E")

#: What an order or an indexed attribute may hold: values every engine compares alike.
OrderValue = str | int | datetime


class Conflict(Exception):
    """A write would give two entities of one kind the same key or the same unique value.

    The domain catches it where RSpace answers a duplicate with an error of its own.
    """

    def __init__(self, kind: str, attribute: str, value: object) -> None:
        super().__init__(f"{kind}: {attribute} {value!r} is already taken")
        self.kind = kind
        self.attribute = attribute
        self.value = value


class SchemaMismatch(RuntimeError):
    """A database holds a kind's table in another definition than the one this server declares.

    The message names the kind and both versions, and what to do.
    """


@dataclass(frozen=True)
class Order(Generic[E]):
    """A named listing order within a partition: ``value`` then the key, ascending or not."""

    name: str
    value: Callable[[E], OrderValue]
    #: What ``value`` returns (``str``, ``int`` or ``datetime``): the column type in SQL.
    type: type
    #: Part of the schema version: change it when ``value`` changes meaning.
    version: int = 1


@dataclass(frozen=True)
class SearchText(Generic[E]):
    """The searchable text of an entity: named columns, each matched by substring."""

    columns: tuple[str, ...]
    #: One string per column, in :attr:`columns` order, already folded as needles will be.
    values: Callable[[E], Sequence[str]]
    version: int = 1


@dataclass(frozen=True)
class Kind(Generic[E]):
    """The declaration of one stored entity type (a dataclass)."""

    #: Names the table or dictionary, e.g. ``"user"``.
    name: str
    type: type[E]
    #: Attribute names of the primary key, e.g. ``("id",)`` or ``("client_id", "user_id")``.
    key: tuple[str, ...]
    #: Attributes no two entities share (``None`` values excepted).
    unique: tuple[str, ...] = ()
    #: Attributes :meth:`Collection.select` looks up by index.
    lookups: tuple[str, ...] = ()
    #: The attribute that :meth:`Collection.page` lists within (e.g. the owner).
    partition: str | None = None
    orders: tuple[Order[E], ...] = ()
    #: Which entities listings show (e.g. not soft-deleted ones); every one if ``None``.
    listed: Callable[[E], bool] | None = None
    text: SearchText[E] | None = None
    #: Part of the schema version: change it when ``listed`` changes meaning.
    version: int = 1
    _orders_by_name: Mapping[str, Order[E]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError(f"kind {self.name!r} has no key")
        if self.orders and self.partition is None:
            raise ValueError(f"kind {self.name!r} has orders but no partition attribute")
        object.__setattr__(self, "_orders_by_name", {o.name: o for o in self.orders})

    def order(self, name: str) -> Order[E]:
        try:
            return self._orders_by_name[name]
        except KeyError:
            raise ValueError(f"kind {self.name!r} has no order {name!r}") from None

    @property
    def indexed(self) -> tuple[str, ...]:
        """Every attribute an equality may name: key, unique, lookups and partition."""
        names = [*self.key, *self.unique, *self.lookups]
        if self.partition is not None:
            names.append(self.partition)
        return tuple(dict.fromkeys(names))

    def key_of(self, entity: E) -> tuple[Any, ...]:
        return tuple(getattr(entity, name) for name in self.key)


@dataclass(frozen=True)
class Needle:
    """One substring test of a search: ``text`` occurs in the text column ``column``."""

    column: str
    text: str


class Collection(Protocol[E]):
    """The entities of one kind in one store."""

    def get(self, *key: Any) -> E | None: ...

    def find(self, unique: str, value: object) -> E | None:
        """The entity whose unique attribute ``unique`` is ``value``."""
        ...

    def select(self, **equals: object) -> list[E]:
        """Entities whose indexed attributes equal the values given (all with none), by key."""
        ...

    def insert(self, entity: E) -> None:
        """Add a new entity; :class:`Conflict` if its key or a unique value is taken."""
        ...

    def put(self, entity: E) -> None:
        """Add or replace by key; :class:`Conflict` if a unique value is another's."""
        ...

    def delete(self, *key: Any) -> bool:
        """Forget an entity; whether there was one."""
        ...

    def delete_where(self, **equals: object) -> int:
        """Forget what ``select(**equals)`` gives; how many."""
        ...

    def count(self, **equals: object) -> int: ...

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
        """``(total, items)``: the listed entities of one partition in a named order.

        ``where`` narrows by equalities on indexed attributes; ``total`` counts all that match.
        """
        ...

    def search(
        self,
        partition: object,
        needles: Sequence[Needle],
        order: str,
        *,
        match_all: bool = True,
        ascending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[int, list[E]]:
        """Like :meth:`page`, narrowed to entities whose text holds every needle (or any)."""
        ...


class Store(Protocol):
    """Everything the fake remembers, one :class:`Collection` per kind."""

    def transaction(self) -> AbstractContextManager[None]:
        """Atomic read-modify-write; re-entrant (nested calls join the outer one)."""
        ...

    def next_id(self, sequence: str) -> int:
        """The next value of a named sequence (``user``, ``record``, ``field``)."""
        ...

    def collection(self, kind: Kind[E]) -> Collection[E]: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def clear(self) -> None:
        """Forget every entity, sequence and meta value (used to reset to fixtures)."""
        ...

    def close(self) -> None: ...
