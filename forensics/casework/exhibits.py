"""Exhibits: seized items and the items derived from them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forensics.casework.attachments import store_attachment
from forensics.casework.audit import record_audit
from forensics.casework.cases import get_case_row
from forensics.casework.people import find_person
from forensics.casework.validation import check_lengths
from forensics.casework.views import ExhibitView
from forensics.database.enums import ExhibitType, SourceCategory
from forensics.database.models import Exhibit
from forensics.errors import ConflictError, NotFoundError, UserInputError
from forensics.store import EvidenceStore
from forensics.timeutil import parse_local_time

# EX-001, EX-001.1, EX-001.1.a; labs may use their own prefix (HDD-7, MOB-12).
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
EXHIBIT_ID_RE = re.compile(rf"^{_SEGMENT}(?:\.[A-Za-z0-9]{{1,8}})*$")


@dataclass(frozen=True)
class ExhibitInput:
    """What a user gives to register an exhibit (all times as typed, zone separate)."""

    exhibit_id: str
    description: str
    parent: str | None = None
    type: str = ExhibitType.DEVICE.value
    source_category: str | None = None
    make: str | None = None
    model: str | None = None
    serial_number: str | None = None
    imei: str | None = None
    uin: str | None = None
    mac_address: str | None = None
    cloud_id: str | None = None
    colour: str | None = None
    capacity_bytes: int | None = None
    condition: str | None = None
    seal_numbers: tuple[str, ...] = ()
    seized_at: str | None = None
    seized_tz: str | None = None
    seized_location: str | None = None
    seized_by: str | None = None
    legal_authority: str | None = None
    notes: str | None = None
    photos: tuple[Path, ...] = field(default=())


def _enum(cls: type[ExhibitType] | type[SourceCategory], text: str, what: str):
    try:
        return cls(text.strip().lower().replace("_", "-").replace(" ", "-"))
    except ValueError as exc:
        choices = ", ".join(m.value for m in cls)
        raise UserInputError(f"unknown {what} {text!r}; choose one of: {choices}") from exc


def add_exhibit(
    session: Session, case_reference: str, data: ExhibitInput, store: EvidenceStore | None = None
) -> ExhibitView:
    """Register an exhibit in a case; photos are copied into the case's store.

    A derived item's ID extends its parent's (``EX-001.1`` under ``EX-001``).

    Raises:
        NotFoundError: the case, parent exhibit, person or a photo does not exist.
        ConflictError: the exhibit ID is taken in this case.
        UserInputError: a value is invalid.
    """
    case = get_case_row(session, case_reference)
    ex_id = data.exhibit_id.strip()
    if not EXHIBIT_ID_RE.match(ex_id):
        raise UserInputError(
            f"exhibit ID {data.exhibit_id!r} is not valid; use e.g. EX-001, or EX-001.1 for an "
            "item derived from EX-001"
        )
    if not data.description.strip():
        raise UserInputError("an exhibit needs a description (--description)")
    # IDs are compared without case: EX-001 and ex-001 on two labels would be one exhibit
    taken = session.scalar(
        select(Exhibit.exhibit_id).where(
            Exhibit.case_id == case.id, func.lower(Exhibit.exhibit_id) == ex_id.lower()
        )
    )
    if taken:
        raise ConflictError(f"exhibit {taken} already exists in case {case.reference}")
    implied_parent = ex_id.rsplit(".", 1)[0] if "." in ex_id else None
    parent_id = data.parent.strip() if data.parent else implied_parent
    parent = None
    if parent_id is not None:
        if parent_id != implied_parent:
            raise UserInputError(
                f"a derived exhibit's ID is its parent's ID plus one more part: use "
                f"{parent_id}.1 for an item derived from {parent_id}"
            )
        parent = session.scalar(
            select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.exhibit_id == parent_id)
        )
        if parent is None:
            raise NotFoundError(
                f"parent exhibit {parent_id} is not in case {case.reference}; add it first"
            )
    seized_at = seized_tz = None
    if data.seized_at:
        seized_at, seized_tz = parse_local_time(data.seized_at, data.seized_tz or case.time_zone)
    seized_by = find_person(session, data.seized_by) if data.seized_by else None
    if data.capacity_bytes is not None and data.capacity_bytes < 0:
        raise UserInputError("capacity cannot be negative")
    seals = tuple(s.strip() for s in data.seal_numbers if s.strip())
    exhibit = Exhibit(
        case_id=case.id,
        exhibit_id=ex_id,
        parent_id=parent.id if parent else None,
        type=_enum(ExhibitType, data.type, "exhibit type"),
        source_category=_enum(SourceCategory, data.source_category, "source category")
        if data.source_category
        else None,
        description=data.description.strip(),
        make=data.make,
        model=data.model,
        serial_number=data.serial_number,
        imei=data.imei,
        uin=data.uin,
        mac_address=data.mac_address,
        cloud_id=data.cloud_id,
        colour=data.colour,
        capacity_bytes=data.capacity_bytes,
        condition=data.condition,
        seal_numbers=list(seals),
        seized_at=seized_at,
        seized_tz=seized_tz,
        seized_location=data.seized_location,
        seized_by_id=seized_by.id if seized_by else None,
        legal_authority=data.legal_authority,
        notes=data.notes,
    )
    check_lengths(
        exhibit,
        {
            "exhibit_id": "--id",
            "serial_number": "--serial",
            "mac_address": "--mac",
            "seized_tz": "--seized-tz",
        },
    )
    for photo in data.photos:
        if not Path(photo).is_file():
            raise NotFoundError(f"photo not found: {photo}")
    if data.photos:
        if store is None or not case.store_path:
            raise UserInputError("this case has no evidence folder to keep photos in")
        for photo in dict.fromkeys(Path(p) for p in data.photos):  # same photo twice: once
            exhibit.photos.append(store_attachment(session, Path(case.store_path), photo))
    session.add(exhibit)
    session.flush()
    record_audit(
        session,
        "exhibit.add",
        target_type="exhibit",
        target_id=ex_id,
        case_id=case.id,
        details={"description": exhibit.description, "photos": len(data.photos)},
    )
    return ExhibitView.of(_load(session, exhibit.id))


def _load(session: Session, pk: int) -> Exhibit:
    return session.scalars(
        select(Exhibit)
        .where(Exhibit.id == pk)
        .options(
            selectinload(Exhibit.photos),
            selectinload(Exhibit.parent),
            selectinload(Exhibit.seized_by),
            selectinload(Exhibit.case),
        )
    ).one()


def get_exhibit_row(session: Session, case_reference: str, exhibit_id: str) -> Exhibit:
    """The exhibit row.

    Raises:
        NotFoundError: no such case or exhibit.
    """
    case = get_case_row(session, case_reference)
    exhibit = session.scalar(
        select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.exhibit_id == exhibit_id.strip())
    )
    if exhibit is None:
        raise NotFoundError(
            f"no exhibit {exhibit_id} in case {case.reference}; list them with: "
            f"sealbag exhibit list --case {case.reference!r}"
        )
    return exhibit


def get_exhibit(session: Session, case_reference: str, exhibit_id: str) -> ExhibitView:
    """A view of one exhibit."""
    return ExhibitView.of(_load(session, get_exhibit_row(session, case_reference, exhibit_id).id))


def list_exhibits(session: Session, case_reference: str) -> list[ExhibitView]:
    """The exhibits of a case in ID order (parents before their derived items)."""
    case = get_case_row(session, case_reference)
    rows = session.scalars(
        select(Exhibit)
        .where(Exhibit.case_id == case.id)
        .options(
            selectinload(Exhibit.photos),
            selectinload(Exhibit.parent),
            selectinload(Exhibit.seized_by),
            selectinload(Exhibit.case),
        )
    )
    return sorted((ExhibitView.of(e) for e in rows), key=lambda v: _natural_key(v.exhibit_id))


def _natural_key(text: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]
