"""The worker can crash, hang, blow up or lie; the caller gets a failed run, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forensics.cataloging.engine import CatalogOptions, ListSink, run_catalog
from forensics.cataloging.records import RunStatus
from forensics.errors import NotFoundError
from forensics.progress import CancelToken, ProgressUpdate

FAULTY = "tests.catalog.faulty_workers"


@pytest.fixture
def some_file(tmp_path: Path) -> Path:
    path = tmp_path / "media.raw"
    path.write_bytes(b"\0" * 4096)
    return path


@pytest.mark.parametrize(("worker", "signal_name"), [
    ("abort_worker", "SIGABRT"),
    ("segfault_worker", "SIGSEGV"),
])
def test_crashing_worker_fails_the_run_with_a_clear_message(
        some_file: Path, worker: str, signal_name: str) -> None:
    sink = ListSink()
    summary = run_catalog(some_file, sink, worker=f"{FAULTY}:{worker}")
    assert summary.status is RunStatus.FAILED
    assert not summary.complete
    assert signal_name in (summary.error or "")
    assert "crashed" in (summary.error or "")
    assert len(sink.volumes) == 1  # what arrived before the crash was delivered, and marked failed


def test_hanging_worker_is_stopped_by_the_watchdog(some_file: Path) -> None:
    summary = run_catalog(some_file, ListSink(), worker=f"{FAULTY}:hang_worker",
                          options=CatalogOptions(stall_timeout=1.5))
    assert summary.status is RunStatus.FAILED
    assert "no progress for 1.5 s" in (summary.error or "")
    assert summary.elapsed_s < 30


def test_memory_blowup_is_contained_by_the_address_space_limit(some_file: Path) -> None:
    summary = run_catalog(some_file, ListSink(), worker=f"{FAULTY}:memory_worker",
                          options=CatalogOptions(memory_limit=512 << 20, stall_timeout=60))
    assert summary.status is RunStatus.FAILED
    assert "out of memory" in (summary.error or "") or "crashed" in (summary.error or "")


@pytest.mark.parametrize("worker", ["garbage_worker", "pickle_worker", "unknown_message_worker"])
def test_malformed_messages_fail_the_run(some_file: Path, worker: str) -> None:
    summary = run_catalog(some_file, ListSink(), worker=f"{FAULTY}:{worker}")
    assert summary.status is RunStatus.FAILED
    assert "malformed" in (summary.error or "")


def test_worker_error_text_is_escaped(some_file: Path) -> None:
    summary = run_catalog(some_file, ListSink(), worker=f"{FAULTY}:hostile_error_worker")
    assert summary.status is RunStatus.FAILED
    assert "⟨0xFF⟩" in (summary.error or "") and "⟨U+202E⟩" in (summary.error or "")
    (summary.error or "").encode("utf-8")  # no lone surrogate left


def test_worker_exiting_early_fails_the_run(some_file: Path) -> None:
    summary = run_catalog(some_file, ListSink(), worker=f"{FAULTY}:exit_worker")
    assert summary.status is RunStatus.FAILED
    assert "exit status 7" in (summary.error or "")


def test_cancel_gives_a_cancelled_run(some_file: Path) -> None:
    token = CancelToken()
    seen: list[ProgressUpdate] = []

    def progress(update: ProgressUpdate) -> None:
        seen.append(update)
        token.cancel("examiner stopped it")

    summary = run_catalog(some_file, ListSink(), worker=f"{FAULTY}:hang_worker",
                          progress=progress, cancel=token,
                          options=CatalogOptions(stall_timeout=60))
    assert summary.status is RunStatus.CANCELLED
    assert "examiner stopped it" in (summary.error or "")
    assert seen


def test_garbage_file_is_catalogued_as_no_file_system(tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(os.urandom(1 << 20))
    sink = ListSink()
    summary = run_catalog(path, sink)
    assert summary.status is RunStatus.COMPLETE
    assert sink.entries == []
    assert [f.status for f in summary.file_systems] == ["unknown"]
    assert "no file system" in (summary.file_systems[0].error or "")


def test_truncated_image_never_crashes_the_caller(ext4_image, tmp_path: Path) -> None:
    image, _key = ext4_image
    cut = tmp_path / "truncated.img"
    data = image.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    sink = ListSink()
    summary = run_catalog(cut, sink, options=CatalogOptions(stall_timeout=30))
    # the missing tail shows up as gaps: never a silently "complete" catalog
    assert summary.status is RunStatus.INCOMPLETE
    assert summary.gaps
    assert all("unreadable" in g.reason or "cut short" in g.reason for g in summary.gaps)
    assert 0 < len(sink.entries) < len(_key.files)
    unreadable = [e for e in sink.entries if e.error and e.allocated]
    assert unreadable and all(e.sha256 is None for e in unreadable)


def test_missing_image_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        run_catalog(tmp_path / "nope.dd", ListSink())


def test_failing_sink_fails_the_run(some_file: Path) -> None:
    class Broken(ListSink):
        def volume(self, record):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full")

    summary = run_catalog(some_file, Broken())
    assert summary.status is RunStatus.FAILED
    assert "disk full" in (summary.error or "")


def test_only_the_tsk_module_imports_pytsk3() -> None:
    root = Path(__file__).resolve().parents[2]
    importers = []
    for base in ("forensics", "app", "reports"):
        for path in sorted((root / base).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            if any(line.strip().startswith(("import pytsk3", "from pytsk3")) for line in lines):
                importers.append(str(path.relative_to(root)))
    assert importers == ["forensics/cataloging/tsk.py"]


def test_the_application_process_never_loads_pytsk3(some_file: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from forensics.cataloging.engine import run_catalog, ListSink; "
            f"s = run_catalog({str(some_file)!r}, ListSink()); "
            "assert s.status.value == 'complete', s.error; "
            "assert 'pytsk3' not in sys.modules; print('ok')")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_worker_messages_decode_to_the_same_values_on_both_paths() -> None:
    import json

    from forensics.cataloging.process import decode_message
    from forensics.cataloging.records import Timestamp
    from forensics.cataloging.worker import encode_message

    plain = ["records", [["entry", [0, 512, "a/b.txt", "a/b.txt", None, True, 2**63,
                                   Timestamp(1, 2, 3)]]]]
    assert encode_message(plain)[:1] == b"["
    assert decode_message(encode_message(plain)) == json.loads(json.dumps(plain))
    # what orjson refuses goes through the standard encoder, marked, and comes back equal
    for odd in (["note", "lone \ud800 surrogate"], ["beat", 2**70, 1]):
        frame = encode_message(odd)
        assert frame[:1] == b" "
        assert decode_message(frame) == odd == json.loads(frame)
    # the standard decoder still has the last word on what orjson rejects
    assert decode_message(b'["x","\\ud800"]') == ["x", "\ud800"]
    with pytest.raises(ValueError):
        decode_message(b'["records", ')


def test_read_ahead_from_a_flooding_worker_is_bounded() -> None:
    import time

    from forensics.cataloging.process import MAX_MESSAGE_BYTES, READ_AHEAD_BYTES, WorkerProcess

    proc = WorkerProcess(f"{FAULTY}:flood_worker", {}, None)
    try:
        time.sleep(3)  # the application is busy; the reader thread reads ahead meanwhile
        assert 0 < proc._queued <= READ_AHEAD_BYTES + MAX_MESSAGE_BYTES
        assert proc._queued <= READ_AHEAD_BYTES + (5 << 20)
        assert proc.receive(1) is not None
    finally:
        proc.close()


def test_a_child_left_behind_by_the_worker_is_stopped_with_it() -> None:
    import time

    from forensics.cataloging.process import WorkerProcess

    proc = WorkerProcess(f"{FAULTY}:forking_worker", {}, None)
    first = None
    deadline = time.monotonic() + 30
    while first is None and time.monotonic() < deadline:
        first = proc.receive(0.5)
    assert first is not None and first[0] == "child"
    child = int(first[1])
    started = time.monotonic()
    proc.close()  # the child still holds the pipe: it is killed with the worker's group
    assert time.monotonic() - started < 4
    assert not proc._reader.is_alive()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0] \
            if Path(f"/proc/{child}/stat").exists() else "gone"
        if state == "Z":  # killed, waiting for its new parent to reap it
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or state == "Z"


def test_an_image_at_a_path_that_is_not_utf8(ext4_image, tmp_path: Path) -> None:
    import shutil

    folder = os.fsdecode(bytes(tmp_path) + b"/caso-\xe9")
    os.mkdir(folder)
    image = os.path.join(folder, "evidence.img")
    shutil.copyfile(ext4_image[0], image)
    summary = run_catalog(image, ListSink())
    assert summary.status is RunStatus.COMPLETE, summary.error


def test_the_worker_can_write_a_whole_batch_ahead() -> None:
    """The pipe to the worker holds 1 MiB (Linux's default 64 KiB would stop the walk
    whenever the application thread is busy storing a batch)."""
    import fcntl
    import os

    from forensics.cataloging.process import PIPE_BYTES, WorkerProcess

    probe_r, probe_w = os.pipe()
    try:
        fcntl.fcntl(probe_w, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pytest.skip("this system does not allow 1 MiB pipes (the default still works)")
    finally:
        os.close(probe_r)
        os.close(probe_w)
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    proc = WorkerProcess(f"{FAULTY}:pipe_size_worker", {}, None)
    try:
        message = None
        for _ in range(60):
            message = message or proc.receive(0.5)
        assert message is not None and message[0] == "pipe"
        assert message[1] >= min(PIPE_BYTES, limit) >= 1 << 20
    finally:
        proc.close()


def test_worker_frames_are_read_back_exactly_by_the_application() -> None:
    """The worker writes frames itself; the application reads them with
    multiprocessing's Connection: every size round-trips unchanged."""
    import os
    import threading
    from multiprocessing.connection import Connection

    from forensics.cataloging.worker import Channel

    frames = [b"", b"x", bytes(range(256)) * 64, b"y" * 16385, os.urandom(3 << 20)]
    read_fd, write_fd = os.pipe()
    channel = Channel(write_fd)
    writer = threading.Thread(target=lambda: [channel.send_raw(f) for f in frames])
    writer.start()
    reader = Connection(read_fd, writable=False)
    try:
        assert [reader.recv_bytes() for _ in frames] == frames
    finally:
        writer.join()
        channel.close()
        reader.close()


def test_frames_over_2_gib_get_the_long_length_prefix() -> None:
    import struct

    from forensics.cataloging.worker import frame_header

    assert frame_header(5) == struct.pack("!i", 5)
    assert frame_header(2**31 - 1) == struct.pack("!i", 2**31 - 1)
    assert frame_header(2**31) == struct.pack("!i", -1) + struct.pack("!Q", 2**31)
