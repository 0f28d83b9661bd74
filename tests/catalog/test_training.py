"""Practice images: reproducible from a seed, with a complete answer key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.errors import UserInputError
from forensics.training import TrainingSpec, build_image, plan_files


def test_same_seed_same_plan_and_different_seed_different_plan() -> None:
    spec = TrainingSpec(seed=42, fs_type="ext4", undecodable=True)
    a = [f.key() for f in plan_files(spec)[1]]
    b = [f.key() for f in plan_files(spec)[1]]
    c = [f.key() for f in plan_files(TrainingSpec(seed=43, fs_type="ext4"))[1]]
    assert a == b
    assert a != c


def test_plan_has_what_the_spec_asks_for() -> None:
    dirs, files = plan_files(TrainingSpec(seed=1, fs_type="fat32", files=50, deleted=7,
                                          disguised=4, max_depth=3))
    assert sum(f.deleted for f in files) == 7
    assert sum(f.disguised for f in files) == 4
    assert not any(f.deleted and f.disguised for f in files)
    assert max(d.count(b"/") for d in dirs) <= 2
    assert any(not f.path.isascii() for f in files)
    assert all(f.true_type.startswith("image/") or f.true_type == "application/pdf"
               for f in files if f.disguised)


def test_impossible_spec_is_refused() -> None:
    with pytest.raises(UserInputError):
        plan_files(TrainingSpec(files=3, deleted=2, disguised=2))
    with pytest.raises(UserInputError):
        plan_files(TrainingSpec(fs_type="zfs"))


def test_answer_key_is_written_beside_the_image(ext4_image) -> None:
    image, key = ext4_image
    on_disk = json.loads(Path(str(image) + ".answers.json").read_text(encoding="utf-8"))
    assert on_disk["image_sha256"] == key.image_sha256
    assert on_disk["spec"]["seed"] == 11
    one = on_disk["files"][0]
    assert {"path", "path_raw_hex", "size", "allocated", "deleted", "md5", "sha256",
            "true_type", "disguised"} <= one.keys()
    assert on_disk["tools"]["mke2fs"].startswith("mke2fs")


@pytest.mark.slow
def test_fat32_and_partitioned_ntfs_build(tmp_path: Path) -> None:
    fat = build_image(TrainingSpec(seed=9, fs_type="fat32", files=20, deleted=3),
                      tmp_path / "f.img")
    assert fat.image_size >= 64 << 20
    ntfs = build_image(TrainingSpec(seed=9, fs_type="ntfs", files=6, deleted=0, disguised=1,
                                    partitioned=True), tmp_path / "n.img")
    assert ntfs.partition_offset == 1 << 20
    assert any("NTFS" in n for n in ntfs.notes)
