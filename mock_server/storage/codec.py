"""Any entity dataclass <-> a JSON-able dict, from its type hints; written once for all kinds.

Values: ``datetime`` as UTC microseconds since the epoch (an ``int``: exact, and ordered as the
instants are), ``bytes`` as base64 text, nested dataclasses as dicts, lists and tuples as lists,
``X | None`` as ``X`` or ``null``; ``bool``, ``int``, ``float`` and ``str`` as themselves.
Decoded datetimes are aware (UTC); a naive one is encoded as UTC, as ``clock.utc`` makes them.

The encoder and decoder of a type are compiled once, on first use, into closures that know each
field's conversion, so encoding does no type inspection per value (see
``benchmarks/store_engines.py``).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

Convert = Callable[[Any], Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_PLAIN = (bool, int, float, str)


def to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _encode_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _optional_of(hint: Any) -> Any | None:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``None``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
        raise TypeError(f"unsupported union {hint!r}: only X | None")
    return None


@cache
def value_encoder(hint: Any) -> Convert | None:
    """How to encode a value of type ``hint``; ``None`` when it is stored as it is."""
    inner = _optional_of(hint)
    if inner is not None:
        encode = value_encoder(inner)
        if encode is None:
            return None
        return lambda v: None if v is None else encode(v)
    if hint in _PLAIN:
        return None
    if hint is datetime:
        return to_micros
    if hint is bytes:
        return _encode_bytes
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return encoder(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (list, tuple):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            parts = [value_encoder(a) for a in args]
            return lambda v: [p(x) if p else x for p, x in zip(parts, v, strict=True)]
        item = value_encoder(args[0])
        if item is None:
            return list
        return lambda v: [item(x) for x in v]
    raise TypeError(f"unsupported type {hint!r}")


@cache
def value_decoder(hint: Any) -> Convert | None:
    """How to decode what :func:`value_encoder` gave; ``None`` when it is the value itself."""
    inner = _optional_of(hint)
    if inner is not None:
        decode = value_decoder(inner)
        if decode is None:
            return None
        return lambda v: None if v is None else decode(v)
    if hint in (bool, int, str):
        return None
    if hint is float:
        return float  # JSON writes 1.0 as 1.0, but an int column may give 1
    if hint is datetime:
        return from_micros
    if hint is bytes:
        return base64.b64decode
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return decoder(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if not (len(args) == 2 and args[1] is Ellipsis):
            parts = [value_decoder(a) for a in args]
            return lambda v: tuple(p(x) if p else x for p, x in zip(parts, v, strict=True))
        element = value_decoder(args[0])
        if element is None:
            return tuple
        return lambda v: tuple(element(x) for x in v)
    if origin is list:
        item = value_decoder(args[0])
        if item is None:
            return list
        return lambda v: [item(x) for x in v]
    raise TypeError(f"unsupported type {hint!r}")


def _fields(cls: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {}
_DECODERS: dict[type, Callable[[dict[str, Any]], Any]] = {}


def encoder(cls: type[T]) -> Callable[[T], dict[str, Any]]:
    """The compiled encoder of a dataclass: attribute name -> encoded value."""
    compiled = _ENCODERS.get(cls)
    if compiled is None:
        compiled = _ENCODERS[cls] = _compile_encoder(cls)
    return compiled


def decoder(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """The compiled decoder of a dataclass (missing attributes take their defaults)."""
    compiled = _DECODERS.get(cls)
    if compiled is None:
        compiled = _DECODERS[cls] = _compile_decoder(cls)
    return compiled


def _compile_encoder(cls: type[T]) -> Callable[[T], dict[str, Any]]:
    plain = [name for name, hint in _fields(cls) if value_encoder(hint) is None]
    converted = [
        (name, convert)
        for name, hint in _fields(cls)
        if (convert := value_encoder(hint)) is not None
    ]

    def encode(entity: T) -> dict[str, Any]:
        values = entity.__dict__
        data = {name: values[name] for name in plain}
        for name, convert in converted:
            data[name] = convert(values[name])
        return data

    return encode


def _compile_decoder(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields]
    converted = [(f.name, c) for f in fields if (c := value_decoder(hints[f.name])) is not None]
    defaults: dict[str, Callable[[], Any]] = {}
    for f in fields:
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = (lambda value: lambda: value)(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = f.default_factory
    # Building the instance's attribute dictionary directly is several times faster than
    # calling ``__init__``; a class whose instances are made otherwise is called as usual.
    direct = not (
        hasattr(cls, "__post_init__")
        or "__slots__" in cls.__dict__
        or any(not f.init for f in fields)
    )
    new = object.__new__

    def decode(data: dict[str, Any]) -> T:
        try:
            values = {name: data[name] for name in names}
        except KeyError:  # written before the attribute existed: its default
            values = {
                name: data[name] if name in data else defaults[name]()
                for name in names
                if name in data or name in defaults
            }
        for name, convert in converted:
            if name in values:
                values[name] = convert(values[name])
        if not direct:
            return cls(**values)
        entity = new(cls)
        entity.__dict__.update(values)
        return entity

    return decode


def dumps(entity: object) -> str:
    """Compact JSON of an entity. ASCII only: a lone surrogate in a string stays an escape,
    which every database accepts (as UTF-8 text it could not be stored)."""
    return json.dumps(encoder(type(entity))(entity), separators=(",", ":"))


def loads(cls: type[T], text: str) -> T:
    return decoder(cls)(json.loads(text))


_COPIERS: dict[type, Callable[[Any], Any]] = {}


def copier(cls: type[T]) -> Callable[[T], T]:
    """A copy that shares nothing mutable, several times cheaper than ``copy.deepcopy``:
    ``copy.copy``, plus a new list for each list attribute, its dataclass items copied alike
    (what is left shared is immutable: strings, numbers, datetimes, tuples, frozen dataclasses).
    """
    compiled = _COPIERS.get(cls)
    if compiled is None:
        compiled = _COPIERS[cls] = _compile_copier(cls)
    return compiled


def _shallow_copier(cls: type[T]) -> Callable[[T], T]:
    """``copy.copy``, several times faster for a plain class: a new instance given the same
    attribute dictionary (``copy.copy`` goes through the pickle protocol)."""
    own_state = getattr(cls, "__getstate__", None) is not getattr(object, "__getstate__", None)
    if "__slots__" in cls.__dict__ or hasattr(cls, "__copy__") or own_state:
        return copy.copy
    new = object.__new__

    def duplicate(entity: T) -> T:
        twin = new(cls)
        twin.__dict__.update(entity.__dict__)
        return twin

    return duplicate


def _compile_copier(cls: type[T]) -> Callable[[T], T]:
    lists: list[tuple[str, Callable[[Any], Any] | None]] = []
    for name, hint in _fields(cls):
        hint = _optional_of(hint) or hint
        if typing.get_origin(hint) is list:
            (item,) = typing.get_args(hint)
            mutable = dataclasses.is_dataclass(item) and isinstance(item, type)
            lists.append((name, copier(item) if mutable else None))
    shallow = _shallow_copier(cls)
    if not lists:
        return shallow

    def duplicate(entity: T) -> T:
        twin = shallow(entity)
        values = twin.__dict__
        for name, copy_item in lists:
            items = values[name]
            if items is not None:
                values[name] = [copy_item(i) for i in items] if copy_item else list(items)
        return twin

    return duplicate
