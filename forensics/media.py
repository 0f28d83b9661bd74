"""Read-only random access to evidence media: raw, split raw and EWF (E01) sets.

This is the one place that knows how an image set is laid out on disk. The
acquisition engine reads image files through it (to re-acquire a seized image
into the store, or to verify what it wrote) and the catalog engine hands it to
pytsk3. Nothing here ever opens a file for writing.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from forensics.errors import BackEndError, NotFoundError, UserInputError


class MediaFormat(StrEnum):
    """How an image set is stored."""

    RAW = "raw"
    SPLIT = "split"
    EWF = "ewf"
    DEVICE = "device"


_SPLIT_RE = re.compile(r"^(?P<stem>.+)\.(?P<num>\d{3,})$")
_EWF_RE = re.compile(r"\.[Ee](?:0[1-9]|[1-9]\d|[A-Za-z]{2})$")


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What is known about an opened image set.

    Attributes:
        format: storage format of the set.
        segments: every file of the set, in reading order.
        size: size in bytes of the media stream (for EWF: the media, not the files).
        sector_size: bytes per sector where the format records it, else 512.
        metadata: format header values (EWF: case_number, examiner_name, ...).
        stored_hashes: hashes recorded inside the container (EWF: MD5, SHA1), lower-case hex.
    """

    format: MediaFormat
    segments: tuple[Path, ...]
    size: int
    sector_size: int = 512
    metadata: dict[str, str] = field(default_factory=dict)
    stored_hashes: dict[str, str] = field(default_factory=dict)


class MediaReader(Protocol):
    """Random-access, read-only view of a media stream."""

    info: MediaInfo

    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes from ``offset`` (short only at the end)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def discover_segments(path: str | os.PathLike[str]) -> tuple[MediaFormat, list[Path]]:
    """Work out the format of an image set from one of its file names.

    ``NAME.E01`` (+ ``.E02`` … ``.EAA`` …) is an EWF set; ``NAME.000`` or ``NAME.001``
    (+ following numbers, same width) is split raw; anything else is a single raw
    image (or a block device).

    Raises:
        NotFoundError: the path does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"image not found: {p} (check the path)")
    if stat.S_ISBLK(p.stat().st_mode):
        return MediaFormat.DEVICE, [p]
    if _EWF_RE.search(p.name):
        first = p.with_name(p.name[:-3] + p.name[-3] + "01")
        if first.exists():
            p = first
        import pyewf  # local import: only EWF sets need libewf

        try:
            names = pyewf.glob(str(p))
        except (OSError, RuntimeError):
            names = [str(p)]
        return MediaFormat.EWF, [Path(n) for n in names]
    m = _SPLIT_RE.match(p.name)
    if m:
        width = len(m["num"])
        num = int(m["num"])
        start = num
        # step back to the first segment when a later one was named
        while start > 0 and p.with_name(f"{m['stem']}.{start - 1:0{width}d}").exists():
            start -= 1
        segs = []
        n = start
        while (seg := p.with_name(f"{m['stem']}.{n:0{width}d}")).exists():
            segs.append(seg)
            n += 1
        if len(segs) > 1 or start == 0 or start == 1:
            return (MediaFormat.SPLIT if len(segs) > 1 else MediaFormat.RAW), segs
    return MediaFormat.RAW, [p]


class _BaseReader:
    info: MediaInfo

    @property
    def size(self) -> int:
        return self.info.size

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class SegmentedFileReader(_BaseReader):
    """A raw image stored in one or more plain files (or a block device)."""

    def __init__(self, fmt: MediaFormat, segments: list[Path]) -> None:
        self._fds: list[int] = []
        self._starts: list[int] = []
        total = 0
        try:
            for seg in segments:
                fd = os.open(seg, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
                self._fds.append(fd)
                self._starts.append(total)
                total += _fd_size(fd)
        except PermissionError:
            # O_NOATIME is refused on files the caller does not own
            self.close()
            self._fds, self._starts, total = [], [], 0
            for seg in segments:
                fd = os.open(seg, os.O_RDONLY)
                self._fds.append(fd)
                self._starts.append(total)
                total += _fd_size(fd)
        self.info = MediaInfo(format=fmt, segments=tuple(segments), size=total)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("offset and length must be >= 0")
        end = min(offset + length, self.info.size)
        pos = offset
        idx = max(0, _bisect_right(self._starts, pos) - 1)
        if idx + 1 >= len(self._starts) or end <= self._starts[idx + 1]:
            # within one segment (nearly every read): one pread, no copies
            if pos >= end or idx >= len(self._fds):
                return b""
            first = os.pread(self._fds[idx], end - pos, pos - self._starts[idx])
            if len(first) == end - pos or not first:
                return first
            out = bytearray(first)
            pos += len(first)
        else:
            out = bytearray()
        while pos < end and idx < len(self._fds):
            seg_start = self._starts[idx]
            seg_end = self._starts[idx + 1] if idx + 1 < len(self._starts) else self.info.size
            if pos >= seg_end:
                idx += 1
                continue
            want = min(end, seg_end) - pos
            chunk = os.pread(self._fds[idx], want, pos - seg_start)
            if not chunk:
                break
            out += chunk
            pos += len(chunk)
        return bytes(out)

    def close(self) -> None:
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []


class EwfReader(_BaseReader):
    """An EWF (E01/Ex01) set read through libewf."""

    _HEADERS = (
        "case_number",
        "description",
        "examiner_name",
        "evidence_number",
        "notes",
        "acquiry_date",
        "system_date",
        "acquiry_operating_system",
        "acquiry_software",
        "acquiry_software_version",
        "model",
        "serial_number",
        "device_label",
    )

    def __init__(self, segments: list[Path]) -> None:
        import pyewf

        self._lock = threading.Lock()
        self._handle = pyewf.handle()
        try:
            self._handle.open([str(s) for s in segments])
        except (OSError, RuntimeError) as exc:
            raise BackEndError(
                f"libewf cannot open {segments[0].name} as an EWF image ({exc}); "
                "check that every segment file is present and not truncated"
            ) from exc
        meta: dict[str, str] = {}
        for key in self._HEADERS:
            try:
                value = self._handle.get_header_value(key)
            except (OSError, RuntimeError):
                value = None
            if value:
                meta[key] = value
        hashes: dict[str, str] = {}
        for key in ("MD5", "SHA1", "SHA256"):
            try:
                value = self._handle.get_hash_value(key)
            except (OSError, RuntimeError):
                value = None
            if value:
                hashes[key.lower()] = value.lower()
        self.info = MediaInfo(
            format=MediaFormat.EWF,
            segments=tuple(segments),
            size=self._handle.get_media_size(),
            sector_size=self._handle.get_bytes_per_sector() or 512,
            metadata=meta,
            stored_hashes=hashes,
        )

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("offset and length must be >= 0")
        length = max(0, min(length, self.info.size - offset))
        if length == 0:
            return b""
        with self._lock:
            try:
                return self._handle.read_buffer_at_offset(length, offset)
            except (OSError, RuntimeError) as exc:
                raise BackEndError(
                    f"libewf read failed at offset {offset} ({exc}); the EWF set may be damaged"
                ) from exc

    def close(self) -> None:
        with self._lock:
            try:
                self._handle.close()
            except (OSError, RuntimeError):
                pass


def open_media(path: str | os.PathLike[str], fmt: MediaFormat | None = None) -> MediaReader:
    """Open an image set (or block device) read-only.

    Args:
        path: any file of the set (the first segment is found automatically).
        fmt: force a format instead of guessing from the name.

    Returns:
        A reader; use it as a context manager.

    Raises:
        NotFoundError: the path does not exist.
        BackEndError: the set cannot be parsed (e.g. an empty or corrupt E01).
        UserInputError: the path is a folder.
    """
    p = Path(path)
    if p.is_dir():
        raise UserInputError(f"{p} is a folder; give the path of an image file or device")
    guessed, segments = discover_segments(p)
    fmt = fmt or guessed
    if fmt is MediaFormat.EWF:
        if guessed is not MediaFormat.EWF:
            segments = [p]
        return EwfReader(segments)
    if fmt is MediaFormat.RAW and guessed is MediaFormat.SPLIT:
        segments = [p]
    return SegmentedFileReader(fmt, segments)


def _fd_size(fd: int) -> int:
    st = os.fstat(fd)
    if stat.S_ISBLK(st.st_mode):
        return os.lseek(fd, 0, os.SEEK_END)
    return st.st_size


def _bisect_right(values: list[int], x: int) -> int:
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < values[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo
