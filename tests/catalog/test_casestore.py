"""Catalogue an exhibit's stored acquisition; catalog and export join the custody chain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli.main import main
from forensics.custody import chain_events, verify_chain
from forensics.database import open_database
from forensics.database.models import AuditEntry, Case, CatalogRun, Exhibit

REF = "FIR 10/2026"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _case(capsys, url: str, store: Path) -> list[str]:  # type: ignore[no-untyped-def]
    db = ["--db", url]
    assert _run(capsys, "case", "new", "--reference", REF, "--title", "T", *db,
                "--store", str(store))[0] == 0
    assert _run(capsys, "person", "add", "--name", "Asha Rao", "--id-number", "B-1", *db)[0] == 0
    assert _run(capsys, "custody", "key", "new", "--person", "B-1", *db)[0] == 0
    for ex in ("EX-1", "EX-2", "EX-3"):
        assert _run(capsys, "exhibit", "add", "--case", REF, "--id", ex, "--description", "d",
                    *db, "--store", str(store))[0] == 0
    for ex in ("EX-1", "EX-3"):
        code, _, err = _run(capsys, "custody", "add", "--case", REF, "--exhibit", ex,
                            "--action", "seized", "--actor", "B-1", "--received-by", "B-1",
                            "--at", "2026-11-20T14:30", "--to", "Scene", *db)
        assert code == 0, err
    return db


def _chain(url: str, exhibit_ref: str) -> tuple[list[str], list[dict], bool]:
    database = open_database(url)
    try:
        with database.session() as session:
            case = session.scalars(select(Case).where(Case.reference == REF)).one()
            exhibit = session.scalars(select(Exhibit).where(
                Exhibit.case_id == case.id, Exhibit.exhibit_id == exhibit_ref)).one()
            events = chain_events(session, exhibit)
            report = verify_chain(session, case)
            return ([e.action.value for e in events], [json.loads(e.canonical) for e in events],
                    report.valid)
    finally:
        database.close()


def test_catalog_of_the_stored_acquisition_and_export_are_custody_events(
        ext4_image, tmp_path: Path, capsys, database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")
    image, key = ext4_image
    db = _case(capsys, database_url, tmp_path / "store")
    image_sha = hashlib.sha256(image.read_bytes()).hexdigest()

    code, out, err = _run(capsys, "acquire", str(image), "--case", REF, "--exhibit", "EX-1",
                          "--examiner", "B-1", *db, "--json")
    assert code == 0, err
    acquired = json.loads(out)
    assert acquired["image_hashes"]["sha256"] == image_sha

    # no image path: the stored acquisition is catalogued and linked
    code, out, err = _run(capsys, "catalog", "--case", REF, "--exhibit", "EX-1", "--examiner",
                          "B-1", "--no-types", *db)
    assert code == 0, err
    assert "warning" not in err
    assert f"image SHA-256 {image_sha}" in out
    database = open_database(database_url)
    try:
        with database.session() as session:
            run = session.scalars(select(CatalogRun)).one()
            assert run.status.value == "complete"
            assert run.acquisition_id is not None and run.image_sha256 == image_sha
            assert Path(run.image_path).parent == Path(acquired["output_dir"])
            run_id, entries = run.id, run.entry_count
    finally:
        database.close()
    assert entries >= len(key.files)

    actions, events, chain_ok = _chain(database_url, "EX-1")
    assert actions == ["seized", "imaged", "verified", "catalogued"]
    catalogued = events[-1]
    assert catalogued["hash_value"] == image_sha
    assert catalogued["details"]["catalog_run_id"] == run_id
    assert catalogued["details"]["entries"] == entries
    assert catalogued["details"]["status"] == "complete"
    assert catalogued["actor"]["id_number"] == "B-1"
    assert chain_ok

    # export from the stored catalog (no image path): an 'exported' event with the manifest hash
    wanted = next(f for f in key.files if not f["deleted"] and f["size"] > 0)
    target = tmp_path / "out"
    code, out, err = _run(capsys, "export", "--case", REF, "--exhibit", "EX-1", "--path",
                          wanted["path"], "--to", str(target), "--examiner", "B-1", *db)
    assert code == 0, err
    assert "warning" not in err
    manifest_sha = hashlib.sha256((target / "manifest.json").read_bytes()).hexdigest()
    actions, events, chain_ok = _chain(database_url, "EX-1")
    assert actions[-1] == "exported"
    exported = events[-1]
    assert exported["hash_value"] == manifest_sha
    assert exported["details"]["manifest_sha256"] == manifest_sha
    assert exported["details"]["files"] == 1 and exported["details"]["verified"] == 1
    assert exported["details"]["catalog_run_id"] == run_id
    assert chain_ok
    assert _run(capsys, "custody", "verify", "--case", REF, *db)[0] == 0


def test_refused_custody_event_keeps_the_catalog(ext4_image, tmp_path: Path, capsys,
                                                 database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")
    image, _key = ext4_image
    db = _case(capsys, database_url, tmp_path / "store")

    # EX-3 was seized but never imaged: nothing to catalogue, said clearly
    code, _out, err = _run(capsys, "catalog", "--case", REF, "--exhibit", "EX-3", *db)
    assert code == 1
    assert "EX-3 has no completed acquisition" in err and "Traceback" not in err

    # EX-2 has no seizure event: the ledger refuses, the run is stored and the refusal audited
    code, _out, err = _run(capsys, "catalog", str(image), "--case", REF, "--exhibit", "EX-2",
                          "--no-types", *db)
    assert code == 0, err
    assert "custody event 'catalogued' not recorded" in err
    database = open_database(database_url)
    try:
        with database.session() as session:
            run = session.scalars(select(CatalogRun)).one()
            assert run.status.value == "complete" and run.entry_count > 0
            assert run.acquisition_id is None
            audit = session.scalars(select(AuditEntry.action).where(
                AuditEntry.target_id == str(run.id))).all()
            assert "catalog.custody_refused" in audit and "catalog.complete" in audit
    finally:
        database.close()
    actions, _events, chain_ok = _chain(database_url, "EX-2")
    assert actions == [] and chain_ok
    assert _run(capsys, "custody", "verify", "--case", REF, *db)[0] == 0


def test_a_mismatched_acquisition_is_never_catalogued(ext4_image, tmp_path: Path, capsys,
                                                      sqlite_url: str, monkeypatch) -> None:
    from forensics.database.enums import VerificationResult
    from forensics.database.models import Acquisition

    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")
    image, _key = ext4_image
    db = _case(capsys, sqlite_url, tmp_path / "store")
    code, _out, err = _run(capsys, "acquire", str(image), "--case", REF, "--exhibit", "EX-1", *db)
    assert code == 0, err
    database = open_database(sqlite_url)
    try:
        with database.session() as session:
            session.scalars(select(Acquisition)).one().verification = VerificationResult.MISMATCH
    finally:
        database.close()
    code, _out, err = _run(capsys, "catalog", "--case", REF, "--exhibit", "EX-1", *db)
    assert code == 1 and "no completed acquisition" in err


def test_an_image_changed_in_size_since_acquisition_is_refused(ext4_image, tmp_path: Path,
                                                               capsys, sqlite_url: str,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("SEALBAG_KEY_PASSPHRASE", "lab passphrase 1")
    image, _key = ext4_image
    db = _case(capsys, sqlite_url, tmp_path / "store")
    code, out, err = _run(capsys, "acquire", str(image), "--case", REF, "--exhibit", "EX-1",
                          *db, "--json")
    assert code == 0, err
    record = json.loads(out)
    stored = Path(record["output_dir"]) / record["segments"][0]["path"]
    with stored.open("ab") as fh:
        fh.write(b"\0" * 512)
    code, _out, err = _run(capsys, "catalog", "--case", REF, "--exhibit", "EX-1", *db)
    assert code == 1 and "not the size recorded at acquisition" in err
    stored.unlink()
    code, _out, err = _run(capsys, "catalog", "--case", REF, "--exhibit", "EX-1", *db)
    assert code == 1 and "is missing" in err
    actions, _events, chain_ok = _chain(sqlite_url, "EX-1")
    assert "catalogued" not in actions and chain_ok
