"""JSON-safe encoding of catalog records between the worker and the parent.

Bytes travel as latin-1 text (a lossless 1:1 mapping); timestamps as
``[seconds, nanoseconds, resolution_ns]``. An entry's ``path_raw`` and
``name_raw`` travel as ``null`` when they are exactly the UTF-8 of ``path`` and
``name`` (almost always), which keeps messages a third shorter. The parent
checks every field's type while decoding: the worker handles hostile data and
is not trusted.
"""

from __future__ import annotations

import dataclasses
import re
from operator import attrgetter
from typing import Any

from forensics.cataloging.names import display_name
from forensics.cataloging.records import (
    EntryRecord,
    FileSystemRecord,
    Gap,
    Timestamp,
    VolumeRecord,
)


class WireError(ValueError):
    """The worker sent something that is not a valid record."""


HANDOFF_KIND = "entry-handoff"
"""An entry whose content the worker handed to the application to hash:
``[start, length, entry]`` (see :mod:`forensics.cataloging.sharedcontent`)."""


_KINDS: dict[str, type] = {
    "entry": EntryRecord, "volume": VolumeRecord, "fs": FileSystemRecord, "gap": Gap,
    "note": Gap,
}
_RAW_OF_TEXT = {"path_raw": "path", "name_raw": "name"}
"""Bytes fields sent as null when they are the UTF-8 of the text field named here."""

_MISSING = dataclasses.MISSING


def _field_specs(cls: type) -> list[tuple[str, str, Any]]:
    """(name, declared type, default or MISSING) of a dataclass or named tuple."""
    if dataclasses.is_dataclass(cls):
        return [(f.name, str(f.type), f.default) for f in dataclasses.fields(cls)]
    defaults: dict[str, Any] = cls._field_defaults  # type: ignore[attr-defined]
    hints = cls.__annotations__  # ForwardRef('int | None') under postponed annotations
    return [(name, str(getattr(hints[name], "__forward_arg__", hints[name])),
             defaults.get(name, _MISSING))
            for name in cls._fields]  # type: ignore[attr-defined]


def _allowed(name: str, declared: str) -> frozenset[type]:
    types: set[type] = set()
    for part in declared.split(" | "):
        types.add({"bytes": str, "Timestamp": list, "int": int, "str": str, "bool": bool,
                   "None": type(None)}[part])
    if name in _RAW_OF_TEXT:
        types.add(type(None))
    return frozenset(types)


_new_tuple = tuple.__new__


class _Codec:
    def __init__(self, cls: type) -> None:
        specs = _field_specs(cls)
        self.cls = cls
        self.names = tuple(name for name, _t, _d in specs)
        self.getter = attrgetter(*self.names)
        self.allowed = tuple(_allowed(name, t) for name, t, _d in specs)
        self.required = sum(1 for _n, _t, d in specs if d is _MISSING)
        self.defaults = tuple(None if d is _MISSING else d for _n, _t, d in specs)
        self.bytes_fields = tuple(i for i, (_n, t, _d) in enumerate(specs)
                                  if t.startswith("bytes"))
        self.time_fields = tuple(i for i, (_n, t, _d) in enumerate(specs)
                                 if t.startswith("Timestamp"))
        index = {name: i for i, name in enumerate(self.names)}
        self.raw_pairs = tuple((index[raw], index[text]) for raw, text in _RAW_OF_TEXT.items()
                               if raw in index)
        self.plain_bytes = tuple(i for i in self.bytes_fields
                                 if i not in {raw for raw, _t in self.raw_pairs})


_CODECS = {kind: _Codec(cls) for kind, cls in _KINDS.items()}
_BY_CLASS = {cls: _CODECS[kind] for kind, cls in _KINDS.items()}


def to_wire(record: Any) -> list[Any]:
    """Field values of a record, JSON-safe, in declaration order."""
    if type(record) is EntryRecord:
        return _entry_to_wire(record)
    codec = _BY_CLASS[type(record)]  # a dataclass: entries took the path above
    values = list(codec.getter(record))
    for i in codec.plain_bytes:
        if values[i] is not None:
            values[i] = values[i].decode("latin-1")
    # trailing fields still at their defaults are left out (the decoder restores them)
    n = len(values)
    while n > codec.required and values[n - 1] == codec.defaults[n - 1] \
            and type(values[n - 1]) is type(codec.defaults[n - 1]):
        n -= 1
    return values[:n]


_ENTRY = _CODECS["entry"]
_E_PATH, _E_PATH_RAW, _E_NAME, _E_NAME_RAW = (
    EntryRecord._fields.index(n) for n in ("path", "path_raw", "name", "name_raw"))
_E_TIMES = _ENTRY.time_fields
_E_TAILS = tuple((i, _ENTRY.defaults[i]) for i in range(len(_ENTRY.names) - 1,
                                                           _ENTRY.required - 1, -1))
_E_HASHED = EntryRecord._fields.index("mime_type")
_E_LISTED = EntryRecord._fields.index("md5")


def _entry_to_wire(record: EntryRecord) -> list[Any]:
    values = list(record)
    for i in _E_TIMES:
        if values[i] is not None:
            values[i] = tuple(values[i])  # a plain tuple: the JSON encoder writes it natively
    return entry_fields_to_wire(values)


def entry_fields_to_wire(values: list[Any]) -> list[Any]:
    """:func:`to_wire` for an entry still being built as a field list (EntryRecord order,
    times as plain tuples): the worker's walk hands its lists straight to this."""
    raw = values[_E_PATH_RAW]
    values[_E_PATH_RAW] = None if raw == _utf8_or_none(values[_E_PATH]) \
        else raw.decode("latin-1")
    raw = values[_E_NAME_RAW]
    values[_E_NAME_RAW] = None if raw == _utf8_or_none(values[_E_NAME]) \
        else raw.decode("latin-1")
    for cut in (_E_LISTED, _E_HASHED):
        if values[cut:] == _ENTRY_DEFAULT_TAIL[cut]:
            del values[cut:]
            return values
    for i, default in _E_TAILS:
        if values[i] != default or type(values[i]) is not type(default):
            del values[i + 1:]
            return values
    del values[_ENTRY.required:]
    return values


def _utf8_or_none(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


_ENTRY_DEFAULT_TAIL = {i: list(_ENTRY.defaults[i:]) for i in range(len(_ENTRY.names) + 1)}
"""Entry fields from index i on, all at their defaults (to leave out, and to pad back)."""


def from_wire(kind: str, values: Any) -> Any:
    """Rebuild a record sent by :func:`to_wire`, checking every field.

    Raises:
        WireError: unknown kind, wrong field count or a field of the wrong type.
    """
    if kind == "entry" and type(values) is list and _E_REQUIRED <= len(values) <= _E_COUNT:
        return _entry_from_wire(values)
    if kind == HANDOFF_KIND:
        if (type(values) is not list or len(values) != 3 or type(values[0]) is not int
                or type(values[1]) is not int or type(values[2]) is not list
                or not _E_REQUIRED <= len(values[2]) <= _E_COUNT):
            raise WireError("malformed entry hand-off from the catalog worker")
        return values[0], values[1], _entry_from_wire(values[2])
    codec = _CODECS.get(kind)
    if (codec is None or type(values) is not list
            or not codec.required <= len(values) <= len(codec.allowed)):
        raise WireError(f"malformed {kind!r} record from the catalog worker")
    if not all(map(frozenset.__contains__, codec.allowed, map(type, values))):
        bad = next(name for name, ok, v in zip(codec.names, codec.allowed, values, strict=False)
                   if type(v) not in ok)
        raise WireError(f"{kind}.{bad} has the wrong type")
    values = values + list(codec.defaults[len(values):])
    try:
        for i in codec.plain_bytes:  # entries (names, times, digests) took the path above
            if values[i] is not None:
                values[i] = values[i].encode("latin-1")
    except UnicodeError as exc:  # text that is not latin-1 where bytes were expected
        raise WireError(f"{kind}: bytes field is not latin-1 text") from exc
    return codec.cls(*values)


_E_REQUIRED, _E_COUNT = _ENTRY.required, len(_ENTRY.names)
_E_ALLOWED = _ENTRY.allowed
_INT = int
_E_MD5, _E_SHA256 = EntryRecord._fields.index("md5"), EntryRecord._fields.index("sha256")
_E_STREAM, _E_NAME_TYPE, _E_META_TYPE = (
    EntryRecord._fields.index(n) for n in ("stream", "name_type", "meta_type"))
_E_KNOWN, _E_NOTABLE, _E_HASH_SET = (
    EntryRecord._fields.index(n) for n in ("known", "notable", "hash_set"))
_TYPE_LETTERS = frozenset("-pcdbrlshwvV?")  # TSK's name and metadata type letters
_MD5_HEX = re.compile("[0-9a-f]{32}").fullmatch
_SHA256_HEX = re.compile("[0-9a-f]{64}").fullmatch


def _shown(text: str, raw: bytes) -> bool:
    """True if ``text`` is how Sealbag shows the name ``raw`` (see :func:`display_name`)."""
    # printable text shows as it is: the check in C answers nearly every name
    return (text.isprintable() and raw == text.encode("utf-8")) or display_name(raw) == text


def _shown_path(text: str, raw: bytes) -> bool:
    """:func:`_shown` for a path: each name shown on its own, joined by ``/``."""
    if text.isprintable() and raw == text.encode("utf-8"):
        return True
    return "/".join(map(display_name, raw.split(b"/"))) == text


def _names_agree(path: str, path_raw: bytes, name: str, name_raw: bytes,
                 stream: str | None) -> bool:
    """The path and name shown are those of their bytes, and the path ends with the name
    (and ``:stream`` for a named data stream): the worker cannot show one name for
    another, nor pass a bidi override or control character off as shown text."""
    if not _shown(name, name_raw):
        return False
    if stream is None:
        head, head_raw = path, path_raw
    else:
        if not path.endswith(":" + stream):
            return False
        head = path[:-len(stream) - 1]
        # Windows writes no ':' in stream names, but the media may hold one. A ':' is
        # shown as it is (no escape contains one), so the stream shown has as many as
        # its bytes: the separator is the one before them.
        cut = len(path_raw)
        for _ in range(stream.count(":") + 1):
            cut = path_raw.rfind(b":", 0, cut)
        if cut < 0 or not _shown(stream, path_raw[cut + 1:]):
            return False
        head_raw = path_raw[:cut]
    return ((head == name or head.endswith("/" + name)) and _shown_path(head, head_raw))


def _entry_from_wire(values: list[Any]) -> EntryRecord:
    """:func:`from_wire` for entries, written out (the parent decodes one per name)."""
    if not all(map(frozenset.__contains__, _E_ALLOWED, map(type, values))):
        bad = next(name for name, ok, v in zip(_ENTRY.names, _E_ALLOWED, values, strict=False)
                   if type(v) not in ok)
        raise WireError(f"entry.{bad} has the wrong type")
    if len(values) < _E_COUNT:
        values = values + _ENTRY_DEFAULT_TAIL[len(values)]  # else decoded in place
    as_text = values[_E_PATH_RAW] is None and values[_E_NAME_RAW] is None
    try:
        raw = values[_E_PATH_RAW]
        text = values[_E_PATH].encode("utf-8")  # also refuses lone surrogates
        values[_E_PATH_RAW] = text if raw is None else raw.encode("latin-1")
        raw = values[_E_NAME_RAW]
        text = values[_E_NAME].encode("utf-8")
        values[_E_NAME_RAW] = text if raw is None else raw.encode("latin-1")
        stream = values[_E_STREAM]
        if stream is not None:
            stream.encode("utf-8")
    except UnicodeError as exc:
        raise WireError("entry: a name is not valid text") from exc
    path, name = values[_E_PATH], values[_E_NAME]
    # nearly every name: printable text whose bytes are its UTF-8, no stream
    if not (as_text and stream is None and path.isprintable() and name.isprintable()
            and (path == name or path.endswith("/" + name))) \
            and not _names_agree(path, values[_E_PATH_RAW], name, values[_E_NAME_RAW], stream):
        raise WireError("entry: a name shown does not match its bytes on the media")
    if values[_E_NAME_TYPE] not in _TYPE_LETTERS or values[_E_META_TYPE] not in _TYPE_LETTERS:
        raise WireError("entry: unknown name or metadata type")
    # what hash sets say is the application's to decide, never the worker's
    values[_E_KNOWN] = values[_E_NOTABLE] = False
    values[_E_HASH_SET] = None
    for i in _E_TIMES:
        v = values[i]
        if v is not None:
            if len(v) != 3 or type(v[0]) is not _INT or type(v[1]) is not _INT \
                    or type(v[2]) is not _INT:
                raise WireError("a timestamp is malformed")
            values[i] = _new_tuple(Timestamp, v)
    md5, sha256 = values[_E_MD5], values[_E_SHA256]
    if (md5 is not None and not _MD5_HEX(md5)) or (sha256 is not None
                                                    and not _SHA256_HEX(sha256)):
        raise WireError("entry: a digest is not lower-case hex of the right length")
    return _new_tuple(EntryRecord, values)
