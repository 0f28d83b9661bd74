"""Fill the case part of a bundle (:class:`~reports.model.CaseData`) from the case database.

One source per fact, so the PDF, the manifest and the shipped files agree:

* exhibits and device particulars come from ``Exhibit`` rows;
* each digital exhibit's acquisition record comes from ONE ``Acquisition`` row (the latest
  completed or imported run); every hash printed in S10, S11, S13 and S14 is taken from that
  row's ``image_hashes``/``source_hashes``;
* the custody log is a fresh ``export_custody`` of the ledger, read back with ``read_export``:
  the records the PDF prints are the very lines ``custody.jsonl`` ships;
* the file listing streams ``FileEntry`` rows of each exhibit's latest complete catalog run in
  bounded batches, each in its own short read, never all rows at once.

Acquisition records are built in :mod:`reports.db_acquisition`, listings in
:mod:`reports.db_listing`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forensics.database.enums import (
    ExhibitType,
    SourceCategory,
)
from forensics.database.models import Acquisition as AcquisitionRow
from forensics.database.models import (
    Bundle,
    Case,
    Exhibit,
    Person,
)
from forensics.errors import NotFoundError
from reports.db_acquisition import acquisition_record, latest_acquisition, local_iso
from reports.db_listing import (
    LISTING_BATCH,
    ListingSource,
    latest_complete_run,
    listing_details,
)
from reports.model import (
    Acquisition,
    CaseData,
    CaseInfo,
    CertificateParty,
    CertificatesData,
    Device,
)
from reports.model import Exhibit as BundleExhibit

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
        seized_at=local_iso(exhibit.seized_at, exhibit.seized_tz or case.time_zone),
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


def _custody_records(session: Session, case: Case, exhibit_ids: Sequence[str]) -> list[dict]:
    """A fresh ledger export of these exhibits, read back as the records ``custody.jsonl`` holds."""
    from forensics.custody import export_custody, read_export

    with tempfile.TemporaryDirectory(prefix="sealbag-custody-") as folder:
        path = Path(folder) / "custody.jsonl"
        # the bundle records its own 'reported' events; this temporary file is not an export
        export_custody(session, case, path, list(exhibit_ids) or None, record_exported=False)
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
    provenance: dict[str, tuple[tuple[str, str], ...]] = {}
    for exhibit, shown in zip(chosen, bundle_exhibits, strict=True):
        if shown.digital:
            row = latest_acquisition(session, exhibit)
            if row is not None:
                acquisition_rows.append(row)
                acquisition = acquisition_record(row, exhibit.exhibit_id, case)
                clock = notes.get(exhibit.exhibit_id, {}).get("device_clock")
                if clock:
                    acquisition = dataclasses.replace(acquisition, device_clock=str(clock))
                acquisitions.append(acquisition)
        run = latest_complete_run(session, exhibit)
        if run is not None:
            runs.append((exhibit.exhibit_id, run.id))
            provenance[exhibit.exhibit_id] = listing_details(session, run, case.time_zone)
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
        listing_details=provenance,
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
    "case_data_from_database",
    "listing_runs",
    "next_bundle_version",
]
