"""Catalog-scale storage: bulk insert and query of FileEntry rows (SQLite).

``python -m bench.bench_database [--rows N]`` inserts N synthetic catalog rows
with Core executemany in batches, then times the queries the catalog uses
(by SHA-256, by path prefix, notable flags) and reports the database size.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import peak_rss_mb, write_table
from forensics.database import open_database
from forensics.database.hashkey import hash_key
from forensics.database.models import Case, CatalogRun, Exhibit, FileEntry

BATCH = 20_000


def _rows(run_id: int, start: int, count: int) -> list[dict]:
    rows = []
    for i in range(start, start + count):
        digest = hashlib.sha256(i.to_bytes(8, "little")).hexdigest()
        rows.append(
            {
                "run_id": run_id,
                "path": f"Users/user{i % 97}/Documents/dir{i % 1013}/file{i}.docx",
                "name": f"file{i}.docx",
                "meta_addr": i,
                "entry_type": "r",
                "size": i % 100_000,
                "allocated": i % 11 != 0,
                "mtime_ns": 1_600_000_000_000_000_000 + i,
                "md5": digest[:32],
                "sha256": digest,
                "md5_key": hash_key(digest[:32]),
                "sha256_key": hash_key(digest),
                "mime_type": "application/pdf" if i % 5 == 0 else "text/plain",
                "notable": i % 10_000 == 0,
            }
        )
    return rows


def run(rows: int) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = open_database(str(path))
        with db.session() as s:
            case = Case(reference="BENCH", title="bench")
            s.add(case)
            s.flush()
            ex = Exhibit(case_id=case.id, exhibit_id="EX-1", description="bench")
            s.add(ex)
            s.flush()
            run_row = CatalogRun(exhibit_id=ex.id, image_path="bench.dd")
            s.add(run_row)
            s.flush()
            run_id = run_row.id
        t0 = time.perf_counter()
        done = 0
        while done < rows:
            n = min(BATCH, rows - done)
            batch = _rows(run_id, done, n)
            with db.session() as s:
                s.execute(insert(FileEntry), batch)
            done += n
        insert_s = time.perf_counter() - t0
        probe = hashlib.sha256((rows // 2).to_bytes(8, "little")).hexdigest()
        timings = []
        with db.session() as s:
            for label, stmt in (
                ("lookup by SHA-256", select(FileEntry.path).where(
                    FileEntry.sha256_key == hash_key(probe), FileEntry.sha256 == probe)),
                (
                    "path prefix (first 500)",
                    select(FileEntry.path)
                    .where(
                        FileEntry.run_id == run_id,
                        FileEntry.path >= "Users/user5/",
                        FileEntry.path < "Users/user50",
                    )
                    .order_by(FileEntry.path)
                    .limit(500),
                ),
                (
                    "notable files",
                    select(func.count())
                    .select_from(FileEntry)
                    .where(FileEntry.run_id == run_id, FileEntry.notable.is_(True)),
                ),
                (
                    "page of 500 after id (keyset)",
                    select(FileEntry.id, FileEntry.path)
                    .where(FileEntry.run_id == run_id, FileEntry.id > rows // 2)
                    .order_by(FileEntry.id)
                    .limit(500),
                ),
            ):
                t = time.perf_counter()
                s.execute(stmt).all()
                timings.append((label, (time.perf_counter() - t) * 1000))
        db.close()
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) / 1024**2
    table = [
        [
            "bulk insert (Core executemany, 20k batches)",
            f"{rows:,} rows",
            f"{insert_s:.1f} s",
            f"{rows / insert_s:,.0f} rows/s",
        ],
        ["database size", "", f"{size_mb:,.0f} MB", f"{size_mb * 1024**2 / rows:.0f} B/row"],
    ]
    table += [[label, "", f"{ms:.1f} ms", ""] for label, ms in timings]
    table.append(["peak memory", "", f"{peak_rss_mb():.0f} MB", ""])
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    write_table(
        "database",
        f"Catalog storage, SQLite (WAL, synchronous=FULL), {args.rows:,} FileEntry rows",
        ["operation", "size", "time", "rate"],
        run(args.rows),
    )


if __name__ == "__main__":
    main()
