"""Export files from an image to a folder: safe names, contained writes, verified copies.

Names from evidence are hostile input (``../``, absolute paths, NUL, reserved
Windows names, bidi tricks, names that collide once case-folded). Each path
component is sanitised on its own; every folder and file is created relative
to an open directory descriptor with ``O_NOFOLLOW`` (files also ``O_EXCL``), so
nothing can be written outside the target even if something in it is swapped
for a symbolic link; the final real path is checked as well. Every file is
re-read from disk after writing and its SHA-256 compared with what was read
from the image and with the catalog. ``manifest.json`` maps each original name
(raw bytes in hex, and display form) to the exported name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics.cataloging.names import display_name
from forensics.cataloging.process import WorkerGone, WorkerProcess
from forensics.errors import ConflictError, UserInputError
from forensics.progress import (
    NEVER_CANCELLED,
    CancelToken,
    ProgressFn,
    ProgressUpdate,
    no_progress,
)

MAX_COMPONENT_BYTES = 255
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
             "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}
_FORBIDDEN = set('<>:"/\\|?*')
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
MANIFEST_NAME = "manifest.json"


def sanitize_component(raw: bytes) -> str:
    """A single, portable, harmless file name for one path component from evidence.

    Args:
        raw: the component's bytes as stored on the media.

    Returns:
        A non-empty NFC name of at most 255 UTF-8 bytes, without separators, ``:``,
        controls, bidi characters, a reserved Windows device name or a trailing
        dot/space; never ``.`` or ``..``.
    """
    text = raw.decode("utf-8", "surrogateescape")
    out = []
    for ch in text:
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append(f"%{cp - 0xDC00:02X}")  # undecodable byte
        elif (cp < 0x20 or 0x7F <= cp < 0xA0 or cp in _BIDI or ch in _FORBIDDEN
              or 0xD800 <= cp <= 0xDFFF):
            out.append("_")
        else:
            out.append(ch)
    name = unicodedata.normalize("NFC", "".join(out))
    if name in ("", ".", ".."):
        name = "_" + name
    name = re.sub(r"[. ]+$", lambda m: "_" * len(m.group()), name)
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in _RESERVED:
        name = "_" + name
    return _fit(name, MAX_COMPONENT_BYTES)


def _fit(name: str, limit: int, suffix: str = "") -> str:
    """Shorten ``name`` to ``limit`` UTF-8 bytes (with ``suffix`` before the extension),
    keeping the extension and a digest of the full name so shortened names stay distinct."""
    if len((name + suffix).encode("utf-8")) <= limit:
        if not suffix:
            return name
        stem, dot, ext = name.rpartition(".")
        return f"{stem}{suffix}.{ext}" if dot and stem else name + suffix
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode()) > 16:
        stem, ext = name, ""
    tail = f"~{digest}{suffix}" + (f".{ext}" if ext else "")
    budget = limit - len(tail.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut + tail


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One file to export, addressed as the catalog found it."""

    path_raw: bytes
    fs_index: int
    fs_offset: int
    meta_addr: int
    stream: str | None
    size: int | None
    sha256: str | None = None
    md5: str | None = None


@dataclass(slots=True)
class ExportedFile:
    """What happened to one item."""

    source_path: str
    source_path_raw_hex: str
    fs_offset: int
    meta_addr: int
    stream: str | None
    exported_as: str | None
    size: int | None = None
    md5: str | None = None
    sha256: str | None = None
    catalog_sha256: str | None = None
    verified: bool = False
    error: str | None = None


@dataclass(slots=True)
class ExportResult:
    """The outcome of an export."""

    target: str
    image: str
    started_at: str
    files: list[ExportedFile] = field(default_factory=list)
    complete: bool = False
    error: str | None = None

    @property
    def failures(self) -> list[ExportedFile]:
        return [f for f in self.files if not f.verified]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "image": self.image, "started_at": self.started_at,
                "complete": self.complete, "error": self.error,
                "files": [asdict(f) for f in self.files]}


class ExportPlanner:
    """Assigns every item a unique, safe relative path below the target.

    Layout: ``fs<N>/<component>/<component>...``; an NTFS stream becomes part of the
    last component (``name_stream``). Collisions after Unicode normalisation and
    case-folding get `` (2)``, `` (3)`` ... before the extension.
    """

    def __init__(self) -> None:
        self._taken: dict[tuple[str, ...], set[str]] = {}
        self._dirs: dict[tuple[tuple[str, ...], bytes], str] = {}

    def _unique(self, parent: tuple[str, ...], name: str) -> str:
        used = self._taken.setdefault(parent, set())
        candidate = name
        n = 1
        while unicodedata.normalize("NFC", candidate).casefold() in used:
            n += 1
            candidate = _fit(name, MAX_COMPONENT_BYTES, f" ({n})")
        used.add(unicodedata.normalize("NFC", candidate).casefold())
        return candidate

    def plan(self, item: ExportItem) -> tuple[str, ...]:
        """The safe relative path components for ``item``."""
        raw_parts = [p for p in item.path_raw.split(b"/") if p != b""] or [b"_"]
        if item.stream:
            stream_raw = item.stream.encode("utf-8", "surrogateescape")
            last = raw_parts[-1]
            if last.endswith(b":" + stream_raw):
                last = last[: -len(stream_raw) - 1]
            raw_parts[-1] = last + b"_" + stream_raw
        parent: tuple[str, ...] = (f"fs{item.fs_index}",)
        for comp in raw_parts[:-1]:
            key = (parent, comp)
            if key not in self._dirs:
                self._dirs[key] = self._unique(parent, sanitize_component(comp))
            parent = (*parent, self._dirs[key])
        return (*parent, self._unique(parent, sanitize_component(raw_parts[-1])))


def _open_dir_chain(root_fd: int, parts: tuple[str, ...]) -> int:
    """Open (creating) each folder below ``root_fd`` without following links."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            try:
                os.mkdir(part, 0o750, dir_fd=fd)
            except FileExistsError:
                pass
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _contained(root: Path, rel: tuple[str, ...]) -> Path:
    final = Path(os.path.realpath(root.joinpath(*rel)))
    if os.path.commonpath([str(root), str(final)]) != str(root):
        raise UserInputError(f"refusing to write outside the export folder: {final}")
    return final


def export_files(
    image: str | Path,
    items: list[ExportItem],
    target: str | Path,
    *,
    media_format: str | None = None,
    stall_timeout: float = 120.0,
    memory_limit: int | None = 2 << 30,
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> ExportResult:
    """Copy the selected files out of an image into ``target`` and verify each copy.

    The image is read in a worker process (as for cataloguing); this process only
    writes and re-hashes.

    Args:
        image: the image set the items were catalogued from.
        items: what to export.
        target: an empty or new folder.
        media_format: force raw/split/ewf.
        stall_timeout: seconds without data after which the worker is stopped.
        memory_limit: address-space cap of the worker.
        progress: ``ProgressUpdate("export", files_done, total, "files")``.
        cancel: stops the export (files written so far stay, listed in the manifest).

    Returns:
        The result; ``complete`` only when every file was written and verified.

    Raises:
        ConflictError: ``target`` exists and is not an empty folder.
    """
    root = Path(target)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ConflictError(f"export folder {root} is not empty; choose a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.realpath(root))
    result = ExportResult(str(root), str(image), datetime.now(UTC).isoformat())
    planner = ExportPlanner()
    plans = [planner.plan(it) for it in items]
    for it, rel in zip(items, plans, strict=True):
        result.files.append(ExportedFile(
            display_name(it.path_raw), it.path_raw.hex(), it.fs_offset, it.meta_addr, it.stream,
            "/".join(rel), catalog_sha256=it.sha256))
    job = {"image": os.path.abspath(image), "format": media_format,  # see run_catalog
           "items": [[it.fs_offset, it.meta_addr, it.stream] for it in items]}
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    worker = WorkerProcess("forensics.cataloging.worker:export_worker", job, memory_limit)
    current: tuple[int, int, Any, Any, Any] | None = None  # index, fd, md5, sha, dir fd
    done = 0
    try:
        last = time.monotonic()
        while True:
            if cancel.cancelled:
                result.error = f"cancelled: {cancel.reason}"
                break
            if time.monotonic() - last > stall_timeout:
                result.error = f"the export worker made no progress for {stall_timeout:g} s"
                break
            try:
                msg = worker.receive(0.2)
            except WorkerGone:
                result.error = f"export failed: {worker.death_message()}"
                break
            if msg is None:
                continue
            last = time.monotonic()
            if isinstance(msg, bytes):
                if current is None:
                    result.error = "the export worker sent data out of order"
                    break
                _write_all(current[1], msg)
                current[2].update(msg)
                current[3].update(msg)
                continue
            kind = msg[0]
            if kind == "file":
                i = int(msg[1])
                rel = plans[i]
                dir_fd = _open_dir_chain(root_fd, rel[:-1])
                fd = os.open(rel[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                             0o640, dir_fd=dir_fd)
                current = (i, fd, hashlib.md5(usedforsecurity=False), hashlib.sha256(), dir_fd)
            elif kind == "end" and current is not None:
                i, fd, md5, sha, dir_fd = current
                os.fsync(fd)
                os.close(fd)
                os.close(dir_fd)
                current = None
                _finish_file(result.files[i], root, plans[i], md5.hexdigest(), sha.hexdigest(),
                             msg[2])
                done += 1
                progress(ProgressUpdate("export", done, len(items), "files"))
            elif kind == "done":
                break
            elif kind == "error":
                result.error = f"export failed: {msg[1]}"
                break
    finally:
        if current is not None:
            os.close(current[1])
            os.close(current[4])
        worker.close()
        os.close(root_fd)
    result.complete = result.error is None and all(f.verified for f in result.files)
    _write_manifest(root, result)
    return result


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _finish_file(entry: ExportedFile, root: Path, rel: tuple[str, ...], md5_stream: str,
                 sha_stream: str, read_error: str | None) -> None:
    final = _contained(root, rel)
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    size = 0
    with open(final, "rb") as fh:
        while chunk := fh.read(1 << 20):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    entry.size, entry.md5, entry.sha256 = size, md5.hexdigest(), sha.hexdigest()
    problems = []
    if read_error:
        problems.append(f"reading from the image failed: {read_error}")
    if entry.sha256 != sha_stream or entry.md5 != md5_stream:
        problems.append("the file on disk differs from the bytes read from the image")
    if entry.catalog_sha256 and entry.sha256 != entry.catalog_sha256:
        problems.append("SHA-256 differs from the catalog's")
    entry.verified = not problems
    entry.error = "; ".join(problems) or None


def _write_manifest(root: Path, result: ExportResult) -> None:
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fd = os.open(MANIFEST_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640,
                     dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(result.to_dict(), fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
