"""One-pass read pipeline: read once, feed hashers and writers in parallel threads.

The reader fills page-aligned buffers taken from a fixed pool and hands each
filled buffer to every consumer (one thread each: MD5, SHA-1, SHA-256, the
image writer ...). A buffer goes back to the pool when the last consumer is done
with it, so memory is bounded by ``pool_size * chunk_size`` whatever the speeds.
hashlib and ``os.write`` release the GIL on large buffers, so the threads really
run in parallel.

Read errors: a failed chunk is retried, then read sector by sector; only the
sectors that still fail are zero-filled, and each is reported as an
:class:`ErrorRange`. A short read before the end of the media means the source
shrank, and an errno that means "device gone" means it vanished: both stop the
run with :class:`SourceError`, never a silent short image.
"""

from __future__ import annotations

import bisect
import errno
import hashlib
import mmap
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from forensics.errors import OperationCancelled, SourceError
from forensics.imaging.record import ErrorRange
from forensics.imaging.sources import VANISHED_ERRNOS, SourceReader
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, ProgressUpdate, no_progress

DEFAULT_CHUNK_SIZE = 4 << 20
DEFAULT_POOL_SIZE = 12


class Consumer(Protocol):
    """Something fed every chunk of the stream, in order, on its own thread."""

    name: str

    def consume(self, view: memoryview, offset: int) -> None:
        """Process ``view`` (the bytes at ``offset`` of the stream)."""
        ...

    def finish(self) -> None:
        """Called once after the last chunk (not called after an abort)."""
        ...

    def abort(self) -> None:
        """Called instead of :meth:`finish` when the run stops early."""
        ...


class HashConsumer:
    """Feeds one hashlib algorithm."""

    def __init__(self, algorithm: str) -> None:
        self.name = f"hash-{algorithm}"
        self.algorithm = algorithm
        self._hash = hashlib.new(algorithm)

    def consume(self, view: memoryview, offset: int) -> None:
        self._hash.update(view)

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def hexdigest(self, padding: int = 0) -> str:
        """Digest of the stream, optionally followed by ``padding`` zero bytes."""
        if not padding:
            return self._hash.hexdigest()
        padded = self._hash.copy()
        padded.update(bytes(padding))
        return padded.hexdigest()


class SegmentHashConsumer:
    """SHA-256 of each consecutive slice of the stream (one per segment file).

    Args:
        sizes: bytes in each segment, in order (they must add up to the stream size).
    """

    name = "hash-segments"

    def __init__(self, sizes: Sequence[int]) -> None:
        self._ends: list[int] = []
        total = 0
        for s in sizes:
            total += s
            self._ends.append(total)
        self._hashes = [hashlib.sha256() for _ in self._ends]

    @classmethod
    def fixed(cls, total: int, segment_size: int) -> SegmentHashConsumer:
        """Segments of ``segment_size`` bytes (the last one shorter) over ``total`` bytes."""
        sizes = [min(segment_size, total - start) for start in range(0, total, segment_size)]
        return cls(sizes or [0])

    def consume(self, view: memoryview, offset: int) -> None:
        pos = 0
        index = bisect.bisect_right(self._ends, offset)
        while pos < len(view) and index < len(self._ends):
            room = self._ends[index] - (offset + pos)
            piece = view[pos : pos + room]
            self._hashes[index].update(piece)
            pos += len(piece)
            index += 1

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def hexdigests(self) -> list[str]:
        """SHA-256 of every segment, in order."""
        return [h.hexdigest() for h in self._hashes]


@dataclass
class PipelineResult:
    """What a pipeline run read."""

    bytes_read: int = 0
    error_ranges: list[ErrorRange] = field(default_factory=list)
    seconds: float = 0.0


class _Buffer:
    __slots__ = ("length", "mem", "offset", "pending", "view")

    def __init__(self, size: int) -> None:
        # mmap memory is page-aligned, as O_DIRECT writes require
        self.mem = mmap.mmap(-1, size)
        self.view = memoryview(self.mem)
        self.length = 0
        self.offset = 0
        self.pending = 0

    def release(self) -> None:
        try:
            self.view.release()
            self.mem.close()
        except BufferError:
            pass  # a consumer still holds a slice; the memory goes with it


class _Worker(threading.Thread):
    def __init__(self, consumer: Consumer, pipeline: _Pipeline) -> None:
        super().__init__(name=f"sealbag-{consumer.name}", daemon=True)
        self.consumer = consumer
        self.inbox: queue.SimpleQueue[_Buffer | None] = queue.SimpleQueue()
        self.pipeline = pipeline
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            buf = self.inbox.get()
            if buf is None:
                return
            if self.error is None and not self.pipeline.stopping.is_set():
                try:
                    self.consumer.consume(buf.view[: buf.length], buf.offset)
                except BaseException as exc:
                    self.error = exc
                    self.pipeline.stopping.set()
            self.pipeline.done_with(buf)


class _Pipeline:
    def __init__(self, pool_size: int, chunk_size: int) -> None:
        self.free: queue.SimpleQueue[_Buffer] = queue.SimpleQueue()
        self.buffers = [_Buffer(chunk_size) for _ in range(pool_size)]
        for b in self.buffers:
            self.free.put(b)
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def done_with(self, buf: _Buffer) -> None:
        with self.lock:
            buf.pending -= 1
            last = buf.pending == 0
        if last:
            self.free.put(buf)

    def close(self) -> None:
        for b in self.buffers:
            b.release()


def run_pipeline(
    source: SourceReader,
    consumers: Sequence[Consumer],
    *,
    size: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    pool_size: int = DEFAULT_POOL_SIZE,
    retries: int = 2,
    stop_on_error: bool = False,
    stage: str = "acquire",
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
    result: PipelineResult | None = None,
) -> PipelineResult:
    """Read ``source`` once from start to end and feed every consumer.

    Args:
        source: what to read.
        consumers: each gets every chunk in order, on its own thread.
        size: bytes to read (default: ``source.size``).
        chunk_size: bytes per buffer (a multiple of the source's sector size).
        pool_size: buffers in the pool (memory = pool_size * chunk_size).
        retries: extra attempts for a failed read, before and at sector level.
        stop_on_error: raise on the first unreadable sector instead of zero-filling.
        stage: progress stage name.
        progress: progress callback (bytes).
        cancel: checked before every chunk.
        result: filled in place as the run goes (so a caller still has the bytes
            read and error ranges when the run raises).

    Returns:
        Bytes read and every zero-filled range.

    Raises:
        SourceError: the source shrank, vanished, or (with ``stop_on_error``) had
            an unreadable sector.
        OperationCancelled: ``cancel`` was set.
        Exception: whatever a consumer raised (e.g. ``OSError`` from a full disk).
    """
    total = source.size if size is None else size
    sector = max(1, source.sector_size)
    if chunk_size % sector:
        raise ValueError("chunk_size must be a multiple of the sector size")
    pipe = _Pipeline(pool_size, chunk_size)
    workers = [_Worker(c, pipe) for c in consumers]
    for w in workers:
        w.start()
    result = result if result is not None else PipelineResult()
    started = time.monotonic()
    last_report = 0.0
    failure: BaseException | None = None
    offset = 0
    try:
        progress(ProgressUpdate(stage, 0, total))
        while offset < total:
            cancel.raise_if_cancelled()
            buf = pipe.free.get()
            if pipe.stopping.is_set():
                pipe.free.put(buf)
                break
            n = min(chunk_size, total - offset)
            view = buf.view[:n]
            result.error_ranges.extend(
                _read_chunk(source, offset, view, total, sector, retries, stop_on_error)
            )
            buf.offset, buf.length = offset, n
            buf.pending = len(workers)
            if not workers:
                pipe.free.put(buf)
            for w in workers:
                w.inbox.put(buf)
            offset += n
            result.bytes_read = offset
            now = time.monotonic()
            if now - last_report >= 0.1 or offset >= total:
                last_report = now
                progress(ProgressUpdate(stage, offset, total))
    except BaseException as exc:
        failure = exc
        pipe.stopping.set()
    for w in workers:
        w.inbox.put(None)
    for w in workers:
        w.join()
    result.seconds = time.monotonic() - started
    consumer_error = next((w.error for w in workers if w.error is not None), None)
    try:
        if failure is None and consumer_error is None:
            for c in consumers:
                c.finish()
        else:
            for c in consumers:
                try:
                    c.abort()
                except Exception:  # noqa: S112 - best effort clean-up after a failure
                    continue
    finally:
        pipe.close()
    if consumer_error is not None and not isinstance(failure, OperationCancelled):
        raise consumer_error
    if failure is not None:
        raise failure
    return result


def _read_chunk(
    source: SourceReader, offset: int, view: memoryview, total: int, sector: int,
    retries: int, stop_on_error: bool,
) -> list[ErrorRange]:
    """Fill ``view`` from ``offset``; zero-fill only sectors that cannot be read."""
    last_error: OSError | None = None
    for _ in range(retries + 1):
        try:
            got = source.readinto(offset, view)
        except OSError as exc:
            _raise_if_vanished(exc, offset)
            last_error = exc
            continue
        if got < len(view):
            _raise_shrunk(source, offset + got, total)
        return []
    # the bulk read keeps failing: go sector by sector so that readable
    # neighbours of a bad sector are never zero-filled
    errors: list[ErrorRange] = []
    n = len(view)
    read_sector = getattr(source, "read_sector", source.readinto)
    for start in range(0, n, sector):
        piece = view[start : min(n, start + sector)]
        error: OSError | None = last_error
        for _ in range(retries + 1):
            try:
                got = read_sector(offset + start, piece)
            except OSError as exc:
                _raise_if_vanished(exc, offset + start)
                error = exc
                continue
            if got < len(piece):
                _raise_shrunk(source, offset + start + got, total)
            error = None
            break
        if error is None:
            continue
        cls = errno.errorcode.get(error.errno or 0, "") or type(error).__name__
        if stop_on_error:
            raise SourceError(
                f"unreadable sector at byte {offset + start} ({cls}: {error.strerror or error}); "
                "the run was set to stop on read errors"
            )
        piece[:] = bytes(len(piece))
        if errors and errors[-1].end == offset + start and errors[-1].error == cls:
            prev = errors.pop()
            errors.append(ErrorRange(prev.offset, prev.length + len(piece), cls))
        else:
            errors.append(ErrorRange(offset + start, len(piece), cls))
    if errors:
        now = source.current_size()
        if now < total:
            _raise_shrunk(source, now, total)
    return errors


def _raise_if_vanished(exc: OSError, offset: int) -> None:
    if exc.errno in VANISHED_ERRNOS:
        raise SourceError(
            f"the source vanished at byte {offset} ({errno.errorcode.get(exc.errno, exc.errno)}: "
            f"{exc.strerror}); check the connection and image it again"
        ) from exc


def _raise_shrunk(source: SourceReader, at: int, total: int) -> None:
    try:
        now = source.current_size()
    except OSError:
        now = at
    raise SourceError(
        f"the source ended at byte {at} but had {total} bytes when imaging began "
        f"(now {now}); it shrank or was detached: the image is incomplete"
    )
