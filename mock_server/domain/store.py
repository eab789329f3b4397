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
  stays (entities, sequences, meta); nested calls join the outermost one;
* no engine keeps a string that is not Unicode text (:func:`check_storable`): every later
  response that included it would fail;
* a search (:meth:`Collection.search`) may read every entity of a partition: no engine runs it
  as Python holding the GIL, so a long search never stalls the other requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from .text import is_unicode_text

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
class Contains:
    """The text column ``column`` holds ``text`` as a substring."""

    column: str
    text: str


@dataclass(frozen=True)
class Between:
    """The text column ``column`` is at least ``low`` and at most ``high`` (by code point);
    ``None`` leaves a side open."""

    column: str
    low: str | None = None
    high: str | None = None


@dataclass(frozen=True)
class OneOf:
    """The indexed attribute ``attribute`` equals one of ``values`` (none of no values)."""

    attribute: str
    values: tuple[object, ...]


@dataclass(frozen=True)
class AllOf:
    """Every part holds (so ``AllOf(())`` always holds)."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (so ``AnyOf(())`` never holds)."""

    parts: tuple[Condition, ...]


#: What a search asks of each entity: tests on its text columns and indexed attributes.
Condition = Contains | Between | OneOf | AllOf | AnyOf

ALWAYS: Condition = AllOf(())
NEVER: Condition = AnyOf(())


def check_equals(kind: Kind[Any], equals: Mapping[str, object]) -> None:
    """Equalities may name only indexed attributes (every engine answers them by index)."""
    for name in equals:
        if name not in kind.indexed:
            raise ValueError(f"kind {kind.name!r} has no index on {name!r}")


class UnstorableText(ValueError):
    """A string no store may keep: it holds a lone surrogate, which no response could carry."""


#: Per entity class, the fields that can hold text (``str``, or a list of entities), found once.
_TEXT_FIELDS: dict[type, tuple[str, ...]] = {}


def _text_fields(kind: type) -> tuple[str, ...]:
    names = _TEXT_FIELDS.get(kind)
    if names is None:
        import dataclasses

        fields = dataclasses.fields(kind) if dataclasses.is_dataclass(kind) else ()
        # The annotations are strings ("str | None", "list[Field]"): postponed evaluation.
        names = tuple(f.name for f in fields if "str" in str(f.type) or "list" in str(f.type))
        _TEXT_FIELDS[kind] = names
    return names


def check_storable(*values: object) -> None:
    """Refuse strings that are not Unicode text, in plain values or in an entity's fields
    (and in lists of entities). The domain refuses them first, with RSpace's error; every
    engine calls this on every write, so that none keeps one whatever the caller."""
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not is_unicode_text(value):
                raise UnstorableText(f"not Unicode text (a lone surrogate): {value[:60]!r}")
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
        elif value is not None and not isinstance(value, (int, float, datetime)):
            pending.extend(getattr(value, name) for name in _text_fields(type(value)))


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
        condition: Condition,
        order: str,
        *,
        ascending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[int, list[E]]:
        """Like :meth:`page`, narrowed to the entities for which ``condition`` holds."""
        ...


T = TypeVar("T")


class MetaReading(Generic[T]):
    """A meta value read as what ``parse`` makes of its text (``None`` when there is none),
    parsed once per text: settings that every request reads. The last parse is kept by its
    text, so one reading may serve any store. Treat what it answers as read-only."""

    def __init__(self, key: str, parse: Callable[[str | None], T]) -> None:
        self.key = key
        self._parse = parse
        self._seen: tuple[str | None, T] | None = None

    def read(self, store: Store) -> T:
        text = store.get_meta(self.key)
        seen = self._seen
        if seen is None or seen[0] != text:
            seen = (text, self._parse(text))
            self._seen = seen
        return seen[1]


class Store(Protocol):
    """Everything the fake remembers, one :class:`Collection` per kind."""

    def transaction(self) -> AbstractContextManager[None]:
        """Atomic read-modify-write; re-entrant (nested calls join the outer one)."""
        ...

    @property
    def process_local(self) -> bool:
        """Whether only this process sees the store (in memory), not other processes or hosts."""
        ...

    def next_id(self, sequence: str) -> int:
        """The next value of a named sequence (``user``, ``record``, ``field``)."""
        ...

    def set_sequence(self, sequence: str, next_value: int) -> None:
        """Make :meth:`next_id` answer ``next_value`` next."""
        ...

    def collection(self, kind: Kind[E]) -> Collection[E]: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def request_view(self) -> AbstractContextManager[None]:
        """Within it, on this task (and the threads it hands work to), meta values are read
        from one snapshot taken at its start, plus what it writes itself; a transaction still
        reads afresh. A request reads several settings: a database engine answers them with
        one query instead of one each (nothing to gain in memory)."""
        ...

    def clear(self) -> None:
        """Forget every entity, sequence and meta value (used to reset to fixtures)."""
        ...

    def close(self) -> None: ...
