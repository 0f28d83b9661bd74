"""Build practice disk images with a known answer key, from a seed.

Uses Debian tools and never mounts anything: ``mke2fs -d`` + ``debugfs`` for
ext4, ``mkfs.vfat`` + mtools for FAT, ``mkntfs`` + ``ntfscp`` for NTFS,
``xorriso -as mkisofs`` for ISO 9660 and ``sfdisk`` for an MBR partition table.
The same spec and seed always give the same files, names, contents and answer
key (the image bytes can differ in file-system housekeeping such as directory
times).

NTFS limits: without mounting there is no tool that creates folders or deletes
files in an NTFS image, so NTFS images hold files in the root only (with
named data streams), and no deleted files.

ISO 9660 is write-once media: it has no deleted files. Names are kept in Rock
Ridge and Joliet; Joliet stores UTF-16, so names that are not valid UTF-8 are
not generated for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import tempfile
import time
import uuid
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from forensics.cataloging.content import extension_mismatch
from forensics.errors import BackEndError, UserInputError

FS_TYPES = ("ext4", "fat16", "fat32", "ntfs", "iso9660")
_WORDS = ["report", "invoice", "notes", "photo", "budget", "minutes", "draft", "scan",
          "letter", "contract", "summary", "backup", "archive", "list", "plan", "memo"]
_NON_ASCII_WORDS = ["résumé", "Übersicht", "данные", "日本語", "ملف", "naïve", "Ελληνικά",
                    "προσφορά", "niño", "façade", "Zürich", "год"]
_DIR_WORDS = ["Documents", "Pictures", "Accounts", "Projects", "old", "misc", "2023",
              "Private", "Downloads", "Archive"]
_PARTITION_TYPES = {"ext4": "83", "fat16": "e", "fat32": "c", "ntfs": "7", "iso9660": "96"}
_TOOLS = {"ext4": ("mke2fs", "debugfs"), "fat16": ("mkfs.vfat", "mcopy", "mdel"),
          "fat32": ("mkfs.vfat", "mcopy", "mdel"), "ntfs": ("mkntfs", "ntfscp"),
          "iso9660": ("xorriso",)}


@dataclass(frozen=True, slots=True)
class TrainingSpec:
    """What to put in a practice image.

    Attributes:
        seed: makes every choice reproducible.
        fs_type: ext4, fat16, fat32, ntfs or iso9660.
        files: regular files to create (including disguised and deleted ones).
        deleted: how many of them to delete afterwards (not on NTFS; must be 0 on ISO 9660).
        disguised: files whose content type contradicts their extension (a JPEG named .txt).
        max_depth: deepest folder level (NTFS: always 0).
        non_ascii: use names in several scripts.
        undecodable: add a name that is not valid UTF-8 (ext4 only).
        directory_loop: add a folder hard link that points back to its parent (ext4 only).
        streams: NTFS named data streams to add.
        partitioned: put the file system in an MBR partition starting at 1 MiB.
        mean_file_size: typical content size in bytes.
        large_files: extra files of 1 to 8 MiB (for throughput measurements).
    """

    seed: int = 1
    fs_type: str = "ext4"
    files: int = 30
    deleted: int = 4
    disguised: int = 3
    max_depth: int = 3
    non_ascii: bool = True
    undecodable: bool = False
    directory_loop: bool = False
    streams: int = 2
    partitioned: bool = False
    mean_file_size: int = 3000
    large_files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class PlannedFile:
    """One file of the answer key."""

    path_raw: bytes
    content: bytes
    true_type: str
    disguised: bool = False
    deleted: bool = False
    stream_of: bytes | None = None  # NTFS: the file this named stream belongs to

    @property
    def path(self) -> str:
        return self.path_raw.decode("utf-8", "backslashreplace")

    def key(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "path_raw_hex": self.path_raw.hex(),
            "size": len(self.content),
            "allocated": not self.deleted,
            "deleted": self.deleted,
            "md5": hashlib.md5(self.content, usedforsecurity=False).hexdigest(),
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "true_type": self.true_type,
            "disguised": self.disguised,
            # a disguise an extension check can see: the extension promises another type
            # (".txt" holding a JPEG), rather than none at all (".dat")
            "extension_contradicts_content": extension_mismatch(self.path, self.true_type),
            "stream": self.stream_of is not None,
        }


@dataclass(slots=True)
class AnswerKey:
    """Everything a trainer needs to mark an exercise."""

    spec: dict[str, Any]
    image: str
    image_size: int
    image_sha256: str
    fs_type: str
    partition_offset: int
    directories: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- content


def _jpeg(rng: random.Random) -> bytes:
    """A small but well-formed baseline JPEG header + random scan data."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(rng.randrange(1, 50)
                                                               for _ in range(64))
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    scan = bytes(b if b != 0xFF else 0x00 for b in rng.randbytes(rng.randrange(200, 3000)))
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + dqt + sof + sos + scan + b"\xff\xd9"


def _png(rng: random.Random) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    w = h = rng.randrange(2, 16)
    raw = b"".join(b"\x00" + rng.randbytes(w * 3) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _pdf(rng: random.Random) -> bytes:
    body = f"BT /F1 12 Tf 72 712 Td (case note {rng.randrange(10**6)}) Tj ET".encode()
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
            + f"4 0 obj<</Length {len(body)}>>stream\n".encode() + body
            + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _text(rng: random.Random, size: int) -> bytes:
    words = [*_WORDS, "the", "and", "of", "meeting", "payment", "account", "transfer"]
    out: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randrange(4, 14))) + "\n"
        out.append(line)
        length += len(line)
    return "".join(out).encode()[:max(size, 1)]


def _content(rng: random.Random, kind: str, size: int) -> bytes:
    if kind == "image/jpeg":
        return _jpeg(rng)
    if kind == "image/png":
        return _png(rng)
    if kind == "application/pdf":
        return _pdf(rng)
    if kind == "text/plain":
        return _text(rng, size)
    return rng.randbytes(size)


_KIND_EXT = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf",
             "text/plain": "txt", "application/octet-stream": "bin"}
_DISGUISE_EXT = ["txt", "doc", "dll", "dat", "csv"]


# ----------------------------------------------------------------------------- plan


def plan_files(spec: TrainingSpec) -> tuple[list[bytes], list[PlannedFile]]:
    """Choose folders and files (names, contents, which are deleted) from the seed."""
    if spec.fs_type not in FS_TYPES:
        raise UserInputError(f"file system must be one of {', '.join(FS_TYPES)}")
    if spec.deleted + spec.disguised > spec.files:
        raise UserInputError("deleted + disguised files cannot exceed the number of files")
    if spec.fs_type == "iso9660" and spec.deleted:
        raise UserInputError("ISO 9660 is write-once media: deleted must be 0")
    rng = random.Random(spec.seed)  # noqa: S311 - reproducible exercises, not secrets
    flat = spec.fs_type == "ntfs"
    dirs: list[bytes] = [b""]
    if not flat and spec.max_depth > 0:
        for i in range(max(1, spec.files // 8)):
            parent = rng.choice([d for d in dirs if d.count(b"/") < spec.max_depth - 1] or [b""])
            word = rng.choice(_DIR_WORDS + (_NON_ASCII_WORDS if spec.non_ascii else []))
            name = f"{word} {i}".encode()
            dirs.append(parent + b"/" + name if parent else name)
    files: list[PlannedFile] = []
    used: set[bytes] = set()
    kinds = ["text/plain", "text/plain", "application/octet-stream", "image/jpeg", "image/png",
             "application/pdf"]
    for i in range(spec.files):
        disguised = i < spec.disguised
        kind = rng.choice(["image/jpeg", "image/png", "application/pdf"]) if disguised \
            else rng.choice(kinds)
        ext = rng.choice(_DISGUISE_EXT) if disguised else _KIND_EXT[kind]
        pool = _WORDS + (_NON_ASCII_WORDS if spec.non_ascii else [])
        base = f"{rng.choice(pool)}_{i:05d}.{ext}".encode()
        folder = rng.choice(dirs)
        path = folder + b"/" + base if folder else base
        size = max(1, int(rng.expovariate(1 / spec.mean_file_size)))
        files.append(PlannedFile(path, _content(rng, kind, size), kind, disguised=disguised))
        used.add(path.lower())
    for j in range(spec.large_files):
        size = rng.randrange(1 << 20, 8 << 20)
        files.append(PlannedFile(f"large_{j:03d}.bin".encode(), rng.randbytes(size),
                                 "application/octet-stream"))
    if spec.undecodable and spec.fs_type == "ext4":
        files.append(PlannedFile(b"undecodable_\xff\xfe_name.bin", rng.randbytes(300),
                                 "application/octet-stream"))
    if spec.fs_type != "ntfs":
        candidates = [f for f in files[spec.disguised:spec.files]]
        rng.shuffle(candidates)
        for f in candidates[:spec.deleted]:
            f.deleted = True
    else:
        hosts = [f for f in files if not f.disguised][:spec.streams]
        for k, host in enumerate(hosts):
            files.append(PlannedFile(host.path_raw + f":stream{k}".encode(),
                                     _text(rng, rng.randrange(20, 400)), "text/plain",
                                     stream_of=host.path_raw))
    return dirs[1:], files


# ----------------------------------------------------------------------------- build


def _run(args: list[str], **kw: Any) -> None:
    env = {**os.environ, "LC_ALL": "C.UTF-8", "MTOOLS_SKIP_CHECK": "1"}
    env.update(kw.pop("env", {}))
    try:
        subprocess.run(args, check=True, capture_output=True, env=env, **kw)
    except FileNotFoundError as exc:
        raise BackEndError(f"{args[0]} is not installed (apt-get install the package that "
                           f"provides it)") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise BackEndError(f"{args[0]} failed: {detail[-1] if detail else exc}") from exc


def _tool_version(tool: str) -> str:
    for flag in ("-V", "--version"):
        try:
            out = subprocess.run([tool, flag], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        text = (out.stdout + out.stderr).strip().splitlines()
        if text:
            return text[0][:120]
    return "unknown"


def _fs_size(spec: TrainingSpec, files: list[PlannedFile]) -> int:
    data = sum((len(f.content) + 4095) // 4096 * 4096 for f in files)
    overhead = len(files) * 1024 + data // 4 + (8 << 20)
    size = data + overhead
    if spec.fs_type == "fat32":
        size = max(size, 64 << 20)
    if spec.fs_type == "fat16":
        size = min(max(size, 16 << 20), 2000 << 20)
    if spec.fs_type == "ntfs":
        size = max(size, 8 << 20)
    return (size + (1 << 20) - 1) // (1 << 20) * (1 << 20)


def _stage(root: Path, dirs: list[bytes], files: list[PlannedFile], mtime: int) -> None:
    rootb = os.fsencode(root)
    for d in dirs:
        os.makedirs(rootb + b"/" + d, exist_ok=True)
    for f in files:
        if f.stream_of is not None:
            continue
        target = rootb + b"/" + f.path_raw
        with open(target, "wb") as fh:
            fh.write(f.content)
        os.utime(target, (mtime, mtime))
    # folders last, deepest first: writing their files has just set their times to now
    for d in sorted(dirs, key=lambda d: d.count(b"/"), reverse=True):
        os.utime(rootb + b"/" + d, (mtime, mtime))


def build_image(spec: TrainingSpec, out_path: str | os.PathLike[str]) -> AnswerKey:
    """Create the image at ``out_path`` and its answer key at ``<out_path>.answers.json``.

    Returns:
        The answer key (also written as JSON).

    Raises:
        UserInputError: an impossible spec.
        BackEndError: a required tool is missing or failed.
    """
    out = Path(out_path)
    dirs, files = plan_files(spec)
    rng = random.Random(spec.seed ^ 0x5EA1BA6)  # noqa: S311 - reproducible, not secret
    mtime = 1_600_000_000 + spec.seed % 100_000_000
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sealbag-train-") as tmp:
        stage = Path(tmp) / "stage"
        stage.mkdir()
        _stage(stage, dirs, files, mtime)
        fs_img = Path(tmp) / "fs.img"
        size = _fs_size(spec, files)
        if spec.fs_type == "ext4":
            _build_ext4(spec, stage, fs_img, size, files, len(dirs), rng, notes)
        elif spec.fs_type in ("fat16", "fat32"):
            _build_fat(spec, stage, fs_img, size, files, rng)
        elif spec.fs_type == "iso9660":
            _build_iso(spec, stage, fs_img, mtime)
        else:
            _build_ntfs(spec, stage, fs_img, size, files, rng, notes)
        offset = 0
        if spec.partitioned:
            offset = 1 << 20
            _partition(spec, fs_img, out, offset)
        else:
            shutil.move(fs_img, out)
    sha = hashlib.sha256()
    with out.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    key = AnswerKey(
        spec=spec.to_dict(), image=out.name, image_size=out.stat().st_size,
        image_sha256=sha.hexdigest(), fs_type=spec.fs_type, partition_offset=offset,
        directories=[d.decode("utf-8", "backslashreplace") for d in dirs],
        files=sorted((f.key() for f in files), key=lambda k: k["path_raw_hex"]), notes=notes,
        tools={t: _tool_version(t) for t in _TOOLS[spec.fs_type]},
    )
    Path(str(out) + ".answers.json").write_text(
        json.dumps(key.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8")
    return key


def _build_ext4(spec: TrainingSpec, stage: Path, img: Path, size: int,
                files: list[PlannedFile], n_dirs: int, rng: random.Random,
                notes: list[str]) -> None:
    fs_uuid = str(uuid.UUID(int=rng.getrandbits(128)))
    hash_seed = str(uuid.UUID(int=rng.getrandbits(128)))
    _run(["mke2fs", "-q", "-t", "ext4", "-b", "4096", "-N", str(len(files) + n_dirs + 2000),
          "-U", fs_uuid, "-E", f"hash_seed={hash_seed},root_owner=0:0", "-L", "TRAINING",
          "-d", str(stage), "-F", str(img), f"{size // 1024}k"],
         env={"E2FSPROGS_FAKE_TIME": str(1_600_000_000 + spec.seed % 100_000_000)})
    commands: list[bytes] = []
    for f in files:
        if f.deleted:
            commands.append(b'rm "/' + f.path_raw + b'"')
    if spec.directory_loop:
        parent = next((f.path_raw.rsplit(b"/", 1)[0] for f in files
                       if b"/" in f.path_raw and not f.deleted), None)
        if parent is not None:
            commands.append(b'ln "/' + parent + b'" "/' + parent + b'/loop_to_parent"')
            notes.append(f"directory loop: /{parent.decode('utf-8', 'replace')}/loop_to_parent "
                         "is a hard link to its own parent folder")
    if commands:
        script = stage.parent / "debugfs.cmd"
        script.write_bytes(b"\n".join(commands) + b"\n")
        # deletion times come from the same fixed clock as mke2fs's (reproducible images)
        _run(["debugfs", "-w", "-f", str(script), str(img)],
             env={"E2FSPROGS_FAKE_TIME": str(1_600_000_000 + spec.seed % 100_000_000)})
    if any(f.deleted for f in files):
        notes.append("ext4 clears the block map of deleted files: names and sizes remain, "
                     "contents are usually not recoverable")


def _build_fat(spec: TrainingSpec, stage: Path, img: Path, size: int,
               files: list[PlannedFile], rng: random.Random) -> None:
    bits = "32" if spec.fs_type == "fat32" else "16"
    _run(["mkfs.vfat", "-C", "-F", bits, "-n", "TRAINING", "-i", f"{rng.getrandbits(32):08X}",
          "--invariant", str(img), str(size // 1024)])
    # mtools stamps creation and access dates with the clock unless told otherwise;
    # a fixed time makes the same seed give the same image bytes on every run
    fixed = {"SOURCE_DATE_EPOCH": str(1_600_000_000 + spec.seed % 100_000_000)}
    entries = sorted(os.listdir(stage))
    if entries:
        _run(["mcopy", "-s", "-m", "-i", str(img), *[str(stage / e) for e in entries], "::/"],
             env=fixed)
    doomed = [f for f in files if f.deleted]
    for start in range(0, len(doomed), 200):
        _run(["mdel", "-i", str(img),
              *["::/" + f.path_raw.decode("utf-8") for f in doomed[start:start + 200]]],
             env=fixed)


def _build_ntfs(spec: TrainingSpec, stage: Path, img: Path, size: int,
                files: list[PlannedFile], rng: random.Random, notes: list[str]) -> None:
    with img.open("wb") as fh:
        fh.truncate(size)
    _run(["mkntfs", "-q", "-F", "-f", "-L", "TRAINING", "-s", "512", "-c", "4096",
          "-T", str(img)])
    for f in files:
        if f.stream_of is None:
            _run(["ntfscp", "-f", str(img), str(stage / f.path_raw.decode()), f.path])
    for f in files:
        if f.stream_of is not None:
            src = stage.parent / "stream.tmp"
            src.write_bytes(f.content)
            host, _, stream = f.path_raw.rpartition(b":")
            _run(["ntfscp", "-f", "-N", stream.decode(), str(img), str(src), host.decode()])
    notes.append("NTFS images are built without mounting: files are in the root folder only "
                 "and none is deleted")


def _build_iso(spec: TrainingSpec, stage: Path, img: Path, mtime: int) -> None:
    # -r: Rock Ridge with owner 0:0 and read-only modes whatever the staging umask;
    # fixed dates everywhere (volume descriptors, file records) give the same bytes per seed
    stamp = time.strftime("%Y%m%d%H%M%S00", time.gmtime(mtime))
    _run(["xorriso", "-as", "mkisofs", "-quiet", "-r", "-J", "-joliet-long", "-V", "TRAINING",
          f"--modification-date={stamp}", "--set_all_file_dates", stamp,
          "-o", str(img), str(stage)],
         env={"SOURCE_DATE_EPOCH": str(mtime), "TZ": "UTC"})


def _partition(spec: TrainingSpec, fs_img: Path, out: Path, offset: int) -> None:
    fs_size = fs_img.stat().st_size
    total = offset + fs_size + (1 << 20)
    with out.open("wb") as fh:
        fh.truncate(total)
    layout = (f"label: dos\nlabel-id: 0x{spec.seed & 0xFFFFFFFF:08x}\n"
              f"start={offset // 512}, size={fs_size // 512}, "
              f"type={_PARTITION_TYPES[spec.fs_type]}\n")
    _run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", str(out)], input=layout.encode())
    with fs_img.open("rb") as src, out.open("r+b") as dst:
        dst.seek(offset)
        shutil.copyfileobj(src, dst, 1 << 20)
