"""JSON-safe dicts for the engine's frozen dataclasses, and back (for caches).

Written over the dataclass fields and their type hints, not per class, so a field added to
:class:`~scanning.engine.dns.DnsFacts` (or any value it holds) keeps round-tripping without
touching this module. Decoding is strict: a dict that does not fit the type (an entry written
by an older format, or damaged) raises :class:`CodecError`, which a cache treats as a miss.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class CodecError(ValueError):
    """A stored dict that does not decode to the asked-for type."""


def to_dict(value: Any) -> dict[str, Any]:
    """A frozen dataclass as a JSON-safe dict (tuples as lists, dates as ISO text)."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise TypeError(f"expected a dataclass instance, got {type(value).__name__}")
    encoded = _encode(value)
    assert isinstance(encoded, dict)
    return encoded


def from_dict(cls: type[T], data: object) -> T:
    """The ``cls`` instance stored by :func:`to_dict`; CodecError when ``data`` is not one."""
    try:
        return typing.cast(T, _decode(cls, data))
    except CodecError:
        raise
    except (TypeError, ValueError, KeyError) as error:
        raise CodecError(str(error)) from error


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _encode(getattr(value, field.name)) for field in _fields(type(value))}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(field for field in dataclasses.fields(cls) if field.init)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


@cache
def _shape(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    # Cached: asking typing for a hint's origin and arguments dominates decoding otherwise.
    return get_origin(hint), get_args(hint)


def _decode(hint: Any, data: object) -> Any:
    if hint is Any or (hint in (str, int, bool) and type(data) is hint):
        return data
    origin, args = _shape(hint)
    if origin in (Union, types.UnionType):
        return _decode_union(args, data)
    if origin is typing.Literal:
        if data not in args:
            raise CodecError(f"{data!r} is not one of {args}")
        return data
    if origin is tuple:
        return _decode_tuple(args, data)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, data)
    return _decode_scalar(hint, data)


def _decode_union(options: tuple[Any, ...], data: object) -> Any:
    if data is None and type(None) in options:
        return None
    for option in options:
        if option is type(None):
            continue
        try:
            return _decode(option, data)
        except (CodecError, TypeError, ValueError):
            continue
    raise CodecError(f"{data!r} fits none of {options}")


def _decode_tuple(args: tuple[Any, ...], data: object) -> tuple[Any, ...]:
    if not isinstance(data, list):
        raise CodecError(f"expected a list, got {type(data).__name__}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(args[0], item) for item in data)
    if len(args) != len(data):
        raise CodecError(f"expected {len(args)} items, got {len(data)}")
    return tuple(_decode(arg, item) for arg, item in zip(args, data, strict=True))


def _decode_dataclass(cls: type, data: object) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"expected a dict for {cls.__name__}, got {type(data).__name__}")
    hints = _hints(cls)
    values = {}
    for field in _fields(cls):
        if field.name in data:
            values[field.name] = _decode(hints[field.name], data[field.name])
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise CodecError(f"{cls.__name__}.{field.name} is missing")
    return cls(**values)


def _decode_scalar(hint: Any, data: object) -> Any:
    if hint is dt.date:
        if not isinstance(data, str):
            raise CodecError("a date must be ISO text")
        return dt.date.fromisoformat(data)
    if hint is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if isinstance(hint, type) and not isinstance(data, hint):
        raise CodecError(f"expected {hint.__name__}, got {type(data).__name__}")
    if hint is int and isinstance(data, bool):
        raise CodecError("expected int, got bool")
    return data
