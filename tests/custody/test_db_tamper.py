"""Tampering in the database itself, behind Sealbag's back (append-only triggers removed)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text

from forensics.custody import compare_with_export, export_custody, verify_chain
from forensics.custody.canonical import canonical_bytes
from forensics.database.models import CustodyEvent
from tests.custody.test_ledger import add


def build(led):
    with led.db.session() as s:
        add(s, led, "seized", "asha", 0, received_by="asha", location_to="Flat 3B")
        add(s, led, "transferred", "ben", 5, released_by="asha", received_by="ben",
            location_to="Malkhana")
        add(s, led, "checked-out", "chen", 10, released_by="ben", received_by="chen")
        add(s, led, "checked-in", "ben", 20, released_by="chen", received_by="ben")


def drop_triggers(s):
    if s.get_bind().dialect.name == "sqlite":
        s.execute(text("DROP TRIGGER custody_event_no_update"))
        s.execute(text("DROP TRIGGER custody_event_no_delete"))
        s.execute(text("DROP TRIGGER signing_key_no_delete"))
        s.execute(text("DROP TRIGGER signing_key_revoke_only"))
    else:  # a DBA (table owner / superuser) can switch them off
        s.execute(text("ALTER TABLE custody_event DISABLE TRIGGER USER"))
        s.execute(text("ALTER TABLE signing_key DISABLE TRIGGER USER"))


def row(s, sequence):
    return s.scalars(select(CustodyEvent).where(CustodyEvent.sequence == sequence)).one()


def set_row(s, where_sequence, **values):
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    s.execute(text(f"UPDATE custody_event SET {assignments} WHERE sequence = :where_seq"),
              {**values, "where_seq": where_sequence})


def rewrite(s, sequence, change, key=None, keep_hash=False):
    """Edit the canonical JSON of an event, optionally rehashing and re-signing it."""
    event = json.loads(row(s, sequence).canonical)
    change(event)
    data = canonical_bytes(event)
    values = {"canonical": data.decode()}
    if not keep_hash:
        values["entry_hash"] = hashlib.sha256(data).hexdigest()
    if key is not None:
        values["signature"] = key.sign(data)
    set_row(s, sequence, **values)


def tamper_cases(led):
    asha, ben, chen = (led.keys[led.people[n]] for n in ("asha", "ben", "chen"))

    def other_signer(e):
        e.update(signer=chen.fingerprint, remarks="rewritten")

    return {
        "column remarks": (lambda s: set_row(s, 2, remarks="nothing to see"), "column remarks"),
        "column actor": (lambda s: set_row(s, 2, actor_id=led.people["dana"]), "column actor_id"),
        "column time": (lambda s: set_row(s, 3, occurred_tz="UTC"), "column occurred_tz"),
        "canonical text": (
            lambda s: rewrite(s, 2, lambda e: e.update(location_to="Elsewhere"), keep_hash=True),
            "entry_hash does not match"),
        "canonical rehashed": (
            lambda s: rewrite(s, 2, lambda e: e.update(location_to="Elsewhere")),
            "signature does not verify"),
        "re-signed by another person": (
            lambda s: (rewrite(s, 2, other_signer, key=chen),
                       set_row(s, 2, key_fingerprint=chen.fingerprint)),
            "signed with a key of Chen"),
        "not canonical form": (
            lambda s: set_row(s, 2, canonical=row(s, 2).canonical.replace(",", ", ")),
            "not in canonical form"),
        "delete middle": (lambda s: s.execute(text("DELETE FROM custody_event WHERE sequence = 2")),
                          "an event is missing"),
        "swap order": (
            lambda s: (set_row(s, 2, sequence=100), set_row(s, 3, sequence=2),
                       set_row(s, 100, sequence=3)),
            "sequence"),
        "swap signatures": (
            lambda s: (lambda a, b: (set_row(s, 2, signature=b), set_row(s, 3, signature=a)))(
                row(s, 2).signature, row(s, 3).signature),
            "signature does not verify"),
        "insert copy": (
            lambda s: s.execute(text(
                "INSERT INTO custody_event (case_id, exhibit_id, sequence, action, occurred_at, "
                "occurred_tz, recorded_at, actor_id, exception_flag, attachments, details, "
                "canonical, prev_hash, entry_hash, key_fingerprint, signature) "
                "SELECT case_id, exhibit_id, 5, action, occurred_at, occurred_tz, recorded_at, "
                "actor_id, exception_flag, attachments, details, canonical, prev_hash, "
                "CASE WHEN entry_hash LIKE 'ff%' THEN 'ee' ELSE 'ff' END || substr(entry_hash, 3), "
                "key_fingerprint, signature "
                "FROM custody_event WHERE sequence = 2")),
            "sequence 2 where 5 was expected"),
        "exhibit serial edited": (
            lambda s: s.execute(text("UPDATE exhibit SET serial_number = 'SN-FAKE'")),
            "exhibit field serial_number"),
        "exhibit seals edited": (
            lambda s: s.execute(text("UPDATE exhibit SET seal_numbers = '[\"S-99\"]'")),
            "exhibit field seal_numbers"),
        "exhibit seizure edited": (
            lambda s: s.execute(text("UPDATE exhibit SET seized_location = 'Elsewhere'")),
            "exhibit field seized_location"),
        "key created later": (
            lambda s: s.execute(text("UPDATE signing_key SET created_at = :t WHERE id = 2"),
                                {"t": "2099-01-01 00:00:00.000000"}),
            "before its signing key was created"),
        "key swapped": (
            lambda s: s.execute(text("UPDATE signing_key SET public_key = :pub WHERE id = 1"),
                                {"pub": ben.private_key.public_key().public_bytes_raw().hex()}),
            "fingerprint is not the SHA-256"),
    }, asha


CASES = ["column remarks", "column actor", "column time", "canonical text",
         "canonical rehashed", "re-signed by another person", "not canonical form",
         "delete middle", "swap order", "swap signatures", "insert copy", "key swapped",
         "exhibit serial edited", "exhibit seals edited", "exhibit seizure edited",
         "key created later"]


@pytest.mark.parametrize("kind", CASES)
def test_database_tampering_is_detected(ledger, kind):
    build(ledger)
    cases, _ = tamper_cases(ledger)
    change, reason = cases[kind]
    with ledger.db.session() as s:
        case, _, _ = ledger.load(s)
        assert verify_chain(s, case).valid
        drop_triggers(s)
        change(s)
    with ledger.db.session() as s:
        case, _, _ = ledger.load(s)
        report = verify_chain(s, case)
        assert not report.valid
        assert reason in report.first_broken.reason, report.first_broken


def test_removed_newest_event_is_caught_against_an_earlier_export(sqlite_ledger, tmp_path):
    led = sqlite_ledger
    build(led)
    with led.db.session() as s:
        case, _, _ = led.load(s)
        export_custody(s, case, tmp_path / "custody.jsonl")
        assert compare_with_export(s, case, tmp_path / "custody.jsonl") is None
        drop_triggers(s)
        # the export recorded #5 ('exported'); cut it together with #4
        s.execute(text("DELETE FROM custody_event WHERE sequence >= 4"))
    with led.db.session() as s:
        case, _, _ = led.load(s)
        assert verify_chain(s, case).valid  # a plain hash chain cannot see a cut tail...
        broken = compare_with_export(s, case, tmp_path / "custody.jsonl")
        assert broken is not None and broken.sequence == 4  # ...an earlier export can
        assert "missing" in broken.reason
