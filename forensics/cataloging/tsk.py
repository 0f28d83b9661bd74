"""The Sleuth Kit (pytsk3) walk: volumes, file systems and every name, as ``fls -r -p``.

This is the only module in Sealbag that imports pytsk3. It runs inside the
catalog worker process (see :mod:`forensics.cataloging.worker`), never in the
application process: a crash in the C library must not take the app down.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytsk3

from forensics.cataloging.content import (
    MAGIC_BYTES,
    PARALLEL_MIN,
    TypeDetector,
    extension_mismatch,
    hash_chunks,
)
from forensics.cataloging.names import display_name
from forensics.cataloging.records import (
    EntryRecord,
    FileSystemRecord,
    Gap,
    VolumeRecord,
)
from forensics.cataloging.sharedcontent import HANDOFF_MIN
from forensics.cataloging.wire import HANDOFF_KIND
from forensics.media import MediaReader
from forensics.textsafe import escape_for_display

READ_CHUNK = 1 << 20
MAX_DEPTH = 256
MAX_PENDING = 256
"""Entries waiting for their file type before the walk pauses."""
TYPE_THREADS = 2
MAX_DIR_VISITS = 16
"""A directory reached through more than this many different names is not walked again."""
BEAT_EVERY = 32
"""Names listed between two heartbeats (a heartbeat reads the clock)."""

NAME_TYPES = "-pcdbrlshwvV"  # TSK_FS_NAME_TYPE_ENUM order
META_TYPES = "-rdpcblhswvV"  # TSK_FS_META_TYPE_ENUM order
_NAME_DIR = (3, 11)
_DIR_NAME_TYPES = (0, *_NAME_DIR)
_META_DIR = (2, 11)
_META_REG = 1
_NAME_FLAG_ALLOC = 1
_META_FLAG_ALLOC = 1
_ATTR_NTFS_DATA = 0x80
_ATTR_NTFS_IDXROOT = 0x90

# Entries are built as lists in EntryRecord's field order (no dict, no keyword call:
# this runs once per name on the media).
_FIELD = {name: i for i, name in enumerate(EntryRecord._fields)}
_BLANK_ENTRY = [EntryRecord._field_defaults.get(name) for name in EntryRecord._fields]
_I_PATH, _I_PATH_RAW, _I_NAME, _I_STREAM = (_FIELD[n] for n in ("path", "path_raw", "name",
                                                                  "stream"))
_I_ATTR_TYPE, _I_ATTR_ID, _I_SIZE = _FIELD["attr_type"], _FIELD["attr_id"], _FIELD["size"]
_I_ALLOCATED, _I_META_ALLOCATED = _FIELD["allocated"], _FIELD["meta_allocated"]
_I_MD5, _I_SHA256, _I_BYTES_HASHED = _FIELD["md5"], _FIELD["sha256"], _FIELD["bytes_hashed"]
_I_MIME, _I_MIME_DESC, _I_MISMATCH = (_FIELD["mime_type"], _FIELD["mime_description"],
                                      _FIELD["extension_mismatch"])
_I_ERROR = _FIELD["error"]
_I_MTIME, _I_GID = _FIELD["mtime"], _FIELD["gid"]  # mtime, atime, ctime, crtime, mode, uid, gid


def _constants(prefix: str, skip: tuple[str, ...]) -> dict[int, str]:
    out: dict[int, str] = {}
    for attr in dir(pytsk3):
        if attr.startswith(prefix) and not attr.endswith(skip):
            try:
                out.setdefault(int(getattr(pytsk3, attr)), attr[len(prefix):].lower())
            except (TypeError, ValueError):
                continue
    return out


_FS_TYPE_NAMES = _constants("TSK_FS_TYPE_", ("_DETECT", "DETECT", "UNSUPP"))
_VS_TYPE_NAMES = _constants("TSK_VS_TYPE_", ("DETECT", "UNSUPP", "DBFILLER"))
_FS_NTFS = int(pytsk3.TSK_FS_TYPE_NTFS)
_FS_FAT = (int(pytsk3.TSK_FS_TYPE_FAT12), int(pytsk3.TSK_FS_TYPE_FAT16),
           int(pytsk3.TSK_FS_TYPE_FAT32))
_FS_EXFAT = int(pytsk3.TSK_FS_TYPE_EXFAT)


def tsk_version() -> str:
    """Version of The Sleuth Kit library pytsk3 was built with."""
    return str(pytsk3.TSK_VERSION_STR)


class MediaImage(pytsk3.Img_Info):
    """Presents a :class:`~forensics.media.MediaReader` to The Sleuth Kit."""

    def __init__(self, reader: MediaReader) -> None:
        self._reader = reader
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def close(self) -> None:
        """Nothing to release here: the reader belongs to the caller."""

    def read(self, offset: int, size: int) -> bytes:
        return self._reader.read_at(offset, size)

    def get_size(self) -> int:
        return self._reader.size


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """What the walk does besides listing names."""

    hash_content: bool = True
    detect_types: bool = True
    hash_deleted: bool = True
    max_depth: int = MAX_DEPTH


Emit = Callable[[str, Any], None]
"""``emit(kind, record)`` with kind in volume, fs, entry, gap, progress."""


def _fs_type_name(ftype: int) -> str:
    return _FS_TYPE_NAMES.get(ftype, f"tsk-0x{ftype:x}")


def _ts(sec: int, nano: int, resolution: int) -> tuple[int, int, int] | None:
    """``(seconds, nanoseconds, resolution)``, or None for TSK's "not set" (0, 0)."""
    if not sec and not nano:
        return None
    return (int(sec), int(nano or 0), resolution)


def _one_line(exc: BaseException) -> str:
    # TSK messages can quote names from the image: escape them like names
    text = escape_for_display(" ".join(str(exc).split()))
    return text[:300] if text else type(exc).__name__


class ImageScanner:
    """Lists everything The Sleuth Kit can see in one image.

    Args:
        reader: the opened media.
        emit: receives each record as it is found.
        options: what to compute per file.
        heartbeat: called often (between files and chunks) so a watchdog sees progress.
        entry_out: turns a finished entry's field list (EntryRecord order, times as plain
            tuples) into what is emitted: the worker process passes the wire encoder, so
            no record is built only to be taken apart again.
        handoff: offered a file's whole content instead of hashing it here; returns
            where it put it, or None (then the content is hashed here). An entry whose
            content was handed off is emitted as ``(HANDOFF_KIND, [start, length,
            entry])`` with no digests (see :mod:`forensics.cataloging.sharedcontent`).
    """

    def __init__(self, reader: MediaReader, emit: Emit, options: WalkOptions,
                 heartbeat: Callable[[int, int], None],
                 entry_out: Callable[[list[Any]], Any],
                 handoff: Callable[[bytes], tuple[int, int] | None] | None = None) -> None:
        self._reader = reader
        self._emit = emit
        self._entry_out = entry_out
        self._handoff = handoff
        self._opt = options
        self._beat = heartbeat
        self._img = MediaImage(reader)
        self._types = TypeDetector() if options.detect_types else None
        self._type_pool = (ThreadPoolExecutor(TYPE_THREADS, thread_name_prefix="libmagic")
                           if options.detect_types else None)
        self._md5_pool = ThreadPoolExecutor(1, thread_name_prefix="md5")
        self._pending: deque[tuple[list[Any], Future[tuple[str | None, str | None]] | None,
                                   tuple[int, int] | None]] = deque()
        self._fs_count = 0
        self._countdown = BEAT_EVERY
        self.files = 0
        self.bytes = 0

    # ---------------------------------------------------------------- volumes

    def scan(self) -> str | None:
        """Walk the whole image. Returns the volume-system scheme, or None without one."""
        try:
            return self._scan()
        finally:
            self._drain(wait_until=0)
            if self._type_pool is not None:
                self._type_pool.shutdown()
            self._md5_pool.shutdown()

    def _queue_entry(self, fields: list[Any], head: bytes | None,
                     handed_off: tuple[int, int] | None) -> None:
        """Emit entries in walk order; libmagic runs on a few threads meanwhile."""
        future = None
        if head is not None and self._type_pool is not None and self._types is not None:
            future = self._type_pool.submit(self._types.detect, head)
        elif not self._pending:  # nothing waits for libmagic: no queue needed
            self._emit_entry(fields, handed_off)
            return
        self._pending.append((fields, future, handed_off))
        self._drain(MAX_PENDING // 2 if len(self._pending) > MAX_PENDING else None)

    def _drain(self, wait_until: int | None) -> None:
        """Emit finished entries from the head of the queue, in order. While more than
        ``wait_until`` entries wait, block on the head (None: never block)."""
        pending = self._pending
        while pending:
            fields, future, handed_off = pending[0]
            if future is not None:
                if not future.done() and (wait_until is None or len(pending) <= wait_until):
                    return
                mime, desc = future.result()
                fields[_I_MIME] = mime
                fields[_I_MIME_DESC] = desc
                fields[_I_MISMATCH] = (fields[_I_STREAM] is None
                                       and extension_mismatch(fields[_I_NAME], mime))
            pending.popleft()
            self._emit_entry(fields, handed_off)

    def _emit_entry(self, fields: list[Any], handed_off: tuple[int, int] | None) -> None:
        if handed_off is None:
            self._emit("entry", self._entry_out(fields))
        else:
            self._emit(HANDOFF_KIND, [*handed_off, self._entry_out(fields)])

    def _scan(self) -> str | None:
        try:
            vs = pytsk3.Volume_Info(self._img)
        except OSError:
            vs = None
        if vs is None:
            whole = VolumeRecord(0, "none", None, 0, self._reader.size // 512, 512,
                                 "whole media (no partition table)", True, "whole")
            self._emit("volume", whole)
            self._open_fs(whole, 0)
            return None
        scheme = _VS_TYPE_NAMES.get(int(vs.info.vstype), f"tsk-0x{int(vs.info.vstype):x}")
        block = int(vs.info.block_size) or 512
        parts = list(vs)
        for index, part in enumerate(parts):
            flags = int(part.flags)
            kind = ("meta" if flags & pytsk3.TSK_VS_PART_FLAG_META else
                    "unallocated" if flags & pytsk3.TSK_VS_PART_FLAG_UNALLOC else "partition")
            slot = (f"{int(part.table_num):03d}:{int(part.slot_num):03d}"
                    if kind == "partition" else None)
            desc = part.desc.decode("utf-8", "replace") if isinstance(part.desc, bytes) \
                else str(part.desc)
            rec = VolumeRecord(index, scheme, slot, int(part.start), int(part.len), block,
                               desc, kind == "partition", kind)
            self._emit("volume", rec)
            if kind == "partition":
                self._open_fs(rec, int(part.start) * block)
        return scheme

    # ---------------------------------------------------------------- file systems

    def _open_fs(self, volume: VolumeRecord, offset: int) -> None:
        index = self._fs_count
        self._fs_count += 1
        try:
            fs = pytsk3.FS_Info(self._img, offset=offset)
        except OSError as exc:
            self._emit("fs", FileSystemRecord(
                index, volume.index, offset, None, "unknown",
                error=f"no file system The Sleuth Kit recognises at byte offset {offset} "
                      f"({_one_line(exc)})"))
            return
        info = fs.info
        ftype = int(info.ftype)
        rec = FileSystemRecord(index, volume.index, offset, _fs_type_name(ftype), "parsed",
                               block_size=int(info.block_size),
                               block_count=int(info.block_count),
                               root_inum=int(info.root_inum))
        self._emit("fs", rec)
        _FsWalk(self, fs, rec, ftype).run()


class _NameWithMeta:
    """A directory entry's name joined to metadata loaded separately."""

    __slots__ = ("_file", "info")

    def __init__(self, named: Any, file: Any) -> None:
        self._file = file
        self.info = _Info(named.info.name, file.info.meta)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._file)

    def read_random(self, *args: Any) -> bytes:
        return self._file.read_random(*args)


class _Info:
    __slots__ = ("meta", "name")

    def __init__(self, name: Any, meta: Any) -> None:
        self.name = name
        self.meta = meta


class _FsWalk:
    """Depth-first walk of one file system in ``fls -r -p`` order."""

    def __init__(self, scanner: ImageScanner, fs: Any, rec: FileSystemRecord, ftype: int) -> None:
        self.sc = scanner
        self.fs = fs
        self.rec = rec
        self.is_ntfs = ftype == _FS_NTFS
        self.is_fat = ftype in _FS_FAT
        self.is_exfat = ftype == _FS_EXFAT
        has_nano = bool(int(fs.info.flags) & int(pytsk3.TSK_FS_INFO_FLAG_HAVE_NANOSEC))
        self.res = 100 if self.is_ntfs else 10_000_000 if self.is_exfat else \
            1 if has_nano else 1_000_000_000
        self.visits: dict[int, int] = {}
        try:
            self.orphan_dir = int(fs.info.last_inum)
        except (AttributeError, TypeError):
            self.orphan_dir = -1

    def where(self, path: str) -> str:
        return f"file system at byte offset {self.rec.offset_bytes}: {path or '/'}"

    def run(self) -> None:
        root = int(self.fs.info.root_inum)
        self._walk_dir(root, b"", "", frozenset({root}), 0, False)

    def _walk_dir(self, addr: int, prefix_raw: bytes, prefix: str, ancestors: frozenset[int],
                  depth: int, orphan: bool) -> None:
        try:
            directory = self.fs.open_dir(inode=addr)
        except OSError as exc:
            self.sc._emit("gap", Gap(self.where(prefix),
                                     f"directory unreadable: {_one_line(exc)}"))
            return
        iterator = iter(directory)
        sc = self.sc
        while True:
            try:
                f = next(iterator)
            except StopIteration:
                break
            except OSError as exc:
                self.sc._emit("gap", Gap(self.where(prefix),
                                         f"directory listing cut short: {_one_line(exc)}"))
                break
            sc._countdown -= 1
            if not sc._countdown:
                sc._countdown = BEAT_EVERY
                sc._beat(sc.files, sc.bytes)
            info = f.info
            name = info.name
            raw = bytes(name.name)
            if raw == b"." or raw == b"..":
                continue
            path_raw = prefix_raw + raw
            shown = display_name(raw)
            path = prefix + shown
            meta_addr = int(name.meta_addr)
            name_type = int(name.type)
            name_alloc = bool(int(name.flags) & _NAME_FLAG_ALLOC)
            in_orphans = orphan or (meta_addr == self.orphan_dir and depth == 0
                                    and name_type == 11)
            meta = info.meta
            # pytsk3 drops metadata whose NTFS sequence number differs from the name's;
            # TSK's own directory walk (fls) keeps it for deleted names only.
            if meta is None and (meta_addr or name_alloc) and not (self.is_ntfs and name_alloc):
                f = self._with_meta(f, meta_addr)
                meta = f.info.meta
            meta_type_i = int(meta.type) if meta is not None else 0
            self._emit_entries(f, name, meta, meta_type_i, name_type, name_alloc, raw, shown,
                               path_raw, path, orphan)
            if meta is None or name_type not in _DIR_NAME_TYPES or meta_type_i not in _META_DIR:
                continue
            meta_alloc = bool(int(meta.flags) & _META_FLAG_ALLOC)
            if not name_alloc and meta_alloc:
                continue  # deleted name whose inode now belongs to something else
            if meta_addr in ancestors:
                self.sc._emit("note", Gap(self.where(path),
                                          f"directory loop: inode {meta_addr} is its own "
                                          "ancestor; not walked again"))
                continue
            if depth + 1 >= self.sc._opt.max_depth:
                self.sc._emit("gap", Gap(self.where(path),
                                         f"deeper than {self.sc._opt.max_depth} levels; "
                                         "not walked"))
                continue
            seen = self.visits.get(meta_addr, 0)
            if seen >= MAX_DIR_VISITS:
                self.sc._emit("note", Gap(self.where(path),
                                          f"directory inode {meta_addr} already walked {seen} "
                                          "times; its entries are listed under its other names"))
                continue
            self.visits[meta_addr] = seen + 1
            self._walk_dir(meta_addr, path_raw + b"/", path + "/", ancestors | {meta_addr},
                           depth + 1, in_orphans)

    def _with_meta(self, f: Any, meta_addr: int) -> Any:
        """Load the metadata TSK's directory walk would load for a name (``fls`` does,
        even when a deleted NTFS name's sequence number no longer matches its MFT entry)."""
        try:
            return _NameWithMeta(f, self.fs.open_meta(inode=meta_addr))
        except OSError:
            return f

    # ---------------------------------------------------------------- entries

    def _emit_entries(self, f: Any, name: Any, meta: Any, meta_type_i: int, name_type: int,
                      name_alloc: bool, raw: bytes, shown: str, path_raw: bytes, path: str,
                      orphan: bool) -> None:
        seq = int(name.meta_seq)
        base = _BLANK_ENTRY.copy()
        base[:_I_MTIME] = (
            self.rec.index, self.rec.offset_bytes, path, path_raw, shown, raw, None,
            int(name.meta_addr), seq if self.is_ntfs and 0 <= seq < 1 << 31 else None,
            None, None,
            NAME_TYPES[name_type] if name_type < len(NAME_TYPES) else "?",
            META_TYPES[meta_type_i] if meta_type_i < len(META_TYPES) else "?",
            0, name_alloc, None, orphan,
        )
        if meta is not None:
            base[_I_META_ALLOCATED] = bool(int(meta.flags) & _META_FLAG_ALLOC)
            base[_I_SIZE] = int(meta.size)
            if self.is_fat:
                base[_I_MTIME:_I_GID + 1] = (
                    _ts(meta.mtime, meta.mtime_nano, 2_000_000_000),
                    _ts(meta.atime, meta.atime_nano, 86_400_000_000_000),
                    _ts(meta.ctime, meta.ctime_nano, 2_000_000_000),
                    _ts(meta.crtime, meta.crtime_nano, 10_000_000),
                    int(meta.mode), int(meta.uid), int(meta.gid))
            else:
                res = self.res
                base[_I_MTIME:_I_GID + 1] = (
                    _ts(meta.mtime, meta.mtime_nano, res), _ts(meta.atime, meta.atime_nano, res),
                    _ts(meta.ctime, meta.ctime_nano, res),
                    _ts(meta.crtime, meta.crtime_nano, res),
                    int(meta.mode), int(meta.uid), int(meta.gid))
        if self.is_ntfs and meta is not None:
            printed = False
            try:
                attrs = [(int(a.info.type), int(a.info.id), a.info.name, int(a.info.size))
                         for a in f]
            except OSError:
                attrs = []
            for a_type, a_id, a_name, a_size in attrs:
                a_name_b = bytes(a_name) if a_name else b""
                if a_type == _ATTR_NTFS_DATA:
                    printed = True
                    self._emit_one(f, base.copy(), meta_type_i, a_type, a_id, a_name_b, a_size)
                elif a_type == _ATTR_NTFS_IDXROOT:
                    printed = True
                    index_name = a_name_b if a_name_b != b"$I30" else b""
                    self._emit_one(f, base.copy(), meta_type_i, a_type, a_id, index_name,
                                   a_size)
            if not printed:
                self._emit_one(f, base, meta_type_i, None, None, b"", None)
        else:
            self._emit_one(f, base, meta_type_i, None, None, b"", None)

    def _emit_one(self, f: Any, fields: list[Any], meta_type_i: int,
                  attr_type: int | None, attr_id: int | None, stream_raw: bytes,
                  attr_size: int | None) -> None:
        if stream_raw:
            stream = display_name(stream_raw)
            fields[_I_STREAM] = stream
            fields[_I_PATH_RAW] = fields[_I_PATH_RAW] + b":" + stream_raw
            fields[_I_PATH] = fields[_I_PATH] + ":" + stream
        if attr_type is not None:
            fields[_I_ATTR_TYPE] = attr_type
            fields[_I_ATTR_ID] = attr_id
            fields[_I_SIZE] = attr_size
        size = fields[_I_SIZE]
        name_alloc = fields[_I_ALLOCATED]
        meta_alloc = fields[_I_META_ALLOCATED]
        readable = (meta_alloc is not None and meta_type_i == _META_REG
                    and (name_alloc or (self.sc._opt.hash_deleted and not meta_alloc)))
        head = handed_off = None
        if readable and self.is_ntfs and attr_type is None:
            fields[_I_ERROR] = "no readable $DATA attribute"
            if name_alloc:
                self.sc._emit("gap", Gap(self.where(fields[_I_PATH]),
                                         "content unreadable: no $DATA attribute"))
        elif readable and self.sc._opt.hash_content:
            head, handed_off = self._read_content(f, fields, attr_type, attr_id, size)
        self.sc._queue_entry(fields, head, handed_off)

    def _read_content(self, f: Any, fields: list[Any], attr_type: int | None,
                      attr_id: int | None, size: int
                      ) -> tuple[bytes | None, tuple[int, int] | None]:
        """Hash the content into ``fields`` (or hand it off whole); returns the start of
        it for type detection, and where it was handed off to."""
        sc = self.sc
        if size <= PARALLEL_MIN:
            # Most files are small: one read and both hashes right here, no generator and
            # no second thread. Anything but a complete first read takes the general path.
            try:
                if size == 0:
                    data = b""
                elif attr_type is None:
                    data = f.read_random(0, size)
                else:
                    data = f.read_random(0, size, attr_type, attr_id)
            except OSError:
                data = None
            if data is not None and len(data) == size:
                sc.files += 1
                sc.bytes += size
                fields[_I_BYTES_HASHED] = size
                handed_off = (sc._handoff(data) if sc._handoff is not None
                              and size >= HANDOFF_MIN else None)
                if handed_off is None:
                    fields[_I_MD5] = hashlib.md5(data, usedforsecurity=False).hexdigest()
                    fields[_I_SHA256] = hashlib.sha256(data).hexdigest()
                return data[:MAGIC_BYTES], handed_off
        error: list[str] = []

        def chunks() -> Iterator[bytes]:
            offset = 0
            while offset < size:
                want = min(READ_CHUNK, size - offset)
                try:
                    if attr_type is None:
                        data = f.read_random(offset, want)
                    else:
                        data = f.read_random(offset, want, attr_type, attr_id)
                except OSError as exc:
                    error.append(f"read failed at offset {offset}: {_one_line(exc)}")
                    return
                if not data:
                    if offset < size:
                        error.append(f"The Sleuth Kit returned {offset} of {size} bytes")
                    return
                offset += len(data)
                sc.bytes += len(data)
                if offset < size:
                    sc._beat(sc.files, sc.bytes)
                yield data

        result = hash_chunks(chunks(), sc._md5_pool)
        sc.files += 1
        if error and (error[0].startswith("read failed")
                      or (result.length == 0 and not fields[_I_ALLOCATED])):
            if fields[_I_ALLOCATED]:
                sc._emit("gap", Gap(self.where(fields[_I_PATH]),
                                    f"content unreadable: {error[0]}"))
            fields[_I_ERROR] = error[0]
            return None, None
        fields[_I_MD5] = result.md5
        fields[_I_SHA256] = result.sha256
        fields[_I_BYTES_HASHED] = result.length
        if error:
            fields[_I_ERROR] = error[0]
        return result.head, None


class ContentReader:
    """Reads one file's content by file-system offset, metadata address and stream name."""

    def __init__(self, reader: MediaReader) -> None:
        self._img = MediaImage(reader)
        self._fs: dict[int, Any] = {}

    def chunks(self, fs_offset: int, meta_addr: int, stream: str | None,
               chunk: int = READ_CHUNK) -> Iterator[bytes]:
        """Yield the content of the default data (or the named NTFS stream).

        Raises:
            OSError: the file system, the file or the stream cannot be opened or read.
        """
        fs = self._fs.get(fs_offset)
        if fs is None:
            fs = self._fs[fs_offset] = pytsk3.FS_Info(self._img, offset=fs_offset)
        f = fs.open_meta(inode=meta_addr)
        meta = f.info.meta
        if meta is None:
            raise OSError(f"no metadata at address {meta_addr}")
        attr: tuple[int, int] | None = None
        size = int(meta.size)
        if int(fs.info.ftype) == _FS_NTFS:
            want = stream.encode("utf-8", "surrogateescape") if stream else b""
            for a in f:
                a_type = int(a.info.type)
                a_name = bytes(a.info.name or b"")
                if a_type == _ATTR_NTFS_IDXROOT and a_name == b"$I30":
                    a_name = b""
                if a_type in (_ATTR_NTFS_DATA, _ATTR_NTFS_IDXROOT) and a_name == want and (
                        attr is None or a_type == _ATTR_NTFS_DATA):
                    attr = (a_type, int(a.info.id))
                    size = int(a.info.size)
            if attr is None:
                raise OSError(f"no data stream {stream or '(default)'} at address {meta_addr}")
        offset = 0
        while offset < size:
            want_n = min(chunk, size - offset)
            data = (f.read_random(offset, want_n) if attr is None
                    else f.read_random(offset, want_n, *attr))
            if not data:
                return
            offset += len(data)
            yield data
