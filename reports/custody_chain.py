"""Hash chains of the exported custody log and their continuity rules (S12).

Two formats are accepted: the custody ledger's export (signed per-exhibit chains with a header
and key records, ``docs/custody.md``), checked by ``forensics.custody``; and the simple chain of
spec B8.2 (one chain over all lines), recomputed here. ``verify_custody_export`` is the one entry
point ``bundle verify`` uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.custody.canonical import ZERO_HASH, encode_canonical
from forensics.custody.canonical import entry_hash as _hash_of
from reports.custody_view import TRANSFER_ACTIONS, view
from reports.timefmt import parse_time

__all__ = ["TRANSFER_ACTIONS", "ZERO_HASH", "chain_events", "verify_chain", "verify_custody_export"]


def entry_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of the event's canonical JSON without its own ``entry_hash``."""
    body = {k: v for k, v in event.items() if k != "entry_hash"}
    return _hash_of(encode_canonical(body))


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
    return b"".join(encode_canonical(event) + b"\n" for event in events)


LEDGER_EVENT = "custody-event"


@dataclass(frozen=True)
class ChainResult:
    """Outcome of a chain check.

    ``format`` is ``"ledger"`` (Sealbag's signed per-exhibit chains, ``docs/custody.md``) or
    ``"simple"`` (one chain over all lines, spec B8.2). ``head_hash`` is the simple chain's head;
    ``heads`` maps each exhibit to its chain head (ledger format).
    """

    head_hash: str
    count: int
    problems: tuple[str, ...]
    format: str = "simple"
    heads: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def is_ledger_export(records: Iterable[Mapping[str, Any]]) -> bool:
    """True when the records carry ``type`` members (the custody ledger's export format)."""
    return any("type" in record for record in records)


def events_only(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The custody events among export records (drops the header and key records)."""
    return [r for r in records if r.get("type", LEDGER_EVENT) == LEDGER_EVENT]


def verify_chain(events: Sequence[Mapping[str, Any]]) -> ChainResult:
    """Check a chain: the ledger's verifier for ledger exports, else the simple recomputation."""
    if is_ledger_export(events):
        return _verify_ledger_lines([encode_canonical(r).decode() for r in events])
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


def _ledger_result(report: Any) -> ChainResult:
    problems = (
        []
        if report.valid
        else [
            "custody " + (report.first_broken.describe() if report.first_broken else "chain broken")
        ]
    )
    heads = {c.exhibit: c.head_hash for c in report.chains}
    return ChainResult("", report.events, tuple(problems), "ledger", heads)


def _verify_ledger_lines(lines: list[str]) -> ChainResult:
    try:
        from forensics.custody.verify import verify_lines
    except ImportError:
        return ChainResult(
            "", 0, ("custody ledger verifier (forensics.custody) not installed",), "ledger"
        )
    return _ledger_result(verify_lines(lines))


def verify_custody_export(path: Path) -> ChainResult:
    """Verify a ``custody.jsonl`` file: the one place ``bundle verify`` checks custody.

    Ledger exports go to ``forensics.custody.verify_export``; simple chains are recomputed here.
    """
    records: list[Mapping[str, Any]] = []
    problems: list[str] = []
    with open(path, "rb") as handle:
        raw_lines = handle.read().split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    for number, line in enumerate(raw_lines, 1):
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            problems.append(f"custody line {number}: not valid JSON")
            continue
        if not isinstance(value, dict):
            problems.append(f"custody line {number}: not a JSON object")
            continue
        if encode_canonical(value) != line:
            problems.append(f"custody line {number}: not in canonical JSON form")
        records.append(value)
    if is_ledger_export(records):
        try:
            from forensics.custody import verify_export
        except ImportError:
            result = _verify_ledger_lines([])
        else:
            result = _ledger_result(verify_export(path))
    else:
        result = verify_chain(records)
    return ChainResult(
        result.head_hash, result.count, (*problems, *result.problems), result.format, result.heads
    )


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
    for index, event in enumerate(events_only(events)):
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
        holder = ""
        for row, when in zip(rows, times, strict=True):
            entry = row["entry_no"]
            if when is None or when.tzinfo is None:
                continue  # reported by the time-zone check
            if previous_time is not None and when < previous_time:
                problems.append(f"custody {entry} ({exhibit}): earlier than the entry before it")
            if seized is not None and when < seized:
                problems.append(f"custody {entry} ({exhibit}): precedes the seizure")
            previous_time = when
            if row["action"] in TRANSFER_ACTIONS and holder and row["released_by"] != holder:
                problems.append(
                    f"custody {entry} ({exhibit}): released by {row['released_by']!r} but the "
                    f"previous receiver was {holder!r}"
                )
            if row["received_by"]:
                holder = row["received_by"]
        if seized is None and exhibit in set(seizure_required):
            problems.append(f"custody ({exhibit}): no 'seized' entry with a zoned time")
    return problems


def gap_entries(events: Sequence[Mapping[str, Any]]) -> set[str]:
    """Entry numbers of handovers whose releaser is not the previous receiver."""
    gaps = set()
    holders: dict[str, str] = {}
    for index, event in enumerate(events_only(events)):
        row = view(event, index)
        holder = holders.get(row["exhibit_id"], "")
        if row["action"] in TRANSFER_ACTIONS and holder and row["released_by"] != holder:
            gaps.add(row["entry_no"])
        if row["received_by"]:
            holders[row["exhibit_id"]] = row["received_by"]
    return gaps
