"""Every corpus image agrees with The Sleuth Kit's own tools (skipped without the corpus)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from forensics.cataloging.engine import CatalogOptions, ListSink, run_catalog
from forensics.cataloging.records import RunStatus
from tests.catalog.oracle import image_sets, read_fls, read_hashes
from tests.conftest import corpus_dir

CORPUS = corpus_dir()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="image corpus not present")
SETS = image_sets(CORPUS) if CORPUS else []


@pytest.fixture(scope="module")
def catalogs() -> dict[str, tuple]:
    """One catalog per image set (shared by the tests below)."""
    assert CORPUS is not None
    out = {}
    for name in SETS:
        sink = ListSink()
        summary = run_catalog(CORPUS / "images" / name, sink,
                              options=CatalogOptions(stall_timeout=60))
        out[name] = (summary, sink)
    return out


def _fs_dirs(name: str) -> list[Path]:
    assert CORPUS is not None
    return sorted((CORPUS / "oracle" / name).glob("fs-off*"))


def _unreadable(name: str) -> bool:
    assert CORPUS is not None
    summary = (CORPUS / "oracle" / name / "summary.tsv").read_text().split("\t")
    return summary[-1].strip() == "unreadable"


@pytest.mark.parametrize("name", SETS)
def test_same_file_systems_as_the_oracle(catalogs: dict, name: str) -> None:
    summary, _sink = catalogs[name]
    if _unreadable(name):
        assert summary.status is RunStatus.FAILED
        assert summary.error and "cannot open" in summary.error
        return
    assert summary.status is not RunStatus.FAILED, summary.error
    expected = {int(d.name[len("fs-off"):]) * 512 for d in _fs_dirs(name)}
    found = {f.offset_bytes for f in summary.file_systems if f.status == "parsed"}
    assert found == expected
    for fs in summary.file_systems:
        if fs.status != "parsed":
            assert fs.error and "no file system" in fs.error


@pytest.mark.parametrize("name", SETS)
def test_same_names_sizes_and_allocation_as_fls(catalogs: dict, name: str) -> None:
    summary, sink = catalogs[name]
    for fs_dir in _fs_dirs(name):
        offset = int(fs_dir.name[len("fs-off"):]) * 512
        fs = next(f for f in summary.file_systems if f.offset_bytes == offset)
        ours = Counter((e.path, e.size, e.allocated) for e in sink.entries
                       if e.fs_index == fs.index)
        oracle = Counter((e.path, e.size, e.allocated) for e in read_fls(fs_dir / "fls.txt"))
        assert ours == oracle, (
            f"only fls: {sorted(oracle - ours)[:5]}; only ours: {sorted(ours - oracle)[:5]}")


def _allocated_files(summary, sink, fs_dir: Path) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Allocated regular files of the file system an oracle folder describes, by path."""
    offset = int(fs_dir.name[len("fs-off"):]) * 512
    fs = next(f for f in summary.file_systems if f.offset_bytes == offset)
    by_path: dict[str, list] = {}
    for e in sink.entries:
        if e.fs_index == fs.index and e.allocated and e.name_type == "r" and e.meta_type == "r":
            by_path.setdefault(e.path, []).append(e)
    return by_path


@pytest.mark.parametrize("name", SETS)
def test_same_md5_and_sha256_as_icat(catalogs: dict, name: str) -> None:
    summary, sink = catalogs[name]
    for fs_dir in _fs_dirs(name):
        by_path = _allocated_files(summary, sink, fs_dir)
        hashes = read_hashes(fs_dir / "files.sha256.tsv")
        assert hashes.keys() <= by_path.keys()
        for path, (_size, md5, sha256) in hashes.items():
            if md5 == "ERROR":  # icat could not read it: we must not claim a hash either
                assert all(e.sha256 is None and e.error for e in by_path[path]), path
                assert summary.status is RunStatus.INCOMPLETE
                continue
            assert any(e.md5 == md5 and e.sha256 == sha256 for e in by_path[path]), path


def test_clusterfuzz_image_is_handled_and_reported_incomplete(catalogs: dict) -> None:
    name = next((n for n in SETS if n.startswith("clusterfuzz")), None)
    if name is None:
        pytest.skip("clusterfuzz image not in this corpus")
    summary, _sink = catalogs[name]
    assert summary.status is RunStatus.INCOMPLETE
    assert summary.gaps


def test_deleted_and_orphan_entries_are_listed(catalogs: dict) -> None:
    if "7-ntfs-undel.dd" not in catalogs:
        pytest.skip("7-ntfs-undel.dd not in this corpus")
    _summary, sink = catalogs["7-ntfs-undel.dd"]
    orphans = [e for e in sink.entries if e.orphan]
    assert [e.path for e in orphans] == ["$OrphanFiles/sing2.dat"]
    assert not orphans[0].allocated
    streams = [e for e in sink.entries if e.stream == "ADS"]
    assert [e.path for e in streams] == ["mult1.dat:ADS"]


@pytest.mark.parametrize(("name", "scheme", "partitions"), [
    ("gpt-512-3p.raw", "gpt", 3),
    ("mbr.raw", "dos", 2),
    ("image-split.E01", "dos", 2),
])
def test_volume_systems_are_recorded_with_every_partition(
        catalogs: dict, name: str, scheme: str, partitions: int) -> None:
    if name not in catalogs:
        pytest.skip(f"{name} not in this corpus")
    summary, _sink = catalogs[name]
    assert summary.volume_system == scheme
    assert sum(v.kind == "partition" for v in summary.volumes) == partitions
    assert all(not v.allocated for v in summary.volumes if v.kind != "partition")
    assert any(v.kind in ("unallocated", "meta") for v in summary.volumes)


@pytest.mark.parametrize("name", SETS)
def test_same_types_as_file(catalogs: dict, name: str) -> None:
    """MIME type and description agree with ``file`` (which also reads a gzip's trailer,
    so for gzip our description may stop before the "original size" it reads there)."""
    summary, sink = catalogs[name]
    for fs_dir in _fs_dirs(name):
        by_path = _allocated_files(summary, sink, fs_dir)
        for line in (fs_dir / "files.type.tsv").read_text(encoding="utf-8").splitlines():
            path, mime, desc = line.rsplit("\t", 2)
            if mime == "ERROR":
                continue
            entries = by_path[path]
            assert any(e.mime_type == mime for e in entries), (path, mime)
            assert any(e.mime_description == desc
                       or (desc.startswith("gzip compressed data")
                           and desc.startswith(e.mime_description or "\0"))
                       for e in entries), (path, desc)
