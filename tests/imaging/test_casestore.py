"""Case-mode acquisition through the core function (what the GUI and demo call)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from forensics.casework.cases import CaseInput, create_case
from forensics.casework.exhibits import ExhibitInput, add_exhibit
from forensics.database import open_database
from forensics.database.enums import AcquisitionState
from forensics.database.models import Acquisition, AuditEntry
from forensics.imaging import AcquisitionCancelled
from forensics.imaging.casestore import acquire_for_case
from forensics.progress import CancelToken
from forensics.store import EvidenceStore
from tests.imaging.helpers import write_random


def test_cancelled_case_acquisition_is_recorded(tmp_path: Path, sqlite_url: str) -> None:
    store = EvidenceStore(tmp_path / "store")
    write_random(tmp_path / "src.bin", 300_000)
    with open_database(sqlite_url) as db:
        with db.session() as session:
            create_case(session, CaseInput(reference="C-1", title="t"), store)
            add_exhibit(session, "C-1", ExhibitInput(exhibit_id="EX-1", description="d"), store)
        token = CancelToken()
        token.cancel("stopped by the examiner")
        seen: list[str] = []
        with pytest.raises(AcquisitionCancelled):
            acquire_for_case(db, "C-1", "EX-1", tmp_path / "src.bin", cancel=token,
                             on_event=lambda kind, _details: seen.append(kind))
        with db.session() as session:
            row = session.scalars(select(Acquisition)).one()
            assert row.state is AcquisitionState.CANCELLED
            assert row.abort_reason == "stopped by the examiner"
            assert row.record["state"] == "cancelled"
            actions = {a.action for a in session.scalars(select(AuditEntry))}
            assert {"acquisition.start", "acquisition.aborted", "acquisition.cancelled"} <= actions
        assert seen == ["aborted"]
        partial = Path(row.record["output_dir"]) / "EX-1.partial"
        assert partial.is_dir()
