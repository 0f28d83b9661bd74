"""Content handed from the catalog worker to the application for hashing."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from forensics.cataloging import engine
from forensics.cataloging.engine import CatalogOptions, ListSink, run_catalog
from forensics.cataloging.records import RunStatus
from forensics.cataloging.sharedcontent import (
    HANDOFF_MAX,
    HANDOFF_MIN,
    ContentRing,
    HandoffError,
    RingWriter,
)
from forensics.cataloging.wire import HANDOFF_KIND, WireError, from_wire
from forensics.training import TrainingSpec, build_image

FAULTY = "tests.catalog.faulty_workers"

pytestmark = pytest.mark.skipif(not hasattr(os, "memfd_create"),
                                reason="shared memory files are Linux-only")


@pytest.fixture
def ring():  # type: ignore[no-untyped-def]
    ring = ContentRing(HANDOFF_MAX)
    yield ring
    ring.close()


def _writer(ring: ContentRing) -> RingWriter:
    return RingWriter(os.dup(ring.fd))


def _digests(data: bytes) -> tuple[str, str]:
    return hashlib.md5(data, usedforsecurity=False).hexdigest(), hashlib.sha256(data).hexdigest()


def test_content_handed_over_is_hashed_by_the_application(ring: ContentRing) -> None:
    writer = _writer(ring)
    data = random.Random(1).randbytes(20_000)
    where = writer.offer(data)
    assert where == (0, len(data))
    assert ring.digests(*where) == _digests(data)
    assert writer.offer(b"x" * (HANDOFF_MIN - 1)) is None  # small files stay with the worker
    writer.close()


@pytest.mark.parametrize("start, length", [
    (0, 0), (0, -5), (0, (256 << 10) + 1), ((256 << 10) - 100, 200), (-1, 10), (1 << 40, 10),
    (0, HANDOFF_MAX + 1),
    ("0", 10), (0, 10.0), (True, 10),
])
def test_a_handoff_outside_the_buffer_is_refused(ring: ContentRing, start, length) -> None:
    with pytest.raises(HandoffError):
        ring.digests(start, length)


def test_handoffs_are_hashed_once_and_in_order(ring: ContentRing) -> None:
    writer = _writer(ring)
    first = writer.offer(b"a" * 9000)
    second = writer.offer(b"b" * 9000)
    assert first is not None and second is not None
    ring.digests(*second)
    for again in (first, second):
        with pytest.raises(HandoffError):
            ring.digests(*again)
    writer.close()


def test_the_worker_stops_handing_over_while_the_application_is_behind(
        ring: ContentRing) -> None:
    writer = _writer(ring)
    chunk = bytes(20_000)
    handed = []
    for _ in range(100):
        where = writer.offer(chunk)
        if where is None:
            break
        handed.append(where)
    else:
        pytest.fail("content was handed over without limit")
    assert sum(length for _start, length in handed) <= ring.size  # never more than it holds
    for where in handed:
        ring.digests(*where)
    assert writer.offer(chunk) is not None  # caught up: hands over again
    writer.batch_sent()
    writer.batch_sent()  # two batches out, none taken in yet: the application is behind
    assert writer.offer(chunk) is None
    ring.batch_taken()
    assert writer.offer(chunk) is not None
    writer.close()


def test_nothing_waiting_to_be_hashed_is_ever_overwritten(ring: ContentRing) -> None:
    """Batches of random sizes wrap around the buffer many times, the application
    taking them in at random moments; every hand-off still hashes to exactly what was
    handed over, and no honest hand-off is refused."""
    rng = random.Random(7)
    writer = _writer(ring)
    sent: list[list[tuple[tuple[int, int], tuple[str, str]]]] = []
    handed = 0
    for _ in range(3000):
        if sent and rng.random() < 0.6:
            for where, expected in sent.pop(0):
                assert ring.digests(*where) == expected
            ring.batch_taken()
            continue
        batch = []
        for _ in range(rng.randrange(1, 12)):
            data = rng.randbytes(rng.randrange(HANDOFF_MIN, 60_000))
            where = writer.offer(data)
            if where is not None:
                handed += len(data)
                batch.append((where, _digests(data)))
        sent.append(batch)
        writer.batch_sent()
    for batch in sent:
        for where, expected in batch:
            assert ring.digests(*where) == expected
        ring.batch_taken()
    assert handed > 10 * ring.size
    writer.close()


def test_one_batch_cannot_make_the_application_hash_more_than_a_backlog(
        ring: ContentRing) -> None:
    """A subverted worker could otherwise name gigabytes of hashing in a few bytes
    of records (each hand-off only has to start after the last)."""
    size = ring.size
    for start in range(0, 250_000, 50_000):
        ring.digests(start, 50_000)
    with pytest.raises(HandoffError):  # the batch would go on past a backlog (the ring)
        ring.digests(size, 50_000)
    ring.batch_taken()
    ring.digests(size, 50_000)  # the same, in a new batch
    with pytest.raises(HandoffError):  # too far beyond what was hashed
        ring.digests(3 * size, 9000)


def test_the_worker_cannot_shrink_the_buffer_under_the_application(
        ring: ContentRing) -> None:
    """Shrinking the memory file would crash the application on its next read (SIGBUS):
    the file is sealed at its size."""
    fd = os.open(f"/proc/self/fd/{ring.fd}", os.O_RDWR)  # as a worker could reopen it
    try:
        with pytest.raises(PermissionError):
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    ring.digests(0, 9000)


def test_malformed_handoff_records_are_refused() -> None:
    for values in ([1, 2], [1, 2, "entry"], ["1", 2, []], [1, 2, [], 4], {"start": 1}):
        with pytest.raises(WireError):
            from_wire(HANDOFF_KIND, values)


@pytest.fixture(scope="module")
def content_image(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    if not (shutil.which("mke2fs") and shutil.which("debugfs")):
        pytest.skip("e2fsprogs not installed")
    path = tmp_path_factory.mktemp("img") / "content-ext4.img"
    key = build_image(TrainingSpec(seed=5, fs_type="ext4", files=120, deleted=4,
                                   mean_file_size=40_000, large_files=2), path)
    return path, key


def _catalog(image: Path, monkeypatch: pytest.MonkeyPatch, detect_types: bool = False,
             worker: str = engine.DEFAULT_WORKER) -> tuple[ListSink, int]:
    handed = []
    real = engine._hash_handed_off

    def counting(ring, start, length, record):  # type: ignore[no-untyped-def]
        handed.append(length)
        return real(ring, start, length, record)

    monkeypatch.setattr(engine, "_hash_handed_off", counting)
    sink = ListSink()
    summary = run_catalog(image, sink, options=CatalogOptions(detect_types=detect_types),
                          worker=worker)
    assert summary.status is RunStatus.COMPLETE
    return sink, len(handed)


@pytest.mark.parametrize("detect_types", [False, True])
def test_a_catalog_hashes_right_whoever_hashes(content_image, monkeypatch,
                                               detect_types: bool) -> None:
    """With or without libmagic's queue in between, entries whose content the
    application hashed carry the same digests as when the worker hashes everything."""
    image, key = content_image
    shared, handed = _catalog(image, monkeypatch, detect_types)
    assert handed > 0
    monkeypatch.setattr(ContentRing, "create", classmethod(lambda cls: None))
    alone, none_handed = _catalog(image, monkeypatch, detect_types)
    assert none_handed == 0
    assert [e[:27] for e in shared.entries] == [e[:27] for e in alone.entries]
    by_path = {e.path: e for e in shared.entries}
    expected = [f for f in key.files if not f["deleted"]]
    assert expected
    for f in expected:
        entry = by_path[f["path"]]
        assert (entry.md5, entry.sha256, entry.bytes_hashed) == (f["md5"], f["sha256"],
                                                                 f["size"])


@pytest.mark.parametrize("worker", ["handoff_beyond_buffer_worker",
                                    "handoff_not_matching_entry_worker"])
def test_a_hostile_handoff_fails_the_run(tmp_path: Path, worker: str) -> None:
    image = tmp_path / "x.bin"
    image.write_bytes(bytes(4096))
    summary = run_catalog(image, ListSink(), worker=f"{FAULTY}:{worker}")
    assert summary.status is RunStatus.FAILED
    assert "malformed" in (summary.error or "")


def test_a_handoff_without_a_shared_buffer_fails_the_run(tmp_path: Path) -> None:
    image = tmp_path / "x.bin"
    image.write_bytes(bytes(4096))
    summary = run_catalog(image, ListSink(), worker=f"{FAULTY}:handoff_beyond_buffer_worker",
                          options=CatalogOptions(hash_content=False))
    assert summary.status is RunStatus.FAILED
    assert "malformed" in (summary.error or "")


def test_a_worker_that_cannot_map_the_buffer_hashes_everything_itself(
        content_image, monkeypatch) -> None:
    image, key = content_image
    sink, handed = _catalog(image, monkeypatch, worker=f"{FAULTY}:unmappable_ring_worker")
    assert handed == 0
    hashed = {e.path: e.sha256 for e in sink.entries}
    assert all(hashed[f["path"]] == f["sha256"] for f in key.files if not f["deleted"])
