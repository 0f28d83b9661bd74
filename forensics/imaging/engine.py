"""Acquire a device or image set to raw, split raw or E01, hashing in the same pass.

Output is written into ``<out>/<name>.partial/`` and moved into ``<out>`` only
once every file is complete, so a crash, a cancel or a failure can never leave
files that look like a finished image. The JSON record beside the image says
``in_progress`` from the first byte and is replaced atomically at the end.
"""

from __future__ import annotations

import getpass
import os
import platform
import re
import shlex
import shutil
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics.errors import (
    BackEndError,
    ConflictError,
    ForensicsError,
    OperationCancelled,
    UserInputError,
    VerificationError,
)
from forensics.imaging.pipeline import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_POOL_SIZE,
    HashConsumer,
    PipelineResult,
    SegmentHashConsumer,
    run_pipeline,
)
from forensics.imaging.record import (
    RECORD_SCHEMA,
    AcquisitionRecord,
    AcquisitionState,
    ErrorRange,
    SegmentFile,
    SourceIdentity,
    ToolInfo,
    Verification,
    record_path,
    write_record,
)
from forensics.imaging.sources import OpenedSource, open_source
from forensics.imaging.verify import hash_files, verify_image
from forensics.imaging.writers import EwfStreamWriter, RawSegmentWriter, ewf_tool_version
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

SUPPORTED_ALGORITHMS = ("md5", "sha1", "sha256")
FORMATS = ("raw", "split", "e01")
DEFAULT_SEGMENT_SIZE = 2 << 30
ERROR_POLICIES = ("zero-fill", "stop")

EventHook = Callable[[str, dict[str, Any]], None]
"""Custody hook: ``on_event(kind, details)``; kinds ``imaged``, ``verified``, ``aborted``."""


class AcquisitionFailed(ForensicsError):
    """The acquisition stopped; ``record`` (state ``failed``) says where and why."""

    def __init__(self, message: str, record: AcquisitionRecord) -> None:
        super().__init__(message)
        self.record = record


class AcquisitionCancelled(OperationCancelled):
    """The acquisition was cancelled; ``record`` has state ``cancelled``."""

    def __init__(self, reason: str, record: AcquisitionRecord) -> None:
        super().__init__(reason)
        self.record = record


class ImageVerificationFailed(VerificationError):
    """The written image does not match what was read; see ``record.verification``."""

    def __init__(self, message: str, record: AcquisitionRecord) -> None:
        super().__init__(message)
        self.record = record


def safe_image_name(value: str) -> str:
    """A file-name stem made from an exhibit reference or source name.

    Keeps letters, digits, ``.``, ``_`` and ``-``; everything else becomes ``_``.

    Raises:
        UserInputError: nothing usable is left.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("._-")[:100]
    if not cleaned:
        raise UserInputError(f"cannot make a file name from {value!r}; pass a plain --name")
    return cleaned


def acquire_image(
    source: str | os.PathLike[str] | OpenedSource,
    out_dir: str | os.PathLike[str],
    *,
    fmt: str = "raw",
    name: str | None = None,
    segment_size: int | None = None,
    algorithms: Sequence[str] = SUPPORTED_ALGORITHMS,
    verify: bool = True,
    verify_source: bool = False,
    case_reference: str | None = None,
    exhibit_reference: str | None = None,
    examiner: str | None = None,
    description: str | None = None,
    notes: str | None = None,
    write_blocker: str | None = None,
    error_policy: str = "zero-fill",
    retries: int = 2,
    keep_partial: bool = True,
    allow_mounted: bool = False,
    direct_io: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    pool_size: int = DEFAULT_POOL_SIZE,
    on_event: EventHook | None = None,
    command_line: str = "",
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> AcquisitionRecord:
    """Image ``source`` into ``out_dir``, hashing it in the same read pass.

    Args:
        source: block device or image path, or an already opened source (tests
            inject faulty readers this way).
        out_dir: destination folder (created if missing).
        fmt: ``raw`` (one file), ``split`` (``NAME.001``...) or ``e01``.
        name: file-name stem; default: exhibit reference, else the source name.
        segment_size: bytes per segment for ``split``/``e01`` (default 2 GiB);
            a multiple of 512.
        algorithms: any of md5, sha1, sha256; sha256 is always added.
        verify: re-read the written image and compare every hash.
        verify_source: also re-read the source and compare.
        case_reference, exhibit_reference, examiner, description, notes: recorded,
            and written into the E01 header.
        write_blocker: the write blocker used (make, model, serial), as stated by
            the examiner; Sealbag cannot detect it.
        error_policy: ``zero-fill`` (retry, then zero-fill unreadable sectors and
            list them) or ``stop`` (fail on the first unreadable sector).
        retries: extra read attempts before a sector is declared unreadable.
        keep_partial: on cancel or failure keep ``<name>.partial/``; else remove it.
        allow_mounted: image a device mounted read-write (a warning is recorded).
        direct_io: write raw images with ``O_DIRECT`` (buffered fallback).
        chunk_size, pool_size: pipeline buffer size and count.
        on_event: custody hook called with ``imaged``, ``verified`` or ``aborted``.
        command_line: how the run was started, for the record.
        progress: progress callback (stages ``acquire``, ``verify-image``...).
        cancel: cancel token.

    Returns:
        The final record (state ``verified`` or ``completed``), also written to
        ``<out_dir>/<name>.acquisition.json``.

    Raises:
        UserInputError: bad options, device mounted read-write, not enough space.
        ConflictError: files of that name already exist in ``out_dir``.
        AcquisitionFailed: the run failed (source shrank/vanished, write error...).
        AcquisitionCancelled: ``cancel`` was set.
        ImageVerificationFailed: the written image does not match.
    """
    if fmt not in FORMATS:
        raise UserInputError(f"unknown image format {fmt!r}; choose raw, split or e01")
    if error_policy not in ERROR_POLICIES:
        raise UserInputError(f"unknown error policy {error_policy!r}; choose zero-fill or stop")
    algos = _normalise_algorithms(algorithms)
    if fmt == "raw":
        segment_size = None
    else:
        segment_size = segment_size or DEFAULT_SEGMENT_SIZE
        if segment_size <= 0 or segment_size % 512:
            raise UserInputError("segment size must be a positive multiple of 512 bytes")
    if fmt == "e01":
        from forensics.imaging import writers

        if writers.ewfacquirestream_path() is None:
            raise UserInputError(
                "E01 output needs ewfacquirestream from libewf's ewf-tools "
                "(Debian: apt-get install ewf-tools); use --format raw or split instead"
            )
        if segment_size is not None and segment_size < 1 << 20:
            raise UserInputError("E01 segment size must be at least 1 MiB (libewf minimum)")
    opened = source if isinstance(source, OpenedSource) else open_source(
        source, allow_mounted=allow_mounted
    )
    reader, identity = opened.reader, opened.identity
    try:
        out = Path(out_dir).absolute()
        out.mkdir(parents=True, exist_ok=True)
        stem = safe_image_name(name or exhibit_reference or Path(identity.path).name)
        _refuse_existing(out, stem)
        total = reader.size
        free = shutil.disk_usage(out).free
        # EWF adds chunk tables and section headers: about 0.03 %, so 0.2 % is ample
        needed = total + (total // 500 if fmt == "e01" else 0) + (1 << 20)
        if free < needed:
            raise UserInputError(
                f"not enough space in {out}: {needed} bytes needed, {free} free; "
                "choose another --out"
            )
        warnings: list[str] = []
        if identity.mounts:
            warnings.append("source was mounted while imaged: " + "; ".join(identity.mounts))
        padding = 0
        if fmt == "e01":
            sector = identity.sector_size or 512
            padding = (-total) % sector
            if padding:
                warnings.append(
                    f"source size {total} is not a whole number of {sector}-byte sectors; EWF "
                    f"stores whole sectors, so the E01 media is the source followed by {padding} "
                    "zero bytes: source_hashes cover the source, image_hashes the padded media"
                )
        staging = out / f"{stem}.partial"
        staging.mkdir()
        base = _RunState(
            tool=_tool_info(fmt, command_line), case=case_reference, exhibit=exhibit_reference,
            examiner=examiner, description=description, notes=notes, identity=identity,
            fmt=fmt, stem=stem, out=out, segment_size=segment_size, algos=algos,
            total=total, padding=padding, error_policy=error_policy, warnings=warnings,
            write_blocker=write_blocker,
        )
        rec_path = record_path(out, stem)
        write_record(base.record(AcquisitionState.IN_PROGRESS), rec_path)
        return _run(base, reader, opened, staging, rec_path, verify=verify,
                    verify_source=verify_source, retries=retries, keep_partial=keep_partial,
                    direct_io=direct_io, chunk_size=chunk_size, pool_size=pool_size,
                    on_event=on_event, progress=progress, cancel=cancel)
    finally:
        if not isinstance(source, OpenedSource):
            reader.close()


@dataclass
class _RunState:
    """Everything the record of one run is built from, filled in as the run goes."""

    tool: ToolInfo
    case: str | None
    exhibit: str | None
    examiner: str | None
    description: str | None
    notes: str | None
    identity: SourceIdentity
    fmt: str
    stem: str
    out: Path
    segment_size: int | None
    algos: tuple[str, ...]
    total: int
    padding: int
    error_policy: str
    warnings: list[str]
    write_blocker: str | None = None
    started: str = field(default_factory=lambda: _now())
    ended: str | None = None
    seconds: float | None = None
    bytes_read: int = 0
    errors: list[ErrorRange] = field(default_factory=list)
    source_hashes: dict[str, str] = field(default_factory=dict)
    image_hashes: dict[str, str] = field(default_factory=dict)
    segments: tuple[SegmentFile, ...] = ()
    stored: dict[str, str] = field(default_factory=dict)
    verification: Verification = field(default_factory=Verification)
    writer: str = ""

    def record(self, state: AcquisitionState, abort_reason: str | None = None) -> AcquisitionRecord:
        speed = None
        if self.seconds and self.bytes_read:
            speed = round(self.bytes_read / self.seconds / 1e6, 2)
        return AcquisitionRecord(
            schema=RECORD_SCHEMA, tool=self.tool, state=state.value,
            case_reference=self.case, exhibit_reference=self.exhibit, examiner=self.examiner,
            description=self.description, notes=self.notes, source=self.identity,
            image_format=self.fmt, image_name=self.stem, output_dir=str(self.out),
            segment_size=self.segment_size, segments=self.segments, algorithms=self.algos,
            source_hashes=dict(self.source_hashes), image_hashes=dict(self.image_hashes),
            padding_bytes=self.padding, bytes_total=self.total, bytes_read=self.bytes_read,
            bytes_zero_filled=sum(e.length for e in self.errors),
            error_ranges=tuple(self.errors), error_policy=self.error_policy,
            started=self.started, ended=self.ended,
            duration_seconds=round(self.seconds, 3) if self.seconds is not None else None,
            speed_mb_per_s=speed, verification=self.verification, abort_reason=abort_reason,
            warnings=tuple(self.warnings), writer=self.writer,
            container_hashes_stored=dict(self.stored), write_blocker=self.write_blocker,
        )


def _run(
    base: _RunState, reader: Any, opened: OpenedSource, staging: Path, rec_path: Path, *,
    verify: bool, verify_source: bool, retries: int, keep_partial: bool, direct_io: bool,
    chunk_size: int, pool_size: int, on_event: EventHook | None, progress: ProgressFn,
    cancel: CancelToken,
) -> AcquisitionRecord:
    hashers = [HashConsumer(a) for a in base.algos]
    consumers: list[Any] = list(hashers)
    seg_hasher: SegmentHashConsumer | None = None
    writer: RawSegmentWriter | EwfStreamWriter
    if base.fmt == "e01":
        writer = EwfStreamWriter(
            staging / base.stem, segment_size=base.segment_size,
            metadata={
                "case_number": base.case, "evidence_number": base.exhibit,
                "examiner_name": base.examiner, "description": base.description,
                "notes": base.notes,
            },
            sector_size=base.identity.sector_size or 512,
            log_path=staging / f"{base.stem}.ewfacquirestream.log", padding=base.padding,
        )
        base.writer = "ewfacquirestream (libewf) " + " ".join(
            shlex.quote(a) for a in writer.command[1:]
        )
    else:
        if base.fmt == "split":
            width = max(3, len(str(-(-base.total // base.segment_size))))

            def seg_path(i: int) -> Path:
                return staging / f"{base.stem}.{i + 1:0{width}d}"

            if base.total > base.segment_size:
                seg_hasher = SegmentHashConsumer.fixed(base.total, base.segment_size)
                consumers.append(seg_hasher)
        else:

            def seg_path(i: int) -> Path:
                return staging / f"{base.stem}.raw"

        writer = RawSegmentWriter(seg_path, base.segment_size, direct=direct_io)
    consumers.append(writer)
    started = time.monotonic()
    result = PipelineResult()
    try:
        writer.start()
        run_pipeline(
            reader, consumers, size=base.total, chunk_size=chunk_size, pool_size=pool_size,
            retries=retries, stop_on_error=base.error_policy == "stop", stage="acquire",
            progress=progress, cancel=cancel, result=result,
        )
        base.bytes_read = result.bytes_read
        base.errors = result.error_ranges
        base.source_hashes = {h.algorithm: h.hexdigest() for h in hashers}
        base.image_hashes = {h.algorithm: h.hexdigest(base.padding) for h in hashers}
        if isinstance(writer, RawSegmentWriter):
            base.writer = (
                f"sealbag raw writer: {writer.direct_files} file(s) with O_DIRECT, "
                f"{writer.buffered_files} buffered"
            )
            files = writer.paths
            if seg_hasher is not None:
                seg_sums = seg_hasher.hexdigests()
            else:
                seg_sums = [base.source_hashes["sha256"]]
        else:
            files = writer.segment_paths()
            logged = writer.logged_hashes()
            for algo, value in logged.items():
                if base.image_hashes.get(algo) != value:
                    raise BackEndError(
                        f"ewfacquirestream computed {algo} {value} but Sealbag read "
                        f"{base.image_hashes.get(algo)}: the data was altered in the pipe"
                    )
            base.stored = logged
            seg_sums = hash_files(files, cancel=cancel)
        segments = []
        offset = 0
        for path, digest in zip(files, seg_sums, strict=True):
            size = path.stat().st_size
            segments.append(SegmentFile(
                path=path.name, size=size, sha256=digest,
                offset=offset if base.fmt != "e01" else None,
            ))
            offset += size
        _publish(staging, base.out, [p.name for p in files] + _extra_files(writer))
        base.segments = tuple(segments)
        # the whole imaging step: reading, hashing, writing, finalising the files
        base.seconds = time.monotonic() - started
    except (OperationCancelled, KeyboardInterrupt) as exc:
        reason = getattr(exc, "reason", "interrupted from the keyboard")
        base.ended, base.seconds = _now(), time.monotonic() - started
        base.bytes_read, base.errors = result.bytes_read, result.error_ranges
        _abandon(staging, keep_partial)
        rec = base.record(AcquisitionState.CANCELLED, reason)
        write_record(rec, rec_path)
        _emit(on_event, "aborted", rec)
        raise AcquisitionCancelled(reason, rec) from exc
    except Exception as exc:
        base.ended, base.seconds = _now(), time.monotonic() - started
        base.bytes_read, base.errors = result.bytes_read, result.error_ranges
        _abandon(staging, keep_partial)
        if isinstance(exc, ForensicsError):
            message = str(exc)
        elif isinstance(exc, OSError):
            message = _os_message(exc)
        else:
            message = f"internal error: {type(exc).__name__}: {exc}"
        rec = base.record(AcquisitionState.FAILED, message)
        write_record(rec, rec_path)
        _emit(on_event, "aborted", rec)
        if not isinstance(exc, ForensicsError | OSError):
            raise  # a bug: keep its traceback; the record already says "failed"
        raise AcquisitionFailed(f"acquisition failed: {message}", rec) from exc
    base.ended = _now()
    rec = base.record(AcquisitionState.COMPLETED)
    write_record(rec, rec_path)
    _emit(on_event, "imaged", rec)
    if not verify:
        return rec
    try:
        base.verification = verify_image(
            rec, source=opened.reader if verify_source else None,
            progress=progress, cancel=cancel,
        )
    except (OperationCancelled, KeyboardInterrupt) as exc:
        # the image itself is complete; only its verification was stopped
        reason = getattr(exc, "reason", "interrupted from the keyboard")
        rec = base.record(AcquisitionState.COMPLETED, f"verification cancelled: {reason}")
        write_record(rec, rec_path)
        raise AcquisitionCancelled(reason, rec) from exc
    state = (AcquisitionState.VERIFIED if base.verification.matched
             else AcquisitionState.VERIFICATION_FAILED)
    rec = base.record(state)
    write_record(rec, rec_path)
    _emit(on_event, "verified", rec)
    if not base.verification.matched:
        bad = [c.item for c in base.verification.checks if not c.match]
        raise ImageVerificationFailed(
            f"verification of {base.stem} failed: {', '.join(bad)}; do not use this image", rec
        )
    return rec


def _extra_files(writer: Any) -> list[str]:
    if isinstance(writer, EwfStreamWriter) and writer.log_path.exists():
        return [writer.log_path.name]
    return []


def _publish(staging: Path, out: Path, names: list[str]) -> None:
    """Move finished files out of the staging folder, never replacing anything."""
    for n in names:
        src, dst = staging / n, out / n
        os.link(src, dst)  # fails if dst exists, unlike rename
        src.unlink()
    leftovers = list(staging.iterdir())
    if leftovers:
        raise BackEndError(f"unexpected files left in {staging}: {[p.name for p in leftovers]}")
    staging.rmdir()


def _abandon(staging: Path, keep_partial: bool) -> None:
    if not keep_partial:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_existing(out: Path, stem: str) -> None:
    pattern = re.compile(
        re.escape(stem) + r"(\.raw|\.\d{3,}|\.[Ee][0-9A-Za-z]{2}|\.partial|\.acquisition\.json)$"
    )
    clashes = [p.name for p in out.iterdir() if pattern.match(p.name)]
    if clashes:
        raise ConflictError(
            f"{out} already holds {', '.join(sorted(clashes)[:3])}; choose another --out or name "
            "(Sealbag never overwrites an image)"
        )


def _normalise_algorithms(algorithms: Sequence[str]) -> tuple[str, ...]:
    wanted = {a.strip().lower().replace("-", "") for a in algorithms if a.strip()}
    unknown = wanted - set(SUPPORTED_ALGORITHMS)
    if unknown:
        raise UserInputError(
            f"unsupported hash {', '.join(sorted(unknown))}; choose from md5, sha1, sha256"
        )
    wanted.add("sha256")
    return tuple(a for a in SUPPORTED_ALGORITHMS if a in wanted)


def _emit(on_event: EventHook | None, kind: str, rec: AcquisitionRecord) -> None:
    if on_event is None:
        return
    on_event(kind, {
        "state": rec.state,
        "case_reference": rec.case_reference,
        "exhibit_reference": rec.exhibit_reference,
        "image_name": rec.image_name,
        "output_dir": rec.output_dir,
        "image_format": rec.image_format,
        "source_hashes": dict(rec.source_hashes),
        "image_hashes": dict(rec.image_hashes),
        "segments": [{"path": s.path, "size": s.size, "sha256": s.sha256} for s in rec.segments],
        "verification": rec.verification.result,
        "error_ranges": len(rec.error_ranges),
        "abort_reason": rec.abort_reason,
    })


def _tool_info(fmt: str, command_line: str) -> ToolInfo:
    libraries = {
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
    }
    try:
        import pyewf

        libraries["libewf-python"] = pyewf.get_version()
    except ImportError:
        pass
    if fmt == "e01":
        libraries["ewfacquirestream"] = ewf_tool_version() or "unknown"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    return ToolInfo(
        name="sealbag", version=_sealbag_version(), libraries=libraries, host=platform.node(),
        operating_system=platform.platform(), user=user,
        command_line=command_line or " ".join(shlex.quote(a) for a in sys.argv),
    )


def _sealbag_version() -> str:
    try:
        from importlib.metadata import version

        return version("sealbag")
    except Exception:
        return "unknown (not installed)"


def _os_message(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
