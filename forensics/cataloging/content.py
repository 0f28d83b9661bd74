"""File content: MD5 and SHA-256 from one read, type by libmagic, extension check."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

MAGIC_BYTES = 1 << 20
"""How much of the start of a file libmagic sees (as ``file`` by default; compound
documents need their sector tables, which can sit well past the first 64 KiB)."""
PARALLEL_MIN = 256 << 10
"""Chunks at least this large get their MD5 computed on a second thread."""

# Extension -> MIME types (or "type/" prefixes) that content with that extension may have.
# Only extensions whose content has a reliable signature are listed; anything else is
# never flagged, so a mismatch is a claim the examiner can verify by eye.
_EXPECTED: dict[str, tuple[str, ...]] = {
    "jpg": ("image/jpeg",), "jpeg": ("image/jpeg",), "jpe": ("image/jpeg",),
    "png": ("image/png",), "gif": ("image/gif",), "bmp": ("image/bmp", "image/x-ms-bmp"),
    "tif": ("image/tiff",), "tiff": ("image/tiff",), "webp": ("image/webp",),
    "pdf": ("application/pdf",),
    "zip": ("application/zip",),
    "docx": ("application/vnd.openxmlformats-officedocument", "application/zip",
             "application/octet-stream"),
    "xlsx": ("application/vnd.openxmlformats-officedocument", "application/zip",
             "application/octet-stream"),
    "pptx": ("application/vnd.openxmlformats-officedocument", "application/zip",
             "application/octet-stream"),
    "doc": ("application/msword", "application/vnd.ms-", "application/x-ole-storage",
            "application/CDFV2", "text/rtf"),
    "xls": ("application/vnd.ms-excel", "application/vnd.ms-", "application/x-ole-storage",
            "application/CDFV2"),
    "gz": ("application/gzip", "application/x-gzip"),
    "bz2": ("application/x-bzip2",), "xz": ("application/x-xz",),
    "7z": ("application/x-7z-compressed",), "rar": ("application/x-rar", "application/vnd.rar"),
    "exe": ("application/x-dosexec", "application/vnd.microsoft.portable-executable"),
    "dll": ("application/x-dosexec", "application/vnd.microsoft.portable-executable"),
    "mp3": ("audio/mpeg",), "wav": ("audio/x-wav", "audio/wav"),
    "mp4": ("video/mp4",), "avi": ("video/x-msvideo",),
    "txt": ("text/", "application/octet-stream", "inode/x-empty", "application/x-empty"),
    "csv": ("text/", "application/csv", "inode/x-empty", "application/x-empty"),
    "htm": ("text/",), "html": ("text/",), "xml": ("text/", "application/xml"),
}
# Content types that never explain themselves by extension alone (empty files, unknown data).
_NO_CLAIM = ("inode/x-empty", "application/x-empty", "application/octet-stream")


def extension_of(name: str) -> str:
    """Lower-case extension of a display name without its NTFS stream part, or ''."""
    base = name.rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[-1].lower()


def extension_mismatch(name: str, mime_type: str | None) -> bool:
    """True when ``name``'s extension promises a type the content does not have.

    Args:
        name: file name (display form).
        mime_type: MIME type libmagic found, or None when unknown.
    """
    if not mime_type:
        return False
    expected = _EXPECTED.get(extension_of(name))
    if expected is None:
        return False
    if mime_type in _NO_CLAIM and "text/" not in expected:
        return False
    return not any(mime_type == e or (e.endswith(("/", "-")) and mime_type.startswith(e))
                   or mime_type.startswith(e) for e in expected)


TYPE_CACHE_ENTRIES = 1 << 16
"""Answers remembered per catalog run, keyed by a digest of the bytes libmagic saw."""


class TypeDetector:
    """libmagic on a buffer (MIME type and description); safe to share between threads
    (each thread gets its own libmagic handles, which are not thread-safe).

    libmagic's answer depends only on the bytes it is given, so content seen before
    (copies of the same file are common on real media) is answered from a cache:
    on text, libmagic costs milliseconds per call.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._cache: dict[bytes, tuple[str, str]] = {}
        self.calls = 0

    def _handles(self) -> tuple[Any, Any]:
        handles = getattr(self._local, "handles", None)
        if handles is None:
            import magic

            handles = self._local.handles = (magic.Magic(mime=True), magic.Magic())
        return handles

    def detect(self, head: bytes) -> tuple[str | None, str | None]:
        """MIME type and description of content starting with ``head`` (None on failure)."""
        if not head:
            return "inode/x-empty", "empty"  # what ``file`` says of an empty file
        key = hashlib.blake2b(head, digest_size=20).digest()
        known = self._cache.get(key)
        if known is not None:
            return known
        mime_handle, desc_handle = self._handles()
        self.calls += 1
        try:
            answer = (mime_handle.from_buffer(head), desc_handle.from_buffer(head))
        except Exception:
            return None, None
        if len(self._cache) >= TYPE_CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = answer
        return answer


@dataclass(frozen=True, slots=True)
class ContentResult:
    """Hashes and type of the bytes read."""

    md5: str
    sha256: str
    length: int
    head: bytes


def hash_chunks(chunks: Iterable[bytes], md5_pool: Executor | None = None) -> ContentResult:
    """MD5 and SHA-256 of the concatenated chunks (one pass), keeping the first MAGIC_BYTES.

    Args:
        chunks: the content, in order.
        md5_pool: a one-thread executor; large chunks are MD5-hashed there while this
            thread computes SHA-256 and reads on (hashlib releases the GIL).
    """
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    head = b""
    total = 0
    running: Future[None] | None = None
    for chunk in chunks:
        if running is not None:
            running.result()
            running = None
        if md5_pool is not None and len(chunk) >= PARALLEL_MIN:
            running = md5_pool.submit(md5.update, chunk)
        else:
            md5.update(chunk)
        sha.update(chunk)
        if total < MAGIC_BYTES:
            head += chunk[: MAGIC_BYTES - total]
        total += len(chunk)
    if running is not None:
        running.result()
    return ContentResult(md5.hexdigest(), sha.hexdigest(), total, head)
