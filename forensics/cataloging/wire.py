"""JSON-safe encoding of catalog records between the worker and the parent.

Bytes travel as latin-1 text (a lossless 1:1 mapping); timestamps as
``[seconds, nanoseconds, resolution_ns]``. The parent checks every field's
type while decoding: the worker handles hostile data and is not trusted.
"""

from __future__ import annotations

from dataclasses import fields
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
    "entry": EntryRecord, "volume": VolumeRecord, "fs": FileSystemRecord, "gap": Gap, "note": Gap,
}
_FIELDS = {kind: [f.name for f in fields(cls)] for kind, cls in _KINDS.items()}
_TYPES = {kind: {f.name: str(f.type) for f in fields(cls)} for kind, cls in _KINDS.items()}


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, Timestamp):
        return [value.seconds, value.nanoseconds, value.resolution_ns]
    return value


def to_wire(record: Any) -> list[Any]:
    """Field values of a record, JSON-safe, in declaration order."""
    return [_encode(getattr(record, f.name)) for f in fields(record)]


def _check(kind: str, name: str, value: Any) -> Any:
    declared = _TYPES[kind][name]
    if value is None:
        if "None" not in declared:
            raise WireError(f"{kind}.{name} is missing")
        return None
    if declared.startswith("bytes"):
        if not isinstance(value, str):
            raise WireError(f"{kind}.{name} is not text")
        return value.encode("latin-1")
    if declared.startswith("Timestamp"):
        if (not isinstance(value, list) or len(value) != 3
                or not all(type(v) is int for v in value)):
            raise WireError(f"{kind}.{name} is not a timestamp")
        return Timestamp(*value)
    base = declared.split(" | ")[0]
    expected = {"int": int, "str": str, "bool": bool}.get(base)
    if expected is int and type(value) is not int:
        raise WireError(f"{kind}.{name} is not an integer")
    if expected is bool and type(value) is not bool:
        raise WireError(f"{kind}.{name} is not a boolean")
    if expected is str and not isinstance(value, str):
        raise WireError(f"{kind}.{name} is not text")
    return value


def from_wire(kind: str, values: Any) -> Any:
    """Rebuild a record sent by :func:`to_wire`, checking every field.

    Raises:
        WireError: unknown kind, wrong field count or a field of the wrong type.
    """
    cls = _KINDS.get(kind)
    if cls is None or not isinstance(values, list) or len(values) != len(_FIELDS[kind]):
        raise WireError(f"malformed {kind!r} record from the catalog worker")
    return cls(**{name: _check(kind, name, v) for name, v in zip(_FIELDS[kind], values,
                                                                  strict=True)})
