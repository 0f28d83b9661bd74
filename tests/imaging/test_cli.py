"""``sealbag acquire`` and ``sealbag verify`` from the command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli.main import main
from tests.imaging.helpers import flip_byte, write_random


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_triage_acquire_json_and_verify(tmp_path: Path, capsys) -> None:
    data = write_random(tmp_path / "src.bin", 200_000)
    code, out, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--out",
                          str(tmp_path / "out"), "--exhibit", "EX-001", "--format", "split",
                          "--segment-size", "64K", "--hash", "md5,sha1", "--examiner", "DC 1",
                          "--notes", "bag 7", "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["state"] == "verified"
    assert rec["source_hashes"]["md5"] == hashlib.md5(data).hexdigest()
    assert rec["source_hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert rec["examiner"] == "DC 1"
    assert rec["notes"] == "bag 7"
    assert [s["path"] for s in rec["segments"]] == ["EX-001.001", "EX-001.002", "EX-001.003",
                                                    "EX-001.004"]
    code, out, err = _run(capsys, "verify", str(tmp_path / "out" / "EX-001.003"), "--json")
    assert code == 0, err
    assert json.loads(out)["verification"]["result"] == "match"
    flip_byte(tmp_path / "out" / "EX-001.003", 5)
    code, out, err = _run(capsys, "verify", str(tmp_path / "out" / "EX-001.acquisition.json"))
    assert code == 1
    assert "EX-001.003" in err
    assert "BAD segment EX-001.003 sha256" in out


def test_no_verify_and_errors(tmp_path: Path, capsys) -> None:
    write_random(tmp_path / "src.bin", 1000)
    code, out, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--out",
                          str(tmp_path / "o"), "--no-verify", "--json")
    assert code == 0, err
    assert json.loads(out)["verification"]["result"] == "not_run"
    code, _, err = _run(capsys, "acquire", str(tmp_path / "src.bin"))
    assert code == 1 and "--out" in err and "Traceback" not in err
    code, _, err = _run(capsys, "acquire", str(tmp_path / "missing.bin"), "--out",
                        str(tmp_path / "o"))
    assert code == 1 and "not found" in err
    code, _, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--out",
                        str(tmp_path / "o2"), "--hash", "crc32")
    assert code == 1 and "unsupported hash" in err
    code, _, err = _run(capsys, "verify", str(tmp_path / "src.bin"))
    assert code == 1 and "no acquisition record" in err


def test_case_mode_stores_acquisition(tmp_path: Path, capsys, database_url: str) -> None:
    from forensics.database import open_database
    from forensics.database.enums import AcquisitionState, VerificationResult
    from forensics.database.models import Acquisition, AuditEntry, StoredFile

    store = tmp_path / "store"
    ref = "FIR 7/2026"
    assert _run(capsys, "case", "new", "--reference", ref, "--title", "Fraud", "--db",
                database_url, "--store", str(store))[0] == 0
    assert _run(capsys, "person", "add", "--name", "Asha Rao", "--id-number", "KA-77",
                "--db", database_url)[0] == 0
    assert _run(capsys, "exhibit", "add", "--case", ref, "--id", "EX-001", "--description",
                "USB stick", "--db", database_url, "--store", str(store))[0] == 0
    data = write_random(tmp_path / "src.bin", 150_000)
    code, out, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--case", ref,
                          "--exhibit", "EX-001", "--examiner", "KA-77", "--db", database_url,
                          "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["case_reference"] == ref
    assert rec["examiner"] == "Asha Rao"
    image = Path(rec["output_dir"]) / "EX-001.raw"
    assert image.read_bytes() == data
    assert image.is_relative_to(store)
    assert Path(rec["output_dir"]).parts[-2:] == ("images", "EX-001")
    db = open_database(database_url)
    try:
        with db.session() as session:
            row = session.scalars(select(Acquisition)).one()
            assert row.state is AcquisitionState.COMPLETED
            assert row.verification is VerificationResult.MATCH
            assert row.sha256 == hashlib.sha256(data).hexdigest()
            assert row.image_hashes["md5"] == hashlib.md5(data).hexdigest()
            assert row.examiner.name == "Asha Rao"
            assert row.record["state"] == "verified"
            files = {f.relative_path: f for f in session.scalars(select(StoredFile))}
            assert files["images/EX-001/EX-001.raw"].sha256 == row.sha256
            assert "images/EX-001/EX-001.acquisition.json" in files
            actions = [a.action for a in session.scalars(select(AuditEntry))]
            assert {"acquisition.start", "acquisition.imaged",
                    "acquisition.verified"} <= set(actions)
    finally:
        db.close()
    # unknown exhibit: clear error, nothing imaged
    code, _, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--case", ref,
                        "--exhibit", "EX-404", "--db", database_url)
    assert code == 1 and "no exhibit EX-404" in err


def test_case_mode_failure_is_recorded(tmp_path: Path, capsys, database_url: str) -> None:
    from forensics.database import open_database
    from forensics.database.enums import AcquisitionState
    from forensics.database.models import Acquisition

    store = tmp_path / "store"
    ref = "FIR 8/2026"
    _run(capsys, "case", "new", "--reference", ref, "--title", "T", "--db", database_url,
         "--store", str(store))
    _run(capsys, "exhibit", "add", "--case", ref, "--id", "EX-2", "--description", "d",
         "--db", database_url, "--store", str(store))
    write_random(tmp_path / "src.bin", 1000)
    code, _, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--case", ref,
                        "--exhibit", "EX-2", "--format", "split", "--segment-size", "100",
                        "--db", database_url)
    assert code == 1 and "multiple of 512" in err
    db = open_database(database_url)
    try:
        with db.session() as session:
            row = session.scalars(select(Acquisition)).one()
            assert row.state is AcquisitionState.FAILED
            assert "multiple of 512" in row.abort_reason
    finally:
        db.close()


def test_import_acquisition_into_case(tmp_path: Path, capsys, database_url: str) -> None:
    from forensics.database import open_database
    from forensics.database.enums import AcquisitionState
    from forensics.database.models import Acquisition

    store = tmp_path / "store"
    ref = "FIR 9/2026"
    _run(capsys, "case", "new", "--reference", ref, "--title", "T", "--db", database_url,
         "--store", str(store))
    _run(capsys, "exhibit", "add", "--case", ref, "--id", "EX-014", "--description", "stick",
         "--db", database_url, "--store", str(store))
    log = Path(__file__).parent / "data" / "guymager-sample.info"
    code, out, err = _run(capsys, "import-acquisition", str(log), "--case", ref, "--exhibit",
                          "EX-014", "--db", database_url, "--json")
    assert code == 0, err
    assert json.loads(out)["tool"]["name"] == "guymager"
    db = open_database(database_url)
    try:
        with db.session() as session:
            row = session.scalars(select(Acquisition)).one()
            assert row.state is AcquisitionState.IMPORTED
            assert row.origin == "guymager"
            assert row.source_hashes["md5"] == "8a1f0c3a1c8b6d5e7f9a0b1c2d3e4f50"
            kept = Path(row.record_path)
            assert kept.is_relative_to(store)
            assert kept.read_bytes() == log.read_bytes()
    finally:
        db.close()
    code, out, _ = _run(capsys, "import-acquisition", str(log))
    assert code == 0 and "not stated in the log" in out


def test_case_acquisition_adds_signed_custody_events(tmp_path: Path, capsys, sqlite_url: str,
                                                     monkeypatch) -> None:
    from forensics.custody import chain_events
    from forensics.database import open_database
    from forensics.database.models import Exhibit

    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")
    store = tmp_path / "store"
    ref = "FIR 10/2026"
    db = ["--db", sqlite_url]
    assert _run(capsys, "case", "new", "--reference", ref, "--title", "T", *db,
                "--store", str(store))[0] == 0
    assert _run(capsys, "person", "add", "--name", "Asha Rao", "--id-number", "B-1", *db)[0] == 0
    assert _run(capsys, "custody", "key", "new", "--person", "B-1", *db)[0] == 0
    for ex in ("EX-1", "EX-2"):
        assert _run(capsys, "exhibit", "add", "--case", ref, "--id", ex, "--description", "d",
                    *db, "--store", str(store))[0] == 0
    code, _, err = _run(capsys, "custody", "add", "--case", ref, "--exhibit", "EX-1", "--action",
                        "seized", "--actor", "B-1", "--received-by", "B-1", "--at",
                        "2026-11-20T14:30", "--to", "Scene", *db)
    assert code == 0, err
    data = write_random(tmp_path / "src.bin", 70_000)

    # EX-1 was seized: imaging and verification join its chain, signed by the examiner
    code, out, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--case", ref,
                          "--exhibit", "EX-1", "--examiner", "B-1", *db, "--json")
    assert code == 0, err
    assert "warning" not in err
    sha = hashlib.sha256(data).hexdigest()
    database = open_database(sqlite_url)
    try:
        with database.session() as session:
            exhibit = session.scalars(select(Exhibit).where(Exhibit.exhibit_id == "EX-1")).one()
            events = chain_events(session, exhibit)
            assert [e.action.value for e in events] == ["seized", "imaged", "verified"]
            verified = json.loads(events[-1].canonical)
            assert verified["hash_value"] == sha
            assert verified["hash_match"] is True
            assert verified["details"]["image_hashes"]["sha256"] == sha
            assert verified["actor"]["id_number"] == "B-1"
    finally:
        database.close()
    assert _run(capsys, "custody", "verify", "--case", ref, *db)[0] == 0

    # a later re-verification is a custody event too
    record = Path(json.loads(out)["output_dir"]) / "EX-1.acquisition.json"
    code, _, err = _run(capsys, "verify", str(record), "--case", ref, "--examiner", "B-1", *db)
    assert code == 0, err
    database = open_database(sqlite_url)
    try:
        with database.session() as session:
            exhibit = session.scalars(select(Exhibit).where(Exhibit.exhibit_id == "EX-1")).one()
            events = chain_events(session, exhibit)
            assert [e.action.value for e in events][-1] == "verified"
            assert json.loads(events[-1].canonical)["details"]["step"] == "re-verification"
            assert len(events) == 4
    finally:
        database.close()

    # EX-2 has no seizure event: the image is kept and recorded, the custody gap is reported
    code, _, err = _run(capsys, "acquire", str(tmp_path / "src.bin"), "--case", ref,
                          "--exhibit", "EX-2", *db)
    assert code == 0, err
    assert "custody event 'imaged' not recorded" in err
