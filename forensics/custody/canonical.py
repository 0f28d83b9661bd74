"""Canonical JSON of custody events: the exact bytes that are hashed and signed.

Canonical form: UTF-8, keys sorted, separators ``,`` and ``:``, non-ASCII kept
as is (``ensure_ascii=False``). Values are restricted to strings, integers of at
most 53 bits, booleans, null, lists and objects with ASCII keys, so for every
event Sealbag writes the bytes equal RFC 8785 (JCS) output too.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

EVENT_TYPE = "custody-event"
EVENT_VERSION = 1
ZERO_HASH = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MAX_SAFE_INT = 2**53 - 1
_DETAIL_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

# Every member of a canonical event, in documentation order.
EVENT_FIELDS = (
    "type", "version", "case", "exhibit", "sequence", "prev_hash", "derived_from", "action",
    "occurred_at", "occurred_tz", "recorded_at", "actor", "released_by", "received_by",
    "purpose", "location_from", "location_to", "storage_ref", "seal_number", "seal_intact",
    "new_seal_number", "hash_algorithm", "hash_value", "hash_match", "remarks", "attachments",
    "corrects", "exception", "exception_justification", "violations", "details", "signer",
)


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    """The canonical UTF-8 JSON encoding of ``obj``.

    Raises:
        ValueError: ``obj`` holds a value outside the canonical subset.
    """
    check_canonical_value(obj, "event")
    return encode_canonical(obj)


def encode_canonical(obj: Any) -> bytes:
    """The canonical encoding without the value checks (for export lines whose
    members are exhibit IDs, e.g. the header's ``heads``)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _refuse_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer")


def _checked_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INT:
        raise ValueError(f"integer {text} is too large for canonical JSON")
    return value


def strict_loads(text: str | bytes) -> Any:
    """Parse JSON the way custody records are verified: no duplicate members, no floats.

    Raises:
        ValueError: invalid JSON, a duplicate member, a float, NaN or a huge integer.
    """
    return json.loads(
        text,
        object_pairs_hook=_refuse_duplicates,
        parse_float=_refuse_float,
        parse_constant=_refuse_float,
        parse_int=_checked_int,
    )


def entry_hash(canonical: bytes) -> str:
    """SHA-256 of the canonical bytes, as 64 lower-case hex digits."""
    return hashlib.sha256(canonical).hexdigest()


def format_time(value: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, always 6 decimals).

    Raises:
        ValueError: the datetime is naive.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("custody times must carry a time zone")
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Inverse of :func:`format_time` (returns an aware UTC datetime)."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def is_sha256_hex(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))


def check_canonical_value(value: Any, where: str) -> None:
    """Refuse values whose JSON text would not be reproducible everywhere.

    Raises:
        ValueError: floats, huge integers, non-string keys, lone surrogates.
    """
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ValueError(f"{where}: integer {value} is too large for canonical JSON")
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{where}: text is not valid Unicode") from exc
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_canonical_value(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not _DETAIL_KEY.match(key):
                raise ValueError(f"{where}: key {key!r} must be 1-64 ASCII letters, digits, _ . -")
            check_canonical_value(item, f"{where}.{key}")
        return
    raise ValueError(
        f"{where}: {type(value).__name__} values are not allowed in custody records "
        "(use text for fractional numbers)"
    )


__all__ = [
    "EVENT_FIELDS",
    "EVENT_TYPE",
    "EVENT_VERSION",
    "ZERO_HASH",
    "canonical_bytes",
    "check_canonical_value",
    "encode_canonical",
    "entry_hash",
    "format_time",
    "is_sha256_hex",
    "parse_time",
    "strict_loads",
]
