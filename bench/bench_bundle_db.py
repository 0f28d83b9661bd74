"""Benchmark: a bundle built from the case database with a 100,000-row catalog listing.

``python -m bench.bench_bundle_db [--files N]`` fills a SQLite case database (the demo case, its
custody, one acquisition row and one complete catalog run of N ``FileEntry`` rows), then times
``build_bundle_from_database`` and reports peak memory. The listing streams from the database in
keyset-paginated batches; the aim is the same as for ``bench_bundle``: under 60 s and 500 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bench.common import peak_rss_mb, write_table
from forensics.custody.demo import record_demo_custody
from forensics.database import open_database
from forensics.database.enums import AcquisitionState, CatalogStatus, VerificationResult
from forensics.database.models import Acquisition, CatalogRun, Exhibit, FileEntry, Person
from forensics.demo import DEMO_REFERENCE, ensure_demo_case
from forensics.store import EvidenceStore
from reports.bundle_store import build_bundle_from_database, store_request
from reports.demo import demo_database_request

INSERT_BATCH = 10_000


def _fill(url: str, folder: Path, files: int) -> None:
    db = open_database(url)
    try:
        ensure_demo_case(db, EvidenceStore(folder / "store"))
        record_demo_custody(
            db,
            DEMO_REFERENCE,
            folder,
            officer="DEMO-IO-1",
            custodian="DEMO-CU-1",
            examiner="DEMO-EX-1",
        )
        with db.session() as session:
            exhibit = session.scalar(select(Exhibit).where(Exhibit.exhibit_id == "EX-001"))
            examiner = session.scalar(select(Person).where(Person.id_number == "DEMO-EX-1"))
            digest = hashlib.sha256(b"bench image").hexdigest()
            session.add(
                Acquisition(
                    exhibit_id=exhibit.id,
                    state=AcquisitionState.COMPLETED,
                    format="raw",
                    examiner_id=examiner.id,
                    started_at=datetime(2026, 11, 21, 5, tzinfo=UTC),
                    ended_at=datetime(2026, 11, 21, 6, tzinfo=UTC),
                    size_bytes=16 * 1000**3,
                    source_hashes={"sha256": digest},
                    image_hashes={"sha256": digest},
                    sha256=digest,
                    verification=VerificationResult.MATCH,
                    record={"tool": {"name": "Sealbag", "version": "bench"}},
                )
            )
            run = CatalogRun(
                exhibit_id=exhibit.id,
                image_path="bench.img",
                status=CatalogStatus.COMPLETE,
                entry_count=files,
            )
            session.add(run)
            session.flush()
            run_id = run.id
            store_request(
                session,
                DEMO_REFERENCE,
                "IN-EVIDENCE",
                demo_database_request(DEMO_REFERENCE, "IN-EVIDENCE"),
            )
        with db.engine.begin() as conn:
            for start in range(0, files, INSERT_BATCH):
                conn.execute(
                    insert(FileEntry),
                    [
                        {
                            "run_id": run_id,
                            "path": f"/Users/demo/folder{n // 1000:03d}/file{n:06d}.docx",
                            "name": f"file{n:06d}.docx",
                            "entry_type": "r/r",
                            "size": 1000 + n,
                            "allocated": True,
                            "mtime_ns": 1_763_700_000_000_000_000 + n,
                            "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
                        }
                        for n in range(start, min(files, start + INSERT_BATCH))
                    ],
                )
    finally:
        db.close()


def run(files: int) -> list[list[str]]:
    with tempfile.TemporaryDirectory(prefix="sealbag-bench-db-") as scratch:
        folder = Path(scratch)
        url = f"sqlite:///{folder / 'bench.db'}"
        _fill(url, folder, files)
        before = peak_rss_mb()
        db = open_database(url)
        try:
            started = time.perf_counter()
            outcome = build_bundle_from_database(
                db,
                DEMO_REFERENCE,
                "IN-EVIDENCE",
                exhibits=["EX-001"],
                draft=True,
                out_dir=folder / "bundle",
            )
            seconds = time.perf_counter() - started
        finally:
            db.close()
        result = outcome.result
        pdf_mb = result.pdf_path.stat().st_size / 1e6
    peak = peak_rss_mb()
    return [
        [
            "bundle from the database (IN-EVIDENCE, 1 exhibit, SQLite)",
            f"{files:,}",
            f"{result.pages:,}",
            f"{pdf_mb:.1f}",
            f"{seconds:.1f}",
            f"{peak:.0f} (before build: {before:.0f})",
            "< 60 s, < 500 MB",
        ]
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args(argv)
    write_table(
        "bundle_db",
        f"MLA evidence bundle from the case database, {args.files:,}-row catalog listing",
        ["bundle", "files", "pages", "PDF MB", "seconds", "peak RSS MB", "aim"],
        run(args.files),
        notes="Seconds cover the query layer (custody export, acquisition and listing reads), "
        "the whole build and recording the bundle (Bundle row, audit, custody events).",
    )


if __name__ == "__main__":
    main()
