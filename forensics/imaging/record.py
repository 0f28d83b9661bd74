"""The acquisition record: everything a court may ask about one imaging run.

A superset of what Guymager writes to its ``.info`` file: tool and library
versions, host, examiner, case and exhibit, source identity, start and end
times, speed, byte counts, every hash of source and image, per-segment SHA-256,
unreadable ranges, verification result and the reason a run stopped.

The record is a frozen dataclass tree with ``to_dict()``/``to_json()`` and a
matching ``from_dict()``; it is written beside the image as
``<name>.acquisition.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

RECORD_SUFFIX = ".acquisition.json"
RECORD_SCHEMA = "sealbag.acquisition/1"


class AcquisitionState(StrEnum):
    """Where an acquisition ended (or stands)."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"  # image written, verification not run
    VERIFIED = "verified"  # image written and verification matched
    VERIFICATION_FAILED = "verification_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    IMPORTED = "imported"  # read from another tool's log, not made by Sealbag


@dataclass(frozen=True, slots=True)
class ErrorRange:
    """A source range that could not be read and was zero-filled in the image.

    Attributes:
        offset: byte offset in the source.
        length: bytes in the range (whole sectors except possibly the last).
        error: error class, e.g. ``EIO`` (errno name) or a tool's wording.
    """

    offset: int
    length: int
    error: str

    @property
    def end(self) -> int:
        """Offset just past the range."""
        return self.offset + self.length


@dataclass(frozen=True, slots=True)
class SegmentFile:
    """One file of the written image set.

    Attributes:
        path: file name relative to the record's folder.
        size: bytes in the file.
        sha256: SHA-256 of the file's bytes (as written), lower-case hex.
        offset: first media byte stored in it (raw/split only; None for E01).
    """

    path: str
    size: int
    sha256: str
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class SourceIdentity:
    """What the source was.

    Attributes:
        path: path given by the user.
        kind: ``block-device`` or ``image-file`` (raw, split or EWF set).
        media_format: ``device``, ``raw``, ``split`` or ``ewf``.
        size: bytes in the media stream.
        sector_size: logical bytes per sector.
        physical_sector_size: physical bytes per sector, when known.
        model, vendor, serial, wwid: device identity from sysfs/udev, when known.
        removable: the kernel's removable flag, when known.
        kernel_read_only: the kernel's ``ro`` flag for the device, when known.
        hpa_dco: note on hidden areas (Host Protected Area, Device Configuration
            Overlay); "not determinable ..." when nothing was measured.
        files: stat of every source file (image files only).
        container_metadata: EWF header values of an E01 source.
        container_hashes: hashes stored inside an E01 source.
        mounts: mount entries that referenced the device when imaging began.
    """

    path: str
    kind: str
    media_format: str
    size: int
    sector_size: int = 512
    physical_sector_size: int | None = None
    model: str | None = None
    vendor: str | None = None
    serial: str | None = None
    wwid: str | None = None
    removable: bool | None = None
    kernel_read_only: bool | None = None
    hpa_dco: str = "not determinable"
    files: tuple[dict[str, Any], ...] = ()
    container_metadata: dict[str, str] = field(default_factory=dict)
    container_hashes: dict[str, str] = field(default_factory=dict)
    mounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HashCheck:
    """One comparison made during verification.

    Attributes:
        item: what was compared (``image md5``, ``segment EX-001.002 sha256`` ...).
        expected: the value recorded at acquisition.
        actual: the value recomputed now (None when it could not be computed).
        match: True when both are present and equal.
        segment: the segment file concerned, when the check is about one file.
        detail: error text when the value could not be computed.
    """

    item: str
    expected: str | None
    actual: str | None
    match: bool
    segment: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Verification:
    """Result of re-reading what was written (and optionally the source).

    Attributes:
        result: ``match``, ``mismatch`` or ``not_run``.
        started, ended: ISO 8601 UTC times.
        checks: every comparison made.
        mismatched_segments: files whose bytes changed since acquisition.
        source_reread: True when the source was read a second time.
        method: how the image was read back (e.g. ``raw files, page cache dropped``).
    """

    result: str = "not_run"
    started: str | None = None
    ended: str | None = None
    checks: tuple[HashCheck, ...] = ()
    mismatched_segments: tuple[str, ...] = ()
    source_reread: bool = False
    method: str = ""

    @property
    def matched(self) -> bool:
        """True when every check matched."""
        return self.result == "match"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return _plain(asdict(self))


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """The software and machine that made (or reported) the acquisition."""

    name: str
    version: str
    libraries: dict[str, str] = field(default_factory=dict)
    host: str = ""
    operating_system: str = ""
    user: str = ""
    command_line: str = ""


@dataclass(frozen=True, slots=True)
class AcquisitionRecord:
    """One imaging run, as recorded beside the image and in the case database.

    Hashes are lower-case hex keyed by algorithm name (``md5``, ``sha1``,
    ``sha256``). ``source_hashes`` cover the bytes read from the source, with any
    unreadable sectors zero-filled as listed in ``error_ranges``. ``image_hashes``
    cover the media stream stored in the image; they differ from the source hashes
    only when ``padding_bytes`` > 0 (an E01 of a source whose size is not a whole
    number of sectors: EWF stores whole sectors, so the image media is the source
    followed by ``padding_bytes`` zero bytes).
    """

    schema: str
    tool: ToolInfo
    state: str
    case_reference: str | None
    exhibit_reference: str | None
    examiner: str | None
    description: str | None
    notes: str | None
    source: SourceIdentity
    image_format: str
    image_name: str
    output_dir: str
    segment_size: int | None
    segments: tuple[SegmentFile, ...]
    algorithms: tuple[str, ...]
    source_hashes: dict[str, str]
    image_hashes: dict[str, str]
    padding_bytes: int
    bytes_total: int
    bytes_read: int
    bytes_zero_filled: int
    error_ranges: tuple[ErrorRange, ...]
    error_policy: str
    started: str
    ended: str | None
    duration_seconds: float | None
    speed_mb_per_s: float | None
    verification: Verification
    abort_reason: str | None = None
    warnings: tuple[str, ...] = ()
    writer: str = ""
    container_hashes_stored: dict[str, str] = field(default_factory=dict)
    imported_from: str | None = None
    unconfirmed_fields: tuple[str, ...] = ()
    write_blocker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return _plain(asdict(self))

    def to_json(self) -> str:
        """Stable, indented JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AcquisitionRecord:
        """Rebuild a record from :meth:`to_dict` output.

        Raises:
            ValueError: the dict is not an acquisition record.
        """
        if not str(data.get("schema", "")).startswith("sealbag.acquisition/"):
            raise ValueError("not a Sealbag acquisition record")
        values = dict(data)
        values["tool"] = ToolInfo(**data["tool"])
        src = dict(data["source"])
        src["files"] = tuple(src.get("files", ()))
        src["mounts"] = tuple(src.get("mounts", ()))
        values["source"] = SourceIdentity(**src)
        values["segments"] = tuple(SegmentFile(**s) for s in data["segments"])
        values["error_ranges"] = tuple(ErrorRange(**e) for e in data["error_ranges"])
        ver = dict(data["verification"])
        ver["checks"] = tuple(HashCheck(**c) for c in ver.get("checks", ()))
        ver["mismatched_segments"] = tuple(ver.get("mismatched_segments", ()))
        values["verification"] = Verification(**ver)
        for name in ("algorithms", "warnings", "unconfirmed_fields"):
            values[name] = tuple(data.get(name, ()))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def record_path(output_dir: str | os.PathLike[str], image_name: str) -> Path:
    """Path of the JSON record for ``image_name`` in ``output_dir``."""
    return Path(output_dir) / f"{image_name}{RECORD_SUFFIX}"


def write_record(record: AcquisitionRecord, path: str | os.PathLike[str]) -> Path:
    """Write the record as JSON atomically (temp file, fsync, rename).

    Returns:
        The path written.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".record-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(record.to_json())
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_record(path: str | os.PathLike[str]) -> AcquisitionRecord:
    """Load a record written by :func:`write_record`.

    Raises:
        ValueError: the file is not a Sealbag acquisition record.
        OSError: the file cannot be read.
    """
    with open(path, encoding="utf-8") as fh:
        return AcquisitionRecord.from_dict(json.load(fh))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
