"""Practice images are byte-for-byte reproducible from their seed (trainers hand out hashes)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from forensics.training import TrainingSpec, build_image


@pytest.mark.skipif(not shutil.which("fls"), reason="sleuthkit not installed")
def test_fat_image_carries_no_build_time(tmp_path):
    spec = TrainingSpec(seed=7, fs_type="fat32", files=12, deleted=2, disguised=1)
    first, second = tmp_path / "a.dd", tmp_path / "b.dd"
    build_image(spec, first)
    build_image(spec, second)
    assert first.read_bytes() == second.read_bytes()
    # every time in the image comes from the seed, not from the clock of the build
    body = subprocess.run(["fls", "-r", "-m", "/", "-i", "raw", str(first)], capture_output=True,
                          text=True, check=True).stdout
    fixed = 1_600_000_000 + 7
    seen = set()
    for line in body.splitlines():
        fields = line.split("|")
        if len(fields) == 11 and fields[3][:3] in ("r/r", "d/d"):
            seen.update(int(t) for t in fields[7:11] if int(t) > 0)
    assert seen, body
    # files and folders carry times from the seed (FAT keeps access dates to the day),
    # never the build machine's clock (mtools stamps new folders with it by default)
    assert max(seen) < fixed + 2 * 86400, sorted(seen)
