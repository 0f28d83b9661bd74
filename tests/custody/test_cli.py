"""``sealbag custody``: keys, add, log, status, verify, export and the shipped verifier."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import text

from app.cli.main import main
from forensics.database import open_database

REF = "FIR 7/2026"


@pytest.fixture
def sealbag(capsys, sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")

    def run(*args):
        extra = ["--store", str(tmp_path / "store")] if args[:2] in (
            ("case", "new"), ("exhibit", "add")) else []
        db = [] if args[:2] == ("custody", "verify-file") else ["--db", sqlite_url]
        code = main([*args, *db, *extra])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.url = sqlite_url
    return run


def setup_case(sealbag):
    assert sealbag("case", "new", "--reference", REF, "--title", "Fraud", "--time-zone",
                   "Asia/Kolkata")[0] == 0
    for name, number in (("Asha Rao", "B-1"), ("Ben Das", "B-2")):
        assert sealbag("person", "add", "--name", name, "--id-number", number,
                       "--designation", "SI")[0] == 0
        code, out, err = sealbag("custody", "key", "new", "--person", number, "--json")
        assert code == 0, err
        assert len(json.loads(out)["fingerprint"]) == 64
    assert sealbag("exhibit", "add", "--case", REF, "--id", "EX-001", "--description",
                   "Phone")[0] == 0


def test_add_log_verify_export_round_trip(sealbag, tmp_path):
    setup_case(sealbag)
    photo = tmp_path / "seal.jpg"
    photo.write_bytes(b"\xff\xd8 photo of the seal")
    code, out, err = sealbag(
        "custody", "add", "--case", REF, "--exhibit", "EX-001", "--action", "seized",
        "--actor", "B-1", "--received-by", "B-1", "--at", "2026-11-20T14:30",
        "--to", "Flat 3B", "--seal-number", "S-77", "--attach", str(photo), "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["sequence"] == 1
    code, out, err = sealbag(
        "custody", "add", "--case", REF, "--exhibit", "EX-001", "--action", "checked-out",
        "--actor", "B-2", "--released-by", "B-1", "--received-by", "B-2",
        "--at", "2026-11-20T16:00", "--purpose", "imaging", "--to", "Lab 1")
    assert code == 0, err
    # breaking continuity is refused, then accepted as a flagged exception
    args = ("custody", "add", "--case", REF, "--exhibit", "EX-001", "--action", "transferred",
            "--actor", "B-1", "--released-by", "B-1", "--received-by", "B-1",
            "--at", "2026-11-20T17:00")
    code, out, err = sealbag(*args)
    assert code == 1 and "breaks the chain of custody" in err and "check it in first" in err
    code, out, err = sealbag(*args, "--exception", "examiner handed it back by hand")
    assert code == 0 and "FLAGGED EXCEPTION" in out

    code, out, err = sealbag("custody", "log", "--case", REF, "--exhibit", "EX-001", "--json")
    log = json.loads(out)
    assert [e["action"] for e in log["events"]] == ["seized", "checked-out", "transferred"]
    assert log["events"][0]["occurred_tz"] == "Asia/Kolkata"
    assert log["events"][0]["occurred_at"] == "2026-11-20T09:00:00.000000Z"
    assert len(log["events"][0]["attachments"]) == 1
    code, out, _ = sealbag("custody", "log", "--case", REF, "--exhibit", "EX-001")
    assert "2026-11-20 14:30:00+0530" in out and "EXCEPTION" in out
    code, out, err = sealbag("custody", "add", "--case", REF, "--exhibit", "EX-001", "--action",
                             "correction", "--actor", "B-1", "--corrects", "1",
                             "--remarks", "seal number is S-78")
    assert code == 0, err
    code, out, _ = sealbag("custody", "log", "--case", REF, "--exhibit", "EX-001")
    assert "[corrected by #4]" in out and "corrects #1" in out, out
    code, out, _ = sealbag("custody", "status", "--case", REF)
    assert "OUT OF CUSTODY" in out

    code, out, err = sealbag("custody", "verify", "--case", REF)
    assert code == 0, err
    assert "OK EX-001: 4 events" in out and "flagged exception EX-001 #3" in out

    jsonl = tmp_path / "out" / "custody.jsonl"
    code, out, err = sealbag("custody", "export", "--case", REF, "--exhibit", "EX-001",
                             "--out", str(jsonl), "--json")
    assert code == 0, err
    assert json.loads(out)["events"] == 4
    run = subprocess.run([sys.executable, "-I", str(jsonl.parent / "standalone_verifier.py"),
                          str(jsonl)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    code, out, _ = sealbag("custody", "verify-file", str(jsonl))
    assert code == 0 and "OK EX-001: 4 events" in out

    # tamper in the database: verify names the entry and exits non-zero
    db = open_database(sealbag.url)
    with db.session() as s:
        s.execute(text("DROP TRIGGER custody_event_no_delete"))
        # the export recorded #5 ('exported'); cut it together with #4
        s.execute(text("DELETE FROM custody_event WHERE sequence >= 4"))
    db.close()
    code, out, err = sealbag("custody", "verify", "--case", REF, "--json")
    assert code == 0, out  # a cut tail alone cannot be seen in the database...
    assert json.loads(out)["events"] == 3
    code, out, err = sealbag("custody", "verify", "--case", REF, "--against", str(jsonl))
    assert code == 1 and "event #4" in err and "missing" in err, (code, out, err)


def test_wrong_passphrase_and_unknown_person(sealbag, monkeypatch):
    setup_case(sealbag)
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "not the right one")
    code, _, err = sealbag("custody", "add", "--case", REF, "--exhibit", "EX-001",
                           "--action", "seized", "--actor", "B-1")
    assert code == 1 and "wrong passphrase" in err and "Traceback" not in err
    code, _, err = sealbag("custody", "key", "new", "--person", "nobody")
    assert code == 1 and "no person" in err
    code, out, _ = sealbag("custody", "key", "list", "--json")
    assert len(json.loads(out)) == 2


def test_export_keeps_earlier_anchors_and_records_exported_events(sealbag, tmp_path):
    setup_case(sealbag)
    assert sealbag("custody", "add", "--case", REF, "--exhibit", "EX-001", "--action", "seized",
                   "--actor", "B-1", "--received-by", "B-1", "--at", "2026-11-20T14:30")[0] == 0
    jsonl = tmp_path / "custody.jsonl"
    code, out, err = sealbag("custody", "export", "--case", REF, "--out", str(jsonl), "--json")
    assert code == 0, err
    first = json.loads(out)
    anchor = jsonl.read_bytes()
    code, _, err = sealbag("custody", "export", "--case", REF, "--out", str(jsonl))
    assert code == 1 and "already exists" in err and "--force" in err
    assert jsonl.read_bytes() == anchor
    code, out, _ = sealbag("custody", "log", "--case", REF, "--exhibit", "EX-001", "--json")
    events = json.loads(out)["events"]
    assert [e["action"] for e in events] == ["seized", "exported"]
    assert events[1]["details"]["export_sha256"] == first["sha256"]
    assert events[1]["actor"]["id_number"].startswith("sealbag-ws:")
    code, out, err = sealbag("custody", "export", "--case", REF, "--out", str(jsonl),
                             "--force", "--by", "B-1", "--json")
    assert code == 0, err
    assert json.loads(out)["events"] == 2
    code, out, err = sealbag("custody", "verify-file", str(jsonl))
    assert code == 0 and "export header signed by Asha Rao" in out, (out, err)
    code, out, _ = sealbag("custody", "log", "--case", REF, "--exhibit", "EX-001", "--json")
    events = json.loads(out)["events"]
    assert events[-1]["action"] == "exported"
    assert events[-1]["actor"]["id_number"] == "B-1"  # signed by the exporter this time


def test_key_rotation_and_revocation_need_the_holders_passphrase(sealbag, monkeypatch):
    setup_case(sealbag)
    monkeypatch.setenv("SEALBAG_NEW_KEY_PASSPHRASE", "a brand new passphrase")
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "not B-1's passphrase")
    code, _, err = sealbag("custody", "key", "new", "--person", "B-1")
    assert code == 1 and "wrong passphrase" in err
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")  # unlocks B-1 and B-2
    code, _, err = sealbag("custody", "key", "new", "--person", "B-1", "--authorised-by", "B-2")
    assert code == 1 and "justification" in err
    code, out, err = sealbag("custody", "key", "new", "--person", "B-1", "--json")
    assert code == 0, err
    rotated = json.loads(out)["fingerprint"]
    code, out, _ = sealbag("custody", "key", "list", "--person", "B-1", "--json")
    assert [k["fingerprint"] for k in json.loads(out)][-1] == rotated
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "wrong wrong wrong")
    code, _, err = sealbag("custody", "key", "revoke", rotated)
    assert code == 1 and "wrong passphrase" in err
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "a brand new passphrase")
    code, out, err = sealbag("custody", "key", "revoke", rotated)
    assert code == 0 and "revoked" in out, err


def test_verify_output_escapes_exhibit_names(capsys):
    from app.cli.custody import _print_report
    from forensics.custody.verify import ChainSummary, VerifyReport

    hostile = "EX\x1b]0;owned\x07\x1b[2J\u202e"
    report = VerifyReport(True, chains=(ChainSummary(hostile, 2, "ab" * 32, "in-custody"),),
                          exceptions=({"exhibit": hostile, "sequence": 2,
                                       "justification": "\x1b[31m", "violations": []},),
                          header_signer={"fingerprint": "cd" * 32,
                                         "person": {"name": "\x1b[1mX", "person_ref": 1}})
    _print_report(report, as_json=False)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert out.count("⟨U+001B⟩") >= 4


def test_short_digest_and_disposal_without_releaser_are_refused(sealbag):
    setup_case(sealbag)
    base = ("custody", "add", "--case", REF, "--exhibit", "EX-001")
    assert sealbag(*base, "--action", "seized", "--actor", "B-1", "--received-by", "B-1",
                   "--at", "2026-11-20T14:30")[0] == 0
    code, _, err = sealbag(*base, "--action", "verified", "--actor", "B-1", "--hash-algorithm",
                           "sha256", "--hash-value", "ab", "--hash-match")
    assert code == 1 and "not a sha256 digest (64 hex digits)" in err
    code, _, err = sealbag(*base, "--action", "disposed", "--actor", "B-1")
    assert code == 1 and "'disposed' needs released_by" in err
    code, _, err = sealbag(*base, "--action", "examined", "--actor", "B-2")
    assert code == 1 and "check it out to them first" in err
