"""Store a catalog run in the case database with batched Core inserts.

A run row is written first with status ``running``; entries follow in batches
(``insert(FileEntry)`` executemany, one transaction per batch, never an ORM
flush per row). Only :meth:`CatalogStore.finish` with a complete or incomplete
summary sets the final status. A failed or cancelled run keeps its run row (so
the attempt and its error are on record) but its volumes, file systems and
entries are deleted: no half catalog can be mistaken for a listing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from forensics.cataloging.engine import CatalogSink
from forensics.cataloging.records import (
    CatalogSummary,
    EntryRecord,
    FileSystemRecord,
    Gap,
    RunStatus,
    VolumeRecord,
)
from forensics.database.enums import CatalogStatus
from forensics.database.hashkey import KEY_OFFSET
from forensics.database.models import CatalogRun, FileEntry, FileSystem, Volume
from forensics.database.session import Database
from forensics.textsafe import escape_for_display

BATCH_ROWS = 5000
BULK_CACHE_KIB = 64 << 10
"""SQLite page cache while a batch is written (the default is 2 MiB)."""
BULK_CHECKPOINT_PAGES = 1 << 16
"""Write-ahead log pages (4 KiB) before a batch commit copies them into the database
file itself: batches are not checkpointed one by one (each checkpoint syncs the file)."""
IDLE_FLUSH_ROWS = 2000
"""Rows buffered before a pause in the worker's output is used to write them."""
IDLE_CHECKPOINT_ROWS = 10_000
"""Rows stored before a pause in the worker's output is used to checkpoint the log, so
that closing the connection at the end of the run has little left to copy."""
ENTRY_COLUMNS = (
    "run_id", "file_system_id", "path", "path_raw", "name", "meta_addr", "meta_seq", "stream",
    "entry_type", "size", "allocated", "orphan", "mtime_ns", "atime_ns", "ctime_ns",
    "crtime_ns", "mode", "uid", "gid", "md5", "sha256", "md5_key", "sha256_key", "mime_type",
    "mime_description", "extension_mismatch", "known", "notable", "hash_set_id", "error",
)


def _ns(value: Any) -> int | None:
    if value is None:
        return None
    ns = value[0] * 1_000_000_000 + value[1]
    # BIGINT holds about +-292 years around 1970 in nanoseconds; beyond that keep None
    # rather than a wrong value (the JSONL output still carries the raw seconds).
    return ns if _I64_MIN <= ns <= _I64_MAX else None


def _safe(text: str | None) -> str | None:
    """Text from the worker as stored: never a lone surrogate (UTF-8 and JSON reject them)."""
    if text is None or text.isprintable():
        return text
    return escape_for_display(text)


_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


class _BulkConnection:
    """The connection a run's batches are written on, opened on first use.

    On SQLite, batches are committed without an fsync (WAL mode: a power cut can
    lose the last batches but never corrupts the database). That is safe because a
    run only becomes complete in :meth:`CatalogStore.finish`, in a transaction with
    ``synchronous=FULL`` on another connection, whose fsync of the write-ahead log
    also makes every earlier batch durable (the log is written in order); a run cut
    off before that stays ``running`` and is never mistaken for a listing. The
    connection also gets a larger page cache (the hash keys land on random pages) and
    checkpoints only when asked (:meth:`checkpoint`, while the worker is busy anyway).
    Because of these settings it is never handed back to the pool: :meth:`close` (or
    garbage collection) discards it.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Any = None
        self._finalizer: weakref.finalize | None = None

    def connection(self) -> Any:
        if self._conn is None:
            conn = self._db.engine.connect()
            try:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
                    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
                    conn.commit()  # ends the autobegun (empty) transaction
            except BaseException:
                _discard(conn)
                raise
            self._conn = conn
            self._finalizer = weakref.finalize(self, _discard, conn)
        return self._conn

    def checkpoint(self) -> None:
        """Copy the committed log into the database file (SQLite; PASSIVE: never waits
        for readers)."""
        if self._conn is not None and self._conn.dialect.name == "sqlite":
            self._conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()
            self._conn.commit()

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._conn = self._finalizer = None


def _discard(conn: Any) -> None:
    """Close a connection for good (its settings must not reach another user)."""
    try:
        conn.invalidate()
    finally:
        conn.close()


class CatalogStore(CatalogSink):
    """A sink that writes one catalog run to the database.

    Args:
        db: the open case database.
        image_path: the image catalogued (as given).
        exhibit_id: database id of the exhibit, if any.
        acquisition_id: database id of the acquisition the image came from, if any.
        options: the run's options, recorded with it.
        hash_set_ids: hash set name -> database id, to link matched entries.
    """

    def __init__(self, db: Database, image_path: str, *, exhibit_id: int | None = None,
                 acquisition_id: int | None = None, options: dict[str, Any] | None = None,
                 image_sha256: str | None = None,
                 hash_set_ids: dict[str, int] | None = None) -> None:
        self._db = db
        self._fs_ids: dict[int, int] = {}
        self._vol_ids: dict[int, int] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._insert_sql: tuple[str, bool] | None = None
        self._bulk = _BulkConnection(db)
        self._hash_set_ids = hash_set_ids or {}
        self.stored = 0
        self._checkpointed = 0
        with db.engine.begin() as conn:
            result = conn.execute(insert(CatalogRun).values(
                exhibit_id=exhibit_id, acquisition_id=acquisition_id, image_path=image_path,
                image_sha256=image_sha256, status=CatalogStatus.RUNNING,
                started_at=datetime.now(UTC), entry_count=0, gaps=[],
                options=options or {}, tool_versions={},
            ))
            self.run_id: int = int(result.inserted_primary_key[0])

    def volume(self, record: VolumeRecord) -> None:
        with self._db.engine.begin() as conn:
            result = conn.execute(insert(Volume).values(
                run_id=self.run_id, slot=record.slot, scheme=record.scheme,
                start_sector=record.start_sector, length_sectors=record.length_sectors,
                sector_size=record.sector_size, description=record.description,
                allocated=record.allocated,
            ))
            self._vol_ids[record.index] = int(result.inserted_primary_key[0])

    def file_system(self, record: FileSystemRecord) -> None:
        with self._db.engine.begin() as conn:
            result = conn.execute(insert(FileSystem).values(
                run_id=self.run_id, volume_id=self._vol_ids.get(record.volume_index),
                offset_bytes=record.offset_bytes, fs_type=record.fs_type,
                block_size=record.block_size, block_count=record.block_count,
                label=record.label, status=record.status, error=record.error,
            ))
            self._fs_ids[record.index] = int(result.inserted_primary_key[0])

    def entry(self, record: EntryRecord) -> None:
        (fs_index, _offset, path, path_raw, name, _name_raw, stream, meta_addr, meta_seq,
         _attr_type, _attr_id, name_type, meta_type, size, allocated, _meta_alloc, orphan,
         mtime, atime, ctime, crtime, mode, uid, gid, md5, sha256, _bytes_hashed, mime, desc,
         mismatch, known, notable, hash_set, error) = record
        # Written out rather than through helpers: this runs once per name on the media.
        # Out-of-range integers (a hostile image can claim anything) are stored as NULL.
        self._rows.append((
            self.run_id,
            self._fs_ids.get(fs_index),
            path,
            None if path_raw.decode("utf-8", "surrogateescape") == path else path_raw,
            name,
            meta_addr if meta_addr is None or _I64_MIN <= meta_addr <= _I64_MAX else None,
            meta_seq if meta_seq is None or _I32_MIN <= meta_seq <= _I32_MAX else None,
            stream,
            f"{name_type}/{meta_type}",
            size if size is None or _I64_MIN <= size <= _I64_MAX else None,
            allocated,
            orphan,
            _ns(mtime),
            _ns(atime),
            _ns(ctime),
            _ns(crtime),
            mode if mode is None or _I32_MIN <= mode <= _I32_MAX else None,
            uid if uid is None or _I64_MIN <= uid <= _I64_MAX else None,
            gid if gid is None or _I64_MIN <= gid <= _I64_MAX else None,
            md5,
            sha256,
            # hash_key() written out: the wire decoder has checked both digests' form
            None if md5 is None else int(md5[:16], 16) - KEY_OFFSET,
            None if sha256 is None else int(sha256[:16], 16) - KEY_OFFSET,
            _safe(mime[:127]) if mime else None,
            None if desc is None else _safe(desc),
            mismatch,
            known,
            notable,
            None if hash_set is None else self._hash_set_ids.get(hash_set),
            None if error is None else _safe(error),
        ))
        if len(self._rows) >= BATCH_ROWS:
            self.flush()

    def gap(self, record: Gap) -> None:
        """Gaps are stored with the run at the end."""

    def flush(self) -> None:
        """Write the buffered entries in one transaction."""
        if not self._rows:
            return
        conn = self._bulk.connection()
        with conn.begin():
            sql, positional = self._compiled(conn)
            params = self._rows if positional else [
                dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in self._rows]
            conn.exec_driver_sql(sql, params)  # one executemany per batch
        self.stored += len(self._rows)
        self._rows = []

    def idle(self) -> None:
        """The worker has nothing new yet: write what is buffered, or checkpoint what is
        written, meanwhile, so little is left to do when the walk ends."""
        if len(self._rows) >= IDLE_FLUSH_ROWS:
            self.flush()
        elif self.stored - self._checkpointed >= IDLE_CHECKPOINT_ROWS:
            self._checkpointed = self.stored
            self._bulk.checkpoint()

    def _compiled(self, conn: Any) -> tuple[str, bool]:
        """The ``insert(FileEntry)`` statement compiled once for this dialect.

        Rows are handed to the driver's executemany as plain tuples: per-row
        parameter processing in SQLAlchemy would cost more than the insert itself.
        Every column type used here (integers, text, booleans, bytes) is passed
        through unchanged by both SQLite and psycopg.
        """
        if self._insert_sql is None:
            compiled = insert(FileEntry).compile(dialect=conn.dialect,
                                                 column_keys=list(ENTRY_COLUMNS))
            positional = bool(compiled.positional)
            if positional:
                order = list(compiled.positiontup or [])
                if order != list(ENTRY_COLUMNS):
                    raise RuntimeError("unexpected parameter order in the compiled insert")
            self._insert_sql = (compiled.string, positional)
        return self._insert_sql

    def finish(self, summary: CatalogSummary,
               on_commit: Callable[[Session, CatalogStatus, int], None] | None = None,
               ) -> CatalogStatus:
        """Record how the run ended; drop the rows of a failed or cancelled run.

        Args:
            summary: the engine's summary.
            on_commit: called with a session, the final status and the entry count in
                the transaction that sets the final status, before that update (the
                custody ledger locks the exhibit's chain first): what it writes (a
                custody event, audit rows) commits together with the status, or not at
                all. If it raises, the run is marked failed and its rows deleted.

        Returns:
            The status stored.
        """
        status = CatalogStatus(summary.status.value)
        values: dict[str, Any] = {
            "status": status, "ended_at": datetime.now(UTC), "error": _safe(summary.error),
            "gaps": [{"where": _safe(g.where), "reason": _safe(g.reason), "kind": "gap"}
                     for g in summary.gaps]
            + [{"where": _safe(n.where), "reason": _safe(n.reason), "kind": "anomaly"}
               for n in summary.notes],
            "tool_versions": summary.tool_versions,
        }
        if summary.status in (RunStatus.COMPLETE, RunStatus.INCOMPLETE):
            try:
                self.flush()
            except Exception:
                self.abandon(f"storing the last batch failed; {summary.error or ''}".strip())
                raise
            self._bulk.close()
            values["entry_count"] = self.stored
            try:
                with self._db.session() as session:
                    if on_commit is not None:
                        on_commit(session, status, self.stored)
                    session.execute(update(CatalogRun).where(CatalogRun.id == self.run_id)
                                    .values(**values))
            except Exception as exc:
                self.abandon(f"recording the end of the run failed: "
                             f"{' '.join(str(exc).split())[:300]}")
                raise
            return status
        self._rows = []
        self._bulk.close()
        with self._db.engine.begin() as conn:
            self._delete_rows(conn)
            conn.execute(update(CatalogRun).where(CatalogRun.id == self.run_id)
                         .values(entry_count=0, **values))
        if on_commit is not None:
            with self._db.session() as session:
                on_commit(session, status, 0)
        return status

    def abandon(self, reason: str) -> None:
        """Mark the run failed and delete its rows (used when storing itself failed)."""
        self._rows = []
        self._bulk.close()
        with self._db.engine.begin() as conn:
            self._delete_rows(conn)
            conn.execute(update(CatalogRun).where(CatalogRun.id == self.run_id).values(
                status=CatalogStatus.FAILED, ended_at=datetime.now(UTC), error=reason,
                entry_count=0))

    def _delete_rows(self, conn: Any) -> None:
        conn.execute(delete(FileEntry).where(FileEntry.run_id == self.run_id))
        conn.execute(delete(FileSystem).where(FileSystem.run_id == self.run_id))
        conn.execute(delete(Volume).where(Volume.run_id == self.run_id))
