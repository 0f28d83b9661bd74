"""Start and watch a worker process (see :mod:`forensics.cataloging.worker`)."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

MAX_MESSAGE_BYTES = 64 << 20
"""Largest frame accepted (a catalog batch is a few hundred KiB, an export chunk 1 MiB)."""
READ_AHEAD_BYTES = 32 << 20
"""Frames read ahead from the pipe while the application is busy storing, at most."""
PIPE_BYTES = 1 << 20
"""Pipe capacity asked for (Linux's default is 64 KiB; 1 MiB is the unprivileged limit)."""
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def decode_message(raw: bytes) -> Any:
    """Decode a JSON message from a worker (see ``worker.encode_message``).

    Raises:
        ValueError: not valid JSON.
    """
    if raw[:1] == b" ":
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson is stricter than the standard decoder (e.g. lone surrogate escapes); the
        # standard decoder has the last word, as before, and the fields are checked anyway.
        return json.loads(raw)

def _enlarge_pipe(fd: int) -> None:
    """Let the worker write a whole batch ahead without waiting (best effort).

    The thread draining the pipe needs the GIL for every read; while the application
    thread stores a batch it may wait a switch interval (5 ms) for it. A 64 KiB pipe
    is full long before that, and the worker would stop parsing until it is drained.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if set_size is None:
        return
    try:
        fcntl.fcntl(fd, set_size, PIPE_BYTES)
    except OSError:  # over the user's pipe-buffer quota: the default size still works
        pass


class WorkerGone(Exception):
    """The worker closed its pipe (it exited or was killed)."""


class WorkerProcess:
    """A worker interpreter running ``target`` (``module:function``) on ``job``.

    Args:
        target: the function the worker runs.
        job: JSON-serialisable job description.
        memory_limit: RLIMIT_AS of the worker in bytes (None: unlimited).
        pass_fds: further descriptors the worker inherits (under the same numbers).
    """

    def __init__(self, target: str, job: dict[str, Any], memory_limit: int | None,
                 pass_fds: tuple[int, ...] = ()) -> None:
        read_fd, write_fd = os.pipe()
        _enlarge_pipe(write_fd)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        # glibc: keep freed file buffers for reuse instead of mapping and faulting in
        # fresh pages for each file read (a third fewer system-time seconds per run)
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(32 << 20))
        env.setdefault("MALLOC_TRIM_THRESHOLD_", str(256 << 20))
        env.setdefault("MALLOC_TOP_PAD_", str(64 << 20))
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        args = [sys.executable, "-m", "forensics.cataloging.worker", "--fd", str(write_fd),
                "--target", target, "--memory-limit", str(memory_limit or 0),
                "--job", json.dumps(job)]
        try:
            # its own process group: whatever the worker might start is stopped with it
            self.proc = subprocess.Popen(args, pass_fds=(write_fd, *pass_fds),
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._stderr, env=env,
                                         cwd=str(_PROJECT_ROOT), close_fds=True,
                                         start_new_session=True)
        except BaseException:
            os.close(read_fd)
            self._stderr.close()
            raise
        finally:
            os.close(write_fd)
        self._conn = Connection(read_fd, writable=False)
        # A thread keeps the pipe drained, so the worker goes on parsing while the
        # application stores the previous batch. It owns the descriptor and closes it
        # itself: the number is never freed while it reads.
        self._frames: deque[bytes | BaseException] = deque()
        self._queued = 0
        self._ready = threading.Condition()
        self._stopping = False
        self._reader = threading.Thread(target=self._read_frames, name="worker-pipe",
                                        daemon=True)
        self._reader.start()

    def _read_frames(self) -> None:
        try:
            while True:
                try:
                    item: bytes | BaseException = self._conn.recv_bytes(MAX_MESSAGE_BYTES)
                except (EOFError, OSError) as exc:
                    item = WorkerGone(str(exc) or "the pipe closed")
                except BaseException as exc:  # MemoryError ...: end the run, never hang it
                    item = WorkerGone(f"reading from the worker failed: {exc!r}"[:300])
                with self._ready:
                    while (self._queued >= READ_AHEAD_BYTES and not self._stopping
                           and not isinstance(item, BaseException)):
                        self._ready.wait()
                    if self._stopping:
                        return
                    self._frames.append(item)
                    if not isinstance(item, BaseException):
                        self._queued += len(item)
                    self._ready.notify_all()
                if isinstance(item, BaseException):
                    return
        finally:
            self._conn.close()

    def receive(self, timeout: float) -> list[Any] | bytes | None:
        """The next message (a JSON list, or a binary frame without its 0x00 marker),
        or None when nothing arrived within ``timeout`` seconds.

        Raises:
            WorkerGone: the pipe closed.
            ValueError: the message is not valid JSON or not a list.
        """
        with self._ready:
            if not self._frames and timeout > 0:
                self._ready.wait_for(lambda: bool(self._frames), timeout)
            if not self._frames:
                return None
            raw = self._frames[0]
            if isinstance(raw, BaseException):
                raise raw  # left in place: every later call reports the same end
            self._frames.popleft()
            self._queued -= len(raw)
            self._ready.notify_all()
        if raw[:1] == b"\x00":
            return raw[1:]
        message = decode_message(raw)
        if not isinstance(message, list) or not message:
            raise ValueError("not a message")
        return message

    def death_message(self) -> str:
        """Why the worker ended, for a one-line error."""
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return (f"the worker crashed ({name}) while parsing the image; the image is "
                    "probably corrupt")
        detail = self._last_stderr_line()
        return (f"the worker ended unexpectedly (exit status {code}"
                f"{': ' + detail if detail else ''})")

    def _last_stderr_line(self) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read()[-4000:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = [ln for ln in text.splitlines() if ln.strip()]
        return " ".join(lines[-1].split())[:200] if lines else ""

    def close(self) -> None:
        """Stop the worker (and anything it started) if it still runs, and let go of
        the pipe."""
        try:
            self.proc.wait(0.5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is empty already
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass  # stuck in the kernel (a failing disk): reaped by the OS when it returns
        # With every writer gone the reader thread gets EOF and closes the descriptor;
        # if it cannot (a process escaped the group), it keeps the descriptor, so the
        # number is never reused under it.
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        self._reader.join(5)
        self._stderr.close()
