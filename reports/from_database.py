"""Fill the case part of a bundle (:class:`~reports.model.CaseData`) from the case database.

One source per fact, so the PDF, the manifest and the shipped files agree:

* exhibits and device particulars come from ``Exhibit`` rows;
* each digital exhibit's acquisition record comes from ONE ``Acquisition`` row (the latest
  completed or imported run); every hash printed in S10, S11, S13 and S14 is taken from that
  row's ``image_hashes``/``source_hashes``;
* the custody log is a fresh ``export_custody`` of the ledger, read back with ``read_export``:
  the records the PDF prints are the very lines ``custody.jsonl`` ships;
* the file listing streams ``FileEntry`` rows of each exhibit's latest complete catalog run in
  keyset-paginated batches, each in its own short read, never all rows at once.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forensics.database.enums import (
    AcquisitionState,
    CatalogStatus,
    ExhibitType,
    SourceCategory,
    VerificationResult,
)
from forensics.database.models import Acquisition as AcquisitionRow
from forensics.database.models import (
    Bundle,
    Case,
    CatalogRun,
    Exhibit,
    FileEntry,
    HashSet,
    Person,
)
from forensics.errors import NotFoundError
from forensics.timeutil import to_local
from reports.model import (
    Acquisition,
    CaseData,
    CaseInfo,
    CertificateParty,
    CertificatesData,
    Device,
    Examiner,
    FileRow,
    HashValue,
    normalise_algorithm,
)
from reports.model import Exhibit as BundleExhibit

LISTING_BATCH = 5000
MAX_ERROR_RANGES_SHOWN = 20
USABLE_STATES = (AcquisitionState.COMPLETED, AcquisitionState.IMPORTED)

SOURCE_TYPE_LABELS = {
    SourceCategory.COMPUTER_STORAGE: "Computer / Storage Media",
    SourceCategory.DVR: "DVR",
    SourceCategory.MOBILE: "Mobile",
    SourceCategory.FLASH_DRIVE: "Flash Drive",
    SourceCategory.CD_DVD: "CD/DVD",
    SourceCategory.SERVER: "Server",
    SourceCategory.CLOUD: "Cloud",
    SourceCategory.OTHER: "Other",
}
EXHIBIT_TYPE_LABELS = {
    ExhibitType.DEVICE: "device",
    ExhibitType.STORAGE_MEDIA: "device",
    ExhibitType.MOBILE: "device",
    ExhibitType.FORENSIC_IMAGE: "forensic image",
    ExhibitType.EXPORTED_RECORD: "exported record",
    ExhibitType.CLOUD_ACCOUNT: "exported record",
    ExhibitType.DOCUMENT: "document",
    ExhibitType.OTHER: "other",
}
FORMAT_LABELS = {"e01": "E01 (EWF)", "raw": "raw (dd)", "split": "split raw (dd)"}
HASH_ORDER = {"SHA-256": 0, "SHA-1": 1, "MD5": 2}


@dataclasses.dataclass(frozen=True)
class HashSetCitation:
    """A hash set that marked files known/notable in a listed catalog run."""

    name: str
    version: str
    kind: str
    format: str
    source_sha256: str
    entry_count: int
    matched_entries: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _local_iso(value: datetime | None, zone_name: str | None) -> str:
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
    return _local_iso(value, zone_name)


def _ns_iso(value: int | None) -> str:
    """UTC nanoseconds as ISO 8601 with offset (microsecond precision), '' when unknown."""
    if value is None:
        return ""
    seconds, rest = divmod(value, 1_000_000_000)
    try:
        stamp = datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)
    except (OverflowError, OSError, ValueError):
        return ""
    return stamp.isoformat()


def _person_label(person: Person | None) -> str:
    if person is None:
        return ""
    parts = [person.name]
    if person.designation:
        parts[0] += f", {person.designation}"
    if person.id_number:
        parts.append(f"(ID {person.id_number})")
    return " ".join(parts)


def _other_ids(exhibit: Exhibit) -> str:
    items = [
        ("UIN", exhibit.uin),
        ("MAC", exhibit.mac_address),
        ("cloud account", exhibit.cloud_id),
        *sorted((str(k), v) for k, v in (exhibit.other_identifiers or {}).items()),
    ]
    return "; ".join(f"{name} {value}" for name, value in items if value not in (None, ""))


def _bundle_exhibit(
    exhibit: Exhibit, case: Case, parents: Mapping[int, str], certificates: Sequence[str]
) -> BundleExhibit:
    digital = exhibit.type != ExhibitType.DOCUMENT
    photos = ", ".join(f"photo SHA-256 {p.sha256[:16]}" for p in exhibit.photos)
    return BundleExhibit(
        id=exhibit.exhibit_id,
        parent=parents.get(exhibit.parent_id or -1, ""),
        description=exhibit.description,
        type=EXHIBIT_TYPE_LABELS.get(exhibit.type, str(exhibit.type)),
        seal_numbers=tuple(str(s) for s in exhibit.seal_numbers or ()),
        seized_by=_person_label(exhibit.seized_by),
        seized_at=_local_iso(exhibit.seized_at, exhibit.seized_tz or case.time_zone),
        seizure_location=exhibit.seized_location or "",
        legal_authority=exhibit.legal_authority or "",
        device=Device(
            source_type=SOURCE_TYPE_LABELS.get(exhibit.source_category, "")
            if exhibit.source_category
            else "",
            make=exhibit.make or "",
            model=exhibit.model or "",
            colour=exhibit.colour or "",
            serial_number=exhibit.serial_number or "",
            imei=exhibit.imei or "",
            other_ids=_other_ids(exhibit),
            capacity=f"{exhibit.capacity_bytes:,} bytes" if exhibit.capacity_bytes else "",
            condition=exhibit.condition or "",
            photographs=photos,
        ),
        certificates=tuple(certificates) if digital else (),
        digital=digital,
    )


EXHIBIT_NOTE_FIELDS = ("witnesses", "photographs", "device_clock")


def _with_notes(exhibit: BundleExhibit, notes: Mapping[str, Any] | None) -> BundleExhibit:
    if not notes:
        return exhibit
    changes: dict[str, Any] = {}
    if notes.get("witnesses"):
        changes["witnesses"] = str(notes["witnesses"])
    if notes.get("photographs"):
        device = exhibit.device
        shown = "; ".join(x for x in (str(notes["photographs"]), device.photographs) if x)
        changes["device"] = dataclasses.replace(device, photographs=shown)
    return dataclasses.replace(exhibit, **changes) if changes else exhibit


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


def _acquisition(row: AcquisitionRow, exhibit_id: str, case: Case) -> Acquisition:
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
        started_at=_local_iso(row.started_at, zone_name)
        or _record_time(record.get("started"), zone_name),
        finished_at=_local_iso(row.ended_at, zone_name)
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


def latest_complete_run(session: Session, exhibit: Exhibit) -> CatalogRun | None:
    """The newest catalog run of ``exhibit`` with status ``complete`` (a whole listing)."""
    return session.scalars(
        select(CatalogRun)
        .where(CatalogRun.exhibit_id == exhibit.id, CatalogRun.status == CatalogStatus.COMPLETE)
        .order_by(CatalogRun.id.desc())
        .limit(1)
    ).first()


_LISTING_COLUMNS = (
    FileEntry.id,
    FileEntry.path,
    FileEntry.path_raw,
    FileEntry.stream,
    FileEntry.allocated,
    FileEntry.size,
    FileEntry.mtime_ns,
    FileEntry.atime_ns,
    FileEntry.ctime_ns,
    FileEntry.crtime_ns,
    FileEntry.sha256,
)


def exact_name(display: str, raw: bytes | None) -> str:
    """The name to list: the exact text when the stored bytes are UTF-8, else the display form.

    The catalog keeps the display form in ``path`` (invisible and control characters shown as
    ``⟨U+XXXX⟩``) and the exact bytes in ``path_raw`` when the two differ. The bundle escapes
    names itself (one-to-one, so a literal ``⟨`` is escaped too); handing it the display form
    would escape the escapes. Names that are not UTF-8 cannot be exact text in the UTF-8
    listing CSV, so they keep the display form (``⟨0xFF⟩`` for each undecodable byte).
    """
    if raw is None:
        return display
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return display


def iter_listing_batches(
    engine: Engine, run_id: int, batch_size: int = LISTING_BATCH
) -> Iterator[list[Any]]:
    """``FileEntry`` rows of one run in id order, at most ``batch_size`` at a time.

    Each batch is one short read on its own connection, so no transaction stays open while the
    bundle is rendered and never more than one batch is in memory.

    A catalog writes a run's entries in bulk, so they occupy one id range. The run's first and
    last id are read once; each batch is then the run's rows in the next window of
    ``batch_size`` ids, a bounded primary-key range read whatever plan the database picks.
    ``run_id + 0`` keeps the planner off the ``(run_id, path)`` index, which would read and sort
    the whole run for every batch (quadratic on a catalog of millions of entries).
    """
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(FileEntry.id), func.max(FileEntry.id)).where(FileEntry.run_id == run_id)
        ).one()
    if first is None:
        return
    start = first
    while start <= last:
        end = min(start + batch_size - 1, last)
        with engine.connect() as conn:
            batch = conn.execute(
                select(*_LISTING_COLUMNS)
                .where(
                    FileEntry.id >= start,
                    FileEntry.id <= end,
                    (FileEntry.run_id + 0) == run_id,
                )
                .order_by(FileEntry.id)
            ).all()
        if batch:
            yield batch
        start = end + 1


def iter_listing_rows(
    engine: Engine, runs: Sequence[tuple[str, int]], batch_size: int = LISTING_BATCH
) -> Iterator[FileRow]:
    """Listing rows for ``(exhibit ID, run id)`` pairs, streamed batch by batch.

    Paths are the exact names where they are text (see :func:`exact_name`), so the listing
    CSV keeps them and the PDF escapes them once. Named streams print as ``path:stream`` and
    unallocated (deleted) names carry `` [deleted]``.
    """
    for exhibit_id, run_id in runs:
        for batch in iter_listing_batches(engine, run_id, batch_size):
            for _id, path, raw, stream, allocated, size, mtime, atime, ctime, crtime, sha in batch:
                name = exact_name(path, raw)
                shown = f"{name}:{stream}" if stream else name
                if not allocated:
                    shown += " [deleted]"
                yield FileRow(
                    exhibit_id=exhibit_id,
                    path=shown,
                    size=int(size or 0),
                    modified=_ns_iso(mtime),
                    accessed=_ns_iso(atime),
                    changed=_ns_iso(ctime),
                    created=_ns_iso(crtime),
                    sha256=sha or "",
                )


class ListingSource:
    """A re-callable source of listing rows (``CaseData.file_rows``) over stored runs."""

    def __init__(
        self, engine: Engine, runs: Sequence[tuple[str, int]], batch_size: int = LISTING_BATCH
    ) -> None:
        self.engine = engine
        self.runs = tuple(runs)
        self.batch_size = batch_size

    def __call__(self) -> Iterator[FileRow]:
        return iter_listing_rows(self.engine, self.runs, self.batch_size)


def hash_set_citations(session: Session, run_ids: Sequence[int]) -> list[HashSetCitation]:
    """Hash sets that matched entries in these runs, with how many entries each matched."""
    if not run_ids:
        return []
    counts = session.execute(
        select(FileEntry.hash_set_id, func.count(FileEntry.id))
        .where(FileEntry.run_id.in_(run_ids), FileEntry.hash_set_id.is_not(None))
        .group_by(FileEntry.hash_set_id)
    ).all()
    citations = []
    for set_id, matched in counts:
        hash_set = session.get(HashSet, set_id)
        if hash_set is None:
            continue
        citations.append(
            HashSetCitation(
                name=hash_set.name,
                version=hash_set.version,
                kind=str(hash_set.kind),
                format=hash_set.format,
                source_sha256=hash_set.source_sha256 or "",
                entry_count=int(hash_set.entry_count or 0),
                matched_entries=int(matched),
            )
        )
    return sorted(citations, key=lambda c: (c.name, c.version))


def _listing_details(
    session: Session, run: CatalogRun, zone_name: str | None
) -> tuple[tuple[str, str], ...]:
    """S15 lines telling where a listing comes from and which hash sets it cites."""
    tools = ", ".join(f"{k} {v}" for k, v in sorted((run.tool_versions or {}).items()))
    ended = _local_iso(run.ended_at, zone_name) or "unknown"
    source = f"run #{run.id} (complete), {int(run.entry_count or 0):,} entries, ended {ended}"
    if run.image_sha256:
        source += f"; image SHA-256 {run.image_sha256}"
    if tools:
        source += f"; tools: {tools}"
    details = [("Catalog run", source)]
    notes = [g for g in run.gaps or () if isinstance(g, Mapping)]
    if notes:
        details.append(
            (
                "Catalog notes",
                "; ".join(
                    f"{g.get('where', '')}: {g.get('reason', '')}"
                    for g in notes[:MAX_ERROR_RANGES_SHOWN]
                ),
            )
        )
    citations = hash_set_citations(session, [run.id])
    if citations:
        details.append(
            (
                "Hash sets cited",
                "; ".join(
                    f"{c.name} {c.version} ({c.kind}, {c.format}, {c.entry_count:,} hashes"
                    + (f", source file SHA-256 {c.source_sha256}" if c.source_sha256 else "")
                    + f"): {c.matched_entries:,} listed entries matched"
                    for c in citations
                ),
            )
        )
    return tuple(details)


def _custody_records(session: Session, case: Case, exhibit_ids: Sequence[str]) -> list[dict]:
    """A fresh ledger export of these exhibits, read back as the records ``custody.jsonl`` holds."""
    from forensics.custody import export_custody, read_export

    with tempfile.TemporaryDirectory(prefix="sealbag-custody-") as folder:
        path = Path(folder) / "custody.jsonl"
        export_custody(session, case, path, list(exhibit_ids) or None)
        contents = read_export(path)
    header = [contents.header] if contents.header is not None else []
    return [*header, *contents.keys, *contents.events]


def _selected_exhibits(session: Session, case: Case, wanted: Sequence[str] | None) -> list[Exhibit]:
    rows = list(
        session.scalars(
            select(Exhibit).where(Exhibit.case_id == case.id).order_by(Exhibit.exhibit_id)
        )
    )
    if not wanted:
        return rows
    by_ref = {e.exhibit_id: e for e in rows}
    by_id = {e.id: e for e in rows}
    chosen: dict[int, Exhibit] = {}
    for ref in wanted:
        exhibit = by_ref.get(ref.strip())
        if exhibit is None:
            raise NotFoundError(
                f"no exhibit {ref!r} in case {case.reference}; list them with: "
                f"sealbag exhibit list --case {case.reference!r}"
            )
        node: Exhibit | None = exhibit
        while node is not None and node.id not in chosen:  # parents come along (S10 links)
            chosen[node.id] = node
            node = by_id.get(node.parent_id) if node.parent_id else None
    return [e for e in rows if e.id in chosen]


def _merge_party(derived: CertificateParty, given: CertificateParty) -> CertificateParty:
    """Fields the user gave win over fields derived from the database."""
    values = {
        f.name: getattr(given, f.name) or getattr(derived, f.name)
        for f in dataclasses.fields(CertificateParty)
    }
    return CertificateParty(**values)


def _certificates(
    exhibits: Sequence[Exhibit],
    acquisitions: Sequence[AcquisitionRow],
    given: CertificatesData | None,
) -> CertificatesData:
    officer = next((e.seized_by for e in exhibits if e.seized_by is not None), None)
    examiner = next((a.examiner for a in acquisitions if a.examiner is not None), None)
    party = CertificateParty(
        name=officer.name if officer else "",
        designation=(officer.designation or "") if officer else "",
        organisation=(officer.agency or "") if officer else "",
    )
    expert = CertificateParty(
        name=examiner.name if examiner else "",
        designation=(examiner.designation or "") if examiner else "",
        organisation=(examiner.agency or "") if examiner else "",
    )
    given = given or CertificatesData()
    return CertificatesData(
        party=_merge_party(party, given.party),
        expert=_merge_party(expert, given.expert),
        custodian=given.custodian,
        records_pages=given.records_pages or "see the exhibit list (S10)",
    )


def next_bundle_version(session: Session, bundle_id: str) -> int:
    """1 + the highest version recorded for ``bundle_id`` (1 for a new bundle ID)."""
    current = session.scalar(select(func.max(Bundle.version)).where(Bundle.bundle_id == bundle_id))
    return int(current or 0) + 1


def case_data_from_database(
    session: Session,
    case_reference: str,
    *,
    exhibits: Sequence[str] | None = None,
    certificate_ids: Sequence[str] = (),
    certificates: CertificatesData | None = None,
    exhibit_notes: Mapping[str, Mapping[str, str]] | None = None,
    bundle_year: int | None = None,
    bundle_serial: int | None = None,
    bundle_version: int | None = None,
    listing_batch: int = LISTING_BATCH,
) -> CaseData:
    """The case part of a bundle for ``case_reference``, read from the case database.

    Args:
        session: open session (read only here; the listing later streams on its own reads).
        case_reference: the case.
        exhibits: exhibit IDs to include (with their parents); default every exhibit.
        certificate_ids: certificate variants covering each digital exhibit (the profile's).
        certificates: declarant details (place, date, relation ...) the database does not hold;
            non-empty fields win over those derived from the seizing officer and examiner.
        exhibit_notes: per exhibit ID, facts the database does not hold: ``witnesses``,
            ``photographs`` (exhibit) and ``device_clock`` (its acquisition record).
        bundle_year, bundle_serial: bundle ID parts (``<CC>-<agency>-<year>-<serial>``);
            default the year the case was opened and the case's database id.
        bundle_version: default one more than the highest version recorded for the ID.
        listing_batch: rows per listing read.

    Returns:
        A :class:`CaseData` whose ``file_rows`` streams the catalog listings.

    Raises:
        NotFoundError: no such case or exhibit.
        IntegrityError: a custody chain fails verification (it is never exported broken).
    """
    case = session.scalar(select(Case).where(Case.reference == case_reference.strip()))
    if case is None:
        raise NotFoundError(f"no case {case_reference!r}; list cases with: sealbag case list")
    chosen = _selected_exhibits(session, case, exhibits)
    parents = {
        e.id: e.exhibit_id
        for e in session.scalars(select(Exhibit).where(Exhibit.case_id == case.id))
    }
    notes = {str(k): dict(v or {}) for k, v in (exhibit_notes or {}).items()}
    bundle_exhibits = [
        _with_notes(_bundle_exhibit(e, case, parents, certificate_ids), notes.get(e.exhibit_id))
        for e in chosen
    ]
    acquisition_rows: list[AcquisitionRow] = []
    acquisitions: list[Acquisition] = []
    runs: list[tuple[str, int]] = []
    listing_details: dict[str, tuple[tuple[str, str], ...]] = {}
    for exhibit, shown in zip(chosen, bundle_exhibits, strict=True):
        if shown.digital:
            row = latest_acquisition(session, exhibit)
            if row is not None:
                acquisition_rows.append(row)
                acquisition = _acquisition(row, exhibit.exhibit_id, case)
                clock = notes.get(exhibit.exhibit_id, {}).get("device_clock")
                if clock:
                    acquisition = dataclasses.replace(acquisition, device_clock=str(clock))
                acquisitions.append(acquisition)
        run = latest_complete_run(session, exhibit)
        if run is not None:
            runs.append((exhibit.exhibit_id, run.id))
            listing_details[exhibit.exhibit_id] = _listing_details(session, run, case.time_zone)
    year = bundle_year or (case.created_at.year if case.created_at else datetime.now(UTC).year)
    info = CaseInfo(
        reference=case.reference,
        title=case.title,
        country=case.country_code or "",
        agency_code=case.agency_code or "",
        year=year,
        serial=bundle_serial if bundle_serial is not None else case.id,
        bundle_version=1,
    )
    version = bundle_version or next_bundle_version(session, info.bundle_id)
    return CaseData(
        case=dataclasses.replace(info, bundle_version=version),
        exhibits=tuple(bundle_exhibits),
        acquisitions=tuple(acquisitions),
        custody_events=tuple(
            _custody_records(session, case, [e.exhibit_id for e in chosen]) if chosen else ()
        ),
        certificates=_certificates(chosen, acquisition_rows, certificates),
        file_rows=ListingSource(_engine_of(session), runs, listing_batch) if runs else None,
        listing_details=listing_details,
    )


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine  # an Engine's .engine is itself; a Connection's is its engine


def listing_runs(case_data: CaseData) -> tuple[tuple[str, int], ...]:
    """The ``(exhibit ID, catalog run id)`` pairs a database-built case data lists."""
    source = case_data.file_rows
    return source.runs if isinstance(source, ListingSource) else ()


__all__ = [
    "EXHIBIT_NOTE_FIELDS",
    "LISTING_BATCH",
    "HashSetCitation",
    "ListingSource",
    "case_data_from_database",
    "exact_name",
    "hash_set_citations",
    "iter_listing_batches",
    "iter_listing_rows",
    "latest_acquisition",
    "latest_complete_run",
    "listing_runs",
    "next_bundle_version",
]
