"""Helpers shared by the imaging tests: random sources, fault injection, byte flips."""

from __future__ import annotations

import errno
from pathlib import Path

from forensics.imaging.record import SourceIdentity
from forensics.imaging.sources import FdSource, OpenedSource

SMALL_CHUNK = 64 * 1024


def write_random(path: Path, size: int, seed: int = 1) -> bytes:
    """Write ``size`` random bytes with no all-zero sector, so zero-fill is visible."""
    import random

    rng = random.Random(seed)
    data = bytearray(rng.randbytes(size))
    for i in range(0, size, 512):
        data[i] = data[i] or 0x5A
    path.write_bytes(bytes(data))
    return bytes(data)


class FaultySource:
    """Wraps a real file and raises EIO for reads that touch chosen sectors.

    Args:
        path: the real source file.
        bad_sectors: sector numbers (512-byte) that always fail.
        shrink_after: after this many successful reads, the source reports
            ``shrink_to`` bytes and reads stop there.
        vanish_after: after this many reads, every read raises ENODEV.
        on_read: called with the read count before every read (e.g. to cancel).
    """

    def __init__(self, path: Path, bad_sectors: set[int] = frozenset(), *,
                 shrink_after: int | None = None, shrink_to: int = 0,
                 vanish_after: int | None = None, on_read=None) -> None:
        self._inner = FdSource([path])
        self.bad = set(bad_sectors)
        self.reads = 0
        self.shrink_after = shrink_after
        self.shrink_to = shrink_to
        self.vanish_after = vanish_after
        self.attempts: dict[int, int] = {}
        self.on_read = on_read

    @property
    def size(self) -> int:
        return self._inner.size

    @property
    def sector_size(self) -> int:
        return 512

    def _shrunk(self) -> bool:
        return self.shrink_after is not None and self.reads >= self.shrink_after

    def readinto(self, offset: int, view: memoryview) -> int:
        self.reads += 1
        if self.on_read is not None:
            self.on_read(self.reads)
        if self.vanish_after is not None and self.reads > self.vanish_after:
            raise OSError(errno.ENODEV, "No such device")
        first, last = offset // 512, (offset + len(view) - 1) // 512
        hit = [s for s in self.bad if first <= s <= last]
        if hit:
            for s in hit:
                self.attempts[s] = self.attempts.get(s, 0) + 1
            raise OSError(errno.EIO, "Input/output error")
        if self._shrunk():
            limit = max(0, min(len(view), self.shrink_to - offset))
            return self._inner.readinto(offset, view[:limit]) if limit else 0
        return self._inner.readinto(offset, view)

    def current_size(self) -> int:
        return self.shrink_to if self._shrunk() else self._inner.size

    def close(self) -> None:
        self._inner.close()


def opened(reader, path: Path) -> OpenedSource:
    """Wrap an injected reader with a plain identity."""
    return OpenedSource(reader, SourceIdentity(
        path=str(path), kind="image-file", media_format="raw", size=reader.size,
    ))


def flip_byte(path: Path, offset: int) -> None:
    """Invert one byte of a file in place (keeps size)."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))


def have_tool(name: str) -> bool:
    from shutil import which

    return which(name) is not None
