"""The catalog worker process: parses untrusted media away from the application.

The parent starts it as a fresh interpreter (``python -m
forensics.cataloging.worker``, the equivalent of the ``spawn`` start method
without re-importing the caller's main module), caps its address space with
``RLIMIT_AS`` and reads messages from a pipe passed as an inherited file
descriptor. Messages are length-prefixed JSON (never pickle: a worker whose
parsing was subverted by a crafted image must not be able to run code in the
application by what it sends):

``["records", [[kind, wire], ...]]``  volumes, file systems, entries, gaps, in order
                                      (entries whose content the application is to
                                      hash: see :mod:`.sharedcontent`)
``["beat", files_hashed, bytes_hashed]``  progress, also sent while a big file is read
``["done", info]``                    the walk finished
``["error", message]``                the walk stopped on an error it caught

A worker that dies without ``done`` or ``error`` (signal, abort, out of memory in C)
is detected by the parent from the closed pipe and the exit status.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import resource
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from forensics.cataloging.sharedcontent import RingWriter
from forensics.cataloging.wire import HANDOFF_KIND, entry_fields_to_wire, to_wire
from forensics.gc_tuning import relaxed_gc

BATCH_RECORDS = 512
BATCH_SECONDS = 0.25
BEAT_SECONDS = 0.5
_SHORT, _LONG = struct.Struct("!i"), struct.Struct("!Q")
_ENCODED_KINDS = frozenset(("entry", HANDOFF_KIND))


def apply_limits(memory_limit: int | None) -> None:
    """Cap this process's address space (bytes); None leaves it unlimited."""
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    # A crash should not leave a core file of evidence data lying around.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _die_with_parent()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the application dies (no orphaned parsing).

    The signal follows the *thread* that started the worker; that thread blocks in
    ``run_catalog``/``export_files`` until the worker has ended, so it is always alive.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _tuple_as_list(value: Any) -> list[Any]:
    """Named tuples (timestamps) as JSON arrays, as the standard encoder writes them."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot send {type(value).__name__}")


def encode_message(message: list[Any] | tuple[Any, ...]) -> bytes:
    """One message as JSON bytes (orjson: several times faster than the standard encoder).

    What orjson refuses (a lone surrogate, an integer beyond 64 bits) goes through the
    standard encoder instead, marked with a leading space so the parent decodes it with
    the standard decoder too and gets exactly the same values.
    """
    try:
        return orjson.dumps(message, default=_tuple_as_list)
    except TypeError:
        return b" " + json.dumps(message, separators=(",", ":")).encode("utf-8")


def frame_header(n: int) -> bytes:
    """The length prefix of an ``n``-byte frame."""
    return _SHORT.pack(n) if n <= 0x7FFFFFFF else _SHORT.pack(-1) + _LONG.pack(n)


class Channel:
    """The worker's end of the pipe: length-prefixed JSON messages.

    Frames are those of :class:`multiprocessing.connection.Connection` (a big-endian
    signed 32-bit length, or -1 and an unsigned 64-bit one), which the application
    reads with; written here directly, so the worker does not load that module.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def send(self, message: list[Any] | tuple[Any, ...]) -> None:
        self.send_raw(encode_message(message))

    def send_raw(self, frame: bytes) -> None:
        n = len(frame)
        header = frame_header(n)
        if n > 16384:  # no copy of a big frame just to put the header in front
            self._write_all(header)
            self._write_all(frame)
        else:
            self._write_all(header + frame)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def worker_entry(target: Callable[[Channel, dict[str, Any]], None], conn: Channel,
                 job: dict[str, Any], memory_limit: int | None) -> None:
    """Apply limits, run ``target``, report what it raised."""
    try:
        apply_limits(memory_limit)
        # This process lives for one job: the application's modules are loaded by now
        # and are left out of every collection; records are freed by reference counting.
        gc.freeze()
        with relaxed_gc():
            target(conn, job)
    except MemoryError:
        _send_quietly(conn, ("error", "the catalog worker ran out of memory "
                                      f"(limit {memory_limit or 0} bytes); the image may be "
                                      "corrupt, or raise the limit"))
    except BaseException as exc:
        message = " ".join(str(exc).split())[:500] or type(exc).__name__
        _send_quietly(conn, ("error", message))
    finally:
        conn.close()


def _send_quietly(conn: Channel, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except (OSError, ValueError):
        pass


def _ring_writer(fd: Any) -> RingWriter | None:
    """The shared buffer to hand content over in, or None: then this worker hashes
    everything itself (also when it cannot map the buffer under a tight memory limit)."""
    if fd is None:
        return None
    try:
        return RingWriter(int(fd))
    except (OSError, ValueError):
        return None


def catalog_worker(conn: Channel, job: dict[str, Any]) -> None:
    """Walk one image and stream the records to ``conn``.

    Args:
        conn: write end of the pipe to the parent.
        job: ``image`` (path), ``format`` (or None), ``options`` (WalkOptions fields),
            ``content_ring_fd`` (optional: the buffer to hand content over in).
    """
    from forensics.cataloging.tsk import ImageScanner, WalkOptions, tsk_version
    from forensics.media import MediaFormat, open_media

    ring = _ring_writer(job.get("content_ring_fd"))
    batch: list[tuple[str, list[Any]]] = []
    last_flush = time.monotonic()
    last_beat = last_flush

    def flush() -> None:
        nonlocal last_flush
        if batch:
            conn.send(("records", batch))
            batch.clear()
            if ring is not None:
                ring.batch_sent()
        last_flush = time.monotonic()

    def emit(kind: str, record: Any) -> None:
        # entries arrive already encoded (entry_out below); the rest now, while in cache
        batch.append((kind, record if kind in _ENCODED_KINDS else to_wire(record)))
        if len(batch) >= BATCH_RECORDS or time.monotonic() - last_flush > BATCH_SECONDS:
            flush()

    def beat(files: int, nbytes: int) -> None:
        nonlocal last_beat
        now = time.monotonic()
        if now - last_beat > BEAT_SECONDS:
            flush()
            conn.send(("beat", files, nbytes))
            last_beat = now

    fmt = MediaFormat(job["format"]) if job.get("format") else None
    options = WalkOptions(**job.get("options", {}))
    with open_media(job["image"], fmt) as reader:
        scanner = ImageScanner(reader, emit, options, beat, entry_out=entry_fields_to_wire,
                               handoff=ring.offer if ring is not None else None)
        scheme = scanner.scan()
        flush()
        versions = {"sleuthkit": tsk_version()}
        if options.detect_types and options.hash_content:  # only where libmagic typed files
            import magic

            versions["libmagic"] = str(getattr(magic, "version", lambda: "")())
        conn.send(("done", {
            "volume_system": scheme,
            "media_size": reader.size,
            "media_format": reader.info.format.value,
            "files_hashed": scanner.files,
            "bytes_hashed": scanner.bytes,
            "tool_versions": versions,
        }))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the worker process (started by the engine only)."""
    parser = argparse.ArgumentParser(prog="forensics.cataloging.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--target", default="forensics.cataloging.worker:catalog_worker")
    parser.add_argument("--memory-limit", type=int, default=0)
    parser.add_argument("--job", required=True)
    args = parser.parse_args(argv)
    module_name, _, func_name = args.target.partition(":")
    target = getattr(importlib.import_module(module_name), func_name)
    worker_entry(target, Channel(args.fd), json.loads(args.job), args.memory_limit or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def export_worker(conn: Channel, job: dict[str, Any]) -> None:
    """Stream the content of selected files to the parent (which writes them).

    ``job["items"]`` is a list of ``[fs_offset, meta_addr, stream]``. For each item
    the worker sends ``["file", i]``, then the content as binary frames (first byte
    0x00), then ``["end", i, error_or_null]``.
    """
    from forensics.cataloging.tsk import ContentReader
    from forensics.media import MediaFormat, open_media

    fmt = MediaFormat(job["format"]) if job.get("format") else None
    with open_media(job["image"], fmt) as reader:
        content = ContentReader(reader)
        for i, (fs_offset, meta_addr, stream) in enumerate(job["items"]):
            conn.send(["file", i])
            error = None
            try:
                for data in content.chunks(int(fs_offset), int(meta_addr), stream):
                    conn.send_raw(b"\x00" + data)
            except OSError as exc:
                error = " ".join(str(exc).split())[:300] or "read failed"
            conn.send(["end", i, error])
        conn.send(["done", {}])
