"""File content handed from the catalog worker to the application for hashing.

On a machine with few cores the worker (walk, read, hash, encode) is the slower
half of a catalog run, while the application (check, store) waits for it part of
the time. So the worker may copy a file's content into a ring buffer shared with
the application instead of hashing it; the application hashes it from there
when it takes in that entry. The worker hands content over only while the
application keeps up: it has taken in every batch of records sent but the last
(:data:`BATCHES_AHEAD`), and at most :data:`MAX_BACKLOG` bytes wait to be hashed.
So the busier side hashes less, without either having to guess the machine's speed,
and the application never falls far behind (the run ends when both are done).

Nothing is parsed on the application's side: it hashes bytes. A worker
subverted by a crafted image can make those bytes wrong, as it could make its
own hashes wrong, but it cannot make the application read outside the buffer,
hash one region twice or hash more than an honest worker could have handed over
in one batch: every hand-off is checked (see :meth:`ContentRing.digests`). The
buffer is an anonymous memory file (``memfd_create``) sealed at its size, so the
worker cannot shrink it under the application's mapping (which would crash the
application on its next read); it is passed to the worker as an inherited
descriptor. Where sealed memory files are not available, or the worker cannot
map the buffer (a tight memory limit), the worker hashes everything itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct

from forensics.cataloging.wire import WireError

RING_BYTES = 64 << 20
"""Size of the shared buffer."""
MAX_BACKLOG = 32 << 20
"""Bytes the worker may have handed over and the application not hashed yet."""
HANDOFF_MIN = 8 << 10
"""Smaller files are hashed by the worker: copying them costs about as much."""
HANDOFF_MAX = 256 << 10
"""Larger files are hashed by the worker (MD5 on a second thread, in chunks)."""
BATCHES_AHEAD = 1
"""Batches of records the worker may have sent beyond those the application has taken
in, and still hand content over: further behind, the application has enough to do."""
_HEADER = 64  # little-endian u64 at 0: bytes hashed; at 8: batches taken in
_COUNTER = struct.Struct("<Q")
_HASHED_AT, _TAKEN_AT = 0, 8


class HandoffError(WireError):
    """The worker described content that is not where it said."""


class ContentRing:
    """The application's side: creates the buffer and hashes what is handed over.

    Args:
        size: bytes of content the buffer holds.
    """

    def __init__(self, size: int = RING_BYTES) -> None:
        self.size = size
        self._batch_limit = min(MAX_BACKLOG, size)
        self.fd = os.memfd_create("sealbag-content", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(self.fd, _HEADER + size)
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS,
                        fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
            self._map = mmap.mmap(self.fd, _HEADER + size)
        except BaseException:
            os.close(self.fd)
            raise
        self._hashed = 0
        self._taken = 0
        self._batch_start: int | None = None

    @classmethod
    def create(cls) -> ContentRing | None:
        """A ring, or None where sealed shared memory files are not available."""
        if not hasattr(os, "memfd_create") or not hasattr(fcntl, "F_ADD_SEALS"):
            return None
        try:
            return cls()
        except OSError:
            return None

    def digests(self, start: int, length: int) -> tuple[str, str]:
        """MD5 and SHA-256 (hex) of ``length`` bytes handed over at ring position ``start``.

        Hand-offs must come in the order they were made, each after the last one hashed,
        at most :data:`HANDOFF_MAX` long and not across the buffer's end; each must end
        at most :data:`MAX_BACKLOG` after the last one hashed and after the first of
        its batch of records began (an honest worker never gets further ahead: it
        offered the whole batch before the application hashed any of it). So a batch
        costs the application at most one backlog of hashing, whatever it claims.

        Raises:
            HandoffError: the hand-off breaks one of those rules.
        """
        if (type(start) is not int or type(length) is not int or start < self._hashed
                or not 0 < length <= min(HANDOFF_MAX, self.size)
                or start % self.size + length > self.size
                or start + length - self._hashed > self._batch_limit
                or start + length - (start if self._batch_start is None
                                     else self._batch_start) > self._batch_limit):
            raise HandoffError(f"content hand-off out of order or out of bounds "
                               f"({str(start)[:20]}, {str(length)[:20]})")
        if self._batch_start is None:
            self._batch_start = start
        offset = _HEADER + start % self.size
        with memoryview(self._map)[offset:offset + length] as view:
            md5 = hashlib.md5(view, usedforsecurity=False).hexdigest()
            sha256 = hashlib.sha256(view).hexdigest()
        self._hashed = start + length
        _COUNTER.pack_into(self._map, _HASHED_AT, self._hashed)
        return md5, sha256

    def batch_taken(self) -> None:
        """Tell the worker one more batch of its records has been taken in."""
        self._batch_start = None
        self._taken += 1
        _COUNTER.pack_into(self._map, _TAKEN_AT, self._taken)

    def close(self) -> None:
        """Release the buffer (the worker's mapping is its own)."""
        self._map.close()
        os.close(self.fd)


class RingWriter:
    """The worker's side: copies content into the buffer while the application keeps up.

    Args:
        fd: the inherited descriptor of the buffer.
    """

    def __init__(self, fd: int) -> None:
        total = os.fstat(fd).st_size
        if total <= _HEADER:
            raise ValueError("the content buffer is too small")
        self._map = mmap.mmap(fd, total)
        os.close(fd)
        self.size = total - _HEADER
        self._backlog_limit = min(MAX_BACKLOG, self.size)
        self._written = 0
        self._sent = 0

    def batch_sent(self) -> None:
        """Count a batch of records sent to the application."""
        self._sent += 1

    def offer(self, data: bytes) -> tuple[int, int] | None:
        """Hand ``data`` over: its ``(start, length)`` in the ring, or None when the
        worker should hash it itself (too small, or the application is behind)."""
        length = len(data)
        if (length < HANDOFF_MIN or length > min(HANDOFF_MAX, self._backlog_limit)
                or self._sent - _COUNTER.unpack_from(self._map, _TAKEN_AT)[0] > BATCHES_AHEAD):
            return None
        start = self._written
        position = start % self.size
        if position + length > self.size:  # never across the end: skip to the start
            start += self.size - position
            position = 0
        hashed = _COUNTER.unpack_from(self._map, _HASHED_AT)[0]
        if start + length - hashed > self._backlog_limit:
            return None
        self._map[_HEADER + position:_HEADER + position + length] = data
        self._written = start + length
        return start, length

    def close(self) -> None:
        self._map.close()
