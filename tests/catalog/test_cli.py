"""``sealbag catalog``, ``sealbag export`` and ``sealbag hashset`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli.main import main
from forensics.database.enums import CatalogStatus
from forensics.database.models import Case, CatalogRun, Exhibit
from forensics.database.session import open_database


def test_jsonl_prints_one_object_per_entry(ext4_image, capsys: pytest.CaptureFixture[str]) -> None:
    image, key = ext4_image
    assert main(["catalog", str(image), "--jsonl", "--no-hashsets"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert {"path", "size", "allocated", "meta_address", "partition_offset", "times", "md5",
            "sha256", "mime", "mismatch", "notable"} <= rows[0].keys()
    by_sha = {r["sha256"] for r in rows if r["allocated"]}
    assert all(f["sha256"] in by_sha for f in key.files if not f["deleted"])
    assert json.loads(err.strip().splitlines()[-1])["summary"]["status"] == "complete"


def test_summary_output_and_exit_status(ext4_image, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", str(ext4_image[0]), "--no-hashsets"]) == 0
    out = capsys.readouterr().out
    assert "status:       COMPLETE" in out and "ext4" in out


def test_unreadable_image_is_a_one_line_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "bogus.E01"
    bogus.write_bytes(b"")
    assert main(["catalog", str(bogus), "--no-hashsets"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sealbag: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_catalog_stored_for_a_case_exhibit(ext4_image, capsys: pytest.CaptureFixture[str]) -> None:
    with open_database() as db, db.session() as s:
        case = Case(reference="CR-7/2026", title="t")
        s.add(case)
        s.flush()
        s.add(Exhibit(case_id=case.id, exhibit_id="EX-001", description="stick"))
    assert main(["catalog", str(ext4_image[0]), "--case", "CR-7/2026", "--exhibit",
                 "EX-001"]) == 0
    assert "stored:       catalog run" in capsys.readouterr().out
    with open_database() as db, db.session() as s:
        run = s.scalars(select(CatalogRun)).one()
        assert run.status is CatalogStatus.COMPLETE and run.entry_count > 40
    assert main(["catalog", str(ext4_image[0]), "--case", "CR-7/2026", "--exhibit",
                 "EX-999"]) == 1
    assert "no exhibit" in capsys.readouterr().err


def test_hashset_import_then_catalog_flags_notable(ext4_image, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    image, key = ext4_image
    target = next(f for f in key.files if not f["deleted"])
    listing = tmp_path / "bad.sha256"
    listing.write_text(f"{target['sha256']}  contraband\n")
    assert main(["hashset", "import", str(listing), "--name", "Lab list", "--version", "7",
                 "--kind", "known-bad"]) == 0
    assert main(["hashset", "list"]) == 0
    assert "Lab list\t7\tknown-bad" in capsys.readouterr().out
    assert main(["hashset", "lookup", f" {target['sha256'].upper()} "]) == 0
    assert "known-bad: Lab list 7" in capsys.readouterr().out
    assert main(["hashset", "lookup", target["sha256"][:40]]) != 0
    assert "give an MD5 (32 hex digits) or SHA-256" in capsys.readouterr().err
    assert main(["catalog", str(image), "--jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    notable = [r for r in rows if r["notable"]]
    assert [r["sha256"] for r in notable] == [target["sha256"]]
    assert notable[0]["hash_set"] == "Lab list"
    out_dir = tmp_path / "out"
    assert main(["export", str(image), "--notable", "--to", str(out_dir)]) == 0
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert [f["sha256"] for f in manifest["files"]] == [target["sha256"]]
    assert main(["hashset", "remove", "Lab list", "7"]) == 0


def test_export_by_path(ext4_image, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image, key = ext4_image
    wanted = next(f for f in key.files if not f["deleted"] and "/" in f["path"])
    assert main(["export", str(image), "--path", wanted["path"], "--to",
                 str(tmp_path / "x"), "--no-types"]) == 0
    assert "1 of 1 files exported and verified" in capsys.readouterr().out
    assert main(["export", str(image), "--path", "no/such/file", "--to",
                 str(tmp_path / "y")]) == 1


def test_export_from_the_stored_catalog(ext4_image, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    image, key = ext4_image
    with open_database() as db, db.session() as s:
        case = Case(reference="CR-9/2026", title="t")
        s.add(case)
        s.flush()
        s.add(Exhibit(case_id=case.id, exhibit_id="EX-002", description="disk"))
    assert main(["export", str(image), "--case", "CR-9/2026", "--exhibit", "EX-002",
                 "--mismatch", "--to", str(tmp_path / "a")]) == 1
    assert "no complete catalog" in capsys.readouterr().err
    assert main(["catalog", str(image), "--case", "CR-9/2026", "--exhibit", "EX-002"]) == 0
    assert main(["export", str(image), "--case", "CR-9/2026", "--exhibit", "EX-002",
                 "--mismatch", "--to", str(tmp_path / "b")]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    disguised = {f["sha256"] for f in key.files if f["disguised"] and not f["deleted"]}
    assert {f["sha256"] for f in manifest["files"]} == disguised
    assert all(f["verified"] and f["exported_as"].startswith("fs0/") for f in manifest["files"])
    assert main(["catalog-runs", "--case", "CR-9/2026", "--exhibit", "EX-002"]) == 0
    assert "COMPLETE" in capsys.readouterr().out
