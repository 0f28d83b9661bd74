"""Sources: block devices (identity, mounted read-write refusal) and image files."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from forensics.errors import NotFoundError, UserInputError
from forensics.imaging import acquire_image, open_source
from forensics.imaging.sources import device_mounts
from tests.imaging.helpers import have_tool, write_random


def _mounted_block_device(rw: bool) -> str | None:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].startswith("/dev/"):
            try:
                mode = os.stat(parts[0]).st_mode
            except OSError:
                continue
            if stat.S_ISBLK(mode) and ("rw" in parts[3].split(",")) == rw:
                return parts[0]
    return None


def test_mounted_read_write_device_is_refused() -> None:
    dev = _mounted_block_device(rw=True)
    if dev is None:
        pytest.skip("no block device mounted read-write on this machine")
    with pytest.raises(UserInputError, match="mounted read-write"):
        open_source(dev)


def test_device_mounts_matches_by_device_number(tmp_path: Path) -> None:
    dev = _mounted_block_device(rw=True)
    if dev is None:
        pytest.skip("no block device node to match against")
    rdev = os.stat(dev).st_rdev
    text = f"{dev} /mnt/evidence ext4 rw,relatime 0 0\n/dev/nonexistent /x ext4 rw 0 0\n"
    assert device_mounts(rdev, None, text) == [f"{dev} /mnt/evidence ext4 rw,relatime"]
    assert device_mounts(rdev, None, "tmpfs /tmp tmpfs rw 0 0\n") == []


def test_image_file_identity(tmp_path: Path) -> None:
    write_random(tmp_path / "src.bin", 4096)
    opened = open_source(tmp_path / "src.bin")
    try:
        ident = opened.identity
        assert ident.kind == "image-file"
        assert ident.size == 4096
        assert ident.files[0]["size"] == 4096
        assert ident.files[0]["mtime_ns"] == (tmp_path / "src.bin").stat().st_mtime_ns
        assert ident.hpa_dco.startswith("not applicable")
    finally:
        opened.reader.close()


def test_missing_and_folder_sources(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        open_source(tmp_path / "nope.bin")
    with pytest.raises(UserInputError):
        open_source(tmp_path)


@pytest.mark.slow
def test_acquire_read_only_loop_device(tmp_path: Path) -> None:
    """A real block device: a read-only loop device over a random file."""
    if os.geteuid() != 0 or not have_tool("losetup"):
        pytest.skip("needs root and losetup to attach a loop device")
    data = write_random(tmp_path / "disk.img", 1 << 20)
    proc = subprocess.run(["losetup", "-f", "--show", "-r", str(tmp_path / "disk.img")],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot attach a loop device: {proc.stderr.strip()}")
    dev = proc.stdout.strip()
    try:
        rec = acquire_image(dev, tmp_path / "out", name="loop", verify_source=True)
        # the bad-sector fallback reads single sectors with O_DIRECT on a device
        opened = open_source(dev)
        try:
            sector = opened.reader.sector_size
            buf = memoryview(bytearray(sector))
            for n in (0, 3, (1 << 20) // sector - 1):
                assert opened.reader.read_sector(n * sector, buf) == sector
                assert bytes(buf) == data[n * sector : (n + 1) * sector]
            assert opened.reader._direct_fd(0) is not None
        finally:
            opened.reader.close()
        # bulk reads of a device bypass the page cache when the buffer is aligned
        opened = open_source(dev)
        try:
            import mmap

            aligned = memoryview(mmap.mmap(-1, 65536))
            assert opened.reader.readinto(65536, aligned) == 65536
            assert bytes(aligned) == data[65536:131072]
            assert opened.reader.direct_read_bytes == 65536
            unaligned = memoryview(bytearray(65536 + 1))[1:]
            assert opened.reader.readinto(0, unaligned) == 65536
            assert bytes(unaligned) == data[:65536]
            assert opened.reader.direct_read_bytes == 65536  # unaligned: read buffered
        finally:
            opened.reader.close()
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
    assert rec.source.kind == "block-device"
    assert rec.source.size == 1 << 20
    assert rec.source.sector_size in (512, 4096)
    assert rec.source.kernel_read_only is True
    assert rec.source.hpa_dco.startswith("not determinable")
    assert rec.source_hashes["sha256"] == hashlib.sha256(data).hexdigest()
    assert rec.verification.result == "match"
    assert rec.verification.source_reread
