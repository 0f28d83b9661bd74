"""People: examiners, officers, custodians, witnesses, owners."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from forensics.casework.audit import record_audit
from forensics.casework.validation import check_lengths
from forensics.casework.views import PersonView
from forensics.database.enums import PersonRole
from forensics.database.models import Person
from forensics.errors import ConflictError, NotFoundError, UserInputError


@dataclass(frozen=True)
class PersonInput:
    """What a user gives to register a person."""

    name: str
    designation: str | None = None
    id_number: str | None = None
    agency: str | None = None
    role: str = PersonRole.OTHER.value
    email: str | None = None
    phone: str | None = None


def parse_role(text: str) -> PersonRole:
    """The role named by ``text`` (``examiner``, ``investigating-officer`` ...)."""
    try:
        return PersonRole(text.strip().lower().replace("_", "-").replace(" ", "-"))
    except ValueError as exc:
        choices = ", ".join(r.value for r in PersonRole)
        raise UserInputError(f"unknown role {text!r}; choose one of: {choices}") from exc


def add_person(session: Session, data: PersonInput) -> PersonView:
    """Register a person.

    Raises:
        UserInputError: the name is empty or the role unknown.
        ConflictError: another person has the same ID number.
    """
    name = data.name.strip()
    if not name:
        raise UserInputError("a person needs a name (--name)")
    role = parse_role(data.role)
    id_number = (data.id_number or "").strip() or None
    if id_number and session.scalar(select(Person.id).where(Person.id_number == id_number)):
        raise ConflictError(f"a person with ID number {id_number!r} is already registered")
    person = Person(
        name=name,
        designation=data.designation,
        id_number=id_number,
        agency=data.agency,
        role=role,
        email=data.email,
        phone=data.phone,
    )
    check_lengths(person)
    session.add(person)
    session.flush()
    record_audit(
        session,
        "person.add",
        target_type="person",
        target_id=str(person.id),
        details={"name": name, "id_number": id_number},
    )
    return PersonView.of(person)


def list_people(session: Session) -> list[PersonView]:
    """Everyone registered, by name."""
    return [
        PersonView.of(p) for p in session.scalars(select(Person).order_by(Person.name, Person.id))
    ]


def find_person(session: Session, key: str) -> Person:
    """The person whose ID number, database id (``#12`` or ``12``) or exact name is ``key``.

    Raises:
        NotFoundError: nobody matches.
        UserInputError: several people share that name.
    """
    key = key.strip()
    by_number = session.scalar(select(Person).where(Person.id_number == key))
    if by_number:
        return by_number
    digits = key.lstrip("#")
    if digits.isdigit():
        by_id = session.get(Person, int(digits))
        if by_id:
            return by_id
    matches = list(session.scalars(select(Person).where(or_(Person.name == key))))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UserInputError(f"several people are named {key!r}; give their ID number instead")
    raise NotFoundError(f"no person {key!r}; register them with: sealbag person add --name ...")
