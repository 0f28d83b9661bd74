"""Catalogue an exhibit of a case and record it: the case-mode entry point.

:func:`catalog_for_case` picks the image (the exhibit's newest usable
acquisition from the evidence store, or a path given by the user), runs the
catalog into the case database, and records a signed ``catalogued`` custody
event for a stored run. :func:`record_export_event` does the same for an export
of files from a stored catalog (``exported``, with the manifest's SHA-256).

A custody event the ledger refuses (for example: the exhibit has no seizure
event yet) never loses the work: the run stays stored, the refusal goes to the
audit trail and is returned as a warning.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.casework.audit import record_audit
from forensics.casework.exhibits import get_exhibit_row
from forensics.casework.people import find_person
from forensics.cataloging.engine import CatalogOptions, CatalogSink, run_catalog
from forensics.cataloging.records import CatalogSummary
from forensics.database.enums import AcquisitionState, CatalogStatus, VerificationResult
from forensics.database.models import Acquisition, CatalogRun, Exhibit, Person
from forensics.database.session import Database
from forensics.errors import IntegrityError, NotFoundError, UserInputError
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress
from forensics.store import sha256_file


@dataclass(frozen=True, slots=True)
class AcquisitionImage:
    """The image of one stored acquisition, ready to be catalogued."""

    acquisition_id: int
    path: Path
    image_sha256: str | None
    media_format: str | None


@dataclass(frozen=True, slots=True)
class CaseCatalogResult:
    """What :func:`catalog_for_case` did.

    Attributes:
        run_id: the stored catalog run.
        summary: the engine's summary (check ``summary.status``).
        acquisition_id: the acquisition catalogued, if the image came from one.
        image_sha256: SHA-256 of the image media, when known.
        custody_warnings: custody events the ledger refused (the run is stored anyway).
    """

    run_id: int
    summary: CatalogSummary
    acquisition_id: int | None
    image_sha256: str | None
    custody_warnings: list[str] = field(default_factory=list)


_FORMATS = {"raw": "raw", "split": "split", "e01": "ewf", "ewf": "ewf"}


def usable_acquisition(session: Session, exhibit: Exhibit) -> AcquisitionImage:
    """The exhibit's newest completed (or verified) acquisition whose image is on disk.

    An acquisition whose verification found a mismatch is never used, and
    neither is one recorded from another tool's log without image files.

    The image files are checked to exist with the sizes recorded at acquisition
    (cheap); their hashes are not re-computed here (``sealbag verify`` does that).

    Raises:
        NotFoundError: no such acquisition, or an image file is missing.
        IntegrityError: an image file's size differs from the acquisition record.
    """
    rows = session.scalars(
        select(Acquisition)
        .where(Acquisition.exhibit_id == exhibit.id,
               Acquisition.state == AcquisitionState.COMPLETED,
               Acquisition.verification != VerificationResult.MISMATCH)
        .order_by(Acquisition.id.desc())
    ).all()
    for row in rows:
        path = _first_image_file(row)
        if path is None:
            continue
        for segment in row.image_files:
            file = path.parent / str(segment.get("path", ""))
            if not file.is_file():
                raise NotFoundError(
                    f"image file {file} of acquisition {row.id} of {exhibit.exhibit_id} is "
                    "missing; restore it or give the image path")
            if segment.get("size") is not None and file.stat().st_size != segment["size"]:
                raise IntegrityError(
                    f"image file {file} of acquisition {row.id} is not the size recorded at "
                    "acquisition; check it with sealbag verify before cataloguing")
        return AcquisitionImage(row.id, path, row.sha256, _FORMATS.get(row.format.lower()))
    raise NotFoundError(
        f"exhibit {exhibit.exhibit_id} has no completed acquisition with a verified or "
        "unchecked image to catalogue; image it first (sealbag acquire) or give an image path")


def _first_image_file(row: Acquisition) -> Path | None:
    files = row.image_files or []
    if not files or not isinstance(files[0], dict) or not files[0].get("path"):
        return None
    folder = (row.record or {}).get("output_dir")
    if not folder and row.record_path:
        folder = str(Path(row.record_path).parent)
    if not folder:
        return None
    return Path(folder) / str(files[0]["path"])


def _acquisition_for_path(session: Session, exhibit: Exhibit, image: Path) -> Acquisition | None:
    """The exhibit's acquisition whose first image file is ``image``, if any."""
    try:
        wanted = image.resolve()
    except OSError:
        return None
    rows = session.scalars(select(Acquisition).where(
        Acquisition.exhibit_id == exhibit.id,
        Acquisition.state == AcquisitionState.COMPLETED).order_by(Acquisition.id.desc())).all()
    for row in rows:
        path = _first_image_file(row)
        if path is not None and path.resolve() == wanted:
            return row
    return None


def catalog_for_case(
    db: Database, case_reference: str, exhibit_reference: str,
    image: str | os.PathLike[str] | None = None, *,
    options: CatalogOptions | None = None, examiner: str | None = None,
    use_hash_sets: bool = True,
    wrap_sink: Callable[[CatalogSink], CatalogSink] | None = None,
    on_warning: Callable[[str], None] | None = None,
    progress: ProgressFn = no_progress, cancel: CancelToken = NEVER_CANCELLED,
) -> CaseCatalogResult:
    """Catalogue an exhibit into its case database and record the custody event.

    Args:
        db: the open case database.
        case_reference, exhibit_reference: existing case and exhibit.
        image: the image to catalogue; None takes the exhibit's newest completed
            or verified acquisition from the case's evidence store.
        options: catalog options (the media format defaults to the acquisition's).
        examiner: ID number, ``#id`` or name of the person running the catalog
            (signs the custody event when their key can be unlocked).
        use_hash_sets: match entries against the registered hash sets.
        wrap_sink: wraps the storing sink (e.g. to print or count entries).
        on_warning: told about custody events the ledger refused.
        progress, cancel: as for every long job.

    Returns:
        The run id, summary and links. A failed or cancelled run is stored as
        such (no entries) and returned, not raised.

    Raises:
        NotFoundError: no such case, exhibit or person; no usable acquisition.
        UserInputError: bad options.
    """
    from forensics.cataloging.store import CatalogStore

    options = options or CatalogOptions()
    with db.session() as session:
        exhibit = get_exhibit_row(session, case_reference, exhibit_reference)
        exhibit_id = exhibit.id
        if examiner:
            find_person(session, examiner)
        if image is None:
            chosen = usable_acquisition(session, exhibit)
            image_path, acquisition_id = chosen.path, chosen.acquisition_id
            image_sha256 = chosen.image_sha256
            if options.media_format is None and chosen.media_format is not None:
                options = replace(options, media_format=chosen.media_format)
        else:
            image_path = Path(image).absolute()
            linked = _acquisition_for_path(session, exhibit, image_path)
            acquisition_id = linked.id if linked else None
            image_sha256 = linked.sha256 if linked else None
    sources: list[Any] = []
    set_ids: dict[str, int] = {}
    matcher = None
    if use_hash_sets:
        from forensics.hashsets.matcher import HashMatcher
        from forensics.hashsets.registry import open_enabled

        sources, set_ids = open_enabled(db)
        matcher = HashMatcher(sources) if sources else None
    try:
        store = CatalogStore(db, str(image_path), exhibit_id=exhibit_id,
                             acquisition_id=acquisition_id, image_sha256=image_sha256,
                             options=options.to_dict(), hash_set_ids=set_ids)
        sink: CatalogSink = wrap_sink(store) if wrap_sink else store
        if matcher is not None:
            from forensics.hashsets.matcher import MatchingSink

            sink = MatchingSink(sink, matcher)
        try:
            summary = run_catalog(image_path, sink, options=options, progress=progress,
                                  cancel=cancel)
        except BaseException as exc:
            store.abandon(f"catalog stopped: {exc or type(exc).__name__}")
            raise
        hook = _CatalogEvents(store.run_id, examiner)
        store.finish(summary, on_commit=hook)
    finally:
        for src in sources:
            src.close()
    if on_warning is not None:
        for warning in hook.warnings:
            on_warning(warning)
    return CaseCatalogResult(store.run_id, summary, acquisition_id, image_sha256,
                             list(hook.warnings))


class _CatalogEvents:
    """Writes, in the transaction that ends a run, its audit row and (for a stored run)
    the ``catalogued`` custody event; keeps the ledger's refusals as warnings."""

    def __init__(self, run_id: int, examiner: str | None) -> None:
        self.run_id = run_id
        self.examiner = examiner
        self.warnings: list[str] = []

    def __call__(self, session: Session, status: CatalogStatus, entries: int) -> None:
        run = session.get(CatalogRun, self.run_id)
        assert run is not None and run.exhibit_id is not None
        exhibit = session.get(Exhibit, run.exhibit_id)
        assert exhibit is not None
        person = find_person(session, self.examiner) if self.examiner else None
        person_id = person.id if person else None
        if status in (CatalogStatus.COMPLETE, CatalogStatus.INCOMPLETE):
            details: dict[str, Any] = {
                "engine": "catalog",
                "catalog_run_id": run.id,
                "status": status.value,
                "entries": entries,
                "image_sha256": run.image_sha256,
                # the image hash comes from the acquisition record, not re-computed here
                "image_sha256_from": "acquisition record" if run.image_sha256 else None,
                "acquisition_id": run.acquisition_id,
                "image_name": Path(run.image_path).name,
            }
            refused = _system_event(session, exhibit, "catalogued", person, details,
                                    run.image_sha256)
            if refused:
                self.warnings.append(refused)
                record_audit(session, "catalog.custody_refused", target_type="catalog_run",
                             target_id=str(run.id), case_id=exhibit.case_id,
                             person_id=person_id, details={"reason": refused})
        record_audit(session, f"catalog.{status.value}", target_type="catalog_run",
                     target_id=str(run.id), case_id=exhibit.case_id, person_id=person_id,
                     details={"exhibit": exhibit.exhibit_id, "entries": entries,
                              "acquisition_id": run.acquisition_id})


def _system_event(session: Session, exhibit: Exhibit, action: str, person: Person | None,
                  details: dict[str, Any], sha256: str | None) -> str | None:
    """Add a signed engine event; return why the ledger refused it, if it did.

    Called before anything else is written in ``session``: the ledger locks the
    exhibit's chain first, and refuses before writing, so the caller's
    transaction stays usable for the audit rows.
    """
    from forensics.custody import record_system_event

    try:
        record_system_event(session, exhibit, action, actor=person, details=details,
                            hash_algorithm="sha256" if sha256 else None, hash_value=sha256)
    except (IntegrityError, UserInputError) as exc:
        return (f"custody event '{action}' not recorded: {exc}; record it with "
                "sealbag custody add once the chain allows it")
    return None


def record_export_event(
    db: Database, case_reference: str, exhibit_reference: str, *, target: str | os.PathLike[str],
    catalog_run_id: int, files: int, verified: int, complete: bool,
    examiner: str | None = None,
) -> str | None:
    """Record an export of files from an exhibit's stored catalog.

    Adds a signed ``exported`` custody event whose hash is the SHA-256 of the
    export's ``manifest.json`` (which lists every exported file with its
    hashes), plus an audit row.

    Args:
        db: the open case database.
        case_reference, exhibit_reference: the exhibit exported from.
        target: the export folder (holding ``manifest.json``).
        catalog_run_id: the stored catalog run the selection came from.
        files, verified: files written, and how many of them were verified.
        complete: whether the export finished.
        examiner: the person exporting (ID number, ``#id`` or name).

    Returns:
        None when the custody event was recorded, else why the ledger refused it.

    Raises:
        NotFoundError: no such case, exhibit or person, or no manifest.
    """
    from forensics.cataloging.export import MANIFEST_NAME

    manifest = Path(target) / MANIFEST_NAME
    if not manifest.is_file():
        raise NotFoundError(f"no {MANIFEST_NAME} in {target}; nothing to record")
    digest, size = sha256_file(manifest)
    with db.session() as session:
        exhibit = get_exhibit_row(session, case_reference, exhibit_reference)
        person = find_person(session, examiner) if examiner else None
        details: dict[str, Any] = {
            "engine": "export",
            "catalog_run_id": catalog_run_id,
            "manifest": MANIFEST_NAME,
            "manifest_sha256": digest,
            "manifest_bytes": size,
            "files": files,
            "verified": verified,
            "complete": complete,
            "target_name": Path(target).name,
        }
        refused = _system_event(session, exhibit, "exported", person, details, digest)
        record_audit(session, "catalog.export", target_type="catalog_run",
                     target_id=str(catalog_run_id), case_id=exhibit.case_id,
                     person_id=person.id if person else None,
                     details={**details, "target": str(target), "custody_refused": refused})
    return refused
