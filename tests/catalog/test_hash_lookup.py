"""Entries are found by MD5 or SHA-256 through integer keys, and older databases get keys."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import create_engine, insert, select, text

from forensics.cataloging.query import entries_with_hash
from forensics.cataloging.wire import WireError, from_wire, to_wire
from forensics.database import migrate, open_database
from forensics.database.hashkey import hash_key
from forensics.database.models import CatalogRun, FileEntry


def _digests(i: int) -> tuple[str, str]:
    data = f"file {i}".encode()
    return hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()


@pytest.fixture
def stored(db_with_exhibit):  # type: ignore[no-untyped-def]
    db, exhibit_id = db_with_exhibit
    with db.session() as s:
        run = CatalogRun(exhibit_id=exhibit_id, image_path="x.dd")
        s.add(run)
        s.flush()
        rows = []
        for i in range(50):
            md5, sha = _digests(i % 10)  # every content stored five times
            rows.append({"run_id": run.id, "path": f"d/f{i}", "name": f"f{i}",
                         "entry_type": "r/r", "allocated": True, "md5": md5, "sha256": sha})
        rows.append({"run_id": run.id, "path": "d", "name": "d", "entry_type": "d/d",
                     "allocated": True})
        s.execute(insert(FileEntry), rows)  # keys come from the column defaults
        run_id = run.id
    return db, run_id


def test_lookup_by_md5_and_sha256(stored) -> None:  # type: ignore[no-untyped-def]
    db, run_id = stored
    md5, sha = _digests(3)
    with db.session() as s:
        by_md5 = [e.path for e in entries_with_hash(s, md5)]
        by_sha = [e.path for e in entries_with_hash(s, sha.upper(), run_id=run_id)]
        assert by_md5 == by_sha == [f"d/f{i}" for i in (3, 13, 23, 33, 43)]
        assert [e.path for e in entries_with_hash(s, md5, limit=2)] == ["d/f3", "d/f13"]
        assert entries_with_hash(s, md5, run_id=run_id + 1) == []
        keys = s.execute(select(FileEntry.md5_key, FileEntry.sha256_key)
                         .where(FileEntry.path == "d/f3")).one()
        assert keys == (hash_key(md5), hash_key(sha))
        assert s.execute(select(FileEntry.md5_key).where(FileEntry.path == "d")).scalar() \
            is None


def test_a_key_collision_is_not_a_match(stored) -> None:  # type: ignore[no-untyped-def]
    db, _run_id = stored
    md5, _sha = _digests(3)
    twin = md5[:16] + ("0" * 16 if md5[16:] != "0" * 16 else "1" * 16)
    assert hash_key(twin) == hash_key(md5)
    with db.session() as s:
        assert entries_with_hash(s, twin) == []


@pytest.mark.parametrize("bad", ["-" + "1" * 15, "0x" + "1" * 14, "1_" * 8, " " + "1" * 15])
def test_hash_keys_come_only_from_hex_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        hash_key(bad + "0" * 16)
    assert hash_key("f" * 16) == 2**63 - 1 and hash_key("0" * 16) == -(2**63)


@pytest.mark.parametrize("bad", ["", "abc", "z" * 32, "0" * 40])
def test_only_md5_or_sha256_digests_are_looked_up(stored, bad: str) -> None:  # type: ignore[no-untyped-def]
    db, _run_id = stored
    with db.session() as s, pytest.raises(ValueError):
        entries_with_hash(s, bad)


def test_the_worker_cannot_store_a_digest_that_is_not_one() -> None:
    from tests.catalog.test_wire_speedups import _entry, _json_round_trip

    good = _json_round_trip(to_wire(_entry(md5="0" * 32, sha256="a" * 64, bytes_hashed=1)))
    assert from_wire("entry", list(good)).md5 == "0" * 32
    for md5, sha in (("0" * 31, "a" * 64), ("0" * 32, "A" * 64), ("g" * 32, "a" * 64),
                     ("0" * 32, "a" * 65)):
        wire = list(good)
        wire[24], wire[25] = md5, sha
        with pytest.raises(WireError):
            from_wire("entry", wire)


def test_databases_from_before_the_keys_get_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    md5, sha = _digests(7)
    with engine.begin() as conn:
        migrate.upgrade(conn, "0002")
        conn.execute(text("INSERT INTO catalog_run (image_path, status, started_at, "
                          "entry_count, gaps, options, tool_versions) VALUES "
                          "('x.dd', 'complete', '2026-01-01', 2, '[]', '{}', '{}')"))
        odd = "-" + "f" * 31  # not a digest (never written by Sealbag): kept, no key
        for i, (m, s) in enumerate(((md5, sha), (None, None), (odd, None))):
            conn.execute(text("INSERT INTO file_entry (run_id, path, name, entry_type, "
                              "allocated, orphan, extension_mismatch, known, notable, md5, "
                              "sha256) VALUES (1, :p, :p, 'r/r', 1, 0, 0, 0, 0, :m, :s)"),
                         {"p": f"f{i}", "m": m, "s": s})
    engine.dispose()
    db = open_database(str(path))
    assert db.backup_path is not None  # copied aside before the schema changed
    with db.session() as s:
        assert [e.path for e in entries_with_hash(s, sha)] == ["f0"]
        assert [e.path for e in entries_with_hash(s, md5)] == ["f0"]
        assert s.execute(select(FileEntry.sha256_key).where(FileEntry.path == "f1")).scalar() \
            is None
        assert s.execute(select(FileEntry.md5, FileEntry.md5_key)
                         .where(FileEntry.path == "f2")).one() == (odd, None)
    db.close()


def test_lookups_and_paging_use_indexes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The query plans, not timings: a hash lookup seeks its key's index, and a page of a
    run's entries after a given id reads an index in id order instead of sorting the run."""
    db = open_database(str(tmp_path / "plan.db"))
    try:
        with db.engine.connect() as conn:
            def plan(sql: str) -> str:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
                return " | ".join(str(r[-1]) for r in rows)

            by_hash = plan("SELECT path FROM file_entry WHERE sha256_key = 5 AND sha256 = 'x'")
            assert "ix_file_entry_sha256_key" in by_hash
            page = plan("SELECT id, path FROM file_entry WHERE run_id = 1 AND id > 100 "
                        "ORDER BY id LIMIT 500")
            assert "ix_file_entry_run_id" in page and "TEMP B-TREE" not in page
    finally:
        db.close()
