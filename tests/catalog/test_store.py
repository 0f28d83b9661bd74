"""Catalog runs in the case database: batched rows, honest status, no half catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from forensics.cataloging.engine import CatalogOptions, ListSink, run_catalog
from forensics.cataloging.store import CatalogStore
from forensics.database.enums import CatalogStatus
from forensics.database.models import CatalogRun, FileEntry, FileSystem, Volume
from forensics.database.session import open_database


def _count(db, model, run_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.run_id == run_id))


def test_complete_run_is_stored_with_every_entry(db_with_exhibit, ext4_image, monkeypatch) -> None:
    db, exhibit_id = db_with_exhibit
    monkeypatch.setattr("forensics.cataloging.store.BATCH_ROWS", 7)  # several batches
    image, key = ext4_image
    store = CatalogStore(db, str(image), exhibit_id=exhibit_id)
    with db.session() as s:
        assert s.get(CatalogRun, store.run_id).status is CatalogStatus.RUNNING
    summary = run_catalog(image, store)
    assert store.finish(summary) is CatalogStatus.COMPLETE, summary.error
    with db.session() as s:
        run = s.get(CatalogRun, store.run_id)
        assert run.status is CatalogStatus.COMPLETE and run.ended_at is not None
        assert run.entry_count == summary.entry_count
        assert run.tool_versions["sleuthkit"]
        assert any(g["kind"] == "anomaly" for g in run.gaps)
        undecodable = s.scalars(select(FileEntry).where(
            FileEntry.run_id == store.run_id,
            FileEntry.name.like("undecodable%"))).one()
        assert undecodable.path_raw == b"undecodable_\xff\xfe_name.bin"
        allocated = next(f for f in key.files if not f["deleted"])
        row = s.scalars(select(FileEntry).where(FileEntry.sha256 == allocated["sha256"])).first()
        assert row is not None and row.md5 == allocated["md5"]
        assert row.file_system_id is not None and row.mtime_ns is not None
    assert _count(db, FileEntry, store.run_id) == summary.entry_count
    assert _count(db, Volume, store.run_id) == 1
    assert _count(db, FileSystem, store.run_id) == 1


def test_failed_run_leaves_no_rows_and_says_why(db_with_exhibit, ext4_image) -> None:
    db, exhibit_id = db_with_exhibit
    image, _key = ext4_image
    earlier = CatalogStore(db, str(image), exhibit_id=exhibit_id)
    earlier.finish(run_catalog(image, earlier))
    store = CatalogStore(db, str(image), exhibit_id=exhibit_id)
    summary = run_catalog(image, store, worker="tests.catalog.faulty_workers:segfault_worker",
                          options=CatalogOptions(stall_timeout=30))
    assert store.finish(summary) is CatalogStatus.FAILED
    with db.session() as s:
        run = s.get(CatalogRun, store.run_id)
        assert run.status is CatalogStatus.FAILED and "SIGSEGV" in run.error
        assert run.entry_count == 0
    assert _count(db, Volume, store.run_id) == 0
    assert _count(db, FileEntry, store.run_id) == 0
    # the earlier complete catalog is untouched
    assert _count(db, FileEntry, earlier.run_id) > 0


def test_cancelled_run_is_marked_and_emptied(db_with_exhibit, tmp_path: Path) -> None:
    from forensics.progress import CancelToken

    db, exhibit_id = db_with_exhibit
    media = tmp_path / "m.raw"
    media.write_bytes(b"\0" * 4096)
    token = CancelToken()
    store = CatalogStore(db, str(media), exhibit_id=exhibit_id)

    def progress(_update):  # type: ignore[no-untyped-def]
        token.cancel()

    summary = run_catalog(media, store, worker="tests.catalog.faulty_workers:hang_worker",
                          progress=progress, cancel=token)
    assert store.finish(summary) is CatalogStatus.CANCELLED
    assert _count(db, Volume, store.run_id) == 0


def test_batches_leave_sqlite_connections_fully_synchronous(sqlite_url: str, ext4_image) -> None:
    db = open_database(sqlite_url)
    try:
        image, _key = ext4_image
        store = CatalogStore(db, str(image))
        summary = run_catalog(image, store, options=CatalogOptions(detect_types=False))
        assert store.finish(summary) is CatalogStatus.COMPLETE
        assert store.stored == summary.entry_count > 0
        with db.engine.connect() as conn:  # the pooled connection the batches used
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        db.close()


def test_what_ends_a_run_commits_with_its_status_or_not_at_all(db_with_exhibit, ext4_image) -> None:
    from forensics.casework.audit import record_audit
    from forensics.database.models import AuditEntry

    db, exhibit_id = db_with_exhibit
    image, _key = ext4_image
    store = CatalogStore(db, str(image), exhibit_id=exhibit_id)
    summary = run_catalog(image, store, options=CatalogOptions(detect_types=False))

    def failing_hook(session, status, entries) -> None:  # type: ignore[no-untyped-def]
        assert status is CatalogStatus.COMPLETE and entries == summary.entry_count
        record_audit(session, "catalog.test-marker", target_type="catalog_run",
                     target_id=str(store.run_id))
        raise RuntimeError("ledger unavailable")

    with pytest.raises(RuntimeError):
        store.finish(summary, on_commit=failing_hook)
    with db.session() as s:
        run = s.get(CatalogRun, store.run_id)
        assert run.status is CatalogStatus.FAILED and "ledger unavailable" in run.error
        assert s.scalars(select(AuditEntry).where(
            AuditEntry.action == "catalog.test-marker")).first() is None
    assert _count(db, FileEntry, store.run_id) == 0


def test_the_relaxed_batch_connection_never_returns_to_the_pool(sqlite_url: str,
                                                                 ext4_image) -> None:
    """Batches are written with synchronous=NORMAL on a connection of their own; whether
    the run is finished or the store is simply dropped, that connection is closed, and
    every connection the pool hands out afterwards is fully synchronous again."""
    import gc
    from contextlib import ExitStack

    db = open_database(sqlite_url)
    try:
        image, _key = ext4_image
        sink = ListSink()
        run_catalog(image, sink,
                    options=CatalogOptions(detect_types=False, hash_content=False))
        store = CatalogStore(db, str(image))
        for record in sink.file_systems:
            store.file_system(record)
        for record in sink.entries[:50]:
            store.entry(record)
        store.flush()
        bulk = store._bulk.connection()
        assert bulk.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        del store, bulk
        gc.collect()
        with ExitStack() as stack:
            conns = [stack.enter_context(db.engine.connect()) for _ in range(5)]
            assert [c.exec_driver_sql("PRAGMA synchronous").scalar() for c in conns] == [2] * 5
            assert {c.exec_driver_sql("PRAGMA cache_size").scalar() for c in conns} == {-2000}
    finally:
        db.close()


def test_pauses_in_the_workers_output_reach_the_store_through_wrappers(ext4_image) -> None:
    """The engine tells the sink when the worker has nothing new (the store writes its
    buffered rows then); wrapping sinks pass that on."""
    from forensics.hashsets.matcher import HashMatcher, MatchingSink

    class Counting(ListSink):
        def __init__(self) -> None:
            super().__init__()
            self.pauses = 0

        def idle(self) -> None:
            self.pauses += 1

    image, _key = ext4_image
    inner = Counting()
    summary = run_catalog(image, MatchingSink(inner, HashMatcher([])),
                          options=CatalogOptions(detect_types=False))
    assert summary.entry_count == len(inner.entries) > 0
    assert inner.pauses >= 1


def test_pauses_are_used_to_checkpoint_what_the_batches_wrote(sqlite_url: str, ext4_image,
                                                              monkeypatch) -> None:
    """While the worker is busy, the store copies the write-ahead log into the database
    file, so that little is left to copy when the run ends."""
    import forensics.cataloging.store as store_module

    monkeypatch.setattr(store_module, "IDLE_CHECKPOINT_ROWS", 30)
    db = open_database(sqlite_url)
    try:
        image, _key = ext4_image
        sink = ListSink()
        run_catalog(image, sink, options=CatalogOptions(detect_types=False, hash_content=False))
        assert len(sink.entries) >= 40
        store = CatalogStore(db, str(image))
        for record in sink.file_systems:
            store.file_system(record)
        database_file = Path(db.engine.url.database)
        size_before = database_file.stat().st_size
        for record in sink.entries[:20]:
            store.entry(record)
        store.flush()
        store.idle()  # 20 rows written since the last checkpoint: not yet
        assert database_file.stat().st_size == size_before
        for record in sink.entries[20:40]:
            store.entry(record)
        store.flush()
        store.idle()
        assert database_file.stat().st_size > size_before
        store.idle()  # nothing new: no second checkpoint needed, and nothing breaks
    finally:
        db.close()


def test_a_wrapper_that_changes_only_entries_passes_every_other_call_on(ext4_image) -> None:
    from forensics.cataloging.engine import ForwardingSink

    class Recording(ListSink):
        def __init__(self) -> None:
            super().__init__()
            self.pauses = 0

        def idle(self) -> None:
            self.pauses += 1

    class Renaming(ForwardingSink):
        def entry(self, record) -> None:  # type: ignore[no-untyped-def]
            super().entry(record._replace(notable=True))

    image, _key = ext4_image
    inner = Recording()
    summary = run_catalog(image, Renaming(inner), options=CatalogOptions(detect_types=False))
    assert summary.entry_count == len(inner.entries) > 0
    assert all(e.notable for e in inner.entries)
    assert len(inner.volumes) == len(summary.volumes) and inner.file_systems
    assert inner.pauses >= 1
    ForwardingSink(None).entry(inner.entries[0])  # nothing wrapped: nothing to pass on
