"""JSON-safe encoding of catalog records between the worker and the parent.

Bytes travel as latin-1 text (a lossless 1:1 mapping); timestamps as
``[seconds, nanoseconds, resolution_ns]``. The parent checks every field's
type while decoding: the worker handles hostile data and is not trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from operator import attrgetter
from typing import Any

from forensics.cataloging.records import (
    EntryRecord,
    FileSystemRecord,
    Gap,
    Timestamp,
    VolumeRecord,
)


class WireError(ValueError):
    """The worker sent something that is not a valid record."""


_KINDS: dict[str, type] = {
    "entry": EntryRecord, "volume": VolumeRecord, "fs": FileSystemRecord, "gap": Gap,
    "note": Gap,
}


def _encoder(declared: str) -> Callable[[Any], Any] | None:
    if declared.startswith("bytes"):
        return lambda v: v.decode("latin-1")
    return None  # a Timestamp is a tuple: JSON writes it as [seconds, nanoseconds, resolution]


def _allowed(declared: str) -> frozenset[type]:
    types: set[type] = set()
    for part in declared.split(" | "):
        types.add({"bytes": str, "Timestamp": list, "int": int, "str": str, "bool": bool,
                   "None": type(None)}[part])
    return frozenset(types)


_new_tuple = tuple.__new__


class _Codec:
    def __init__(self, kind: str, cls: type) -> None:
        self.cls = cls
        self.names = tuple(f.name for f in fields(cls))
        self.getter = attrgetter(*self.names)
        encoders = [_encoder(str(f.type)) for f in fields(cls)]
        self.special = tuple((i, e) for i, e in enumerate(encoders) if e is not None)
        self.allowed = tuple(_allowed(str(f.type)) for f in fields(cls))
        self.required = sum(1 for f in fields(cls) if f.default is MISSING)
        self.defaults = tuple(None if f.default is MISSING else f.default for f in fields(cls))
        self.bytes_fields = tuple(i for i, f in enumerate(fields(cls))
                                  if str(f.type).startswith("bytes"))
        self.time_fields = tuple(i for i, f in enumerate(fields(cls))
                                 if str(f.type).startswith("Timestamp"))


_CODECS = {kind: _Codec(kind, cls) for kind, cls in _KINDS.items()}
_BY_CLASS = {cls: _CODECS[kind] for kind, cls in _KINDS.items()}


def to_wire(record: Any) -> list[Any]:
    """Field values of a record, JSON-safe, in declaration order."""
    codec = _BY_CLASS[type(record)]
    values = list(codec.getter(record))
    for i, encode in codec.special:
        if values[i] is not None:
            values[i] = encode(values[i])
    # trailing fields still at their defaults are left out (the decoder restores them)
    n = len(values)
    while n > codec.required and values[n - 1] == codec.defaults[n - 1] \
            and type(values[n - 1]) is type(codec.defaults[n - 1]):
        n -= 1
    return values[:n]


def from_wire(kind: str, values: Any) -> Any:
    """Rebuild a record sent by :func:`to_wire`, checking every field.

    Raises:
        WireError: unknown kind, wrong field count or a field of the wrong type.
    """
    codec = _CODECS.get(kind)
    if (codec is None or type(values) is not list
            or not codec.required <= len(values) <= len(codec.allowed)):
        raise WireError(f"malformed {kind!r} record from the catalog worker")
    if not all(map(frozenset.__contains__, codec.allowed, map(type, values))):
        bad = next(name for name, ok, v in zip(codec.names, codec.allowed, values, strict=False)
                   if type(v) not in ok)
        raise WireError(f"{kind}.{bad} has the wrong type")
    values = values + list(codec.defaults[len(values):])
    # inlined (no call per field): this runs for every field of every entry
    for i in codec.bytes_fields:
        v = values[i]
        if v is not None:
            values[i] = v.encode("latin-1")
    for i in codec.time_fields:
        v = values[i]
        if v is not None:
            if len(v) != 3 or type(v[0]) is not int or type(v[1]) is not int \
                    or type(v[2]) is not int:
                raise WireError("a timestamp is malformed")
            values[i] = _new_tuple(Timestamp, v)
    return codec.cls(*values)
