"""Export: hostile names made safe, nothing written outside the target, copies verified."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from forensics.cataloging.engine import ListSink, run_catalog
from forensics.cataloging.export import (
    ExportItem,
    ExportPlanner,
    _open_dir_chain,
    export_files,
    sanitize_component,
)
from forensics.cataloging.records import RunStatus
from forensics.errors import ConflictError


@pytest.mark.parametrize("raw", [
    b"..", b".", b"", b"../../etc/passwd", b"/abs/path", b"C:\\Windows\\win.ini", b"a\x00b",
    b"CON", b"con.txt", b"LPT1", b"nul.tar.gz", b"trailing. . ", b"x" * 400,
    b"\\\\server\\share", b"file:stream", b"ctl\x01\x1f\x7f", b"rtl\xe2\x80\xaegpj.exe",
    b"\xff\xfe", "é".encode() * 200,
])
def test_sanitized_components_are_single_harmless_names(raw: bytes) -> None:
    name = sanitize_component(raw)
    assert name not in ("", ".", "..")
    assert not set(name) & set('/\\:\x00<>"|?*')
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) < 0xA0 for c in name)
    assert "\u202e" not in name
    assert len(name.encode("utf-8")) <= 255
    assert not name.endswith((".", " "))
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "LPT1"}


def test_long_names_stay_distinct_after_shortening() -> None:
    a = sanitize_component(b"a" * 300 + b"1.txt")
    b = sanitize_component(b"a" * 300 + b"2.txt")
    assert a != b and a.endswith(".txt") and b.endswith(".txt")


def test_planner_keeps_everything_below_the_target_and_resolves_collisions() -> None:
    planner = ExportPlanner()
    items = [ExportItem(p, 0, 0, 1, None, 1) for p in
             (b"../../etc/passwd", b"dir/Report.txt", b"dir/report.TXT", b"dir/re\xcc\x81.txt",
              b"dir/r\xc3\xa9.txt", b"/abs", b"DIR/x")]
    plans = [planner.plan(it) for it in items]
    assert all(p[0] == "fs0" and ".." not in p for p in plans)
    flat = ["/".join(p).casefold() for p in plans]
    assert len(set(flat)) == len(flat)
    assert plans[2][-1].endswith("(2).TXT")  # case-folded collision
    assert plans[4][-1] == "ré (2).txt"      # NFD vs NFC collision
    assert plans[6][1] == "DIR (2)"          # folders collide too


def test_open_dir_chain_refuses_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "fs0").symlink_to(outside)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(OSError):
            _open_dir_chain(fd, ("fs0", "sub"))
    finally:
        os.close(fd)
    assert list(outside.iterdir()) == []


@pytest.fixture(scope="module")
def hostile_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("mke2fs"):
        pytest.skip("e2fsprogs not installed")
    base = tmp_path_factory.mktemp("hostile")
    stage = base / "stage"
    (stage / "..evil").mkdir(parents=True)
    names = [b"CON", b"a:b.txt", b"trailing. ", b"..\\..\\x.txt", b"y" * 250,
             b"rtl\xe2\x80\xaetxt.exe", b"bad\xff.bin", b"Same.txt", b"same.TXT"]
    for i, n in enumerate(names):
        (Path(os.fsdecode(os.fsencode(stage) + b"/" + n))).write_bytes(b"content %d\n" % i)
    (stage / "..evil" / "inner.txt").write_bytes(b"inner\n")
    image = base / "hostile.img"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(stage), "-F", str(image), "4M"],
                   check=True, capture_output=True)
    return image


def test_export_of_hostile_names_is_contained_verified_and_mapped(
        hostile_image: Path, tmp_path: Path) -> None:
    sink = ListSink()
    run_catalog(hostile_image, sink)
    files = [e for e in sink.entries if e.allocated and e.sha256]
    items = [ExportItem(e.path_raw, e.fs_index, e.partition_offset, e.meta_addr, e.stream,
                        e.size, e.sha256, e.md5) for e in files]
    target = tmp_path / "export"
    result = export_files(hostile_image, items, target)
    assert result.complete, [f.error for f in result.failures]
    assert len(result.files) == 10
    real_target = os.path.realpath(target)
    written = []
    for dirpath, _dirs, names in os.walk(target):
        for n in names:
            p = os.path.realpath(os.path.join(dirpath, n))
            assert os.path.commonpath([real_target, p]) == real_target
            written.append(p)
    assert len(written) == 11  # ten files and the manifest
    assert not {os.path.basename(p) for p in written} & {"CON", "a:b.txt", "trailing. "}
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    raw_names = {bytes.fromhex(f["source_path_raw_hex"]) for f in manifest["files"]}
    assert b"bad\xff.bin" in raw_names and b"..\\..\\x.txt" in raw_names
    for f in manifest["files"]:
        assert f["verified"] and f["sha256"] == f["catalog_sha256"]
        assert (target / f["exported_as"]).read_bytes().startswith((b"content", b"inner"))


def test_export_refuses_a_non_empty_target(hostile_image: Path, tmp_path: Path) -> None:
    (tmp_path / "x").write_text("already here")
    with pytest.raises(ConflictError):
        export_files(hostile_image, [], tmp_path)


def test_export_reports_a_copy_that_does_not_match_the_catalog(
        hostile_image: Path, tmp_path: Path) -> None:
    sink = ListSink()
    run_catalog(hostile_image, sink)
    e = next(e for e in sink.entries if e.name == "CON")
    item = ExportItem(e.path_raw, e.fs_index, e.partition_offset, e.meta_addr, None, e.size,
                      "0" * 64, e.md5)
    result = export_files(hostile_image, [item], tmp_path / "out")
    assert not result.complete
    assert "differs from the catalog" in (result.files[0].error or "")


def test_relative_image_paths_work_from_any_folder(hostile_image: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker runs in Sealbag's own folder; a path relative to the caller's still works
    for the catalog and for the export."""
    import shutil

    shutil.copyfile(hostile_image, tmp_path / "evidence.img")
    monkeypatch.chdir(tmp_path)
    sink = ListSink()
    summary = run_catalog("evidence.img", sink)
    assert summary.status is RunStatus.COMPLETE, summary.error
    e = next(e for e in sink.entries if e.name == "CON")
    item = ExportItem(e.path_raw, e.fs_index, e.partition_offset, e.meta_addr, None, e.size,
                      e.sha256, e.md5)
    result = export_files("evidence.img", [item], tmp_path / "out")
    assert result.complete and result.files[0].verified
