"""Fixtures for custody tests: a case with people, keys and a seized exhibit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from forensics.custody import generate_key, unlock
from forensics.custody.keys import UnlockedKey
from forensics.database import Database, open_database
from forensics.database.models import Case, Exhibit, Person

PASSPHRASE = "correct horse battery"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Ledger:
    """Ids of a small case, plus unlocked keys by person id."""

    db: Database
    case_id: int
    exhibit_id: int
    people: dict[str, int]
    keys: dict[int, UnlockedKey]

    def load(self, session):
        case = session.get(Case, self.case_id)
        exhibit = session.get(Exhibit, self.exhibit_id)
        people = {name: session.get(Person, pid) for name, pid in self.people.items()}
        return case, exhibit, people


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_ledger(url: str, names=("asha", "ben", "chen", "dana")) -> Ledger:
    db = open_database(url)
    with db.session() as s:
        case = Case(reference="FIR-12/2026", title="Test case", time_zone="Asia/Kolkata")
        s.add(case)
        s.flush()
        people = {}
        for i, name in enumerate(names):
            person = Person(name=name.title(), designation="Inspector", id_number=f"B-{i + 100}")
            s.add(person)
            s.flush()
            people[name] = person
        exhibit = Exhibit(case_id=case.id, exhibit_id="EX-001", description="Laptop")
        s.add(exhibit)
        s.flush()
        keys = {}
        for person in people.values():
            stored = generate_key(s, person, PASSPHRASE)
            keys[person.id] = unlock(stored, PASSPHRASE)
        ledger = Ledger(db, case.id, exhibit.id, {n: p.id for n, p in people.items()}, keys)
    return ledger


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    led = make_ledger(database_url)
    yield led
    led.db.close()


@pytest.fixture
def sqlite_ledger(sqlite_url: str) -> Iterator[Ledger]:
    led = make_ledger(sqlite_url)
    yield led
    led.db.close()
