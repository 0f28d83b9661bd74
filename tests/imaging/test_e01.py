"""E01 output through ewfacquirestream: a real EWF set that libewf's own tools accept."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from forensics.imaging import acquire_image, verify_image
from forensics.media import open_media
from tests.imaging.helpers import flip_byte, have_tool, write_random

pytestmark = pytest.mark.skipif(
    not have_tool("ewfacquirestream"), reason="ewf-tools (ewfacquirestream) not installed"
)

META = {
    "case_reference": "OP-HERON-2026",
    "exhibit_reference": "EX-001",
    "examiner": "DC 4521 Smith",
    "description": "Kingston USB stick, black",
    "notes": "seal S-889 intact",
}


def _ewfinfo(path: Path) -> str:
    return subprocess.run(["ewfinfo", str(path)], capture_output=True, text=True,
                          check=False).stdout


def _ewfverify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ewfverify", "-q", "-d", "sha1", str(path)], capture_output=True,
                          text=True, check=False)


@pytest.mark.parametrize("size", [0, 512, 3 * 1024 * 1024 + 512 * 7])
def test_e01_passes_ewfverify_and_shows_metadata(tmp_path: Path, size: int) -> None:
    data = write_random(tmp_path / "src.bin", size)
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="e01",
                        segment_size=1 << 20, **META)
    assert rec.state == "verified"
    assert rec.padding_bytes == 0
    assert rec.source_hashes["md5"] == hashlib.md5(data).hexdigest()
    assert rec.image_hashes == rec.source_hashes
    assert rec.container_hashes_stored["md5"] == rec.image_hashes["md5"]
    first = tmp_path / "out" / "EX-001.E01"
    assert first.exists()
    assert rec.segments[0].path == "EX-001.E01"
    if size > 2 << 20:
        assert len(rec.segments) >= 3
    for seg in rec.segments:
        f = tmp_path / "out" / seg.path
        assert hashlib.sha256(f.read_bytes()).hexdigest() == seg.sha256
    if have_tool("ewfverify") and size:
        proc = _ewfverify(first)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "SUCCESS" in proc.stdout
    if have_tool("ewfinfo"):
        info = _ewfinfo(first)
        assert re.search(r"Case number:\s+OP-HERON-2026", info)
        assert re.search(r"Evidence number:\s+EX-001", info)
        assert re.search(r"Examiner name:\s+DC 4521 Smith", info)
        assert re.search(r"Description:\s+Kingston USB stick, black", info)
        assert re.search(r"Notes:\s+seal S-889 intact", info)
        if size:
            assert re.search(rf"MD5:\s+{rec.image_hashes['md5']}", info)
            assert re.search(rf"SHA1:\s+{rec.image_hashes['sha1']}", info)


def test_size_not_multiple_of_sector_is_padded_and_recorded(tmp_path: Path) -> None:
    data = write_random(tmp_path / "src.bin", 100_000)  # 100000 = 195 * 512 + 160
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="e01",
                        segment_size=1 << 20, exhibit_reference="EX-2")
    pad = (-100_000) % 512
    assert rec.padding_bytes == pad == 352
    assert rec.source_hashes["sha256"] == hashlib.sha256(data).hexdigest()
    padded = data + bytes(pad)
    assert rec.image_hashes["sha256"] == hashlib.sha256(padded).hexdigest()
    assert rec.image_hashes["md5"] == hashlib.md5(padded).hexdigest()
    assert any("not a whole number" in w for w in rec.warnings)
    with open_media(tmp_path / "out" / "EX-2.E01") as reader:
        assert reader.size == len(padded)
        assert reader.read_at(0, len(padded)) == padded
        assert reader.info.stored_hashes["md5"] == rec.image_hashes["md5"]
    if have_tool("ewfverify"):
        proc = _ewfverify(tmp_path / "out" / "EX-2.E01")
        assert proc.returncode == 0, proc.stdout


def test_flipped_byte_in_e01_segment_is_located(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 3 << 20)
    rec = acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="e01",
                        segment_size=1 << 20, exhibit_reference="EX-3", verify=False)
    assert len(rec.segments) >= 3
    assert verify_image(rec).result == "match"
    for seg in rec.segments:
        path = tmp_path / "out" / seg.path
        flip_byte(path, seg.size // 2)
        result = verify_image(rec)
        assert result.result == "mismatch"
        assert result.mismatched_segments == (seg.path,)
        flip_byte(path, seg.size // 2)
    assert verify_image(rec).result == "match"


def test_e01_source_reacquired_to_raw(tmp_path: Path) -> None:
    data = write_random(tmp_path / "src.bin", 700 * 512)
    acquire_image(tmp_path / "src.bin", tmp_path / "a", fmt="e01", segment_size=1 << 20,
                  exhibit_reference="EX-4")
    rec = acquire_image(tmp_path / "a" / "EX-4.E01", tmp_path / "b", name="copy")
    assert rec.source.media_format == "ewf"
    assert rec.source.container_metadata["evidence_number"] == "EX-4"
    assert rec.source.container_hashes["md5"] == hashlib.md5(data).hexdigest()
    assert (tmp_path / "b" / "copy.raw").read_bytes() == data


def test_hash_disagreement_with_ewfacquirestream_fails(tmp_path: Path, monkeypatch) -> None:
    """If libewf hashed different bytes than Sealbag read, the image is never published."""
    from forensics.imaging import AcquisitionFailed
    from forensics.imaging.writers import EwfStreamWriter

    write_random(tmp_path / "src.bin", 64 * 512)
    monkeypatch.setattr(EwfStreamWriter, "logged_hashes", lambda self: {"md5": "0" * 32})
    with pytest.raises(AcquisitionFailed, match="altered in the pipe") as info:
        acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="e01", segment_size=1 << 20,
                      exhibit_reference="EX-5")
    assert info.value.record.state == "failed"
    assert not (tmp_path / "out" / "EX-5.E01").exists()


def test_e01_without_ewf_tools_is_refused(tmp_path: Path, monkeypatch) -> None:
    from forensics.errors import UserInputError
    from forensics.imaging import writers

    write_random(tmp_path / "src.bin", 512)
    monkeypatch.setattr(writers, "ewfacquirestream_path", lambda: None)
    with pytest.raises(UserInputError, match="ewf-tools"):
        acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="e01", exhibit_reference="E")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(UserInputError, match="at least 1 MiB"):
        monkeypatch.undo()
        acquire_image(tmp_path / "src.bin", tmp_path / "out", fmt="e01", segment_size=512 * 100,
                      exhibit_reference="E")
