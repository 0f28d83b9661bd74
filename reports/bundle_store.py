"""Bundles and their requests in the case database: store a request, build, record, list.

A build from the database runs in three steps: one read (request and case data; the listing
then streams in its own short reads), the package build (atomic, no transaction open), and one
write transaction that records the ``Bundle`` row, ``StoredFile`` rows when the package lies in
the case's evidence folder, an audit row and a signed ``reported`` custody event per exhibit.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.casework.audit import record_audit
from forensics.database.enums import BundleStatus, StoredFileKind
from forensics.database.models import Bundle, Case, Exhibit, MlaRequest, Person, StoredFile
from forensics.errors import NotFoundError, UserInputError
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress
from reports.from_database import EXHIBIT_NOTE_FIELDS, case_data_from_database
from reports.loading import build_dataclass, read_structured_file, request_from_dict
from reports.model import BundleInput, CertificatesData, RequestData
from reports.package import BuildResult, SigningConfig, build_bundle
from reports.profiles import load_profile

# Parts of a stored request document that are not RequestData.
EXTRA_KEYS = ("certificates", "bundle", "exhibit_notes")


@dataclasses.dataclass(frozen=True)
class RequestDocument:
    """A request as stored: the request proper, certificate declarants and bundle ID parts."""

    request: RequestData
    certificates: CertificatesData | None = None
    bundle_year: int | None = None
    bundle_serial: int | None = None
    exhibit_notes: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)


def parse_request_document(data: Any, where: str = "request") -> RequestDocument:
    """Validate a request document (``bundle init`` template plus optional extras).

    Besides the request fields it may hold ``certificates:`` (declarants: party, expert,
    custodian, with place and date the database does not know), ``bundle: {year, serial}``
    and ``exhibit_notes: {EX-001: {witnesses, photographs, device_clock}}``.

    Raises:
        UserInputError: unknown key or wrong shape, naming the dotted path to fix.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise UserInputError(f"{where}: expected a mapping at the top level")
    body = {k: v for k, v in data.items() if k not in EXTRA_KEYS}
    request = request_from_dict(body)
    certificates = (
        build_dataclass(CertificatesData, data["certificates"], f"{where}.certificates")
        if data.get("certificates") is not None
        else None
    )
    bundle = data.get("bundle") or {}
    if not isinstance(bundle, Mapping) or set(map(str, bundle)) - {"year", "serial"}:
        raise UserInputError(f"{where}.bundle: only 'year' and 'serial' may be given")
    for key in ("year", "serial"):
        value = bundle.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise UserInputError(f"{where}.bundle.{key}: expected a whole number")
    raw_notes = data.get("exhibit_notes") or {}
    if not isinstance(raw_notes, Mapping):
        raise UserInputError(f"{where}.exhibit_notes: expected a mapping of exhibit IDs")
    notes: dict[str, dict[str, str]] = {}
    for exhibit_id, fields in raw_notes.items():
        here = f"{where}.exhibit_notes.{exhibit_id}"
        if not isinstance(fields, Mapping):
            raise UserInputError(f"{here}: expected a mapping")
        unknown = sorted(set(map(str, fields)) - set(EXHIBIT_NOTE_FIELDS))
        if unknown:
            raise UserInputError(
                f"{here}: unknown field(s) {', '.join(unknown)}; use "
                + ", ".join(EXHIBIT_NOTE_FIELDS)
            )
        notes[str(exhibit_id)] = {str(k): "" if v is None else str(v) for k, v in fields.items()}
    return RequestDocument(request, certificates, bundle.get("year"), bundle.get("serial"), notes)


def _json_safe(value: Any) -> Any:
    """Plain JSON values; YAML dates and times (unquoted ``2026-03-01``) become ISO text."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _case(session: Session, reference: str) -> Case:
    case = session.scalar(select(Case).where(Case.reference == reference.strip()))
    if case is None:
        raise NotFoundError(f"no case {reference!r}; list cases with: sealbag case list")
    return case


def store_request(
    session: Session, case_reference: str, profile_id: str, data: Mapping[str, Any]
) -> MlaRequest:
    """Validate ``data`` and store it as the case's request for ``profile_id`` (replacing it).

    Raises:
        NotFoundError: no such case or profile.
        UserInputError: the request document is malformed.
    """
    profile = load_profile(profile_id)
    document = parse_request_document(data)
    case = _case(session, case_reference)
    row = session.scalar(
        select(MlaRequest).where(MlaRequest.case_id == case.id, MlaRequest.profile == profile.id)
    )
    plain = _json_safe(data)
    reference = document.request.references.our_reference or None
    if row is None:
        row = MlaRequest(case_id=case.id, profile=profile.id, reference=reference, data=plain)
        session.add(row)
    else:
        row.data = plain
        row.reference = reference
        row.updated_at = datetime.now(UTC)
    session.flush()
    record_audit(
        session,
        "bundle.request.set",
        target_type="mla_request",
        target_id=str(row.id),
        case_id=case.id,
        details={"profile": profile.id, "reference": reference},
    )
    return row


def stored_requests(session: Session, case_reference: str) -> list[MlaRequest]:
    """Every stored request of a case, by profile."""
    case = _case(session, case_reference)
    return list(
        session.scalars(
            select(MlaRequest).where(MlaRequest.case_id == case.id).order_by(MlaRequest.profile)
        )
    )


def stored_request(session: Session, case_reference: str, profile_id: str) -> MlaRequest:
    """The stored request of a case for a profile.

    Raises:
        NotFoundError: none stored; the message says which command stores one.
    """
    case = _case(session, case_reference)
    row = session.scalar(
        select(MlaRequest).where(MlaRequest.case_id == case.id, MlaRequest.profile == profile_id)
    )
    if row is None:
        raise NotFoundError(
            f"case {case.reference!r} has no stored request for profile {profile_id}; store one "
            f"with: sealbag bundle request set --case {case.reference!r} --profile {profile_id} "
            f"--file request.yaml (write a template with: sealbag bundle init --profile "
            f"{profile_id}), or pass --request FILE"
        )
    return row


def list_bundles(session: Session, case_reference: str) -> list[dict[str, Any]]:
    """Recorded bundles of a case, newest first, as plain dicts."""
    case = _case(session, case_reference)
    rows = session.scalars(
        select(Bundle).where(Bundle.case_id == case.id).order_by(Bundle.id.desc())
    ).all()
    return [bundle_to_dict(row) for row in rows]


def bundle_to_dict(row: Bundle) -> dict[str, Any]:
    return {
        "id": row.id,
        "bundle_id": row.bundle_id,
        "version": row.version,
        "profile": row.profile,
        "status": row.status.value,
        "generated_at": row.generated_at.astimezone(UTC).isoformat(),
        "out_path": row.out_path,
        "manifest_sha256": row.manifest_sha256,
        "pdf_sha256": row.pdf_sha256,
    }


@dataclasses.dataclass(frozen=True)
class RecordedBundle:
    """What was written to the database after a build."""

    bundle_row_id: int
    stored_files: int
    custody_events: dict[str, str]  # exhibit -> entry_hash of its reported/note event
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _inside(folder: Path, root: str | None) -> Path | None:
    if not root:
        return None
    try:
        rel = Path(os.path.relpath(folder.resolve(), Path(root).resolve()))
    except ValueError:
        return None
    return None if rel.parts and rel.parts[0] == ".." else rel


def _sums(folder: Path) -> list[tuple[str, str]]:
    entries = []
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, sep, name = line.partition("  ")
        if sep:
            entries.append((name, digest))
    return entries


def _custody_for_bundle(
    session: Session,
    exhibits: Sequence[Exhibit],
    details: dict[str, Any],
    operator: Person | None,
) -> tuple[dict[str, str], list[str]]:
    """One signed event per exhibit saying the bundle reported it (a note on closed chains)."""
    from forensics.custody import custody_status, record_system_event
    from forensics.errors import IntegrityError

    recorded: dict[str, str] = {}
    warnings: list[str] = []
    for exhibit in exhibits:
        status = custody_status(session, exhibit).status
        if status == "no-record":
            warnings.append(
                f"{exhibit.exhibit_id}: no custody chain yet, so no 'reported' event was recorded"
            )
            continue
        closed = status in ("returned", "disposed")
        try:
            with session.begin_nested():
                event = record_system_event(
                    session,
                    exhibit,
                    "note" if closed else "reported",
                    actor=operator,
                    details=details,
                    remarks=f"reported in bundle {details['bundle_id']} v{details['version']}"
                    + (f" (exhibit already {status})" if closed else ""),
                )
        except (IntegrityError, UserInputError) as exc:
            warnings.append(f"{exhibit.exhibit_id}: custody event not recorded: {exc}")
            continue
        recorded[exhibit.exhibit_id] = event.entry_hash
    return recorded, warnings


def record_built_bundle(
    session: Session,
    case_reference: str,
    inp: BundleInput,
    result: BuildResult,
    *,
    request_row_id: int | None = None,
    operator: Person | None = None,
) -> RecordedBundle:
    """Record a built bundle: ``Bundle`` row, ``StoredFile`` rows, audit and custody events.

    Runs in the caller's transaction (commit it to keep everything, or roll it all back).

    Raises:
        ConflictError-like database errors propagate (e.g. the bundle ID and version exist).
    """
    case = _case(session, case_reference)
    status = BundleStatus.DRAFT if result.draft else BundleStatus.FINAL
    row = Bundle(
        case_id=case.id,
        request_id=request_row_id,
        bundle_id=result.bundle_id,
        version=inp.case_data.case.bundle_version,
        profile=inp.profile_id,
        status=status,
        generated_at=datetime.fromisoformat(inp.generated_at.replace("Z", "+00:00")),
        out_path=str(Path(result.folder).absolute()),
        manifest_sha256=result.manifest_sha256,
        pdf_sha256=result.pdf_sha256,
        created_by_id=operator.id if operator else None,
    )
    session.add(row)
    session.flush()
    stored = 0
    relative = _inside(Path(result.folder), case.store_path)
    if relative is not None:
        for name, digest in [*_sums(Path(result.folder)), ("SHA256SUMS", "")]:
            path = Path(result.folder) / name
            rel = (relative / name).as_posix()
            if session.scalar(
                select(StoredFile.id).where(
                    StoredFile.case_id == case.id, StoredFile.relative_path == rel
                )
            ):
                continue
            if not digest:
                from forensics.store import sha256_file

                digest, _ = sha256_file(path)
            session.add(
                StoredFile(
                    case_id=case.id,
                    kind=StoredFileKind.BUNDLE,
                    relative_path=rel,
                    size=path.stat().st_size,
                    sha256=digest,
                    description=f"bundle {result.bundle_id} v{row.version} ({status.value})",
                )
            )
            stored += 1
    ids = [e.id for e in inp.case_data.exhibits]
    exhibits = list(
        session.scalars(
            select(Exhibit)
            .where(Exhibit.case_id == case.id, Exhibit.exhibit_id.in_(ids))
            .order_by(Exhibit.exhibit_id)
        )
    )
    details = {
        "engine": "bundle",
        "bundle_id": result.bundle_id,
        "version": row.version,
        "profile": inp.profile_id,
        "status": status.value,
        "generated_at": inp.generated_at,
        "manifest_sha256": result.manifest_sha256,
        "pdf_sha256": result.pdf_sha256,
        "pdf": result.pdf_path.name,
    }
    custody, warnings = _custody_for_bundle(session, exhibits, details, operator)
    record_audit(
        session,
        "bundle.build",
        target_type="bundle",
        target_id=f"{result.bundle_id} v{row.version}",
        case_id=case.id,
        person_id=operator.id if operator else None,
        details={
            **details,
            "out_path": row.out_path,
            "stored_files": stored,
            "custody_events": custody,
            "warnings": warnings,
        },
    )
    session.flush()
    return RecordedBundle(row.id, stored, custody, tuple(warnings))


@dataclasses.dataclass(frozen=True)
class DatabaseBuild:
    """Outcome of :func:`build_bundle_from_database`."""

    result: BuildResult
    recorded: RecordedBundle | None
    record_error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.result.to_dict(),
            "recorded": self.recorded.to_dict() if self.recorded else None,
            "record_error": self.record_error or None,
        }


def default_out_dir(case: Case, bundle_id: str, version: int) -> Path:
    """``<case evidence folder>/bundles/<bundle-id>-v<version>``.

    Raises:
        UserInputError: the case has no evidence folder.
    """
    if not case.store_path:
        raise UserInputError(f"case {case.reference!r} has no evidence folder; pass --out DIR")
    return Path(case.store_path) / "bundles" / f"{bundle_id}-v{version}"


def build_bundle_from_database(
    db: Any,
    case_reference: str,
    profile_id: str,
    *,
    request_file: Path | None = None,
    out_dir: Path | None = None,
    draft: bool = False,
    generated_at: str | None = None,
    exhibits: Sequence[str] | None = None,
    operator: str | None = None,
    signing: SigningConfig | None = None,
    include_uco: bool = False,
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> DatabaseBuild:
    """Build a bundle for a case straight from the database and record it there.

    Args:
        db: an open :class:`forensics.database.Database`.
        case_reference, profile_id: the case and the jurisdiction profile.
        request_file: request YAML/JSON; default the request stored for the case and profile.
        out_dir: package folder; default ``<case folder>/bundles/<bundle-id>-v<version>``.
        draft: build despite pre-flight problems (watermarked DRAFT).
        generated_at: ISO 8601 time with zone (default now).
        exhibits: exhibit IDs to include (default all).
        operator: ID number, ``#id`` or name of the person building it (custody actor).

    Returns:
        The build result and what was recorded. When the package was written but recording
        failed, ``recorded`` is None and ``record_error`` says why (the package stays).

    Raises:
        NotFoundError: no case, profile, stored request, exhibit or person.
        PreflightError: a final bundle failed pre-flight.
    """
    from forensics.casework.people import find_person

    profile = load_profile(profile_id)
    stamp = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    with db.session() as session:
        request_row_id = None
        if request_file is not None:
            document = parse_request_document(read_structured_file(request_file), str(request_file))
        else:
            row = stored_request(session, case_reference, profile.id)
            request_row_id = row.id
            document = parse_request_document(row.data, f"stored request #{row.id}")
        if operator:
            find_person(session, operator)
        case_data = case_data_from_database(
            session,
            case_reference,
            exhibits=exhibits,
            certificate_ids=profile.certificates,
            certificates=document.certificates,
            exhibit_notes=document.exhibit_notes,
            bundle_year=document.bundle_year,
            bundle_serial=document.bundle_serial,
        )
        case = _case(session, case_reference)
        target = out_dir
        if target is None:
            # a folder left by a build whose recording failed keeps its version number
            version = case_data.case.bundle_version
            target = default_out_dir(case, case_data.case.bundle_id, version)
            while target.exists():
                version += 1
                target = default_out_dir(case, case_data.case.bundle_id, version)
            case_data = dataclasses.replace(
                case_data, case=dataclasses.replace(case_data.case, bundle_version=version)
            )
    inp = BundleInput(
        request=document.request,
        case_data=case_data,
        profile_id=profile.id,
        generated_at=stamp,
        draft=draft,
    )
    result = build_bundle(
        inp, target, signing=signing, include_uco=include_uco, progress=progress, cancel=cancel
    )
    try:
        with db.session() as session:
            person = find_person(session, operator) if operator else None
            recorded = record_built_bundle(
                session,
                case_reference,
                inp,
                result,
                request_row_id=request_row_id,
                operator=person,
            )
    except Exception as exc:  # any database failure: the package stays valid
        return DatabaseBuild(result, None, _record_failure(result, exc))
    return DatabaseBuild(result, recorded)


def _record_failure(result: BuildResult, exc: BaseException) -> str:
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    return (
        f"the bundle was written to {result.folder} but recording it in the case database "
        f"failed ({type(exc).__name__}: {first}); nothing was recorded (no Bundle row, no "
        "custody events). The package itself is complete and verifiable; fix the database "
        "and build again to record it"
    )


__all__ = [
    "DatabaseBuild",
    "RecordedBundle",
    "RequestDocument",
    "build_bundle_from_database",
    "bundle_to_dict",
    "default_out_dir",
    "list_bundles",
    "parse_request_document",
    "record_built_bundle",
    "store_request",
    "stored_request",
    "stored_requests",
]
