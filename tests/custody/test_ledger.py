"""Writing the ledger: fields, signatures, continuity rules, exceptions, corrections."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from forensics.custody import (
    canonical_bytes,
    custody_status,
    entry_hash,
    generate_key,
    record_event,
    record_system_event,
    revoke_key,
    unlock,
    unlock_person_key,
    verify_chain,
)
from forensics.custody.canonical import EVENT_FIELDS, ZERO_HASH
from forensics.custody.keys import verify_signature
from forensics.database.models import CustodyEvent, Exhibit, SigningKey
from forensics.errors import IntegrityError, UserInputError
from tests.custody.conftest import PASSPHRASE, at


def add(s, led, action, actor, minutes, **kw):
    case, exhibit, people = led.load(s)
    exhibit = kw.pop("exhibit", exhibit)
    for role in ("released_by", "received_by"):
        if isinstance(kw.get(role), str):
            kw[role] = people[kw[role]]
    person = people[actor]
    return record_event(
        s, case=case, exhibit=exhibit, action=action, actor=person,
        occurred_at=at(minutes) if minutes is not None else None, occurred_tz="Asia/Kolkata",
        signer=led.keys[person.id], **kw,
    )


def seize(s, led):
    return add(s, led, "seized", "asha", 0, received_by="asha", location_to="Scene",
               seal_number="S-1")


def test_event_is_canonical_hashed_signed_and_chained(ledger):
    with ledger.db.session() as s:
        first = seize(s, ledger)
        second = add(s, ledger, "transferred", "ben", 5, released_by="asha", received_by="ben",
                     purpose="to the store", location_from="Scene", location_to="Malkhana",
                     storage_ref="Rack 4/Shelf 2", remarks="Sealed bag — intact ✓")
    with ledger.db.session() as s:
        rows = s.scalars(select(CustodyEvent).order_by(CustodyEvent.sequence)).all()
        assert [r.sequence for r in rows] == [1, 2]
        event = json.loads(rows[1].canonical)
        assert set(event) == set(EVENT_FIELDS)
        assert rows[1].canonical.encode() == canonical_bytes(event)
        assert "✓" in rows[1].canonical  # ensure_ascii=False
        assert rows[1].entry_hash == entry_hash(rows[1].canonical.encode())
        assert rows[0].prev_hash == ZERO_HASH
        assert rows[1].prev_hash == first.entry_hash == event["prev_hash"]
        assert event["released_by"]["name"] == "Asha"
        assert event["received_by"]["id_number"] == "B-101"
        assert event["occurred_at"] == "2026-03-01T09:05:00.000000Z"
        assert event["occurred_tz"] == "Asia/Kolkata"
        key = s.scalars(select(SigningKey).where(SigningKey.fingerprint == second.key_fingerprint)
                        ).one()
        assert key.person_id == ledger.people["ben"]
        assert verify_signature(key.public_key, rows[1].canonical.encode(), rows[1].signature)
        assert not verify_signature(key.public_key, rows[0].canonical.encode(), rows[1].signature)
        case, _, _ = ledger.load(s)
        report = verify_chain(s, case)
        assert report.valid, report.first_broken
        assert report.head("EX-001") == second.entry_hash


def test_database_refuses_update_and_delete(ledger):
    with ledger.db.session() as s:
        seize(s, ledger)
    for statement in ("UPDATE custody_event SET remarks = 'x'", "DELETE FROM custody_event"):
        with pytest.raises(DBAPIError, match="append-only"), ledger.db.session() as s:
            s.execute(text(statement))
    with ledger.db.session() as s:
        assert s.scalar(select(CustodyEvent.remarks)) is None


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("transferred", "ben", 5, {"released_by": "asha", "received_by": "ben"})],
         "must be its seizure"),
        ([("seized", "asha", 0, {}), ("note", "asha", -1, {})], "time goes backwards"),
        ([("seized", "asha", 0, {}), ("seized", "asha", 1, {})], "already seized"),
        ([("seized", "asha", 0, {"received_by": "asha"}),
          ("transferred", "chen", 1, {"released_by": "ben", "received_by": "chen"})],
         "held by Asha"),
        ([("seized", "asha", 0, {}), ("transferred", "ben", 1, {"received_by": "ben"})],
         "needs both released_by and received_by"),
        ([("seized", "asha", 0, {}), ("checked-in", "asha", 1,
                                      {"released_by": "asha", "received_by": "asha"})],
         "not checked out"),
        ([("seized", "asha", 0, {}),
          ("checked-out", "ben", 1, {"released_by": "asha", "received_by": "ben"}),
          ("transferred", "chen", 2, {"released_by": "ben", "received_by": "chen"})],
         "check it in first"),
        ([("seized", "asha", 0, {}),
          ("checked-out", "ben", 1, {"released_by": "asha", "received_by": "ben"}),
          ("checked-out", "chen", 2, {"released_by": "ben", "received_by": "chen"})],
         "already checked out"),
        ([("seized", "asha", 0, {}),
          ("returned", "ben", 1, {"released_by": "asha", "received_by": "ben"}),
          ("examined", "ben", 2, {})], "already returned"),
        ([("seized", "asha", 0, {}), ("seal-checked", "asha", 1, {"seal_number": "S-1"})],
         "seal check needs"),
        ([("seized", "asha", 0, {}), ("verified", "asha", 1, {"hash_algorithm": "sha256"})],
         "verification needs"),
        ([("seized", "asha", 0, {}), ("correction", "asha", 1, {})], "must reference"),
        ([("seized", "asha", 0, {}), ("note", "asha", 60 * 24 * 365 * 2, {})], "in the future"),
    ],
)
def test_continuity_violation_is_refused_then_recorded_as_flagged_exception(
    sqlite_ledger, steps, message
):
    led = sqlite_ledger
    *before, last = steps
    with led.db.session() as s:
        for action, actor, minutes, kw in before:
            add(s, led, action, actor, minutes, **kw)
    action, actor, minutes, kw = last
    with pytest.raises(IntegrityError, match=message), led.db.session() as s:
        add(s, led, action, actor, minutes, **kw)
    with led.db.session() as s:
        assert s.scalar(select(CustodyEvent.id).where(CustodyEvent.sequence == len(steps))) is None
        flagged = add(s, led, action, actor, minutes, exception="late entry from the paper log",
                      **kw)
        assert flagged.exception_flag is True
        event = json.loads(flagged.canonical)
        assert event["exception"] is True
        assert any(message in v for v in event["violations"])
    with led.db.session() as s:
        case, _, _ = led.load(s)
        report = verify_chain(s, case)
        assert report.valid, report.first_broken
        assert [e["sequence"] for e in report.exceptions] == [len(steps)]


def test_full_lifecycle_and_checked_out_status(ledger):
    with ledger.db.session() as s:
        seize(s, ledger)
        add(s, ledger, "sealed", "asha", 1, seal_number="S-1")
        add(s, ledger, "transferred", "ben", 2, released_by="asha", received_by="ben",
            location_to="Malkhana", storage_ref="R4")
        add(s, ledger, "checked-out", "chen", 3, released_by="ben", received_by="chen",
            purpose="imaging", location_to="Lab 2")
    with ledger.db.session() as s:
        _, exhibit, _ = ledger.load(s)
        status = custody_status(s, exhibit)
        assert status.status == "checked-out" and status.out_of_custody
        assert status.holder["name"] == "Chen" and status.location == "Lab 2"
        add(s, ledger, "imaged", "chen", 4, hash_algorithm="SHA256", hash_value="AB" * 32,
            hash_match=True)
        add(s, ledger, "seal-checked", "chen", 5, seal_number="S-1", seal_intact=True,
            new_seal_number="S-2")
        add(s, ledger, "checked-in", "ben", 6, released_by="chen", received_by="ben",
            location_to="Malkhana")
        status = custody_status(s, exhibit)
        assert status.status == "in-custody" and status.holder["name"] == "Ben"
        add(s, ledger, "returned", "dana", 7, released_by="ben", received_by="dana")
        add(s, ledger, "note", "dana", 8, remarks="owner signed the receipt")
        assert custody_status(s, exhibit).status == "returned"
    with ledger.db.session() as s:
        case, _, _ = ledger.load(s)
        report = verify_chain(s, case, "EX-001")
        assert report.valid and report.events == 9


def test_correction_references_the_corrected_event(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        seize(s, led)
        wrong = add(s, led, "note", "asha", 1, remarks="seal S-7")
        fix = add(s, led, "correction", "asha", 2, corrects=wrong, remarks="seal is S-1, not S-7")
        assert json.loads(fix.canonical)["corrects"] == {
            "sequence": 2, "entry_hash": wrong.entry_hash}
        assert fix.corrects_event_id == wrong.id
    with led.db.session() as s:
        case, _, _ = led.load(s)
        assert verify_chain(s, case).valid


def test_derived_item_starts_from_parent_head(ledger):
    with ledger.db.session() as s:
        case, parent, _ = ledger.load(s)
        seize(s, ledger)
        imaged = add(s, ledger, "imaged", "asha", 3, hash_algorithm="sha256",
                     hash_value="cd" * 32, hash_match=True)
        child = Exhibit(case_id=case.id, exhibit_id="EX-001.1", parent_id=parent.id,
                        description="Image of EX-001")
        s.add(child)
        s.flush()
        first = add(s, ledger, "imaged", "asha", 4, exhibit=child,
                    details={"image_sha256": "cd" * 32})
        event = json.loads(first.canonical)
        assert event["prev_hash"] == ZERO_HASH
        assert event["derived_from"] == {"exhibit": "EX-001", "sequence": 2,
                                         "entry_hash": imaged.entry_hash}
        add(s, ledger, "verified", "asha", 5, exhibit=child, hash_algorithm="sha256",
            hash_value="cd" * 32, hash_match=True)
    with ledger.db.session() as s:
        case, _, _ = ledger.load(s)
        report = verify_chain(s, case, "EX-001.1")
        assert report.valid, report.first_broken
        assert {c.exhibit for c in report.chains} == {"EX-001", "EX-001.1"}


def test_derived_item_cannot_precede_parent_event(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        case, parent, _ = led.load(s)
        seize(s, led)
        add(s, led, "imaged", "asha", 30)
        child = Exhibit(case_id=case.id, exhibit_id="EX-001.1", parent_id=parent.id,
                        description="Image")
        s.add(child)
        s.flush()
        child_id = child.id
    with pytest.raises(IntegrityError, match="precedes the parent"), led.db.session() as s:
        add(s, led, "imaged", "asha", 10, exhibit=s.get(Exhibit, child_id))


def test_system_event_records_engine_hashes(ledger):
    with ledger.db.session() as s:
        seize(s, ledger)
        add(s, ledger, "checked-out", "chen", 5, released_by="asha", received_by="chen")
        _, exhibit, people = ledger.load(s)
        event = record_system_event(
            s, exhibit, "imaged", actor=people["chen"], signer=ledger.keys[people["chen"].id],
            details={"engine": "imaging", "image_sha256": "ef" * 32, "segments": 3},
            hash_algorithm="sha256", hash_value="ef" * 32, hash_match=True,
        )
        data = json.loads(event.canonical)
        assert data["details"] == {"automatic": True, "engine": "imaging",
                                   "image_sha256": "ef" * 32, "segments": 3}
        assert data["occurred_tz"] == "Asia/Kolkata"
        # "now" is taken at write time, so it is after the seizure in March.
        assert data["occurred_at"] > "2026-03-01T09:00:00.000000Z"


def test_keys_passphrases_and_signer_checks(sqlite_ledger, monkeypatch):
    led = sqlite_ledger
    with led.db.session() as s:
        _, _, people = led.load(s)
        with pytest.raises(UserInputError, match="wrong passphrase"):
            unlock_person_key(s, people["asha"], "not the passphrase")
        monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", PASSPHRASE)
        key = unlock_person_key(s, people["asha"], None)
        assert key.fingerprint == led.keys[people["asha"].id].fingerprint
        with pytest.raises(UserInputError, match="at least 8"):
            generate_key(s, people["asha"], "short")
        stored = s.scalars(select(SigningKey).where(SigningKey.person_id == people["asha"].id)
                           ).one()
        assert b"ENCRYPTED PRIVATE KEY" in stored.encrypted_private_key
    with pytest.raises(UserInputError, match="not Ben's"), led.db.session() as s:
        case, exhibit, people = led.load(s)
        record_event(s, case=case, exhibit=exhibit, action="seized", actor=people["ben"],
                     occurred_at=at(0), occurred_tz="UTC", signer=led.keys[people["asha"].id])
    with led.db.session() as s:  # passphrase path, from the environment
        case, exhibit, people = led.load(s)
        record_event(s, case=case, exhibit=exhibit, action="seized", actor=people["asha"],
                     occurred_at=at(0), occurred_tz="UTC")
    with led.db.session() as s:
        ben = led.keys[led.people["ben"]]
        revoke_key(s, ben.fingerprint, authorised_by=ben)
    with pytest.raises(UserInputError, match="revoked"), led.db.session() as s:
        add(s, led, "note", "ben", 1)
    with led.db.session() as s:
        _, _, people = led.load(s)
        fresh = unlock(generate_key(s, people["ben"], PASSPHRASE), PASSPHRASE)
        led.keys[people["ben"].id] = fresh
        add(s, led, "note", "ben", 1)
    with led.db.session() as s:
        case, _, _ = led.load(s)
        assert verify_chain(s, case).valid


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"occurred_at": datetime(2026, 3, 1, 9, 0)}, "time zone"),
        ({"occurred_tz": "Mars/Olympus"}, "unknown time zone"),
        ({"action": "stolen"}, "unknown custody action"),
        ({"details": {"ratio": 0.5}}, "float values are not allowed"),
        ({"details": {"bad key!": 1}}, "key"),
        ({"attachments": ["not-a-hash"]}, "SHA-256"),
        ({"hash_value": "xyz"}, "hexadecimal"),
        ({"hash_algorithm": "crc32"}, "unknown hash algorithm"),
        ({"seal_number": "S" * 65}, "too long"),
    ],
)
def test_bad_input_is_refused(sqlite_ledger, kwargs, message):
    led = sqlite_ledger
    with pytest.raises(UserInputError, match=message), led.db.session() as s:
        case, exhibit, people = led.load(s)
        args = {
            "case": case, "exhibit": exhibit, "action": "seized", "actor": people["asha"],
            "occurred_at": at(0), "occurred_tz": "UTC", "signer": led.keys[people["asha"].id],
        }
        args.update(kwargs)
        record_event(s, **args)


def test_no_update_or_delete_path_in_the_custody_code():
    import ast
    from pathlib import Path

    import forensics.custody as package

    for path in Path(package.__file__).parent.glob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module and "sqlalchemy" in node.module:
                names = {alias.name for alias in node.names}
                assert not names & {"update", "delete"}, (path.name, names)
            if isinstance(node, ast.Attribute) and node.attr in ("delete", "merge"):
                raise AssertionError(f"{path.name} calls .{node.attr}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                upper = node.value.upper()
                assert "DELETE FROM" not in upper and "UPDATE CUSTODY" not in upper, path.name


def test_system_event_without_a_personal_key_is_signed_by_the_workstation(ledger, monkeypatch):
    monkeypatch.delenv("SEALBAG_KEY_PASSPHRASE", raising=False)
    with ledger.db.session() as s:
        seize(s, ledger)
        _, exhibit, people = ledger.load(s)
        first = record_system_event(s, exhibit, "catalogued", actor=people["chen"],
                                    details={"engine": "catalog", "run_id": 4})
        second = record_system_event(s, exhibit, "exported", actor=None,
                                     details={"export_sha256": "ab" * 32})
        data = json.loads(first.canonical)
        assert data["actor"]["id_number"].startswith("sealbag-ws:")
        assert data["details"]["operator"]["name"] == "Chen"
        # the same workstation key is reused (its secret is kept in the data folder)
        assert first.key_fingerprint == second.key_fingerprint
    with ledger.db.session() as s:
        case, _, _ = ledger.load(s)
        assert verify_chain(s, case).valid
        # with the operator's passphrase at hand, the operator signs
        monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", PASSPHRASE)
        _, exhibit, people = ledger.load(s)
        third = record_system_event(s, exhibit, "verified", actor=people["chen"],
                                    details={}, hash_algorithm="sha256", hash_value="ab" * 32,
                                    hash_match=True)
        assert third.key_fingerprint == ledger.keys[people["chen"].id].fingerprint


def test_status_location_and_since_follow_changes_of_custody(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        seize(s, led)
        add(s, led, "checked-out", "ben", 10, released_by="asha", received_by="ben")
        add(s, led, "note", "ben", 20, remarks="photographed")
        _, exhibit, _ = led.load(s)
        status = custody_status(s, exhibit)
        assert status.location is None  # not "Scene": the check-out did not say where
        assert status.since == "2026-03-01T09:10:00.000000Z"  # the check-out, not the note
