"""Acquisition to raw and split raw: hashes, segments, errors, shrink, cancel."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from forensics.errors import ConflictError, UserInputError
from forensics.imaging import (
    AcquisitionCancelled,
    AcquisitionFailed,
    ErrorRange,
    acquire_image,
    read_record,
    record_path,
)
from forensics.progress import CancelToken
from tests.imaging.helpers import SMALL_CHUNK, FaultySource, have_tool, opened, write_random

SIZES = [0, 1, 511, 512, 4097, SMALL_CHUNK * 3 + 123, 1_000_003]


def _digests(data: bytes) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256")}


@pytest.mark.parametrize("size", SIZES)
def test_raw_hashes_equal_hashlib(tmp_path: Path, size: int) -> None:
    data = write_random(tmp_path / "src.bin", size, seed=size)
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img",
                        chunk_size=SMALL_CHUNK, pool_size=4)
    assert rec.state == "verified"
    assert rec.source_hashes == _digests(data)
    assert rec.image_hashes == rec.source_hashes
    image = tmp_path / "out" / "img.raw"
    assert image.read_bytes() == data
    assert rec.bytes_total == rec.bytes_read == size
    assert rec.segments[0].sha256 == hashlib.sha256(data).hexdigest()
    assert rec.verification.result == "match"


@pytest.mark.parametrize("size", [0, 1, 51_199, 51_200, 51_201, 333_333])
def test_split_segments_concatenate_to_source(tmp_path: Path, size: int) -> None:
    data = write_random(tmp_path / "src.bin", size, seed=size + 7)
    segment = 100 * 512  # not a multiple of the buffer size nor of 4 KiB
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="split", name="img",
                        segment_size=segment, chunk_size=SMALL_CHUNK, pool_size=4)
    files = [tmp_path / "out" / s.path for s in rec.segments]
    assert [f.name for f in files] == [f"img.{i:03d}" for i in range(1, len(files) + 1)]
    assert len(files) == max(1, -(-size // segment))
    assert all(f.stat().st_size <= segment for f in files)
    assert b"".join(f.read_bytes() for f in files) == data
    for seg, f in zip(rec.segments, files, strict=True):
        assert seg.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
        assert seg.size == f.stat().st_size
    assert rec.source_hashes == _digests(data)
    assert rec.state == "verified"


def test_hashes_equal_coreutils(tmp_path: Path) -> None:
    if not (have_tool("md5sum") and have_tool("sha256sum")):
        pytest.skip("coreutils md5sum/sha256sum not installed")
    write_random(tmp_path / "src.bin", 777_777)
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img")
    for tool, algo in (("md5sum", "md5"), ("sha1sum", "sha1"), ("sha256sum", "sha256")):
        out = subprocess.run([tool, str(tmp_path / "src.bin")], capture_output=True, text=True,
                             check=True).stdout
        assert rec.source_hashes[algo] == out.split()[0]


def test_source_bytes_and_mtime_unchanged(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    data = write_random(src, 300_000)
    before = src.stat()
    acquire_image(src, tmp_path / "out", fmt="split", segment_size=65536, name="img",
                  verify_source=True)
    after = src.stat()
    assert src.read_bytes() == data
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_size == before.st_size
    assert after.st_ino == before.st_ino


def test_record_written_beside_image_and_round_trips(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 10_000)
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", exhibit_reference="EX 001/a",
                        case_reference="OP-1", examiner="DC 42", notes="bag S-1",
                        algorithms=["md5"], write_blocker="Tableau T35u s/n 123")
    path = record_path(tmp_path / "out", "EX_001_a")
    assert path.exists()
    loaded = read_record(path)
    assert loaded == rec
    data = json.loads(path.read_text())
    assert data["state"] == "verified"
    assert data["case_reference"] == "OP-1"
    assert data["write_blocker"] == "Tableau T35u s/n 123"
    assert data["algorithms"] == ["md5", "sha256"]  # sha256 always on
    assert data["source"]["files"][0]["size"] == 10_000
    assert data["tool"]["libraries"]["openssl"]
    assert data["speed_mb_per_s"] is None or data["speed_mb_per_s"] > 0


def test_eio_ranges_zero_filled_and_listed(tmp_path: Path) -> None:
    size = 200 * 512 + 100  # last sector is partial
    data = write_random(tmp_path / "src.bin", size)
    bad = {0, 57, 58, 59, 130, 200}  # first, a run of three, a single one, the partial last
    src = FaultySource(tmp_path / "src.bin", bad)
    rec = acquire_image(opened(src, tmp_path / "src.bin"), tmp_path / "out", name="img",
                        chunk_size=8192, pool_size=3)
    src.close()
    assert rec.error_ranges == (
        ErrorRange(0, 512, "EIO"), ErrorRange(57 * 512, 3 * 512, "EIO"),
        ErrorRange(130 * 512, 512, "EIO"), ErrorRange(200 * 512, 100, "EIO"),
    )
    assert rec.bytes_zero_filled == 512 + 3 * 512 + 512 + 100
    image = (tmp_path / "out" / "img.raw").read_bytes()
    assert len(image) == size
    expected = bytearray(data)
    for r in rec.error_ranges:
        expected[r.offset : r.end] = bytes(r.length)
    assert image == bytes(expected)  # every readable sector is intact
    assert rec.source_hashes["sha256"] == hashlib.sha256(bytes(expected)).hexdigest()
    # each bad sector was retried, not skipped after one failure
    assert all(src.attempts[s] >= 3 for s in bad)
    assert read_record(record_path(tmp_path / "out", "img")).error_ranges == rec.error_ranges


def test_stop_policy_fails_on_first_bad_sector(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 64 * 512)
    src = FaultySource(tmp_path / "src.bin", {10})
    with pytest.raises(AcquisitionFailed, match="unreadable sector at byte 5120") as info:
        acquire_image(opened(src, tmp_path / "src.bin"), tmp_path / "out", name="img",
                      error_policy="stop", chunk_size=8192)
    assert info.value.record.state == "failed"
    assert not (tmp_path / "out" / "img.raw").exists()


def test_injected_shrink_fails_clearly(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 100 * 1024)
    src = FaultySource(tmp_path / "src.bin", shrink_after=3, shrink_to=30 * 1024)
    with pytest.raises(AcquisitionFailed, match="shrank") as info:
        acquire_image(opened(src, tmp_path / "src.bin"), tmp_path / "out", name="img",
                      chunk_size=8192, pool_size=2)
    rec = info.value.record
    assert rec.state == "failed"
    assert "30720" in rec.abort_reason
    on_disk = read_record(record_path(tmp_path / "out", "img"))
    assert on_disk.state == "failed"
    assert not (tmp_path / "out" / "img.raw").exists()
    assert (tmp_path / "out" / "img.partial" / "img.raw").exists()


def test_real_file_truncated_midway_fails(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    write_random(src, 2 << 20)
    truncated = []

    def progress(update) -> None:
        if update.done and not truncated:
            truncated.append(update.done)
            with open(src, "r+b") as fh:
                fh.truncate(1 << 20)

    with pytest.raises(AcquisitionFailed, match="shrank") as info:
        acquire_image(src, tmp_path / "out", name="img", chunk_size=SMALL_CHUNK, pool_size=2,
                      progress=progress)
    assert info.value.record.state == "failed"
    assert info.value.record.bytes_read < 2 << 20
    assert not (tmp_path / "out" / "img.raw").exists()


def test_vanished_source_fails_clearly(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 100 * 1024)
    src = FaultySource(tmp_path / "src.bin", vanish_after=2)
    with pytest.raises(AcquisitionFailed, match="vanished") as info:
        acquire_image(opened(src, tmp_path / "src.bin"), tmp_path / "out", name="img",
                      chunk_size=8192, keep_partial=False)
    assert info.value.record.state == "failed"
    assert not (tmp_path / "out" / "img.partial").exists()


@pytest.mark.parametrize("keep", [True, False])
def test_cancel_midway(tmp_path: Path, keep: bool) -> None:
    write_random(tmp_path / "src.bin", 1 << 20)
    token = CancelToken()
    events: list[tuple[str, dict]] = []

    def cancel_at(reads: int) -> None:
        if reads == 4:
            token.cancel("examiner stopped the run")

    src = FaultySource(tmp_path / "src.bin", on_read=cancel_at)
    with pytest.raises(AcquisitionCancelled) as info:
        acquire_image(opened(src, tmp_path / "src.bin"), tmp_path / "out", name="img",
                      chunk_size=SMALL_CHUNK, pool_size=2, cancel=token, keep_partial=keep,
                      on_event=lambda k, d: events.append((k, d)))
    rec = info.value.record
    assert rec.state == "cancelled"
    assert rec.abort_reason == "examiner stopped the run"
    assert 0 < rec.bytes_read < 1 << 20
    assert read_record(record_path(tmp_path / "out", "img")).state == "cancelled"
    assert not (tmp_path / "out" / "img.raw").exists()
    assert (tmp_path / "out" / "img.partial").exists() == keep
    if keep:
        assert (tmp_path / "out" / "img.partial" / "img.raw").stat().st_size <= rec.bytes_read
    assert [k for k, _ in events] == ["aborted"]


def test_cancel_during_verification_keeps_complete_image(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 300_000)
    token = CancelToken()

    def progress(update) -> None:
        if update.stage == "verify-image":
            token.cancel("stop verifying")

    with pytest.raises(AcquisitionCancelled) as info:
        acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img", progress=progress,
                      cancel=token)
    rec = info.value.record
    assert rec.state == "completed"
    assert rec.verification.result == "not_run"
    assert "verification cancelled" in rec.abort_reason
    assert (tmp_path / "out" / "img.raw").exists()


def test_custody_hook_gets_hashes(tmp_path: Path) -> None:
    data = write_random(tmp_path / "src.bin", 5000)
    events: list[tuple[str, dict]] = []
    acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img",
                  on_event=lambda kind, details: events.append((kind, details)))
    assert [k for k, _ in events] == ["imaged", "verified"]
    imaged = events[0][1]
    assert imaged["image_hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert imaged["segments"][0]["path"] == "img.raw"
    assert events[1][1]["verification"] == "match"


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 1000)
    acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img")
    with pytest.raises(ConflictError):
        acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img")


def test_bad_options(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 1000)
    with pytest.raises(UserInputError):
        acquire_image(tmp_path / "src.bin", tmp_path / "o", fmt="aff")
    with pytest.raises(UserInputError):
        acquire_image(tmp_path / "src.bin", tmp_path / "o", algorithms=["crc32"])
    with pytest.raises(UserInputError):
        acquire_image(tmp_path / "src.bin", tmp_path / "o", fmt="split", segment_size=1000)


def test_reacquire_split_and_e01_sources(tmp_path: Path) -> None:
    data = write_random(tmp_path / "src.bin", 150_000)
    acquire_image(tmp_path / "src.bin", tmp_path / "a", fmt="split", segment_size=51200,
                  name="set")
    rec = acquire_image(tmp_path / "a" / "set.002", tmp_path / "b", name="again")
    assert rec.source.media_format == "split"
    assert (tmp_path / "b" / "again.raw").read_bytes() == data
    assert rec.source_hashes["md5"] == hashlib.md5(data).hexdigest()


_FULL_DISK_SCRIPT = """
import resource, signal, sys
from forensics.imaging import AcquisitionFailed, acquire_image
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
try:
    acquire_image(sys.argv[1], sys.argv[2], name="img", chunk_size=65536)
except AcquisitionFailed as exc:
    print("FAILED", exc.record.state, exc)
"""


def test_destination_write_error_fails_clearly(tmp_path: Path) -> None:
    """A destination that refuses writes (EFBIG here, ENOSPC on a full disk) fails the run."""
    import os
    import sys

    write_random(tmp_path / "src.bin", 600_000)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_SCRIPT, str(tmp_path / "src.bin"),
         str(tmp_path / "out")],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(repo)},
        check=False, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("FAILED failed acquisition failed: File too large"), proc.stdout
    rec = read_record(record_path(tmp_path / "out", "img"))
    assert rec.state == "failed"
    assert not (tmp_path / "out" / "img.raw").exists()


def test_unexpected_error_still_marks_the_run_failed(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 300_000)

    def broken_progress(update) -> None:
        if update.done:
            raise RuntimeError("display crashed")

    with pytest.raises(RuntimeError, match="display crashed"):
        acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img", chunk_size=SMALL_CHUNK,
                      progress=broken_progress)
    rec = read_record(record_path(tmp_path / "out", "img"))
    assert rec.state == "failed"
    assert "display crashed" in rec.abort_reason
    assert not (tmp_path / "out" / "img.raw").exists()
