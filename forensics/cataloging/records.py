"""Plain records produced by a catalog run (independent of the database).

The worker process builds these and streams them to the parent; the store,
the CLI's ``--jsonl`` output and the export all consume them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from forensics.cataloging.names import is_lossless

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RunStatus(StrEnum):
    """How a catalog run ended. Only ``complete`` is a full listing."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Timestamp(NamedTuple):
    """A file system time exactly as read, plus its UTC rendering.

    Attributes:
        seconds: whole seconds since 1970-01-01 UTC as the file system gave them.
        nanoseconds: the sub-second part in nanoseconds (0 when the FS has none).
        resolution_ns: finest unit this file system records, in nanoseconds.
    """

    seconds: int
    nanoseconds: int
    resolution_ns: int

    @property
    def total_ns(self) -> int:
        """Nanoseconds since the epoch."""
        return self.seconds * 1_000_000_000 + self.nanoseconds

    def iso_utc(self) -> str | None:
        """ISO 8601 UTC text, or None when the value is outside what a calendar date can show."""
        try:
            moment = _EPOCH + timedelta(seconds=self.seconds)
        except (OverflowError, ValueError):
            return None
        digits = {1: 9, 10: 8, 100: 7, 1_000: 6, 10_000: 5, 100_000: 4, 1_000_000: 3,
                  10_000_000: 2}.get(self.resolution_ns, 0)
        base = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if digits:
            frac = f"{self.nanoseconds:09d}"[:digits]
            base += "." + frac
        return base + "Z"

    def to_dict(self) -> dict[str, Any]:
        return {
            "utc": self.iso_utc(), "seconds": self.seconds,
            "nanoseconds": self.nanoseconds, "resolution_ns": self.resolution_ns,
        }


@dataclass(frozen=True, slots=True)
class VolumeRecord:
    """A partition-table entry, or the whole media when there is no table."""

    index: int
    scheme: str  # dos, gpt, mac, bsd, sun, none
    slot: str | None
    start_sector: int
    length_sectors: int
    sector_size: int
    description: str
    allocated: bool
    kind: str  # partition, unallocated, meta, whole

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FileSystemRecord:
    """A file system opened at an offset, or why none could be opened there."""

    index: int
    volume_index: int
    offset_bytes: int
    fs_type: str | None
    status: str  # parsed, unknown, error
    block_size: int | None = None
    block_count: int | None = None
    root_inum: int | None = None
    label: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EntryRecord(NamedTuple):
    """One name (allocated or deleted) or NTFS named data stream, as ``fls -r -p`` lists it.

    Immutable; a named tuple rather than a dataclass because a catalog builds
    millions of them and a tuple is built in a tenth of the time.
    """

    fs_index: int
    partition_offset: int
    path: str
    path_raw: bytes
    name: str
    name_raw: bytes
    stream: str | None
    meta_addr: int | None
    meta_seq: int | None
    attr_type: int | None
    attr_id: int | None
    name_type: str
    meta_type: str
    size: int | None
    allocated: bool
    meta_allocated: bool | None
    orphan: bool
    mtime: Timestamp | None
    atime: Timestamp | None
    ctime: Timestamp | None
    crtime: Timestamp | None
    mode: int | None
    uid: int | None
    gid: int | None
    md5: str | None = None
    sha256: str | None = None
    bytes_hashed: int | None = None
    mime_type: str | None = None
    mime_description: str | None = None
    extension_mismatch: bool = False
    known: bool = False
    notable: bool = False
    hash_set: str | None = None
    error: str | None = None

    @property
    def entry_type(self) -> str:
        """Meta type letter where the metadata is known, else the name type letter."""
        return self.meta_type if self.meta_type != "-" else self.name_type

    def to_dict(self) -> dict[str, Any]:
        """The ``--jsonl`` object for this entry."""
        return {
            "path": self.path,
            "path_raw_hex": None if is_lossless(self.path_raw) else self.path_raw.hex(),
            "name": self.name,
            "stream": self.stream,
            "type": f"{self.name_type}/{self.meta_type}",
            "size": self.size,
            "allocated": self.allocated,
            "deleted": not self.allocated,
            "orphan": self.orphan,
            "meta_address": self.meta_addr,
            "meta_sequence": self.meta_seq,
            "attribute": None if self.attr_type is None else f"{self.attr_type}-{self.attr_id}",
            "partition_offset": self.partition_offset,
            "times": {
                k: (v.to_dict() if v is not None else None)
                for k, v in (("modified", self.mtime), ("accessed", self.atime),
                             ("changed", self.ctime), ("created", self.crtime))
            },
            "mode": self.mode,
            "uid": self.uid,
            "gid": self.gid,
            "md5": self.md5,
            "sha256": self.sha256,
            "bytes_hashed": self.bytes_hashed,
            "mime": self.mime_type,
            "description": self.mime_description,
            "mismatch": self.extension_mismatch,
            "known": self.known,
            "notable": self.notable,
            "hash_set": self.hash_set,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Gap:
    """A part of the media the run could not cover, and why (or, as a note, an anomaly
    seen on the way that did not stop anything from being listed)."""

    where: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class CatalogSummary:
    """The outcome of a catalog run."""

    image_path: str
    status: RunStatus
    media_size: int = 0
    media_format: str = ""
    volume_system: str | None = None
    volumes: list[VolumeRecord] = field(default_factory=list)
    file_systems: list[FileSystemRecord] = field(default_factory=list)
    entry_count: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    gaps: list[Gap] = field(default_factory=list)
    notes: list[Gap] = field(default_factory=list)
    error: str | None = None
    tool_versions: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def complete(self) -> bool:
        """True only for a run that listed everything it set out to list."""
        return self.status is RunStatus.COMPLETE

    def to_dict(self) -> dict[str, Any]:
        return {
            "image_path": self.image_path,
            "status": self.status.value,
            "media_size": self.media_size,
            "media_format": self.media_format,
            "volume_system": self.volume_system,
            "volumes": [v.to_dict() for v in self.volumes],
            "file_systems": [f.to_dict() for f in self.file_systems],
            "entry_count": self.entry_count,
            "files_hashed": self.files_hashed,
            "bytes_hashed": self.bytes_hashed,
            "gaps": [g.to_dict() for g in self.gaps],
            "notes": [n.to_dict() for n in self.notes],
            "error": self.error,
            "tool_versions": self.tool_versions,
            "elapsed_s": round(self.elapsed_s, 3),
        }
