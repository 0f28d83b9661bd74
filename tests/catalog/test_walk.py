"""The catalog of generated images agrees with their answer keys."""

from __future__ import annotations

import pytest

from forensics.cataloging.engine import CatalogOptions, ListSink, run_catalog
from forensics.cataloging.names import display_name
from forensics.cataloging.records import RunStatus


def _catalog(image):  # type: ignore[no-untyped-def]
    sink = ListSink()
    summary = run_catalog(image, sink)
    return summary, sink


@pytest.fixture(scope="module")
def ext4_catalog(ext4_image):  # type: ignore[no-untyped-def]
    return _catalog(ext4_image[0])


def test_every_allocated_file_is_listed_with_the_right_hashes(ext4_image, ext4_catalog) -> None:
    _image, key = ext4_image
    summary, sink = ext4_catalog
    assert summary.status is RunStatus.COMPLETE
    by_raw = {e.path_raw: e for e in sink.entries if e.allocated}
    for f in key.files:
        if f["deleted"]:
            continue
        entry = by_raw[bytes.fromhex(f["path_raw_hex"])]
        assert (entry.size, entry.md5, entry.sha256) == (f["size"], f["md5"], f["sha256"])


def test_deleted_files_are_listed_as_deleted(ext4_image, ext4_catalog) -> None:
    _image, key = ext4_image
    _summary, sink = ext4_catalog
    deleted = {bytes.fromhex(f["path_raw_hex"]) for f in key.files if f["deleted"]}
    listed = {e.path_raw for e in sink.entries if not e.allocated}
    assert deleted
    # ext4 can lose a deleted name entirely (first entry of a directory block); most survive
    assert len(deleted & listed) >= len(deleted) // 2
    assert not deleted & {e.path_raw for e in sink.entries if e.allocated}


def test_non_ascii_and_undecodable_names_are_kept_exactly(ext4_image, ext4_catalog) -> None:
    _image, key = ext4_image
    _summary, sink = ext4_catalog
    raw = b"undecodable_\xff\xfe_name.bin"
    entry = next(e for e in sink.entries if e.name_raw == raw)
    assert entry.name == "undecodable_⟨0xFF⟩⟨0xFE⟩_name.bin"
    assert entry.to_dict()["path_raw_hex"] == raw.hex()
    non_ascii = [f for f in key.files if not f["path"].isascii() and not f["deleted"]]
    assert non_ascii
    names = {e.path for e in sink.entries}
    assert all(f["path"] in names for f in non_ascii)


def test_directory_loop_is_listed_once_and_noted(ext4_catalog) -> None:
    summary, sink = ext4_catalog
    loops = [e for e in sink.entries if e.name == "loop_to_parent"]
    assert len(loops) == 1
    assert not any("/loop_to_parent/" in e.path for e in sink.entries)
    assert any("directory loop" in n.reason for n in summary.notes)


def test_disguised_files_are_flagged(ext4_image, ext4_catalog) -> None:
    _image, key = ext4_image
    _summary, sink = ext4_catalog
    disguised = {bytes.fromhex(f["path_raw_hex"]) for f in key.files
                 if f["disguised"] and f["extension_contradicts_content"]}
    flagged = {e.path_raw for e in sink.entries if e.extension_mismatch}
    assert disguised and disguised <= flagged
    # and nothing honest is flagged
    honest_allocated = {bytes.fromhex(f["path_raw_hex"]) for f in key.files
                        if not f["disguised"] and not f["deleted"]}
    assert not honest_allocated & flagged


def test_times_are_utc_with_their_resolution(ext4_catalog) -> None:
    _summary, sink = ext4_catalog
    entry = next(e for e in sink.entries if e.meta_type == "r" and e.allocated)
    assert entry.mtime is not None
    assert entry.mtime.resolution_ns == 1
    assert entry.mtime.iso_utc().endswith("Z")


def test_fat_in_an_mbr_partition(fat_image) -> None:
    image, key = fat_image
    summary, sink = _catalog(image)
    assert summary.status is RunStatus.COMPLETE
    assert summary.volume_system == "dos"
    fs = [f for f in summary.file_systems if f.status == "parsed"]
    assert [(f.offset_bytes, f.fs_type) for f in fs] == [(1 << 20, "fat16")]
    by_path = {e.path: e for e in sink.entries if e.allocated}
    for f in key.files:
        if not f["deleted"]:
            assert by_path[f["path"]].sha256 == f["sha256"]
    # FAT loses the first character of a deleted name; the rest and the size remain
    deleted = [e for e in sink.entries if not e.allocated and e.meta_type == "r"]
    expected = {(f["path"].rsplit("/", 1)[-1][1:], f["size"]) for f in key.files if f["deleted"]}
    assert {(e.name[1:], e.size) for e in deleted} >= expected
    assert all(e.mtime is None or e.mtime.resolution_ns == 2_000_000_000 for e in deleted)


def test_ntfs_streams_are_their_own_entries(ntfs_image) -> None:
    image, key = ntfs_image
    summary, sink = _catalog(image)
    assert summary.status is RunStatus.COMPLETE
    streams = {f["path"]: f for f in key.files if f["stream"]}
    assert len(streams) == 2
    for path, f in streams.items():
        entry = next(e for e in sink.entries if e.path == path)
        assert entry.stream and path.endswith(":" + entry.stream)
        assert entry.sha256 == f["sha256"]
        assert not entry.extension_mismatch


def test_listing_only_reads_no_content(ext4_image) -> None:
    sink = ListSink()
    summary = run_catalog(ext4_image[0], sink, options=CatalogOptions(hash_content=False))
    assert summary.status is RunStatus.COMPLETE
    assert summary.bytes_hashed == 0
    assert all(e.sha256 is None for e in sink.entries)


@pytest.mark.parametrize(("raw", "shown"), [
    (b"plain.txt", "plain.txt"),
    (b"r\xc3\xa9sum\xc3\xa9", "résumé"),
    (b"bad\xffname", "bad⟨0xFF⟩name"),
    (b"invoice\xe2\x80\xaefdp.exe", "invoice⟨U+202E⟩fdp.exe"),
    (b"tab\there", "tab⟨U+0009⟩here"),
    (b"back\\slash", "back\\slash"),
])
def test_display_names_escape_what_could_mislead(raw: bytes, shown: str) -> None:
    assert display_name(raw) == shown
