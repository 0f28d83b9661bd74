"""What the fast paths must keep: records round-trip exactly, images read the same bytes
natively and through Sealbag's reader, a slow sink never loses or reorders records, and
the garbage-collector settings come back after a run."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from forensics.cataloging.engine import CatalogOptions, CatalogSink, ListSink, run_catalog
from forensics.cataloging.records import EntryRecord, RunStatus, Timestamp
from forensics.cataloging.wire import WireError, from_wire, to_wire
from forensics.gc_tuning import BULK_THRESHOLD, relaxed_gc

_T = Timestamp(1_700_000_000, 123_456_789, 1)


def _entry(**changes: object) -> EntryRecord:
    base = EntryRecord(0, 1048576, "dir/file.txt", b"dir/file.txt", "file.txt", b"file.txt",
                       None, 12, None, None, None, "r", "r", 1400, True, True, False,
                       _T, None, _T, _T, 0o100644, 0, 0)
    return base._replace(**changes)


def _json_round_trip(values: list[object]) -> list[object]:
    import json

    return json.loads(json.dumps(values))


@pytest.mark.parametrize("record", [
    _entry(),
    _entry(md5="0" * 32, sha256="f" * 64, bytes_hashed=1400),
    _entry(md5="0" * 32, sha256="f" * 64, bytes_hashed=1400, mime_type="text/plain",
           mime_description="ASCII text", extension_mismatch=True),
    _entry(error="read failed"),
    # undecodable bytes: the display form differs, so the raw bytes travel
    _entry(path="dir/x_⟨0xFF⟩", path_raw=b"dir/x_\xff", name="x_⟨0xFF⟩", name_raw=b"x_\xff"),
    # a display form that differs though the bytes are valid UTF-8 (a bidi override)
    _entry(path="a⟨U+202E⟩txt.exe", path_raw="a\u202etxt.exe".encode(),
           name="a⟨U+202E⟩txt.exe", name_raw="a\u202etxt.exe".encode()),
    _entry(stream="Zone.Identifier", path="f.txt:Zone.Identifier",
           path_raw=b"f.txt:Zone.Identifier", name="f.txt", name_raw=b"f.txt",
           attr_type=128, attr_id=3),
])
def test_entries_survive_the_wire_exactly(record: EntryRecord) -> None:
    wire = to_wire(record)
    back = from_wire("entry", _json_round_trip(wire))
    assert back == record
    assert type(back) is EntryRecord and all(
        t is None or type(t) is Timestamp for t in (back.mtime, back.atime, back.ctime))
    lossless = record.path_raw == record.path.encode("utf-8")
    assert (wire[3] is None) is lossless


def test_the_worker_cannot_mark_entries_known_or_notable() -> None:
    """Hash-set verdicts are the application's (MatchingSink); the worker's are dropped."""
    wire = _json_round_trip(to_wire(_entry(known=True, notable=True, hash_set="Lab list")))
    back = from_wire("entry", wire)
    assert (back.known, back.notable, back.hash_set) == (False, False, None)


@pytest.mark.parametrize(("field", "value"), [
    (2, "lone \ud800"),  # path with a lone surrogate (the raw name is sent)
    (6, "stream \udc80"),  # stream
    (11, "x"), (12, "rr"),  # name and metadata type letters
])
def test_text_the_database_cannot_hold_is_refused(field: int, value: str) -> None:
    record = _entry(path="x_⟨0xFF⟩", path_raw=b"x_\xff")
    wire = _json_round_trip(to_wire(record))
    wire[field] = value
    with pytest.raises(WireError):
        from_wire("entry", wire)


def test_a_null_raw_name_needs_valid_text() -> None:
    wire = _json_round_trip(to_wire(_entry()))
    wire[2] = "bad \ud800"
    with pytest.raises(WireError):
        from_wire("entry", wire)
    wire = _json_round_trip(to_wire(_entry(path="x_⟨0xFF⟩", path_raw=b"x_\xff")))
    wire[3] = "not latin-1: €"
    with pytest.raises(WireError):
        from_wire("entry", wire)


def test_gc_threshold_is_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with relaxed_gc():
        assert gc.get_threshold()[0] == max(before[0], BULK_THRESHOLD)
        with relaxed_gc():  # nested (two catalog runs on two threads)
            pass
        assert gc.get_threshold()[0] == max(before[0], BULK_THRESHOLD)
    assert gc.get_threshold() == before


def test_gc_threshold_restored_after_overlapping_runs_on_threads() -> None:
    before = gc.get_threshold()
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with relaxed_gc():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with relaxed_gc():
        pass
    assert gc.get_threshold()[0] >= BULK_THRESHOLD  # the other run is still going
    leave.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_split_and_single_file_images_give_the_same_catalog(ext4_image, tmp_path: Path
                                                            ) -> None:
    """The reader's one-pread fast path (a read inside one file) and its general path
    (reads that cross from one segment into the next) give the same catalog."""
    image, _key = ext4_image
    data = image.read_bytes()
    third = (len(data) // 3) // 512 * 512 + 1000  # not on a block boundary
    (tmp_path / "split.001").write_bytes(data[:third])
    (tmp_path / "split.002").write_bytes(data[third:2 * third])
    (tmp_path / "split.003").write_bytes(data[2 * third:])
    single, split = ListSink(), ListSink()
    s1 = run_catalog(image, single)
    s2 = run_catalog(tmp_path / "split.001", split)
    assert s1.status is s2.status is RunStatus.COMPLETE
    assert s2.media_format == "split" and s1.media_format == "raw"
    assert single.entries == split.entries


def test_cataloguing_leaves_the_image_access_time_alone(ext4_image, tmp_path: Path) -> None:
    """Evidence files are read with O_NOATIME (the image's own metadata is not changed)."""
    import os
    import shutil

    image = tmp_path / "evidence.img"
    shutil.copyfile(ext4_image[0], image)
    os.utime(image, ns=(1_000_000_000 * 10**9, os.stat(image).st_mtime_ns))  # atime < mtime
    before = os.stat(image).st_atime_ns
    summary = run_catalog(image, ListSink())
    assert summary.status is RunStatus.COMPLETE
    assert os.stat(image).st_atime_ns == before


class _SlowSink(CatalogSink):
    """Takes its time with every batch, as a busy database would."""

    def __init__(self) -> None:
        self.entries: list[EntryRecord] = []

    def entry(self, record: EntryRecord) -> None:
        if len(self.entries) % 20 == 0:
            threading.Event().wait(0.005)
        self.entries.append(record)


def test_a_slow_sink_gets_every_record_in_order(ext4_image) -> None:
    image, _key = ext4_image
    fast, slow = ListSink(), _SlowSink()
    run_catalog(image, fast, options=CatalogOptions(detect_types=False))
    summary = run_catalog(image, slow, options=CatalogOptions(detect_types=False))
    assert summary.status is RunStatus.COMPLETE
    assert slow.entries == fast.entries


def test_the_worker_starts_without_the_engine_or_the_database() -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = ("import sys, forensics.cataloging.worker, forensics.cataloging.tsk; "
            "print(sorted(m for m in ('forensics.cataloging.engine', 'sqlalchemy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_package_names_load_on_first_use() -> None:
    import forensics
    import forensics.cataloging as cataloging

    assert {getattr(cataloging, name).__name__ for name in cataloging.__all__} == set(
        cataloging.__all__)
    assert isinstance(forensics.__version__, str) and forensics.__version__
    with pytest.raises(AttributeError):
        _ = cataloging.no_such_name


@pytest.mark.parametrize("shown, raw", [
    ("Photo\u3000Album.jpg", None),  # ideographic space: not "printable", shown as it is
    ("caf\u00e9\u00a0menu.txt", None),  # no-break space
    ("family \U0001f468\u200d\U0001f469.png", None),  # emoji joined by ZWJ
    ("x_⟨0xFF⟩", b"x_\xff"),
])
def test_names_shown_as_they_are_pass(shown: str, raw: bytes | None) -> None:
    record = _entry(path=f"dir/{shown}", path_raw=b"dir/" + (raw or shown.encode()),
                    name=shown, name_raw=raw or shown.encode())
    assert from_wire("entry", _json_round_trip(to_wire(record))) == record


@pytest.mark.parametrize("changes", [
    # the bytes say one name, the text another
    {"path": "dir/invoice.pdf", "path_raw": b"dir/payload.exe", "name": "invoice.pdf",
     "name_raw": b"payload.exe"},
    # a bidi override or a control character passed off as text shown as it is (the
    # bytes are its UTF-8, so they travel as null)
    {"path": "dir/a\u202etxt.exe", "path_raw": "dir/a\u202etxt.exe".encode(),
     "name": "a\u202etxt.exe", "name_raw": "a\u202etxt.exe".encode()},
    {"path": "dir/bell\x07.txt", "path_raw": b"dir/bell\x07.txt", "name": "bell\x07.txt",
     "name_raw": b"bell\x07.txt"},
    # the path and the name disagree
    {"path": "dir/a.txt", "path_raw": b"dir/a.txt"},
    {"path": "dira.txt", "path_raw": b"dira.txt", "name": "a.txt", "name_raw": b"a.txt"},
    # a stream the path does not end with
    {"stream": "Zone.Identifier", "path": "dir/file.txt", "attr_type": 128, "attr_id": 3},
])
def test_names_that_do_not_match_their_bytes_are_refused(changes: dict[str, object]) -> None:
    wire = to_wire(_entry(**changes))
    with pytest.raises(WireError):
        from_wire("entry", _json_round_trip(wire))


@pytest.mark.parametrize("stream_raw", [b"ADS", b"A:S", b"s:t\x01", b":lead", b"\xff:x"])
def test_a_stream_name_with_a_colon_passes(stream_raw: bytes) -> None:
    """Windows writes no ':' in stream names, but a damaged or crafted MFT may hold one:
    the entry is still taken, not refused (which would fail the whole catalog)."""
    from forensics.cataloging.names import display_name

    stream = display_name(stream_raw)
    record = _entry(path=f"dir/mult1.dat:{stream}", path_raw=b"dir/mult1.dat:" + stream_raw,
                    name="mult1.dat", name_raw=b"mult1.dat", stream=stream, attr_type=128,
                    attr_id=3)
    assert from_wire("entry", _json_round_trip(to_wire(record))) == record
