"""Frozen, database-free views of cases, people and exhibits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from forensics.database import models


@dataclass(frozen=True)
class OffenceView:
    name: str
    statute: str | None = None
    statute_text: str | None = None
    max_penalty: str | None = None

    @classmethod
    def of(cls, o: models.Offence) -> OffenceView:
        return cls(o.name, o.statute, o.statute_text, o.max_penalty)


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    designation: str | None
    id_number: str | None
    agency: str | None
    role: str
    email: str | None = None
    phone: str | None = None

    @classmethod
    def of(cls, p: models.Person) -> PersonView:
        return cls(
            p.id, p.name, p.designation, p.id_number, p.agency, p.role.value, p.email, p.phone
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        """``Name (Designation, ID)`` for listings."""
        extra = ", ".join(x for x in (self.designation, self.id_number) if x)
        return f"{self.name} ({extra})" if extra else self.name


@dataclass(frozen=True)
class CaseView:
    id: int
    reference: str
    title: str
    agency: str | None
    jurisdiction: str | None
    country_code: str | None
    agency_code: str | None
    stage: str
    status: str
    time_zone: str
    description: str | None
    store_path: str | None
    created_at: datetime
    offences: tuple[OffenceView, ...] = ()
    exhibit_count: int = 0

    @classmethod
    def of(cls, c: models.Case, exhibit_count: int = 0) -> CaseView:
        return cls(
            c.id,
            c.reference,
            c.title,
            c.agency,
            c.jurisdiction,
            c.country_code,
            c.agency_code,
            c.stage.value,
            c.status.value,
            c.time_zone,
            c.description,
            c.store_path,
            c.created_at,
            tuple(OffenceView.of(o) for o in c.offences),
            exhibit_count,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["offences"] = [asdict(o) for o in self.offences]
        return d


@dataclass(frozen=True)
class ExhibitView:
    id: int
    case_reference: str
    exhibit_id: str
    parent: str | None
    type: str
    source_category: str | None
    description: str
    make: str | None
    model: str | None
    serial_number: str | None
    imei: str | None
    uin: str | None
    mac_address: str | None
    cloud_id: str | None
    other_identifiers: dict[str, Any]
    colour: str | None
    capacity_bytes: int | None
    condition: str | None
    seal_numbers: tuple[str, ...]
    seized_at: datetime | None
    seized_tz: str | None
    seized_location: str | None
    seized_by: PersonView | None
    legal_authority: str | None
    notes: str | None
    photos: tuple[str, ...] = field(default=())  # SHA-256 of each photo

    @classmethod
    def of(cls, e: models.Exhibit) -> ExhibitView:
        return cls(
            e.id,
            e.case.reference,
            e.exhibit_id,
            e.parent.exhibit_id if e.parent else None,
            e.type.value,
            e.source_category.value if e.source_category else None,
            e.description,
            e.make,
            e.model,
            e.serial_number,
            e.imei,
            e.uin,
            e.mac_address,
            e.cloud_id,
            dict(e.other_identifiers or {}),
            e.colour,
            e.capacity_bytes,
            e.condition,
            tuple(e.seal_numbers or ()),
            e.seized_at,
            e.seized_tz,
            e.seized_location,
            PersonView.of(e.seized_by) if e.seized_by else None,
            e.legal_authority,
            e.notes,
            tuple(p.sha256 for p in e.photos),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seal_numbers"] = list(self.seal_numbers)
        d["photos"] = list(self.photos)
        return d
