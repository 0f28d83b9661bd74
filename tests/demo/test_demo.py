"""`sealbag demo`: the whole pipeline, headless, on generated evidence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.cli.main import main
from forensics.custody import verify_export
from forensics.database import open_database
from forensics.database.models import Acquisition


def test_demo_runs_every_step_and_leaves_a_verifiable_case(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    steps = {s["step"]: s for s in summary["steps"]}
    assert {"case", "custody", "media", "acquire", "catalog", "ledger", "bundle"} <= set(steps)
    assert all(s["status"] == "done" for s in summary["steps"]), summary
    acquire = steps["acquire"]
    expected_format = "e01" if shutil.which("ewfacquirestream") else "raw"
    assert acquire["format"] == expected_format
    assert set(acquire["images"]) == {"EX-001", "EX-002"}
    assert acquire["warnings"] == []  # every imaging step is in the custody chain
    for image in acquire["images"].values():
        assert image["state"] == "verified" and image["verification"] == "match"
    # each practice image comes with its answer key
    for exhibit, made in steps["media"]["media"].items():
        key = json.loads(Path(made["answer_key"]).read_text())
        assert len(key["files"]) == made["files"] >= 40, exhibit
    # the acquisitions are in the database with the hashes the summary printed
    db = open_database(summary["database"], create=False)
    with db.session() as s:
        stored = {a.sha256 for a in s.scalars(select(Acquisition))}
    db.close()
    assert stored == {i["sha256"] for i in acquire["images"].values()}
    # both images are fully catalogued: every planned file (deleted ones too) was found
    catalog = steps["catalog"]
    assert catalog["warnings"] == []
    for exhibit, run in catalog["runs"].items():
        assert run["status"] == "complete", exhibit
        assert run["entries"] >= steps["media"]["media"][exhibit]["files"], exhibit
    # the demo data is complete enough for a final bundle, which verifies
    bundle = steps["bundle"]
    assert bundle["preflight_problems"] == 0
    assert main(["bundle", "verify", bundle["bundle"]]) == 0
    # the final custody export verifies with Sealbag and with the standalone script
    ledger = steps["ledger"]
    assert verify_export(ledger["export"]).valid
    script = out / "custody" / "final" / "standalone_verifier.py"
    proc = subprocess.run(
        [sys.executable, str(script), ledger["export"]], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ledger_text = (out / "custody" / "final" / "custody.jsonl").read_text()
    assert all(f'"action":"{a}"' in ledger_text for a in ("imaged", "verified", "catalogued"))


def test_demo_twice_in_the_same_folder_starts_afresh(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("ledger") == 2
