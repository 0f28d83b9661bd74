"""Custody history of the demonstration case."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from forensics.custody import custody_status, verify_chain
from forensics.custody.demo import record_demo_custody
from forensics.database import open_database
from forensics.database.models import Case, Exhibit
from forensics.demo import DEMO_REFERENCE, ensure_demo_case
from forensics.store import EvidenceStore


def test_demo_custody_records_verifies_and_exports(tmp_path, sqlite_url):
    db = open_database(sqlite_url)
    ensure_demo_case(db, EvidenceStore(tmp_path / "store"))
    summary = record_demo_custody(db, DEMO_REFERENCE, tmp_path, officer="DEMO-IO-1",
                                  custodian="DEMO-CU-1", examiner="DEMO-EX-1")
    assert summary["events"] == 8
    again = record_demo_custody(db, DEMO_REFERENCE, tmp_path, officer="DEMO-IO-1",
                                custodian="DEMO-CU-1", examiner="DEMO-EX-1")
    assert again["events"] == 0 and again["heads"] == summary["heads"]
    with db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == DEMO_REFERENCE)).one()
        assert verify_chain(s, case).valid
        ex1 = s.scalars(select(Exhibit).where(Exhibit.exhibit_id == "EX-001")).one()
        assert custody_status(s, ex1).status == "checked-out"
    db.close()
    run = subprocess.run([sys.executable, "-I", str(tmp_path / "custody" /
                          "standalone_verifier.py"), summary["export"]],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
