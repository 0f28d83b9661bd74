"""Run a catalog: start the isolated worker, watch it, collect what it finds.

The application process never parses the image itself. It starts a worker
(``spawn``), passes each record it streams back to a sink (the store, the
``--jsonl`` printer, a list in tests) and decides how the run ended:

* ``complete``: the worker finished and reported no gap;
* ``incomplete``: it finished, but some directories or file contents could not be
  read (listed in ``gaps``);
* ``failed``: it crashed, hung (no progress for ``stall_timeout`` seconds), ran
  out of memory, could not open the image, or the sink failed;
* ``cancelled``: the cancel token was set.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from forensics.cataloging.process import WorkerGone, WorkerProcess
from forensics.cataloging.records import (
    CatalogSummary,
    EntryRecord,
    FileSystemRecord,
    Gap,
    RunStatus,
    VolumeRecord,
)
from forensics.cataloging.sharedcontent import ContentRing
from forensics.cataloging.wire import HANDOFF_KIND, WireError, from_wire
from forensics.errors import NotFoundError
from forensics.gc_tuning import relaxed_gc
from forensics.progress import (
    NEVER_CANCELLED,
    CancelToken,
    ProgressFn,
    ProgressUpdate,
    no_progress,
)
from forensics.textsafe import escape_for_display

DEFAULT_MEMORY_LIMIT = 2 << 30
DEFAULT_STALL_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class CatalogOptions:
    """How a catalog run is done.

    Attributes:
        hash_content: compute MD5 and SHA-256 of every regular file.
        detect_types: run libmagic on file content.
        hash_deleted: also read deleted files whose metadata is not reused (recovered content).
        max_depth: deepest directory level walked.
        stall_timeout: seconds without any progress after which the worker is killed.
        memory_limit: address-space cap of the worker in bytes (None: unlimited).
        media_format: force raw/split/ewf instead of guessing from the file name.
    """

    hash_content: bool = True
    detect_types: bool = True
    hash_deleted: bool = True
    max_depth: int = 256
    stall_timeout: float = DEFAULT_STALL_TIMEOUT
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    media_format: str | None = None

    def walk_options(self) -> dict[str, Any]:
        return {"hash_content": self.hash_content, "detect_types": self.detect_types,
                "hash_deleted": self.hash_deleted, "max_depth": self.max_depth}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CatalogSink:
    """Receives what a run finds. Subclass and override what you need."""

    def volume(self, record: VolumeRecord) -> None:
        """A partition-table entry (or the whole media)."""

    def file_system(self, record: FileSystemRecord) -> None:
        """A file system, or the reason none was found in a volume."""

    def entry(self, record: EntryRecord) -> None:
        """One listed name or stream."""

    def gap(self, record: Gap) -> None:
        """Something that could not be read."""

    def idle(self) -> None:
        """Nothing new has arrived yet; a sink may use the pause (the store writes)."""


class ForwardingSink(CatalogSink):
    """Passes everything on to ``inner`` (if any); a wrapper overrides what it changes,
    and whatever it does not (the pauses too) still reaches the sink it wraps."""

    def __init__(self, inner: CatalogSink | None) -> None:
        self._inner = inner

    def volume(self, record: VolumeRecord) -> None:
        if self._inner is not None:
            self._inner.volume(record)

    def file_system(self, record: FileSystemRecord) -> None:
        if self._inner is not None:
            self._inner.file_system(record)

    def entry(self, record: EntryRecord) -> None:
        if self._inner is not None:
            self._inner.entry(record)

    def gap(self, record: Gap) -> None:
        if self._inner is not None:
            self._inner.gap(record)

    def idle(self) -> None:
        if self._inner is not None:
            self._inner.idle()


@dataclass
class ListSink(CatalogSink):
    """Keeps everything in memory (tests, small images)."""

    volumes: list[VolumeRecord] = field(default_factory=list)
    file_systems: list[FileSystemRecord] = field(default_factory=list)
    entries: list[EntryRecord] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def volume(self, record: VolumeRecord) -> None:
        self.volumes.append(record)

    def file_system(self, record: FileSystemRecord) -> None:
        self.file_systems.append(record)

    def entry(self, record: EntryRecord) -> None:
        self.entries.append(record)

    def gap(self, record: Gap) -> None:
        self.gaps.append(record)


DEFAULT_WORKER = "forensics.cataloging.worker:catalog_worker"


def run_catalog(
    image: str | Path,
    sink: CatalogSink,
    *,
    options: CatalogOptions | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
    worker: str = DEFAULT_WORKER,
) -> CatalogSummary:
    """Catalog every volume and file system of an image in an isolated worker.

    Args:
        image: any file of a raw, split raw or EWF set (or a block device).
        sink: receives records in the order found.
        options: what to compute and the worker's limits.
        progress: receives ``ProgressUpdate("catalog", entries, None, "files")``.
        cancel: stops the run (the worker is killed; status ``cancelled``).
        worker: ``module:function`` the worker process runs (tests substitute faulty ones).

    Returns:
        The summary; check ``summary.status``: only ``complete`` is a full listing.

    Raises:
        NotFoundError: the image path does not exist.
    """
    opts = options or CatalogOptions()
    path = Path(image)
    if not path.exists():
        raise NotFoundError(f"image not found: {path} (check the path)")
    summary = CatalogSummary(image_path=str(path), status=RunStatus.FAILED)
    started = time.monotonic()
    # absolute: the worker runs in Sealbag's own folder, never in the caller's (a folder
    # of evidence must not be able to put modules on the worker's import path)
    job: dict[str, Any] = {"image": os.path.abspath(path), "format": opts.media_format,
                           "options": opts.walk_options()}
    ring = ContentRing.create() if opts.hash_content else None
    if ring is not None:
        job["content_ring_fd"] = ring.fd
    try:
        proc = WorkerProcess(worker, job, opts.memory_limit,
                             pass_fds=(ring.fd,) if ring is not None else ())
    except BaseException:
        if ring is not None:
            ring.close()
        raise
    finished = False
    try:
        with relaxed_gc():
            finished = _collect(proc, sink, summary, opts.stall_timeout, progress, cancel,
                                ring)
    except KeyboardInterrupt:
        summary.status = RunStatus.CANCELLED
        summary.error = "cancelled: interrupted from the keyboard"
    except WireError as exc:
        summary.error = f"the catalog worker sent malformed data and was stopped ({exc})"
    except Exception as exc:  # the sink failed (database full, disk error ...)
        summary.error = f"storing the catalog failed: {' '.join(str(exc).split())[:300]}"
    finally:
        try:
            proc.close()
        finally:
            if ring is not None:
                ring.close()
    if finished:
        summary.status = RunStatus.INCOMPLETE if summary.gaps else RunStatus.COMPLETE
    elif summary.status is not RunStatus.CANCELLED:
        summary.status = RunStatus.FAILED
    summary.elapsed_s = time.monotonic() - started
    return summary


def _collect(proc: WorkerProcess, sink: CatalogSink, summary: CatalogSummary,
             stall_timeout: float, progress: ProgressFn, cancel: CancelToken,
             ring: ContentRing | None) -> bool:
    """Pass the worker's records to ``sink`` until it is done (True) or the run stops
    (False, with ``summary.error`` or ``summary.status`` saying why). Content the
    worker handed over through ``ring`` is hashed here, before the entry goes on."""
    last_progress = time.monotonic()
    while True:
        if cancel.cancelled:
            summary.status = RunStatus.CANCELLED
            summary.error = f"cancelled: {cancel.reason}"
            return False
        if time.monotonic() - last_progress > stall_timeout:
            summary.error = (f"the catalog worker made no progress for "
                             f"{stall_timeout:g} s and was stopped; the image may be "
                             "corrupt or the storage unresponsive")
            return False
        message = _next_message(proc, summary, 0)
        if message is None:
            # the worker is busy: the sink may use the pause (outside _next_message, so
            # what the sink raises is never reported as the worker's doing)
            sink.idle()
            message = _next_message(proc, summary, 0.2)
        if message is _STOPPED:
            return False
        if message is None:
            continue
        if not isinstance(message, list):
            raise WireError("unexpected binary frame")
        last_progress = time.monotonic()
        kind = message[0]
        if kind == "records":
            entry = sink.entry
            for rkind, record in _decode_batch(message):
                if rkind == "entry":  # nearly every record: no call through _dispatch
                    summary.entry_count += 1
                    entry(record)
                elif rkind == HANDOFF_KIND:
                    summary.entry_count += 1
                    entry(_hash_handed_off(ring, *record))
                else:
                    _dispatch(sink, summary, rkind, record)
            if ring is not None:
                ring.batch_taken()
            progress(ProgressUpdate("catalog", summary.entry_count, None, "files"))
        elif kind == "beat":
            progress(ProgressUpdate("catalog", summary.entry_count, None, "files"))
        elif kind == "done":
            _apply_done(summary, message)
            return True
        elif kind == "error":
            detail = message[1] if len(message) > 1 and isinstance(message[1], str) else "?"
            summary.error = f"the catalog stopped: {escape_for_display(detail)[:600]}"
            return False
        else:
            raise WireError(f"unknown message {str(kind)[:40]!r}")


_STOPPED = object()


def _hash_handed_off(ring: ContentRing | None, start: int, length: int,
                     record: EntryRecord) -> EntryRecord:
    """The entry with the digests of the content the worker handed over."""
    if ring is None:
        raise WireError("content handed over, but no buffer was shared")
    if length != record.size or record.md5 is not None or record.sha256 is not None:
        raise WireError("an entry hand-off does not match its entry")
    md5, sha256 = ring.digests(start, length)
    return record._replace(md5=md5, sha256=sha256, bytes_hashed=length)


def _next_message(proc: WorkerProcess, summary: CatalogSummary, timeout: float) -> Any:
    """The worker's next message, None when there is none yet, or ``_STOPPED`` (with
    ``summary.error`` set) when the worker is gone or sent something undecodable."""
    try:
        return proc.receive(timeout)
    except WorkerGone:
        summary.error = (f"catalog failed: {proc.death_message()}; nothing after the "
                         "last stored entry was catalogued")
    except ValueError:
        summary.error = "the catalog worker sent malformed data and was stopped"
    return _STOPPED


def _apply_done(summary: CatalogSummary, message: list[Any]) -> None:
    try:
        info = message[1]
        summary.volume_system = None if info["volume_system"] is None \
            else str(info["volume_system"])
        summary.media_size = int(info["media_size"])
        summary.media_format = str(info["media_format"])
        summary.files_hashed = int(info["files_hashed"])
        summary.bytes_hashed = int(info["bytes_hashed"])
        summary.tool_versions = {str(k): str(v) for k, v in info["tool_versions"].items()}
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        raise WireError(f"bad summary: {exc}") from exc


def _decode_batch(message: list[Any]) -> list[tuple[str, Any]]:
    try:
        return [(str(kind), from_wire(kind, wire)) for kind, wire in message[1]]
    except (TypeError, ValueError, IndexError) as exc:
        raise WireError(str(exc)) from exc


def _dispatch(sink: CatalogSink, summary: CatalogSummary, kind: str, record: Any) -> None:
    if kind == "entry":
        summary.entry_count += 1
        sink.entry(record)
    elif kind == "volume":
        summary.volumes.append(record)
        sink.volume(record)
    elif kind == "fs":
        summary.file_systems.append(record)
        sink.file_system(record)
    elif kind == "gap":
        summary.gaps.append(record)
        sink.gap(record)
    elif kind == "note":
        summary.notes.append(record)
