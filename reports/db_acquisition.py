"""S11 acquisition records from ``Acquisition`` rows of the case database.

Every hash an exhibit shows in S10, S11, S13 and S14 comes from the one row chosen here, so the
sections cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.database.enums import AcquisitionState, VerificationResult
from forensics.database.models import Acquisition as AcquisitionRow
from forensics.database.models import Case, Exhibit
from forensics.timeutil import to_local
from reports.model import Acquisition, Examiner, HashValue, normalise_algorithm

MAX_ERROR_RANGES_SHOWN = 20
USABLE_STATES = (AcquisitionState.COMPLETED, AcquisitionState.IMPORTED)
FORMAT_LABELS = {"e01": "E01 (EWF)", "raw": "raw (dd)", "split": "split raw (dd)"}
HASH_ORDER = {"SHA-256": 0, "SHA-1": 1, "MD5": 2}


def local_iso(value: datetime | None, zone_name: str | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # stored UTC without zone info (should not happen)
        value = value.replace(tzinfo=UTC)
    return to_local(value, zone_name).isoformat()


def _record_time(text: Any, zone_name: str | None) -> str:
    """An ISO time string from an acquisition record, shown in the case's zone."""
    if not text:
        return ""
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)  # kept as written; pre-flight flags it if it has no zone
    if value.tzinfo is None:
        return str(text)
    return local_iso(value, zone_name)


def _hashes(row: AcquisitionRow) -> tuple[HashValue, ...]:
    """Every hash of the row by algorithm name: image, then source, then verification."""

    def ordered(values: Mapping[str, Any], scope: str) -> list[HashValue]:
        items = [
            HashValue(normalise_algorithm(str(name)), str(value).lower(), scope)
            for name, value in (values or {}).items()
            if value
        ]
        return sorted(items, key=lambda h: (HASH_ORDER.get(h.algorithm, 9), h.algorithm))

    hashes = ordered(row.image_hashes, "image") + ordered(row.source_hashes, "source")
    checks = (row.verification_details or {}).get("checks") or []
    recomputed = next(
        (
            c.get("actual")
            for c in checks
            if isinstance(c, Mapping) and c.get("item") == "image sha256" and c.get("actual")
        ),
        None,
    )
    if recomputed:
        hashes.append(HashValue("SHA-256", str(recomputed).lower(), "verification"))
    return tuple(hashes)


def _error_text(row: AcquisitionRow, record: Mapping[str, Any]) -> str:
    ranges = [r for r in row.error_ranges or () if isinstance(r, Mapping)]
    parts = []
    if ranges:
        total = sum(int(r.get("length") or 0) for r in ranges)
        shown = [
            f"bytes {int(r.get('offset') or 0):,}-"
            f"{int(r.get('offset') or 0) + int(r.get('length') or 0) - 1:,} ({r.get('error', '')})"
            for r in ranges[:MAX_ERROR_RANGES_SHOWN]
        ]
        more = len(ranges) - len(shown)
        parts.append(
            f"{len(ranges)} unreadable range(s), {total:,} bytes zero-filled in the image: "
            + "; ".join(shown)
            + (f"; and {more} more (full list in the acquisition record)" if more else "")
        )
    if row.abort_reason:
        parts.append(f"stopped: {row.abort_reason}")
    for warning in record.get("warnings") or ():
        parts.append(str(warning))
    return " ".join(parts) or "none recorded"


def _verification(row: AcquisitionRow) -> tuple[str, str]:
    details = row.verification_details or {}
    result = {
        VerificationResult.MATCH: "match",
        VerificationResult.MISMATCH: "no match",
        VerificationResult.NOT_POSSIBLE: "not possible",
        VerificationResult.NOT_RUN: "not run",
    }.get(row.verification, str(row.verification))
    notes = []
    if details.get("method"):
        notes.append(f"image read back: {details['method']}")
    if details.get("source_reread"):
        notes.append("source read a second time")
    mismatched = details.get("mismatched_segments") or []
    if mismatched:
        notes.append("changed segments: " + ", ".join(map(str, mismatched)))
    if details.get("ended"):
        notes.append(f"verified at {details['ended']}")
    return result, "; ".join(notes)


def acquisition_record(row: AcquisitionRow, exhibit_id: str, case: Case) -> Acquisition:
    """The S11 record of ``exhibit_id`` from one acquisition row (times in the case's zone)."""
    record = row.record or {}
    tool = record.get("tool") or {}
    source = record.get("source") or {}
    zone_name = case.time_zone
    segments = tuple(
        f"{s.get('path', '')} ({int(s.get('size') or 0):,} bytes)"
        for s in (row.image_files or record.get("segments") or ())
        if isinstance(s, Mapping)
    )
    padding = int(record.get("padding_bytes") or 0)
    changes = []
    if padding:
        changes.append(
            f"the E01 format stores whole sectors, so the image media is the source followed "
            f"by {padding:,} zero bytes; source and image hashes differ for that reason only"
        )
    if record.get("unconfirmed_fields"):
        changes.append(
            "not confirmed by the importing tool's log: "
            + ", ".join(map(str, record["unconfirmed_fields"]))
        )
    kind = source.get("kind")
    method = {"block-device": "physical", "image-file": "physical (copy of an image file)"}.get(
        kind, "physical" if row.state != AcquisitionState.IMPORTED else ""
    )
    result, note = _verification(row)
    examiner = row.examiner
    return Acquisition(
        exhibit_id=exhibit_id,
        method=method,
        tool=str(tool.get("name") or row.origin or ""),
        tool_version=str(tool.get("version") or ""),
        write_blocker=str(record.get("write_blocker") or ""),
        started_at=local_iso(row.started_at, zone_name)
        or _record_time(record.get("started"), zone_name),
        finished_at=local_iso(row.ended_at, zone_name)
        or _record_time(record.get("ended"), zone_name),
        output_format=FORMAT_LABELS.get(str(row.format).lower(), str(row.format)),
        size_bytes=int(row.size_bytes or record.get("bytes_total") or 0),
        segments=segments,
        hashes=_hashes(row),
        verification_result=result,
        verification_note=note,
        errors=_error_text(row, record),
        unavoidable_changes="; ".join(changes),
        examiner=Examiner(
            name=examiner.name if examiner else str(record.get("examiner") or ""),
            designation=(examiner.designation or "") if examiner else "",
            lab=(examiner.agency or "") if examiner else "",
        ),
    )


def latest_acquisition(session: Session, exhibit: Exhibit) -> AcquisitionRow | None:
    """The acquisition that stands for ``exhibit``: the newest completed (else imported) run.

    Failed, cancelled and running acquisitions never stand for an exhibit.

    An exhibit that is itself the image of an acquisition (``image_exhibit_id``) is covered by
    that acquisition when it has none of its own.
    """
    for column in (AcquisitionRow.exhibit_id, AcquisitionRow.image_exhibit_id):
        for state in USABLE_STATES:
            row = session.scalars(
                select(AcquisitionRow)
                .where(column == exhibit.id, AcquisitionRow.state == state)
                .order_by(AcquisitionRow.id.desc())
                .limit(1)
            ).first()
            if row is not None:
                return row
    return None


__all__ = ["USABLE_STATES", "acquisition_record", "latest_acquisition", "local_iso"]
