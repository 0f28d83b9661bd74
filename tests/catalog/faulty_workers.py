"""Worker functions that misbehave, to prove the parent survives them.

They run inside the worker process started by the engine (``--target``).
"""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

from forensics.cataloging.records import VolumeRecord
from forensics.cataloging.wire import to_wire


def _one_volume(conn: Any) -> None:
    conn.send(["records", [["volume", to_wire(VolumeRecord(
        0, "none", None, 0, 1, 512, "whole", True, "whole"))]]])


def abort_worker(conn: Any, job: dict[str, Any]) -> None:
    _one_volume(conn)
    os.abort()


def segfault_worker(conn: Any, job: dict[str, Any]) -> None:
    _one_volume(conn)
    ctypes.string_at(0)  # null pointer read: SIGSEGV


def hang_worker(conn: Any, job: dict[str, Any]) -> None:
    _one_volume(conn)
    time.sleep(3600)


def memory_worker(conn: Any, job: dict[str, Any]) -> None:
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


def garbage_worker(conn: Any, job: dict[str, Any]) -> None:
    conn.send(["records", [["entry", ["not", "an", "entry"]]]])
    time.sleep(30)


def pickle_worker(conn: Any, job: dict[str, Any]) -> None:
    conn.send_raw(b"\x80\x04\x95 not json at all")
    time.sleep(30)


def exit_worker(conn: Any, job: dict[str, Any]) -> None:
    os._exit(7)


def unknown_message_worker(conn: Any, job: dict[str, Any]) -> None:
    conn.send(["launch-missiles", 1])
    time.sleep(30)


def hostile_error_worker(conn: Any, job: dict[str, Any]) -> None:
    conn.send(["error", "bad\udcff name \u202e in message"])


def flood_worker(conn: Any, job: dict[str, Any]) -> None:
    """Sends far more than the parent reads ahead, then waits."""
    frame = ["note", "x" * (4 << 20)]
    for _ in range(40):
        conn.send(frame)
    time.sleep(60)


def forking_worker(conn: Any, job: dict[str, Any]) -> None:
    """Leaves a child behind that holds the pipe open, then exits."""
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    conn.send(["child", child])
    os._exit(0)


def pipe_size_worker(conn: Any, job: dict[str, Any]) -> None:
    """Reports how many bytes its pipe to the parent holds."""
    import fcntl

    conn.send(["pipe", fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ)])


def _file_entry_wire(size: int) -> list[Any]:
    from forensics.cataloging.records import EntryRecord

    return to_wire(EntryRecord(0, 0, "f.bin", b"f.bin", "f.bin", b"f.bin", None, 5, None,
                               None, None, "r", "r", size, True, True, False,
                               None, None, None, None, 420, 0, 0))


def handoff_beyond_buffer_worker(conn: Any, job: dict[str, Any]) -> None:
    """Claims content far outside the shared buffer."""
    conn.send(["records", [["entry-handoff", [1 << 40, 9000, _file_entry_wire(9000)]]]])
    time.sleep(30)


def handoff_not_matching_entry_worker(conn: Any, job: dict[str, Any]) -> None:
    """Hands over fewer bytes than the entry's size."""
    conn.send(["records", [["entry-handoff", [0, 9000, _file_entry_wire(12_000)]]]])
    time.sleep(30)


def unmappable_ring_worker(conn: Any, job: dict[str, Any]) -> None:
    """The real catalog worker, given a buffer it cannot map (as under a tight limit)."""
    from forensics.cataloging.worker import catalog_worker

    os.close(int(job["content_ring_fd"]))
    catalog_worker(conn, job)
