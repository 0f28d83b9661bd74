"""ISO 9660 practice images: the catalog agrees with the answer key and with ``fls``."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from forensics.cataloging.engine import ListSink, run_catalog
from forensics.errors import UserInputError
from forensics.training import TrainingSpec, build_image, plan_files
from tests.catalog.conftest import ISO_SPEC
from tests.catalog.oracle import read_fls


@pytest.fixture(scope="module")
def iso_catalog(iso_image):  # type: ignore[no-untyped-def]
    sink = ListSink()
    summary = run_catalog(iso_image[0], sink)
    return summary, sink


def test_every_file_is_listed_with_the_right_size_and_hashes(iso_image, iso_catalog) -> None:
    _image, key = iso_image
    summary, sink = iso_catalog
    assert summary.status.value == "complete"
    assert [(f.offset_bytes, f.fs_type) for f in summary.file_systems
            if f.status == "parsed"] == [(0, "iso9660")]
    assert all(e.allocated for e in sink.entries)
    files = {e.path_raw: e for e in sink.entries if e.meta_type == "r"}
    assert files.keys() == {bytes.fromhex(f["path_raw_hex"]) for f in key.files}
    for f in key.files:
        entry = files[bytes.fromhex(f["path_raw_hex"])]
        assert (entry.size, entry.md5, entry.sha256) == (f["size"], f["md5"], f["sha256"])
    folders = {e.path for e in sink.entries if e.meta_type == "d"}
    assert folders == set(key.directories)
    # nested folders and names beyond ISO 9660's 8.3 upper case come through Joliet intact
    assert max(d.count("/") for d in key.directories) >= 1
    assert any(not f["path"].isascii() for f in key.files)


def test_disguised_files_are_flagged(iso_image, iso_catalog) -> None:
    _image, key = iso_image
    _summary, sink = iso_catalog
    disguised = {bytes.fromhex(f["path_raw_hex"]) for f in key.files if f["disguised"]}
    assert len(disguised) == ISO_SPEC.disguised
    # ".dat" promises no content type, so the catalog never flags it; the answer key
    # says which disguises an extension check can see
    claims = {bytes.fromhex(f["path_raw_hex"]) for f in key.files
              if f["disguised"] and f["extension_contradicts_content"]}
    assert claims == {p for p in disguised if not p.endswith(b".dat")}
    flagged = {e.path_raw for e in sink.entries if e.extension_mismatch}
    assert len(claims) >= 2
    assert flagged == claims
    by_raw = {e.path_raw: e for e in sink.entries}
    for f in key.files:
        if f["disguised"]:
            assert by_raw[bytes.fromhex(f["path_raw_hex"])].mime_type == f["true_type"]


def test_same_names_sizes_and_allocation_as_fls(iso_image, iso_catalog, tmp_path: Path) -> None:
    if not shutil.which("fls"):
        pytest.skip("sleuthkit (fls) not installed")
    image, _key = iso_image
    _summary, sink = iso_catalog
    listing = tmp_path / "fls.txt"
    listing.write_bytes(subprocess.run(["fls", "-r", "-p", "-l", "-z", "UTC", str(image)],
                                       check=True, capture_output=True).stdout)
    oracle = Counter((e.path, e.size, e.allocated) for e in read_fls(listing))
    ours = Counter((e.path, e.size, e.allocated) for e in sink.entries)
    assert oracle
    assert ours == oracle, (
        f"only fls: {sorted(oracle - ours)[:5]}; only ours: {sorted(ours - oracle)[:5]}")


def test_same_seed_gives_the_same_key_and_image_bytes(iso_image, tmp_path: Path) -> None:
    """xorriso takes every date from SOURCE_DATE_EPOCH and the fixed dates given to it, and
    Rock Ridge owners and modes are normalised, so the image is byte-for-byte reproducible."""
    _image, key = iso_image
    again = build_image(ISO_SPEC, tmp_path / "again.iso")
    assert again.image_sha256 == key.image_sha256
    assert {**again.to_dict(), "image": None} == {**key.to_dict(), "image": None}
    assert again.tools["xorriso"].startswith("xorriso 1.")
    other = build_image(replace(ISO_SPEC, seed=ISO_SPEC.seed + 1), tmp_path / "other.iso")
    assert other.image_sha256 != key.image_sha256
    assert other.files != key.files


def test_deleted_files_are_refused_for_write_once_media() -> None:
    with pytest.raises(UserInputError, match="ISO 9660"):
        plan_files(TrainingSpec(fs_type="iso9660", deleted=1))


def test_no_undecodable_names_are_planned_for_iso() -> None:
    _dirs, files = plan_files(TrainingSpec(seed=2, fs_type="iso9660", deleted=0,
                                           undecodable=True))
    for f in files:
        f.path_raw.decode("utf-8")
