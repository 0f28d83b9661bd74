"""One reading of exported custody events for printing and continuity checks.

The chain hash is always computed over the event exactly as exported; this view only maps the
field names the custody ledger may use (``occurred_at``/``occurred_tz``, ``seal_number``,
``hash_algorithm``/``hash_value``, people as objects, booleans) onto the S12 columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reports.timefmt import parse_time

TRANSFER_ACTIONS = frozenset(
    {"transferred", "checked out", "checked-out", "checked in", "checked-in", "returned"}
)


def _person(value: Any) -> str:
    if isinstance(value, Mapping):
        parts = [str(value.get(k) or "") for k in ("name", "designation", "id_number")]
        return " · ".join(p for p in parts if p)
    return "" if value is None else str(value)


def _yes_no(value: Any) -> str:
    if value is True:
        return "Y"
    if value is False:
        return "N"
    return "" if value is None else str(value)


def _time(event: Mapping[str, Any]) -> str:
    at = event.get("at", event.get("occurred_at"))
    text = "" if at is None else str(at)
    zone = event.get("occurred_tz")
    parsed = parse_time(text)
    if parsed is not None and parsed.tzinfo is not None and zone:
        try:  # show the time in the zone it was recorded in
            return parsed.astimezone(ZoneInfo(str(zone))).isoformat()
        except (ZoneInfoNotFoundError, ValueError):
            return text
    return text


def view(event: Mapping[str, Any], index: int = 0) -> dict[str, str]:
    """The S12 columns of one exported event, as text."""
    exhibit = str(event.get("exhibit_id", event.get("exhibit", "")))
    sequence = event.get("sequence", index + 1)
    entry = event.get("entry_no") or f"C-{exhibit}-{int(sequence):02d}"
    hash_text = event.get("hash_verified")
    if hash_text is None and event.get("hash_value"):
        hash_text = f"{event.get('hash_algorithm') or '⟨algorithm missing⟩'} {event['hash_value']}"
    return {
        "entry_no": str(entry),
        "exhibit_id": exhibit,
        "at": _time(event),
        "action": str(event.get("action", "")),
        "released_by": _person(event.get("released_by")),
        "received_by": _person(event.get("received_by")),
        "purpose": str(event.get("purpose") or ""),
        "location_from": str(event.get("location_from") or ""),
        "location_to": str(event.get("location_to") or ""),
        "storage_ref": str(event.get("storage_ref") or ""),
        "seal_checked": str(event.get("seal_checked", event.get("seal_number")) or ""),
        "seal_intact": _yes_no(event.get("seal_intact")),
        "new_seal": str(event.get("new_seal", event.get("new_seal_number")) or ""),
        "hash_verified": str(hash_text or ""),
        "hash_match": _yes_no(event.get("hash_match")),
        "remarks": _remarks(event),
    }


def _remarks(event: Mapping[str, Any]) -> str:
    text = str(event.get("remarks") or "")
    if event.get("actor") and event.get("signer"):
        actor = event["actor"]
        name = actor.get("name") if isinstance(actor, Mapping) else actor
        text = " ".join(
            p for p in (f"signed by {name} (key {str(event['signer'])[:12]}…)", text) if p
        )
    if event.get("exception") is True:
        broken = "; ".join(str(v) for v in event.get("violations") or [])
        flag = f"EXCEPTION recorded with justification: {event.get('exception_justification')}"
        text = " ".join(p for p in (flag, f"(rules: {broken})" if broken else "", text) if p)
    return text
