"""Re-read a written image and compare every hash with its acquisition record.

Raw and split images are read back file by file after asking the kernel to
drop cached pages (data written with ``O_DIRECT`` is not cached anyway), so the
check reaches the disk. E01 sets are checked twice: the SHA-256 of every
segment file as written, then the media stream read back through libewf and
compared with the hashes computed from the source and with the MD5/SHA-1
stored inside the set. A changed byte in any file is reported with the file it
is in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from forensics.errors import ForensicsError, OperationCancelled
from forensics.imaging.pipeline import HashConsumer, SegmentHashConsumer, run_pipeline
from forensics.imaging.record import AcquisitionRecord, HashCheck, Verification
from forensics.imaging.sources import FdSource, MediaSource, SourceReader
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress


def verify_image(
    record: AcquisitionRecord,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    source: SourceReader | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Verification:
    """Re-read every segment of the image described by ``record`` and compare hashes.

    Args:
        record: the acquisition record (segments, image and source hashes).
        base_dir: folder holding the segment files (default: ``record.output_dir``).
        source: when given, the source is read again and compared with
            ``record.source_hashes`` too.
        progress: progress callback (stages ``verify-image``, ``verify-source``).
        cancel: cancel token.

    Returns:
        The verification result; ``result`` is ``match`` only when every check matched.

    Raises:
        OperationCancelled: ``cancel`` was set.
    """
    started = _now()
    folder = Path(base_dir if base_dir is not None else record.output_dir)
    checks: list[HashCheck] = []
    bad_segments: list[str] = []
    paths = [folder / seg.path for seg in record.segments]

    # 1. every segment file: present, right size, same SHA-256 as written
    missing = [p for p in paths if not p.is_file()]
    for seg, p in zip(record.segments, paths, strict=True):
        if p in missing:
            checks.append(HashCheck(f"segment {seg.path} sha256", seg.sha256, None, False,
                                    seg.path, "file is missing"))
            bad_segments.append(seg.path)
        elif p.stat().st_size != seg.size:
            checks.append(HashCheck(
                f"segment {seg.path} size", str(seg.size), str(p.stat().st_size), False,
                seg.path, "file size changed",
            ))
            bad_segments.append(seg.path)
    present = [(seg, p) for seg, p in zip(record.segments, paths, strict=True)
               if p not in missing]
    is_ewf = record.image_format == "e01"
    stream_hashers: list[HashConsumer] = []
    if present:
        reader = FdSource([p for _, p in present])
        try:
            reader.drop_cache()
            seg_hasher = SegmentHashConsumer([os.fstat(fd).st_size for fd in reader.fds])
            consumers: list = [seg_hasher]
            if not is_ewf and not missing:
                stream_hashers = [HashConsumer(a) for a in record.image_hashes]
                consumers += stream_hashers
            run_pipeline(reader, consumers, stage="verify-image", progress=progress,
                         cancel=cancel)
        except OperationCancelled:
            raise
        except (OSError, ForensicsError) as exc:
            checks.append(HashCheck("read image files", None, None, False, None, str(exc)))
            seg_hasher = None
        finally:
            reader.close()
        if seg_hasher is not None:
            for (seg, _p), actual in zip(present, seg_hasher.hexdigests(), strict=True):
                ok = actual == seg.sha256
                checks.append(HashCheck(f"segment {seg.path} sha256", seg.sha256, actual, ok,
                                        seg.path))
                if not ok and seg.path not in bad_segments:
                    bad_segments.append(seg.path)

    # 2. the media stream: raw from the files above, E01 through libewf
    if is_ewf and not missing and record.segments:
        stream_hashers = [HashConsumer(a) for a in record.image_hashes]
        try:
            from forensics.media import open_media

            media = MediaSource(open_media(paths[0]))
            try:
                if media.size != record.bytes_total + record.padding_bytes:
                    checks.append(HashCheck(
                        "image media size", str(record.bytes_total + record.padding_bytes),
                        str(media.size), False, None, "libewf reports a different media size",
                    ))
                run_pipeline(media, stream_hashers, stage="verify-image", progress=progress,
                             cancel=cancel, stop_on_error=True, retries=0)
            finally:
                media.close()
            stored = media_stored_hashes(paths[0])
            for algo, value in sorted(stored.items()):
                expected = record.image_hashes.get(algo)
                if expected:
                    checks.append(HashCheck(f"hash stored in E01 {algo}", expected, value,
                                            value == expected))
        except OperationCancelled:
            raise
        except (OSError, ForensicsError) as exc:
            checks.append(HashCheck("read E01 media through libewf", None, None, False, None,
                                    str(exc)))
            stream_hashers = []
    for h in stream_hashers:
        expected = record.image_hashes.get(h.algorithm)
        actual = h.hexdigest()
        checks.append(HashCheck(f"image {h.algorithm}", expected, actual, actual == expected))
    if not stream_hashers and not any(c.item.startswith("read") for c in checks) and missing:
        checks.append(HashCheck("image stream", None, None, False, None,
                                "not hashed: segment files are missing"))

    # 3. optionally the source again
    if source is not None:
        src_hashers = [HashConsumer(a) for a in record.source_hashes]
        try:
            run_pipeline(source, src_hashers, size=record.bytes_total, stage="verify-source",
                         progress=progress, cancel=cancel)
            for h in src_hashers:
                expected = record.source_hashes.get(h.algorithm)
                actual = h.hexdigest()
                checks.append(HashCheck(f"source {h.algorithm}", expected, actual,
                                        actual == expected))
        except OperationCancelled:
            raise
        except (OSError, ForensicsError) as exc:
            checks.append(HashCheck("re-read source", None, None, False, None, str(exc)))

    result = "match" if checks and all(c.match for c in checks) else "mismatch"
    method = (
        "E01 segment files re-hashed; media read back through libewf and compared with the "
        "source hashes and the hashes stored in the set"
        if is_ewf else "segment files re-read after dropping cached pages"
    )
    return Verification(
        result=result, started=started, ended=_now(), checks=tuple(checks),
        mismatched_segments=tuple(bad_segments), source_reread=source is not None,
        method=method,
    )


def media_stored_hashes(first_segment: Path) -> dict[str, str]:
    """MD5/SHA-1 stored inside an E01 set (lower-case hex)."""
    from forensics.media import open_media

    with open_media(first_segment) as reader:
        return dict(reader.info.stored_hashes)


def hash_files(paths: Sequence[Path], cancel: CancelToken = NEVER_CANCELLED) -> list[str]:
    """SHA-256 of each file, read in one pipelined pass."""
    reader = FdSource(paths)
    try:
        hasher = SegmentHashConsumer([os.fstat(fd).st_size for fd in reader.fds])
        run_pipeline(reader, [hasher], stage="hash-segments", cancel=cancel)
    finally:
        reader.close()
    return hasher.hexdigests()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
