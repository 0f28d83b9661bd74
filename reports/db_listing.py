"""The S15 file listing streamed from stored catalog runs (``FileEntry`` rows), never held whole."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forensics.database.enums import CatalogStatus
from forensics.database.models import CatalogRun, Exhibit, FileEntry, HashSet
from reports.db_acquisition import local_iso
from reports.model import FileRow

LISTING_BATCH = 5000
MAX_NOTES_SHOWN = 20


@dataclasses.dataclass(frozen=True)
class HashSetCitation:
    """A hash set that marked files known/notable in a listed catalog run."""

    name: str
    version: str
    kind: str
    format: str
    source_sha256: str
    entry_count: int
    matched_entries: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _ns_iso(value: int | None) -> str:
    """UTC nanoseconds as ISO 8601 with offset (microsecond precision), '' when unknown."""
    if value is None:
        return ""
    seconds, rest = divmod(value, 1_000_000_000)
    try:
        stamp = datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)
    except (OverflowError, OSError, ValueError):
        return ""
    return stamp.isoformat()


def latest_complete_run(session: Session, exhibit: Exhibit) -> CatalogRun | None:
    """The newest catalog run of ``exhibit`` with status ``complete`` (a whole listing)."""
    return session.scalars(
        select(CatalogRun)
        .where(CatalogRun.exhibit_id == exhibit.id, CatalogRun.status == CatalogStatus.COMPLETE)
        .order_by(CatalogRun.id.desc())
        .limit(1)
    ).first()


_LISTING_COLUMNS = (
    FileEntry.id,
    FileEntry.path,
    FileEntry.path_raw,
    FileEntry.stream,
    FileEntry.allocated,
    FileEntry.size,
    FileEntry.mtime_ns,
    FileEntry.atime_ns,
    FileEntry.ctime_ns,
    FileEntry.crtime_ns,
    FileEntry.sha256,
)


def exact_name(display: str, raw: bytes | None) -> str:
    """The name to list: the exact text when the stored bytes are UTF-8, else the display form.

    The catalog keeps the display form in ``path`` (invisible and control characters shown as
    ``⟨U+XXXX⟩``) and the exact bytes in ``path_raw`` when the two differ. The bundle escapes
    names itself (one-to-one, so a literal ``⟨`` is escaped too); handing it the display form
    would escape the escapes. Names that are not UTF-8 cannot be exact text in the UTF-8
    listing CSV, so they keep the display form (``⟨0xFF⟩`` for each undecodable byte).
    """
    if raw is None:
        return display
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return display


def iter_listing_batches(
    engine: Engine, run_id: int, batch_size: int = LISTING_BATCH
) -> Iterator[list[Any]]:
    """``FileEntry`` rows of one run in id order, at most ``batch_size`` at a time.

    Each batch is one short read on its own connection, so no transaction stays open while the
    bundle is rendered and never more than one batch is in memory.

    A catalog writes a run's entries in bulk, so they occupy one id range. The run's first and
    last id are read once; each batch is then the run's rows in the next window of
    ``batch_size`` ids, a bounded primary-key range read whatever plan the database picks.
    ``run_id + 0`` keeps the planner off the ``(run_id, path)`` index, which would read and sort
    the whole run for every batch (quadratic on a catalog of millions of entries).
    """
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(FileEntry.id), func.max(FileEntry.id)).where(FileEntry.run_id == run_id)
        ).one()
    if first is None:
        return
    start = first
    while start <= last:
        end = min(start + batch_size - 1, last)
        with engine.connect() as conn:
            batch = conn.execute(
                select(*_LISTING_COLUMNS)
                .where(
                    FileEntry.id >= start,
                    FileEntry.id <= end,
                    (FileEntry.run_id + 0) == run_id,
                )
                .order_by(FileEntry.id)
            ).all()
        if batch:
            yield batch
        start = end + 1


def iter_listing_rows(
    engine: Engine, runs: Sequence[tuple[str, int]], batch_size: int = LISTING_BATCH
) -> Iterator[FileRow]:
    """Listing rows for ``(exhibit ID, run id)`` pairs, streamed batch by batch.

    Paths are the exact names where they are text (see :func:`exact_name`), so the listing
    CSV keeps them and the PDF escapes them once. Named streams print as ``path:stream`` and
    unallocated (deleted) names carry `` [deleted]``.
    """
    for exhibit_id, run_id in runs:
        for batch in iter_listing_batches(engine, run_id, batch_size):
            for _id, path, raw, stream, allocated, size, mtime, atime, ctime, crtime, sha in batch:
                name = exact_name(path, raw)
                shown = f"{name}:{stream}" if stream else name
                if not allocated:
                    shown += " [deleted]"
                yield FileRow(
                    exhibit_id=exhibit_id,
                    path=shown,
                    size=int(size or 0),
                    modified=_ns_iso(mtime),
                    accessed=_ns_iso(atime),
                    changed=_ns_iso(ctime),
                    created=_ns_iso(crtime),
                    sha256=sha or "",
                )


class ListingSource:
    """A re-callable source of listing rows (``CaseData.file_rows``) over stored runs."""

    def __init__(
        self, engine: Engine, runs: Sequence[tuple[str, int]], batch_size: int = LISTING_BATCH
    ) -> None:
        self.engine = engine
        self.runs = tuple(runs)
        self.batch_size = batch_size

    def __call__(self) -> Iterator[FileRow]:
        return iter_listing_rows(self.engine, self.runs, self.batch_size)


def hash_set_citations(session: Session, run_ids: Sequence[int]) -> list[HashSetCitation]:
    """Hash sets that matched entries in these runs, with how many entries each matched."""
    if not run_ids:
        return []
    counts = session.execute(
        select(FileEntry.hash_set_id, func.count(FileEntry.id))
        .where(FileEntry.run_id.in_(run_ids), FileEntry.hash_set_id.is_not(None))
        .group_by(FileEntry.hash_set_id)
    ).all()
    citations = []
    for set_id, matched in counts:
        hash_set = session.get(HashSet, set_id)
        if hash_set is None:
            continue
        citations.append(
            HashSetCitation(
                name=hash_set.name,
                version=hash_set.version,
                kind=str(hash_set.kind),
                format=hash_set.format,
                source_sha256=hash_set.source_sha256 or "",
                entry_count=int(hash_set.entry_count or 0),
                matched_entries=int(matched),
            )
        )
    return sorted(citations, key=lambda c: (c.name, c.version))


def listing_details(
    session: Session, run: CatalogRun, zone_name: str | None
) -> tuple[tuple[str, str], ...]:
    """S15 lines telling where a listing comes from and which hash sets it cites."""
    tools = ", ".join(f"{k} {v}" for k, v in sorted((run.tool_versions or {}).items()))
    ended = local_iso(run.ended_at, zone_name) or "unknown"
    source = f"run #{run.id} (complete), {int(run.entry_count or 0):,} entries, ended {ended}"
    if run.image_sha256:
        source += f"; image SHA-256 {run.image_sha256}"
    if tools:
        source += f"; tools: {tools}"
    details = [("Catalog run", source)]
    notes = [g for g in run.gaps or () if isinstance(g, Mapping)]
    if notes:
        details.append(
            (
                "Catalog notes",
                "; ".join(
                    f"{g.get('where', '')}: {g.get('reason', '')}" for g in notes[:MAX_NOTES_SHOWN]
                ),
            )
        )
    citations = hash_set_citations(session, [run.id])
    if citations:
        details.append(
            (
                "Hash sets cited",
                "; ".join(
                    f"{c.name} {c.version} ({c.kind}, {c.format}, {c.entry_count:,} hashes"
                    + (f", source file SHA-256 {c.source_sha256}" if c.source_sha256 else "")
                    + f"): {c.matched_entries:,} listed entries matched"
                    for c in citations
                ),
            )
        )
    return tuple(details)


__all__ = [
    "LISTING_BATCH",
    "HashSetCitation",
    "ListingSource",
    "exact_name",
    "hash_set_citations",
    "iter_listing_batches",
    "iter_listing_rows",
    "latest_complete_run",
    "listing_details",
]
