"""Fixtures for the catalog tests: images built from a seed (no mounting, no root)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forensics.database.models import Case, Exhibit
from forensics.database.session import open_database
from forensics.training import AnswerKey, TrainingSpec, build_image


def _tools_present(*tools: str) -> bool:
    return all(shutil.which(t) for t in tools)


@pytest.fixture(scope="session")
def ext4_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnswerKey]:
    """ext4 with nested folders, non-ASCII and undecodable names, deletions and a folder loop."""
    if not _tools_present("mke2fs", "debugfs"):
        pytest.skip("e2fsprogs not installed")
    path = tmp_path_factory.mktemp("img") / "practice-ext4.img"
    key = build_image(TrainingSpec(seed=11, fs_type="ext4", files=40, deleted=6, disguised=3,
                                   undecodable=True, directory_loop=True), path)
    return path, key


@pytest.fixture(scope="session")
def fat_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnswerKey]:
    """FAT16 inside an MBR partition, with deletions and disguised files."""
    if not _tools_present("mkfs.vfat", "mcopy", "mdel", "sfdisk"):
        pytest.skip("dosfstools, mtools or fdisk not installed")
    path = tmp_path_factory.mktemp("img") / "practice-fat16.img"
    key = build_image(TrainingSpec(seed=5, fs_type="fat16", files=30, deleted=5, disguised=2,
                                   partitioned=True), path)
    return path, key


@pytest.fixture(scope="session")
def ntfs_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnswerKey]:
    """NTFS with named data streams."""
    if not _tools_present("mkntfs", "ntfscp"):
        pytest.skip("ntfs-3g tools not installed")
    path = tmp_path_factory.mktemp("img") / "practice-ntfs.img"
    key = build_image(TrainingSpec(seed=3, fs_type="ntfs", files=12, deleted=0, disguised=2,
                                   streams=2), path)
    return path, key


ISO_SPEC = TrainingSpec(seed=17, fs_type="iso9660", files=40, deleted=0, disguised=4,
                        max_depth=3)


@pytest.fixture(scope="session")
def iso_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnswerKey]:
    """ISO 9660 (Rock Ridge + Joliet) with nested folders, non-ASCII names and disguised files."""
    if not _tools_present("xorriso"):
        pytest.skip("xorriso not installed")
    path = tmp_path_factory.mktemp("img") / "practice.iso"
    return path, build_image(ISO_SPEC, path)


@pytest.fixture
def db_with_exhibit(database_url: str):  # type: ignore[no-untyped-def]
    """A case database with one case and one exhibit: (database, exhibit id)."""
    db = open_database(database_url)
    with db.session() as s:
        case = Case(reference="FIR-12/2026", title="Test case")
        s.add(case)
        s.flush()
        exhibit = Exhibit(case_id=case.id, exhibit_id="EX-001", description="USB stick")
        s.add(exhibit)
        s.flush()
        exhibit_id = exhibit.id
    yield db, exhibit_id
    db.close()
