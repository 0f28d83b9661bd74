"""Who may make or revoke a key, key history in the database, and what an exhibit is."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from forensics.custody import (
    active_key,
    generate_key,
    record_system_event,
    revoke_key,
    verify_chain,
)
from forensics.custody.canonical import encode_canonical
from forensics.custody.keys import verify_signature
from forensics.custody.ledger import IDENTITY_KEY
from forensics.database.models import AuditEntry, SigningKey
from forensics.errors import IntegrityError, UserInputError
from tests.custody.conftest import at
from tests.custody.test_ledger import add, seize


def test_second_key_needs_the_holders_current_key_or_a_justified_override(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        _, _, people = led.load(s)
        ben, asha = people["ben"], people["asha"]
        with pytest.raises(UserInputError, match="already has a signing key"):
            generate_key(s, ben, "a new passphrase")
        with pytest.raises(UserInputError, match="needs a justification"):
            generate_key(s, ben, "a new passphrase", authorised_by=led.keys[asha.id])
        rotated = generate_key(s, ben, "a new passphrase", authorised_by=led.keys[ben.id])
        old = s.scalar(select(SigningKey).where(
            SigningKey.fingerprint == led.keys[ben.id].fingerprint))
        assert old.revoked_at is not None  # superseded by the rotated key
        with pytest.raises(UserInputError, match="revoked"):  # it authorises nothing now
            generate_key(s, ben, "another passphrase", authorised_by=led.keys[ben.id])
        override = generate_key(s, ben, "another passphrase", authorised_by=led.keys[asha.id],
                                justification="Ben forgot his passphrase; Asha witnessed")
        assert s.scalar(select(SigningKey.revoked_at).where(
            SigningKey.fingerprint == rotated.fingerprint)) is not None
        assert active_key(s, ben).fingerprint == override.fingerprint
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "custody.key.new",
                                                    AuditEntry.person_id == ben.id)
                           .order_by(AuditEntry.id)).all()
        facts = {a.target_id: a.details for a in audits}
        assert facts[rotated.fingerprint]["override"] is False
        assert facts[override.fingerprint]["override"] is True
        statement = facts[override.fingerprint]["statement"]
        assert statement["justification"].startswith("Ben forgot")
        assert verify_signature(s.scalar(select(SigningKey.public_key).where(
            SigningKey.fingerprint == led.keys[asha.id].fingerprint)),
            encode_canonical(statement), facts[override.fingerprint]["signature"])


def test_revocation_needs_the_holders_key_or_a_justified_override(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        _, _, people = led.load(s)
        ben_fp = led.keys[people["ben"].id].fingerprint
        with pytest.raises(UserInputError, match="needs a justification"):
            revoke_key(s, ben_fp, authorised_by=led.keys[people["chen"].id])
        assert s.scalar(select(SigningKey.revoked_at).where(
            SigningKey.fingerprint == ben_fp)) is None
        revoke_key(s, ben_fp, authorised_by=led.keys[people["chen"].id],
                   justification="laptop with Ben's key was stolen")
        chen_fp = led.keys[people["chen"].id].fingerprint
        revoke_key(s, chen_fp, authorised_by=led.keys[people["chen"].id])
        with pytest.raises(UserInputError, match="revoked"):  # a revoked key authorises nothing
            revoke_key(s, led.keys[people["dana"].id].fingerprint,
                       authorised_by=led.keys[people["chen"].id], justification="x")


def test_key_history_is_append_only_in_the_database(ledger):
    with ledger.db.session() as s:
        _, _, people = ledger.load(s)
        key = ledger.keys[people["ben"].id]
        revoke_key(s, key.fingerprint, authorised_by=key)
    statements = [
        "UPDATE signing_key SET revoked_at = NULL",
        "DELETE FROM signing_key",
        f"UPDATE signing_key SET person_id = {ledger.people['asha']} "
        f"WHERE person_id = {ledger.people['dana']}",
        "UPDATE signing_key SET created_at = revoked_at WHERE revoked_at IS NOT NULL",
        "UPDATE signing_key SET public_key = fingerprint",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError), ledger.db.session() as s:
            s.execute(text(statement))
    with ledger.db.session() as s:
        keys = s.scalars(select(SigningKey).order_by(SigningKey.id)).all()
        assert len(keys) == 4 and sum(k.revoked_at is not None for k in keys) == 1


def test_first_event_signs_what_the_exhibit_is_and_edits_are_named(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        _, exhibit, _ = led.load(s)
        exhibit.serial_number, exhibit.seal_numbers = "SN-1", ["S-1"]
        first = seize(s, led)
        signed = json.loads(first.canonical)["details"][IDENTITY_KEY]
        assert signed["serial_number"] == "SN-1" and signed["description"] == "Laptop"
        assert signed["seal_numbers"] == ["S-1"]
        second = add(s, led, "note", "asha", 1)
        assert IDENTITY_KEY not in json.loads(second.canonical)["details"]
    with led.db.session() as s:
        case, exhibit, _ = led.load(s)
        assert verify_chain(s, case).valid
        exhibit.serial_number = "SN-2"  # an edit through the application, not yet signed
    with led.db.session() as s:
        case, _, _ = led.load(s)
        report = verify_chain(s, case)
        assert not report.valid
        assert "exhibit field serial_number" in report.first_broken.reason
        assert "'SN-2'" in report.first_broken.reason
        with pytest.raises(UserInputError, match="only a correction"):
            add(s, led, "note", "asha", 2, update_identity=True)
        add(s, led, "correction", "asha", 2, corrects=second, update_identity=True,
            remarks="serial number misread at the scene")
    with led.db.session() as s:
        case, _, _ = led.load(s)
        assert verify_chain(s, case).valid


def test_identity_cannot_be_supplied_in_details(sqlite_ledger):
    with sqlite_ledger.db.session() as s, pytest.raises(UserInputError, match=IDENTITY_KEY):
        seize_details = {IDENTITY_KEY: {"serial_number": "forged"}}
        add(s, sqlite_ledger, "seized", "asha", 0, received_by="asha", details=seize_details)


def test_seizure_event_must_agree_with_the_exhibit(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        _, exhibit, people = led.load(s)
        exhibit.seized_by_id, exhibit.seal_numbers = people["dana"].id, ["S-7"]
        with pytest.raises(UserInputError, match="seized by person"):
            add(s, led, "seized", "asha", 0, received_by="asha", seal_number="S-7")
        with pytest.raises(UserInputError, match="not among the exhibit's seal numbers"):
            add(s, led, "seized", "asha", 0, received_by="dana", seal_number="S-1")
        exhibit.seized_at = at(0)
        with pytest.raises(UserInputError, match="must be dated then"):
            add(s, led, "seized", "asha", 30, received_by="dana", seal_number="S-7")
        with pytest.raises(UserInputError, match="must be dated then"):
            add(s, led, "seized", "asha", None, received_by="dana", seal_number="S-7")
        add(s, led, "seized", "asha", 0.5, received_by="dana", seal_number="S-7")


def test_digest_length_is_checked_per_algorithm_on_write(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        seize(s, led)
        for algorithm, value in (("sha256", "ab"), ("md5", "ab" * 32), ("sha512", "ab" * 32),
                                 (None, "ab" * 32)):
            with pytest.raises(UserInputError, match="hash"):
                add(s, led, "verified", "asha", 1, hash_algorithm=algorithm, hash_value=value,
                    hash_match=True)
        for algorithm, length in (("md5", 32), ("sha1", 40), ("sha256", 64), ("sha512", 128)):
            add(s, led, "verified", "asha", 1, hash_algorithm=algorithm,
                hash_value="a" * length, hash_match=True)


def test_disposal_and_return_need_the_holder_as_releaser(sqlite_ledger):
    led = sqlite_ledger
    with led.db.session() as s:
        seize(s, led)
        with pytest.raises(IntegrityError, match="'disposed' needs released_by"):
            add(s, led, "disposed", "asha", 1)
        with pytest.raises(IntegrityError, match="held by Asha"):
            add(s, led, "returned", "ben", 1, released_by="ben", received_by="chen")
        add(s, led, "disposed", "asha", 1, released_by="asha")


def test_hands_on_actions_need_the_holder_and_automatic_events_use_the_operator(
    sqlite_ledger, monkeypatch
):
    led = sqlite_ledger
    monkeypatch.delenv("SEALBAG_KEY_PASSPHRASE", raising=False)
    with led.db.session() as s:
        seize(s, led)
        _, exhibit, people = led.load(s)
        for action in ("examined", "sealed", "imaged"):
            with pytest.raises(IntegrityError, match="check it out to them first"):
                add(s, led, action, "ben", 1)
        with pytest.raises(IntegrityError, match="check it out to them first"):
            add(s, led, "seal-checked", "ben", 1, seal_number="S-1", seal_intact=True)
        # an engine run by Ben while Asha holds it: refused, as the imaging engine reports
        with pytest.raises(IntegrityError, match="imaged by Ben"):
            record_system_event(s, exhibit, "imaged", actor=people["ben"],
                                details={"engine": "imaging"}, occurred_at=at(1))
        add(s, led, "checked-out", "ben", 2, released_by="asha", received_by="ben")
        event = record_system_event(s, exhibit, "imaged", actor=people["ben"],
                                    details={"engine": "imaging"}, hash_algorithm="sha256",
                                    hash_value="cd" * 32, occurred_at=at(2.5))
        data = json.loads(event.canonical)
        assert data["actor"]["id_number"].startswith("sealbag-ws:")
        assert data["details"]["operator"]["person_ref"] == people["ben"].id
        add(s, led, "examined", "ben", 3)
        add(s, led, "examined", "asha", 4, exception="Asha looked at it in Ben's presence")
    with led.db.session() as s:
        case, _, _ = led.load(s)
        report = verify_chain(s, case)
        assert report.valid, report.first_broken
        assert len(report.exceptions) == 1


def test_one_attachment_row_per_content_for_exhibit_photos_and_custody_scans(
    sqlite_ledger, tmp_path
):
    from forensics.casework.attachments import store_attachment

    scan = tmp_path / "seal.jpg"
    scan.write_bytes(b"\xff\xd8 seal photo")
    copy = tmp_path / "again.jpg"
    copy.write_bytes(scan.read_bytes())
    with sqlite_ledger.db.session() as s:
        first = store_attachment(s, tmp_path / "case", scan)
        s.flush()
        second = store_attachment(s, tmp_path / "case", copy)
        assert first is second and first.media_type == "image/jpeg"
        assert (tmp_path / "case").is_dir() and first.stored_path.startswith(str(tmp_path))


def test_export_records_exported_events_or_says_why_not(sqlite_ledger, tmp_path):
    from datetime import UTC, datetime, timedelta

    from forensics.custody import chain_events, export_custody, record_event, verify_export
    from forensics.errors import ConflictError

    led = sqlite_ledger
    with led.db.session() as s:
        case, exhibit, people = led.load(s)
        soon = datetime.now(UTC) + timedelta(minutes=3)  # within the clock slack
        add(s, led, "seized", "asha", None, received_by="asha")
        result = export_custody(s, case, tmp_path / "a.jsonl")
        assert result.warnings == ()
        exported = chain_events(s, exhibit)[-1]
        assert exported.action.value == "exported"
        assert exported.details["export_sha256"] == result.sha256
        with pytest.raises(ConflictError, match="already exists"):
            export_custody(s, case, tmp_path / "a.jsonl")
        record_event(s, case=case, exhibit=exhibit, action="note", actor=people["asha"],
                     occurred_at=soon, occurred_tz="UTC", signer=led.keys[people["asha"].id])
        with pytest.raises(UserInputError, match="signed one of the exported events"):
            export_custody(s, case, tmp_path / "b.jsonl", signer=led.keys[people["dana"].id])
        assert not (tmp_path / "b.jsonl").exists()
        later = export_custody(s, case, tmp_path / "a.jsonl", overwrite=True)
        assert len(later.warnings) == 1 and "time goes backwards" in later.warnings[0]
        assert chain_events(s, exhibit)[-1].action.value == "note"
    assert verify_export(tmp_path / "a.jsonl").valid
