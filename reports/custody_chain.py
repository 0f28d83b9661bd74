"""Hash chain of the exported custody log (spec B8.2) and its continuity rules (S12).

``verify_custody_export`` is the one entry point ``bundle verify`` uses; it defers to
``forensics.custody.verify_export`` when the custody ledger provides it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.custody_view import TRANSFER_ACTIONS, view
from reports.timefmt import parse_time

ZERO_HASH = "0" * 64
__all__ = ["TRANSFER_ACTIONS", "ZERO_HASH", "chain_events", "verify_chain", "verify_custody_export"]


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """UTF-8, sorted keys, separators ``(",", ":")``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of the event's canonical JSON without its own ``entry_hash``."""
    body = {k: v for k, v in event.items() if k != "entry_hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def chain_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Add ``prev_hash`` and ``entry_hash`` to plain events (used by the demo data)."""
    chained: list[dict[str, Any]] = []
    previous = ZERO_HASH
    for event in events:
        item = {k: v for k, v in event.items() if k not in ("prev_hash", "entry_hash")}
        item["prev_hash"] = previous
        item["entry_hash"] = entry_hash(item)
        previous = item["entry_hash"]
        chained.append(item)
    return chained


def custody_jsonl(events: Sequence[Mapping[str, Any]]) -> bytes:
    """The ``custody.jsonl`` bytes: one canonical JSON object per line."""
    return b"".join(canonical_json(event) + b"\n" for event in events)


@dataclass(frozen=True)
class ChainResult:
    head_hash: str
    count: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(events: Sequence[Mapping[str, Any]]) -> ChainResult:
    """Recompute every ``entry_hash`` and ``prev_hash`` link."""
    problems: list[str] = []
    previous = ZERO_HASH
    for number, event in enumerate(events, 1):
        if event.get("prev_hash") != previous:
            problems.append(f"custody line {number}: prev_hash does not match the line before")
        recomputed = entry_hash(event)
        if event.get("entry_hash") != recomputed:
            problems.append(f"custody line {number}: entry_hash does not match its content")
        previous = str(event.get("entry_hash", ""))
    return ChainResult(previous if events else ZERO_HASH, len(events), tuple(problems))


def verify_custody_export(path: Path) -> ChainResult:
    """Verify a ``custody.jsonl`` file; uses the custody ledger's verifier when available."""
    try:
        from forensics.custody import verify_export  # type: ignore[attr-defined]
    except ImportError:
        verify_export = None
    if verify_export is not None:  # pragma: no cover - depends on the custody ledger
        result = verify_export(path)
        return ChainResult(result.head_hash, result.count, tuple(result.problems))
    events: list[Mapping[str, Any]] = []
    problems: list[str] = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                problems.append(f"custody line {number}: not valid JSON")
                continue
            if not isinstance(value, dict):
                problems.append(f"custody line {number}: not a JSON object")
                continue
            if canonical_json(value) + b"\n" != line:
                problems.append(f"custody line {number}: not in canonical JSON form")
            events.append(value)
    result = verify_chain(events)
    return ChainResult(result.head_hash, result.count, (*problems, *result.problems))


def continuity_problems(
    events: Sequence[Mapping[str, Any]], seizure_required: Iterable[str] = ()
) -> list[str]:
    """S12 integrity rule per exhibit: time order, no event before seizure, handovers match.

    Args:
        events: exported custody events, in ledger order.
        seizure_required: exhibit IDs that must have a "seized" entry (not derived images).
    """
    problems: list[str] = []
    by_exhibit: dict[str, list[dict[str, str]]] = {}
    for index, event in enumerate(events):
        row = view(event, index)
        by_exhibit.setdefault(row["exhibit_id"], []).append(row)
    for exhibit in sorted(set(seizure_required) - set(by_exhibit)):
        problems.append(f"custody ({exhibit}): no entries")
    for exhibit, rows in by_exhibit.items():
        times = [parse_time(row["at"]) for row in rows]
        seized = next(
            (
                t
                for row, t in zip(rows, times, strict=True)
                if row["action"] == "seized" and t and t.tzinfo
            ),
            None,
        )
        previous_time = None
        previous_transfer: dict[str, str] | None = None
        for row, when in zip(rows, times, strict=True):
            entry = row["entry_no"]
            if when is None or when.tzinfo is None:
                continue  # reported by the time-zone check
            if previous_time is not None and when < previous_time:
                problems.append(f"custody {entry} ({exhibit}): earlier than the entry before it")
            if seized is not None and when < seized:
                problems.append(f"custody {entry} ({exhibit}): precedes the seizure")
            previous_time = when
            if row["action"] in TRANSFER_ACTIONS:
                if previous_transfer is not None and (
                    previous_transfer["received_by"] != row["released_by"]
                ):
                    problems.append(
                        f"custody {entry} ({exhibit}): released by {row['released_by']!r} but "
                        "the previous transfer was received by "
                        f"{previous_transfer['received_by']!r}"
                    )
                previous_transfer = row
        if seized is None and exhibit in set(seizure_required):
            problems.append(f"custody ({exhibit}): no 'seized' entry with a zoned time")
    return problems


def gap_entries(events: Sequence[Mapping[str, Any]]) -> set[str]:
    """Entry numbers of transfers whose releaser is not the previous transfer's receiver."""
    gaps = set()
    last: dict[str, dict[str, str]] = {}
    for index, event in enumerate(events):
        row = view(event, index)
        if row["action"] not in TRANSFER_ACTIONS:
            continue
        previous = last.get(row["exhibit_id"])
        if previous is not None and previous["received_by"] != row["released_by"]:
            gaps.add(row["entry_no"])
        last[row["exhibit_id"]] = row
    return gaps
