"""Keep acquisitions in the case database and the case's evidence store folder.

Case mode runs in three short transactions so a crash is visible afterwards:
:func:`begin_case_acquisition` adds an ``Acquisition`` row in state ``running``
(and says where the image goes: ``<case folder>/images/<exhibit>/``), the
imaging runs with no database transaction open, then
:func:`finish_case_acquisition` stores the final record, the image files (as
``StoredFile`` rows with their SHA-256) and audit entries for the custody events.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.casework.audit import record_audit
from forensics.casework.exhibits import get_exhibit_row
from forensics.casework.people import find_person
from forensics.database.enums import AcquisitionState as DbState
from forensics.database.enums import StoredFileKind, VerificationResult
from forensics.database.models import Acquisition, Case, StoredFile
from forensics.errors import OperationCancelled, UserInputError
from forensics.imaging.engine import safe_image_name
from forensics.imaging.record import AcquisitionRecord, Verification
from forensics.store import sha256_file

_STATE = {
    "in_progress": DbState.RUNNING,
    "completed": DbState.COMPLETED,
    "verified": DbState.COMPLETED,
    "verification_failed": DbState.FAILED,
    "failed": DbState.FAILED,
    "cancelled": DbState.CANCELLED,
    "imported": DbState.IMPORTED,
}
_VERIFICATION = {
    "match": VerificationResult.MATCH,
    "mismatch": VerificationResult.MISMATCH,
    "not_run": VerificationResult.NOT_RUN,
}


@dataclass(frozen=True, slots=True)
class CaseAcquisitionTarget:
    """Where a case-mode acquisition goes and which row records it."""

    acquisition_id: int
    case_reference: str
    exhibit_reference: str
    examiner_name: str | None
    out_dir: Path
    case_folder: Path | None


def begin_case_acquisition(
    session: Session, case_reference: str, exhibit_reference: str, *, fmt: str,
    source_path: str, examiner: str | None = None, out_dir: Path | None = None,
) -> CaseAcquisitionTarget:
    """Add a ``running`` acquisition row for an exhibit and pick its folder.

    Args:
        session: open session (the caller commits).
        case_reference, exhibit_reference: existing case and exhibit.
        fmt: raw, split or e01.
        source_path: what is being imaged.
        examiner: ID number, ``#id`` or name of a registered person.
        out_dir: override the store folder (``<case folder>/images/<exhibit>``).

    Raises:
        NotFoundError: no such case, exhibit or person.
        UserInputError: the case has no evidence folder and no ``out_dir`` was given.
    """
    exhibit = get_exhibit_row(session, case_reference, exhibit_reference)
    case = session.get(Case, exhibit.case_id)
    assert case is not None
    person = find_person(session, examiner) if examiner else None
    case_folder = Path(case.store_path) if case.store_path else None
    if out_dir is None:
        if case_folder is None:
            raise UserInputError(
                f"case {case.reference} has no evidence store folder; pass --out DIR"
            )
        out_dir = case_folder / "images" / safe_image_name(exhibit.exhibit_id)
    row = Acquisition(
        exhibit_id=exhibit.id, state=DbState.RUNNING, origin="sealbag", format=fmt,
        source_path=source_path, examiner_id=person.id if person else None,
    )
    session.add(row)
    session.flush()
    record_audit(session, "acquisition.start", target_type="acquisition",
                 target_id=str(row.id), case_id=case.id,
                 person_id=person.id if person else None,
                 details={"exhibit": exhibit.exhibit_id, "source": source_path, "format": fmt})
    return CaseAcquisitionTarget(
        acquisition_id=row.id, case_reference=case.reference,
        exhibit_reference=exhibit.exhibit_id, examiner_name=person.name if person else None,
        out_dir=out_dir, case_folder=case_folder,
    )


def finish_case_acquisition(
    session: Session, target: CaseAcquisitionTarget, record: AcquisitionRecord,
    record_file: Path | None, events: list[tuple[str, dict[str, Any]]] = (),
) -> Acquisition:
    """Store the final record of a case-mode acquisition (any end state).

    Args:
        session: open session (the caller commits).
        target: what :func:`begin_case_acquisition` returned.
        record: the final acquisition record.
        record_file: the JSON record written beside the image.
        events: events collected from the engine's ``on_event`` hook; each becomes
            an audit entry, and ``imaged``/``verified`` also a signed custody event.

    Returns:
        The acquisition row; ``custody_warnings`` on it lists custody events the
        ledger refused (e.g. the exhibit has no seizure event yet).
    """
    row = session.get(Acquisition, target.acquisition_id)
    assert row is not None
    case_id = row.exhibit.case_id
    # custody first: the ledger locks the exhibit's chain before anything is written
    custody_warnings = [
        warning for kind, _details in events if kind in ("imaged", "verified")
        if (warning := _custody_event(session, row, record, kind))
    ]
    row.state = _STATE.get(record.state, DbState.FAILED)
    row.source_identity = record.to_dict()["source"]
    row.started_at = _parse_time(record.started)
    row.ended_at = _parse_time(record.ended)
    row.size_bytes = record.bytes_total
    row.bytes_read = record.bytes_read
    row.source_hashes = dict(record.source_hashes)
    row.image_hashes = dict(record.image_hashes)
    row.sha256 = record.image_hashes.get("sha256")
    row.error_ranges = [e for e in record.to_dict()["error_ranges"]]
    row.verification = _VERIFICATION.get(record.verification.result, VerificationResult.NOT_RUN)
    row.verification_details = record.to_dict()["verification"]
    row.image_files = [s for s in record.to_dict()["segments"]]
    row.record = record.to_dict()
    row.record_path = str(record_file) if record_file else None
    row.abort_reason = record.abort_reason
    if record.state in ("completed", "verified", "verification_failed"):
        _store_files(session, case_id, target, record, record_file)
    for kind, details in events:
        record_audit(session, f"acquisition.{kind}", target_type="acquisition",
                     target_id=str(row.id), case_id=case_id, person_id=row.examiner_id,
                     details=details)
    for warning in custody_warnings:
        record_audit(session, "acquisition.custody_refused", target_type="acquisition",
                     target_id=str(row.id), case_id=case_id, person_id=row.examiner_id,
                     details={"reason": warning})
    record_audit(session, f"acquisition.{record.state}", target_type="acquisition",
                 target_id=str(row.id), case_id=case_id, person_id=row.examiner_id,
                 details={"abort_reason": record.abort_reason,
                          "verification": record.verification.result})
    session.flush()
    row.custody_warnings = custody_warnings  # type: ignore[attr-defined]
    return row


def _custody_event(
    session: Session, row: Acquisition, record: AcquisitionRecord, kind: str
) -> str | None:
    """Add the signed ``imaged``/``verified`` custody event; return why not, if refused."""
    from forensics.custody import record_system_event
    from forensics.errors import IntegrityError

    details: dict[str, Any] = {
        "engine": "imaging",
        "acquisition_id": row.id,
        "format": record.image_format,
        "image_name": record.image_name,
        "bytes": record.bytes_total,
        "source_hashes": dict(record.source_hashes),
        "image_hashes": dict(record.image_hashes),
        "segments": [{"path": s.path, "size": s.size, "sha256": s.sha256}
                     for s in record.segments],
        "unreadable_bytes": record.bytes_zero_filled,
        "padding_bytes": record.padding_bytes,
    }
    if kind == "verified":
        details["verification"] = record.verification.result
        details["mismatched_segments"] = list(record.verification.mismatched_segments)
    try:
        record_system_event(
            session, row.exhibit, kind, actor=row.examiner, details=details,
            hash_algorithm="sha256", hash_value=record.image_hashes.get("sha256"),
            hash_match=record.verification.matched if kind == "verified" else None,
        )
    except (IntegrityError, UserInputError) as exc:
        return (f"custody event '{kind}' not recorded: {exc}; record it with "
                "sealbag custody add once the chain allows it")
    return None


def _store_files(
    session: Session, case_id: int, target: CaseAcquisitionTarget, record: AcquisitionRecord,
    record_file: Path | None,
) -> None:
    if target.case_folder is None:
        return
    out = Path(record.output_dir)
    entries = [(out / s.path, StoredFileKind.IMAGE, s.size, s.sha256) for s in record.segments]
    if record_file is not None:
        digest, size = sha256_file(record_file)
        entries.append((record_file, StoredFileKind.RECORD, size, digest))
    for path, kind, size, digest in entries:
        try:
            rel = Path(os.path.relpath(path.resolve(), target.case_folder.resolve()))
        except ValueError:
            continue
        if rel.parts and rel.parts[0] == "..":
            continue  # written outside the store (--out): not a store file
        existing = session.scalar(select(StoredFile).where(
            StoredFile.case_id == case_id, StoredFile.relative_path == rel.as_posix()))
        if existing is None:
            session.add(StoredFile(
                case_id=case_id, kind=kind, relative_path=rel.as_posix(), size=size,
                sha256=digest,
                description=f"acquisition {target.acquisition_id} of {target.exhibit_reference}",
            ))


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def import_case_acquisition(
    session: Session, case_reference: str, exhibit_reference: str, record: AcquisitionRecord,
    log_path: Path,
) -> Acquisition:
    """Store an acquisition record imported from another tool's log.

    The log itself is kept in the case's evidence store (``logs/``, by SHA-256) so the
    original stays available for cross-checking.

    Raises:
        NotFoundError: no such case or exhibit.
    """
    from forensics.store import EvidenceStore

    exhibit = get_exhibit_row(session, case_reference, exhibit_reference)
    case = session.get(Case, exhibit.case_id)
    assert case is not None
    data = record.to_dict()
    row = Acquisition(
        exhibit_id=exhibit.id, state=DbState.IMPORTED, origin=record.tool.name[:32],
        format=record.image_format or "unknown", source_path=record.source.path or None,
        source_identity=data["source"], started_at=None, ended_at=None,
        size_bytes=record.bytes_total or None, bytes_read=record.bytes_read or None,
        source_hashes=dict(record.source_hashes), image_hashes=dict(record.image_hashes),
        sha256=record.image_hashes.get("sha256") or record.source_hashes.get("sha256"),
        error_ranges=data["error_ranges"],
        verification=_VERIFICATION.get(record.verification.result, VerificationResult.NOT_RUN),
        verification_details=data["verification"], image_files=[], record=data,
        abort_reason=record.abort_reason,
    )
    if case.store_path:
        stored = EvidenceStore.add_attachment(Path(case.store_path), log_path)
        row.record_path = str(Path(case.store_path) / stored.relative_path)
    else:
        row.record_path = str(log_path)
    session.add(row)
    session.flush()
    record_audit(session, "acquisition.import", target_type="acquisition", target_id=str(row.id),
                 case_id=case.id, details={"exhibit": exhibit.exhibit_id, "tool": record.tool.name,
                                           "log": log_path.name})
    return row


def acquire_for_case(
    db: Any, case_reference: str, exhibit_reference: str, source: str | os.PathLike[str], *,
    examiner: str | None = None, out_dir: Path | None = None,
    on_warning: Callable[[str], None] | None = None, **options: Any,
) -> AcquisitionRecord:
    """Image ``source`` for an exhibit and record it in the case (the case-mode entry point).

    Three short transactions: a ``running`` row, the imaging (no transaction open),
    then the final row, stored files and audit entries, whatever the outcome.

    Args:
        db: an open :class:`forensics.database.Database`.
        case_reference, exhibit_reference: existing case and exhibit.
        source: device or image path.
        examiner: ID number, ``#id`` or name of a registered person.
        out_dir: override ``<case folder>/images/<exhibit>/``.
        on_warning: told about custody events the ledger refused (the acquisition
            is stored anyway, with the reason in the audit trail).
        **options: passed to :func:`forensics.imaging.acquire_image` (fmt,
            segment_size, algorithms, verify, progress, cancel ...).

    Returns:
        The final record.

    Raises:
        Whatever :func:`~forensics.imaging.acquire_image` raises, after the
        database row has been updated to say so.
    """
    from forensics.imaging.engine import acquire_image
    from forensics.imaging.record import record_path

    with db.session() as session:
        target = begin_case_acquisition(
            session, case_reference, exhibit_reference, fmt=options.get("fmt", "raw"),
            source_path=str(source), examiner=examiner, out_dir=out_dir,
        )
    events: list[tuple[str, dict[str, Any]]] = []
    hook = options.pop("on_event", None)

    def on_event(kind: str, details: dict[str, Any]) -> None:
        events.append((kind, details))
        if hook is not None:
            hook(kind, details)

    options.update(
        case_reference=target.case_reference, exhibit_reference=target.exhibit_reference,
        examiner=target.examiner_name or examiner, on_event=on_event,
    )
    try:
        record = acquire_image(source, target.out_dir, **options)
    except BaseException as exc:
        failed = getattr(exc, "record", None)
        with db.session() as session:
            if isinstance(failed, AcquisitionRecord):
                finish_case_acquisition(session, target, failed,
                                        record_path(failed.output_dir, failed.image_name), events)
            else:
                _mark_failed(session, target.acquisition_id, exc)
        raise
    with db.session() as session:
        row = finish_case_acquisition(session, target, record,
                                      record_path(record.output_dir, record.image_name), events)
        warnings = list(row.custody_warnings)  # type: ignore[attr-defined]
    if on_warning is not None:
        for warning in warnings:
            on_warning(warning)
    return record


def _mark_failed(session: Session, acquisition_id: int, exc: BaseException) -> None:
    row = session.get(Acquisition, acquisition_id)
    if row is None:
        return
    interrupted = isinstance(exc, KeyboardInterrupt | OperationCancelled)
    row.state = DbState.CANCELLED if interrupted else DbState.FAILED
    row.abort_reason = str(exc) or type(exc).__name__
    record_audit(session, f"acquisition.{row.state.value}", target_type="acquisition",
                 target_id=str(row.id), case_id=row.exhibit.case_id,
                 details={"abort_reason": row.abort_reason})


def record_reverification(
    session: Session, case_reference: str, exhibit_reference: str, record: AcquisitionRecord,
    verification: Verification, *, examiner: str | None = None,
) -> str | None:
    """Add a signed ``verified`` custody event for a later re-verification of an image.

    Returns:
        None when the event was recorded, else why the ledger refused it (the
        refusal is also written to the audit trail).

    Raises:
        NotFoundError: no such case, exhibit or person.
    """
    from forensics.custody import record_system_event
    from forensics.errors import IntegrityError

    exhibit = get_exhibit_row(session, case_reference, exhibit_reference)
    person = find_person(session, examiner) if examiner else None
    details: dict[str, Any] = {
        "engine": "imaging",
        "step": "re-verification",
        "image_name": record.image_name,
        "format": record.image_format,
        "verification": verification.result,
        "mismatched_segments": list(verification.mismatched_segments),
        "checks": len(verification.checks),
        "image_hashes": dict(record.image_hashes),
    }
    try:
        record_system_event(
            session, exhibit, "verified", actor=person, details=details,
            hash_algorithm="sha256", hash_value=record.image_hashes.get("sha256"),
            hash_match=verification.matched,
        )
        refused = None
    except (IntegrityError, UserInputError) as exc:
        refused = f"custody event 'verified' not recorded: {exc}"
    record_audit(session, "acquisition.reverified", target_type="exhibit",
                 target_id=exhibit.exhibit_id, case_id=exhibit.case_id,
                 person_id=person.id if person else None,
                 details={"result": verification.result, "custody_refused": refused})
    return refused
