"""Cases: creation, listing and lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forensics.casework.audit import record_audit
from forensics.casework.validation import check_lengths
from forensics.casework.views import CaseView
from forensics.database.enums import CaseStage
from forensics.database.models import Case, Exhibit, Offence
from forensics.database.session import track_new_file
from forensics.errors import ConflictError, NotFoundError, UserInputError
from forensics.store import EvidenceStore
from forensics.timeutil import zone


@dataclass(frozen=True)
class OffenceInput:
    name: str
    statute: str | None = None
    statute_text: str | None = None
    max_penalty: str | None = None


@dataclass(frozen=True)
class CaseInput:
    """What a user gives to open a case."""

    reference: str
    title: str
    agency: str | None = None
    jurisdiction: str | None = None
    country_code: str | None = None
    agency_code: str | None = None
    stage: str = CaseStage.INVESTIGATION.value
    time_zone: str = "UTC"
    description: str | None = None
    offences: tuple[OffenceInput, ...] = field(default=())


def parse_offence(text: str) -> OffenceInput:
    """``"Cheating by personation=BNS s.319"`` -> name and statutory reference.

    The part after ``=`` (or in ``[...]``) is the statute reference; without
    it the whole text is the name.
    """
    text = text.strip()
    if not text:
        raise UserInputError("an offence cannot be empty")
    m = re.fullmatch(r"(.+?)\s*\[(.+)\]", text)
    if m:
        return OffenceInput(m.group(1).strip(), m.group(2).strip())
    name, sep, statute = text.partition("=")
    if sep and name.strip() and statute.strip():
        return OffenceInput(name.strip(), statute.strip())
    return OffenceInput(text)


def parse_stage(text: str) -> CaseStage:
    try:
        return CaseStage(text.strip().lower().replace("_", "-").replace(" ", "-"))
    except ValueError as exc:
        choices = ", ".join(s.value for s in CaseStage)
        raise UserInputError(f"unknown stage {text!r}; choose one of: {choices}") from exc


def create_case(session: Session, data: CaseInput, store: EvidenceStore) -> CaseView:
    """Open a case and create its evidence folder.

    The folder is created before the transaction commits and removed again
    (while still empty) if the transaction rolls back, so nothing is
    half-written.

    Raises:
        UserInputError: a required field is empty or a value is invalid.
        ConflictError: a case with this reference exists.
    """
    reference = data.reference.strip()
    title = data.title.strip()
    if not reference:
        raise UserInputError(
            "a case needs a reference such as an FIR or crime number (--reference)"
        )
    if len(reference) > 120:
        raise UserInputError("the case reference is longer than 120 characters; shorten it")
    if not title:
        raise UserInputError("a case needs a title (--title)")
    zone(data.time_zone)
    country = (data.country_code or "").strip().upper() or None
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise UserInputError(
            f"country code {data.country_code!r} must be ISO 3166 alpha-2 (IN, US, FR)"
        )
    stage = parse_stage(data.stage)
    if session.scalar(select(Case.id).where(Case.reference == reference)):
        raise ConflictError(f"case {reference!r} already exists; pick another reference")
    case = Case(
        reference=reference,
        title=title,
        agency=data.agency,
        jurisdiction=data.jurisdiction,
        country_code=country,
        agency_code=data.agency_code,
        stage=stage,
        time_zone=data.time_zone,
        description=data.description,
        offences=[
            Offence(
                position=i,
                name=o.name,
                statute=o.statute,
                statute_text=o.statute_text,
                max_penalty=o.max_penalty,
            )
            for i, o in enumerate(data.offences)
        ],
    )
    check_lengths(case, {"country_code": "--country"})
    for offence in case.offences:
        check_lengths(offence, {"name": "--offence", "statute": "--offence (statute part)"})
    session.add(case)
    session.flush()
    folder = store.create_case_folder(reference, case.id)
    track_new_file(session, folder)  # removed again if the case is not committed
    case.store_path = str(folder)
    session.flush()
    record_audit(session, "case.create", target_type="case", target_id=reference, case_id=case.id)
    return CaseView.of(case)


def get_case_row(session: Session, reference: str) -> Case:
    """The case row with this reference.

    Raises:
        NotFoundError: there is no such case.
    """
    case = session.scalar(
        select(Case).where(Case.reference == reference.strip()).options(selectinload(Case.offences))
    )
    if case is None:
        raise NotFoundError(f"no case {reference!r}; list cases with: sealbag case list")
    return case


def get_case(session: Session, reference: str) -> CaseView:
    """The case with this reference, with its offence list and exhibit count."""
    case = get_case_row(session, reference)
    count = session.scalar(select(func.count(Exhibit.id)).where(Exhibit.case_id == case.id)) or 0
    return CaseView.of(case, count)


def list_cases(session: Session) -> list[CaseView]:
    """Every case, newest first."""
    counts = {
        case_id: n
        for case_id, n in session.execute(
            select(Exhibit.case_id, func.count(Exhibit.id)).group_by(Exhibit.case_id)
        )
    }
    cases = session.scalars(
        select(Case)
        .options(selectinload(Case.offences))
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    return [CaseView.of(c, counts.get(c.id, 0)) for c in cases]
