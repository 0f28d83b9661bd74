"""Read stored catalogs back: runs of an exhibit, and entries to export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from forensics.cataloging.export import ExportItem
from forensics.database.enums import CatalogStatus
from forensics.database.hashkey import hash_key, parse_digest
from forensics.database.models import CatalogRun, FileEntry, FileSystem
from forensics.errors import NotFoundError


def list_runs(session: Any, exhibit_id: int) -> list[dict[str, Any]]:
    """Every catalog run of an exhibit, newest first, as plain dicts."""
    rows = session.scalars(select(CatalogRun).where(CatalogRun.exhibit_id == exhibit_id)
                           .order_by(CatalogRun.id.desc())).all()
    return [{"id": r.id, "status": r.status.value, "image_path": r.image_path,
             "started_at": r.started_at, "ended_at": r.ended_at, "entries": r.entry_count,
             "gaps": len([g for g in r.gaps if g.get("kind") != "anomaly"]),
             "error": r.error} for r in rows]


def latest_listing(session: Any, exhibit_id: int) -> CatalogRun:
    """The newest complete (or, failing that, incomplete) catalog run of an exhibit.

    Raises:
        NotFoundError: the exhibit has no usable catalog.
    """
    for status in (CatalogStatus.COMPLETE, CatalogStatus.INCOMPLETE):
        run = session.scalars(select(CatalogRun).where(
            CatalogRun.exhibit_id == exhibit_id, CatalogRun.status == status)
            .order_by(CatalogRun.id.desc())).first()
        if run is not None:
            return run
    raise NotFoundError("this exhibit has no complete catalog; run sealbag catalog first")


def entries_with_hash(session: Any, digest: str, *, run_id: int | None = None,
                      limit: int | None = None) -> list[FileEntry]:
    """Stored entries whose MD5 (32 hex digits) or SHA-256 (64) is ``digest``, in id order.

    Uses the integer lookup key's index, then compares the whole digest.

    Raises:
        ValueError: ``digest`` is not an MD5 or SHA-256 in hex.
    """
    text = parse_digest(digest)
    key_column, column = ((FileEntry.md5_key, FileEntry.md5) if len(text) == 32
                          else (FileEntry.sha256_key, FileEntry.sha256))
    stmt = select(FileEntry).where(key_column == hash_key(text), column == text)
    if run_id is not None:
        stmt = stmt.where(FileEntry.run_id == run_id)
    stmt = stmt.order_by(FileEntry.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt).all())


def export_items(session: Any, run_id: int, *, paths: tuple[str, ...] = (),
                 notable: bool = False, mismatch: bool = False,
                 all_files: bool = False) -> list[ExportItem]:
    """Entries of a stored run selected for export (files with content only).

    Raises:
        NotFoundError: a requested path is not in the run (or has no content).
    """
    stmt = (select(FileEntry, FileSystem.offset_bytes)
            .join(FileSystem, FileSystem.id == FileEntry.file_system_id)
            .where(FileEntry.run_id == run_id, FileEntry.sha256.is_not(None),
                   FileEntry.meta_addr.is_not(None)))
    if not all_files:
        conditions = []
        if paths:
            conditions.append(FileEntry.path.in_(paths))
        if notable:
            conditions.append(FileEntry.notable.is_(True))
        if mismatch:
            conditions.append(FileEntry.extension_mismatch.is_(True))
        if not conditions:
            return []
        stmt = stmt.where(or_(*conditions))
    items: list[ExportItem] = []
    found: set[str] = set()
    # file systems were stored in the order found, so their position is the walk's index
    fs_ids = session.scalars(select(FileSystem.id).where(FileSystem.run_id == run_id)
                             .order_by(FileSystem.id)).all()
    fs_index = {fs_id: i for i, fs_id in enumerate(fs_ids)}
    for entry, offset in session.execute(stmt.order_by(FileEntry.id)).all():
        found.add(entry.path)
        raw = entry.path_raw if entry.path_raw is not None else entry.path.encode("utf-8")
        items.append(ExportItem(raw, fs_index[entry.file_system_id], offset, entry.meta_addr,
                                entry.stream, entry.size, entry.sha256, entry.md5))
    missing = set(paths) - found
    if missing:
        raise NotFoundError(f"not in the stored catalog (or no content): {sorted(missing)[0]!r}")
    return items
