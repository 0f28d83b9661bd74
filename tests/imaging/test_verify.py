"""Verification must catch one flipped byte in any segment and name the segment."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.imaging import ImageVerificationFailed, acquire_image, read_record, verify_image
from forensics.imaging.record import record_path
from forensics.imaging.sources import FdSource
from tests.imaging.helpers import flip_byte, write_random

SEGMENT = 64 * 1024


@pytest.fixture
def split_image(tmp_path: Path):
    write_random(tmp_path / "src.bin", 3 * SEGMENT + 5000)
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="split", name="img",
                        segment_size=SEGMENT, verify=False)
    assert rec.state == "completed"
    assert len(rec.segments) == 4
    return rec


def test_untouched_image_verifies(split_image, tmp_path: Path) -> None:
    result = verify_image(split_image)
    assert result.result == "match"
    assert result.mismatched_segments == ()
    assert {c.item for c in result.checks} >= {"image md5", "image sha1", "image sha256"}


@pytest.mark.parametrize("segment_index", [0, 1, 2, 3])
def test_flipped_byte_in_any_segment_is_located(split_image, segment_index: int) -> None:
    seg = split_image.segments[segment_index]
    path = Path(split_image.output_dir) / seg.path
    flip_byte(path, seg.size // 2)
    result = verify_image(split_image)
    assert result.result == "mismatch"
    assert result.mismatched_segments == (seg.path,)
    failed = {c.item for c in result.checks if not c.match}
    assert f"segment {seg.path} sha256" in failed
    assert "image sha256" in failed


def test_missing_and_truncated_segments(split_image) -> None:
    out = Path(split_image.output_dir)
    (out / split_image.segments[1].path).unlink()
    with open(out / split_image.segments[3].path, "r+b") as fh:
        fh.truncate(10)
    result = verify_image(split_image)
    assert result.result == "mismatch"
    assert set(result.mismatched_segments) == {split_image.segments[1].path,
                                               split_image.segments[3].path}


def test_source_reread_detects_changed_source(split_image, tmp_path: Path) -> None:
    src = FdSource([tmp_path / "src.bin"])
    try:
        assert verify_image(split_image, source=src).result == "match"
    finally:
        src.close()
    flip_byte(tmp_path / "src.bin", 100)
    src = FdSource([tmp_path / "src.bin"])
    try:
        result = verify_image(split_image, source=src)
    finally:
        src.close()
    assert result.result == "mismatch"
    assert result.mismatched_segments == ()
    assert {c.item for c in result.checks if not c.match} == {
        "source md5", "source sha1", "source sha256"}


def test_corruption_between_write_and_verify_is_never_silent(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 200_000)

    def tamper(kind: str, details: dict) -> None:
        if kind == "imaged":
            flip_byte(Path(details["output_dir"]) / details["segments"][0]["path"], 1234)

    with pytest.raises(ImageVerificationFailed, match="do not use this image") as info:
        acquire_image(tmp_path / "src.bin", tmp_path / "out", name="img", on_event=tamper)
    rec = info.value.record
    assert rec.state == "verification_failed"
    assert rec.verification.mismatched_segments == ("img.raw",)
    assert read_record(record_path(tmp_path / "out", "img")).state == "verification_failed"
