"""JSON-safe dicts for the engine's frozen dataclasses, and back (for caches).

Written over the dataclass fields and their type hints, not per class, so a field added to
:class:`~scanning.engine.dns.DnsFacts` (or any value it holds) keeps round-tripping without
touching this module. Decoding is strict: a dict that does not fit the type (an entry written
by an older format, or damaged) raises :class:`CodecError`, which a cache treats as a miss.

A cached scan decodes thousands of entries, so the type hints are read once per type: each
hint is compiled into a small decoding function (and each class into an encoding one) on
first use, and later calls only run those functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]
# Values JSON carries as they are.
PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


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
        # The cast only tells mypy a class is hashable, which every class is.
        return typing.cast(T, _decoder(typing.cast(Any, cls))(data))
    except CodecError:
        raise
    except (TypeError, ValueError, KeyError) as error:
        raise CodecError(str(error)) from error


# --- encoding: by the value's runtime type --------------------------------------------------


def _encode(value: Any) -> Any:
    return _encoder(typing.cast(Any, type(value)))(value)


@cache
def _encoder(kind: type) -> Encoder:
    if kind in PLAIN_TYPES:
        return _same
    if issubclass(kind, tuple | list):
        return _encode_sequence
    if issubclass(kind, dt.date):
        return _isoformat
    if dataclasses.is_dataclass(kind):
        return _dataclass_encoder(kind)
    return _same


def _same(value: Any) -> Any:
    return value


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


def _encode_sequence(items: tuple[Any, ...] | list[Any]) -> list[Any]:
    if not items or set(map(type, items)) == {str}:
        return list(items)  # the common case (host names, selectors, tags): nothing to convert
    return [_encode(item) for item in items]


def _dataclass_encoder(cls: type) -> Encoder:
    names = tuple(field.name for field in _fields(cls))

    def encode(value: Any) -> dict[str, Any]:
        return {name: _encode(getattr(value, name)) for name in names}

    return encode


# --- decoding: by the type hint, compiled once per hint -------------------------------------


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(field for field in dataclasses.fields(cls) if field.init)


@cache
def _decoder(hint: Any) -> Decoder:
    """The function that decodes stored data of type ``hint`` (built once, then reused)."""
    if hint is Any:
        return _same
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return _union_decoder(args)
    if origin is typing.Literal:
        return _literal_decoder(args)
    if origin is tuple:
        return _tuple_decoder(args)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    return _scalar_decoder(hint)


def _union_decoder(options: tuple[Any, ...]) -> Decoder:
    accepts_none = type(None) in options
    decoders = tuple(_decoder(option) for option in options if option is not type(None))

    def decode(data: Any) -> Any:
        if data is None and accepts_none:
            return None
        for decoder in decoders:
            try:
                return decoder(data)
            except (CodecError, TypeError, ValueError):
                continue
        raise CodecError(f"{data!r} fits none of {options}")

    return decode


def _literal_decoder(values: tuple[Any, ...]) -> Decoder:
    def decode(data: Any) -> Any:
        if data not in values:
            raise CodecError(f"{data!r} is not one of {values}")
        return data

    return decode


def _tuple_decoder(args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        return _variadic_tuple_decoder(args[0])
    decoders = tuple(_decoder(arg) for arg in args)

    def decode(data: Any) -> tuple[Any, ...]:
        _check_list(data)
        if len(decoders) != len(data):
            raise CodecError(f"expected {len(decoders)} items, got {len(data)}")
        return tuple([decoder(item) for decoder, item in zip(decoders, data, strict=True)])

    return decode


def _variadic_tuple_decoder(item_hint: Any) -> Decoder:
    item_decoder = _decoder(item_hint)
    exact = item_hint if item_hint in (str, bool) else None

    def decode(data: Any) -> tuple[Any, ...]:
        _check_list(data)
        if exact is not None and (not data or set(map(type, data)) == {exact}):
            return tuple(data)  # nothing to convert or check item by item
        return tuple([item_decoder(item) for item in data])

    return decode


def _check_list(data: Any) -> None:
    if not isinstance(data, list):
        raise CodecError(f"expected a list, got {type(data).__name__}")


def _dataclass_decoder(cls: type) -> Decoder:
    hints = get_type_hints(cls)
    fields = tuple(
        (
            field.name,
            _decoder(hints[field.name]),
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
        )
        for field in _fields(cls)
    )

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise CodecError(f"expected a dict for {cls.__name__}, got {type(data).__name__}")
        values = {}
        for name, decoder, required in fields:
            if name in data:
                values[name] = decoder(data[name])
            elif required:
                raise CodecError(f"{cls.__name__}.{name} is missing")
        return cls(**values)

    return decode


def _scalar_decoder(hint: Any) -> Decoder:
    if hint is dt.date:
        return _decode_date
    if hint is float:
        return _decode_float
    if hint is int:
        return _decode_int
    if isinstance(hint, type):
        return _instance_decoder(hint)
    return _same  # a hint this codec does not check (a mapping, a protocol): taken as stored


def _decode_date(data: Any) -> dt.date:
    if not isinstance(data, str):
        raise CodecError("a date must be ISO text")
    return dt.date.fromisoformat(data)


def _decode_float(data: Any) -> float:
    if isinstance(data, bool) or not isinstance(data, int | float):
        raise CodecError(f"expected float, got {type(data).__name__}")
    return float(data)


def _decode_int(data: Any) -> int:
    # bool is an int to Python, but a stored True is not a count.
    if type(data) is int or (isinstance(data, int) and not isinstance(data, bool)):
        return data
    raise CodecError(f"expected int, got {type(data).__name__}")


def _instance_decoder(kind: type) -> Decoder:
    def decode(data: Any) -> Any:
        if type(data) is kind or isinstance(data, kind):
            return data
        raise CodecError(f"expected {kind.__name__}, got {type(data).__name__}")

    return decode
