"""Read-only sources for acquisition: block devices and image sets.

A source is anything with ``size``, ``sector_size``, ``readinto(offset, view)``
and ``current_size()``. The acquisition engine only ever talks to that
protocol, so tests can inject a source that fails on chosen ranges, shrinks
or vanishes. Nothing here opens a file for writing.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from forensics.errors import BackEndError, NotFoundError, SourceError, UserInputError
from forensics.imaging.record import SourceIdentity
from forensics.media import MediaFormat, MediaReader, discover_segments, open_media

# errno values that mean the source is gone, not that a sector is bad
VANISHED_ERRNOS = frozenset({errno.ENODEV, errno.ENXIO, errno.ENOENT, errno.EBADF, errno.ESTALE})


class SourceReader(Protocol):
    """What the acquisition engine reads from."""

    @property
    def size(self) -> int:
        """Bytes in the media stream when the source was opened."""
        ...

    @property
    def sector_size(self) -> int:
        """Smallest unit that can be read on its own (bad-sector granularity)."""
        ...

    def readinto(self, offset: int, view: memoryview) -> int:
        """Fill ``view`` from ``offset``; return bytes read (short only at end of media).

        Raises:
            OSError: the read failed (``errno`` says why).
        """
        ...

    def current_size(self) -> int:
        """Bytes in the media stream now (to detect a source that shrank)."""
        ...

    def close(self) -> None: ...


class FdSource:
    """One or more files (or a block device) read with ``preadv`` into caller buffers.

    Args:
        paths: files in reading order (one for raw or a device, several for split raw).
        sector_size: bad-sector granularity in bytes.
        direct_reads: read block devices with ``O_DIRECT`` where the buffer allows:
            no copy through the page cache, and a multi-terabyte disk does not
            evict everything else from memory.
    """

    def __init__(
        self, paths: Sequence[str | os.PathLike[str]], sector_size: int = 512, *,
        direct_reads: bool = False,
    ) -> None:
        self._paths = [Path(p) for p in paths]
        self._direct_reads = direct_reads
        self.direct_read_bytes = 0
        self._fds: list[int] = []
        self._starts: list[int] = []
        self._sizes: list[int] = []
        self._sector_size = sector_size
        self._direct_fds: dict[int, int | None] = {}
        self._bounce_view: memoryview | None = None
        try:
            for p in self._paths:
                fd = _open_readonly(p)
                self._fds.append(fd)
                self._starts.append(sum(self._sizes))
                self._sizes.append(_fd_size(fd))
        except BaseException:
            self.close()
            raise
        self._size = sum(self._sizes)

    @property
    def size(self) -> int:
        return self._size

    @property
    def sector_size(self) -> int:
        return self._sector_size

    @property
    def fds(self) -> tuple[int, ...]:
        """Open descriptors, in reading order."""
        return tuple(self._fds)

    def readinto(self, offset: int, view: memoryview) -> int:
        want = len(view)
        done = 0
        idx = 0
        while idx + 1 < len(self._starts) and self._starts[idx + 1] <= offset:
            idx += 1
        while done < want and idx < len(self._fds):
            pos = offset + done
            local = pos - self._starts[idx]
            room = self._sizes[idx] - local
            if room <= 0:
                idx += 1
                continue
            part = view[done : done + min(want - done, room)]
            got = self._read_direct(idx, part, local)
            if got is None:
                got = os.preadv(self._fds[idx], [part], local)
            if got == 0:
                break  # the file is shorter than when it was opened
            done += got
        return done

    def _read_direct(self, idx: int, part: memoryview, local: int) -> int | None:
        """``O_DIRECT`` read when enabled and aligned; None means "read buffered"."""
        if not self._direct_reads:
            return None
        align = max(512, self._sector_size)
        if local % align or len(part) % align or not _aligned(part, align):
            return None
        fd = self._direct_fd(idx)
        if fd is None:
            return None
        try:
            got = os.preadv(fd, [part], local)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self._direct_reads = False  # the device refuses O_DIRECT: stay buffered
            return None
        self.direct_read_bytes += got
        return got

    def current_size(self) -> int:
        total = 0
        for fd in self._fds:
            total += _fd_size(fd)
        return total

    def read_sector(self, offset: int, view: memoryview) -> int:
        """Read one sector, bypassing the page cache on block devices.

        Buffered reads of a block device fail a whole 4 KiB page when one 512-byte
        sector in it is bad; ``O_DIRECT`` reads the sector alone, so readable
        neighbours are not reported (and zero-filled) as unreadable.
        """
        idx = 0
        while idx + 1 < len(self._starts) and self._starts[idx + 1] <= offset:
            idx += 1
        local = offset - self._starts[idx]
        direct = self._direct_fd(idx)
        if direct is None or local % self._sector_size or len(view) > self._sector_size:
            return self.readinto(offset, view)
        bounce = self._bounce()
        got = os.preadv(direct, [bounce[: self._sector_size]], local)
        got = min(got, len(view))
        view[:got] = bounce[:got]
        return got

    def _direct_fd(self, idx: int) -> int | None:
        if idx not in self._direct_fds:
            fd = None
            if stat.S_ISBLK(os.fstat(self._fds[idx]).st_mode) and hasattr(os, "O_DIRECT"):
                try:
                    fd = os.open(self._paths[idx], os.O_RDONLY | os.O_DIRECT | os.O_CLOEXEC)
                except OSError:
                    fd = None
            self._direct_fds[idx] = fd
        return self._direct_fds[idx]

    def _bounce(self) -> memoryview:
        if self._bounce_view is None:
            # O_DIRECT needs an aligned buffer; mmap memory is page-aligned
            self._bounce_view = memoryview(mmap.mmap(-1, max(4096, self._sector_size)))
        return self._bounce_view

    def drop_cache(self) -> None:
        """Ask the kernel to forget cached pages, so a re-read reaches the disk."""
        for fd in self._fds:
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            except OSError:
                pass

    def close(self) -> None:
        fds = list(self._fds) + [fd for fd in self._direct_fds.values() if fd is not None]
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []
        self._direct_fds = {}


class MediaSource:
    """Adapter from a :class:`forensics.media.MediaReader` (e.g. an E01 set)."""

    def __init__(self, reader: MediaReader) -> None:
        self._reader = reader

    @property
    def size(self) -> int:
        return self._reader.size

    @property
    def sector_size(self) -> int:
        return self._reader.info.sector_size or 512

    def readinto(self, offset: int, view: memoryview) -> int:
        try:
            data = self._reader.read_at(offset, len(view))
        except BackEndError as exc:
            raise OSError(errno.EIO, str(exc)) from exc
        view[: len(data)] = data
        return len(data)

    def current_size(self) -> int:
        return self._reader.size

    def close(self) -> None:
        self._reader.close()


@dataclass(frozen=True, slots=True)
class OpenedSource:
    """A source opened for acquisition together with what identifies it."""

    reader: SourceReader
    identity: SourceIdentity


def open_source(
    path: str | os.PathLike[str], *, allow_mounted: bool = False,
    mounts_text: str | None = None,
) -> OpenedSource:
    """Open a block device or an image set read-only and describe it.

    Args:
        path: a block device, a raw image, any file of a split raw set, or an E01.
        allow_mounted: image a device even when it (or a partition on it) is
            mounted read-write; a warning is recorded. Without it that is refused.
        mounts_text: contents of ``/proc/self/mounts`` (tests inject it).

    Returns:
        The opened source and its identity.

    Raises:
        NotFoundError: the path does not exist.
        UserInputError: the path is a folder, or the device is mounted read-write.
        SourceError: the source cannot be opened.
        BackEndError: an E01 set cannot be parsed.
    """
    p = Path(path).absolute()
    if not p.exists():
        raise NotFoundError(f"source not found: {path} (check the path)")
    if p.is_dir():
        raise UserInputError(f"{path} is a folder; give a block device or an image file")
    try:
        st = p.stat()
    except OSError as exc:
        raise SourceError(f"cannot stat {p}: {exc.strerror}") from exc
    if stat.S_ISBLK(st.st_mode):
        return _open_device(p, st, allow_mounted, mounts_text)
    fmt, segments = discover_segments(p)
    files = tuple(_file_stat(s) for s in segments)
    if fmt is MediaFormat.EWF:
        reader = open_media(p)
        info = reader.info
        identity = SourceIdentity(
            path=str(p), kind="image-file", media_format=fmt.value, size=info.size,
            sector_size=info.sector_size, files=files,
            container_metadata=dict(info.metadata), container_hashes=dict(info.stored_hashes),
            hpa_dco="not applicable: the source is an image file",
            model=info.metadata.get("model"), serial=info.metadata.get("serial_number"),
        )
        return OpenedSource(MediaSource(reader), identity)
    if fmt is MediaFormat.RAW and len(segments) > 1:
        segments = [p]
    try:
        src = FdSource(segments)
    except OSError as exc:
        raise SourceError(f"cannot open {p} read-only: {exc.strerror}") from exc
    identity = SourceIdentity(
        path=str(p), kind="image-file", media_format=fmt.value, size=src.size,
        sector_size=512, files=files, hpa_dco="not applicable: the source is an image file",
    )
    return OpenedSource(src, identity)


def _open_device(
    p: Path, st: os.stat_result, allow_mounted: bool, mounts_text: str | None
) -> OpenedSource:
    sysdir = _sysfs_dir(st.st_rdev)
    mounts = device_mounts(st.st_rdev, sysdir, mounts_text)
    rw = [m for m in mounts if _mount_is_rw(m)]
    if rw and not allow_mounted:
        raise UserInputError(
            f"{p} is mounted read-write ({'; '.join(rw)}); unmount it before imaging, "
            "or pass --allow-mounted to image it anyway (the record will say so)"
        )
    sector = _read_int(sysdir / "queue" / "logical_block_size") if sysdir else None
    if sector is None and sysdir is not None:
        # a partition: queue/ lives on the parent disk
        sector = _read_int(sysdir.parent / "queue" / "logical_block_size")
    physical = _read_int(sysdir / "queue" / "physical_block_size") if sysdir else None
    try:
        src = FdSource([p], sector_size=sector or 512, direct_reads=True)
    except OSError as exc:
        raise SourceError(f"cannot open {p} read-only: {exc.strerror}") from exc
    udev = _udev_properties(st.st_rdev)
    dev_dir = sysdir / "device" if sysdir else None
    if dev_dir is not None and not dev_dir.exists() and sysdir is not None:
        dev_dir = sysdir.parent / "device"
    identity = SourceIdentity(
        path=str(p), kind="block-device", media_format=MediaFormat.DEVICE.value,
        size=src.size, sector_size=sector or 512, physical_sector_size=physical,
        model=udev.get("ID_MODEL") or _read_text(dev_dir / "model" if dev_dir else None),
        vendor=udev.get("ID_VENDOR") or _read_text(dev_dir / "vendor" if dev_dir else None),
        serial=udev.get("ID_SERIAL_SHORT") or _read_text(dev_dir / "serial" if dev_dir else None),
        wwid=udev.get("ID_WWN") or _read_text(dev_dir / "wwid" if dev_dir else None),
        removable=_read_bool(sysdir / "removable") if sysdir else None,
        kernel_read_only=_read_bool(sysdir / "ro") if sysdir else None,
        hpa_dco=(
            "not determinable: Sealbag does not send ATA commands (hdparm -N / "
            "--dco-identify) and this interface may not pass them through"
        ),
        mounts=tuple(mounts),
    )
    return OpenedSource(src, identity)


def device_mounts(rdev: int, sysdir: Path | None, mounts_text: str | None = None) -> list[str]:
    """Mount table lines whose source is the device or one of its partitions.

    Args:
        rdev: device number of the source.
        sysdir: its ``/sys/class/block/<name>`` folder (to find partitions), or None.
        mounts_text: ``/proc/self/mounts`` contents; read from the system when None.
    """
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
    wanted = {rdev}
    if sysdir is not None and sysdir.exists():
        for child in sysdir.iterdir():
            dev_file = child / "dev"
            if (child / "partition").exists() and dev_file.exists():
                major, _, minor = dev_file.read_text().strip().partition(":")
                wanted.add(os.makedev(int(major), int(minor)))
    hits = []
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 4 or not parts[0].startswith("/"):
            continue
        dev_path = parts[0].replace("\\040", " ")
        try:
            st = os.stat(dev_path)
        except OSError:
            continue
        if stat.S_ISBLK(st.st_mode) and st.st_rdev in wanted:
            hits.append(" ".join(parts[:4]))
    return hits


def _mount_is_rw(entry: str) -> bool:
    parts = entry.split()
    return len(parts) >= 4 and "rw" in parts[3].split(",")


def _sysfs_dir(rdev: int) -> Path | None:
    link = Path(f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}")
    try:
        return link.resolve(strict=True)
    except OSError:
        return None


def _udev_properties(rdev: int) -> dict[str, str]:
    path = Path(f"/run/udev/data/b{os.major(rdev)}:{os.minor(rdev)}")
    props: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return props
    for line in text.splitlines():
        if line.startswith("E:") and "=" in line:
            key, _, value = line[2:].partition("=")
            props[key] = value
    return props


def _read_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        value = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return value or None


def _read_int(path: Path) -> int | None:
    text = _read_text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _read_bool(path: Path) -> bool | None:
    value = _read_int(path)
    return None if value is None else bool(value)


def _file_stat(path: Path) -> dict[str, object]:
    st = path.stat()
    return {
        "path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns, "inode": st.st_ino, "device": st.st_dev,
        "mode": oct(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
    }


def _aligned(view: memoryview, align: int) -> bool:
    try:
        address = ctypes.addressof(ctypes.c_char.from_buffer(view))
    except (TypeError, ValueError):
        return False  # read-only or empty buffer: use the buffered path
    return address % align == 0


def _open_readonly(path: Path) -> int:
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        # O_NOATIME is refused on files the caller does not own
        return os.open(path, flags)


def _fd_size(fd: int) -> int:
    st = os.fstat(fd)
    if stat.S_ISBLK(st.st_mode):
        return os.lseek(fd, 0, os.SEEK_END)
    return st.st_size
