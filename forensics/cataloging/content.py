"""File content: MD5 and SHA-256 from one read, type by libmagic, extension check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

MAGIC_BYTES = 1 << 20
"""How much of the start of a file libmagic sees (``file`` reads about this much too)."""

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


class TypeDetector:
    """libmagic on a buffer (MIME type and description). One per process."""

    def __init__(self) -> None:
        import magic

        self._mime = magic.Magic(mime=True)
        self._desc = magic.Magic()

    def detect(self, head: bytes) -> tuple[str | None, str | None]:
        """MIME type and description of content starting with ``head`` (None on failure)."""
        try:
            mime = self._mime.from_buffer(head)
            desc = self._desc.from_buffer(head)
        except Exception:
            return None, None
        return mime, desc


@dataclass(frozen=True, slots=True)
class ContentResult:
    """Hashes and type of the bytes read."""

    md5: str
    sha256: str
    length: int
    head: bytes


def hash_chunks(chunks: Iterable[bytes]) -> ContentResult:
    """MD5 and SHA-256 of the concatenated chunks (one pass), keeping the first MAGIC_BYTES."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    head = bytearray()
    total = 0
    for chunk in chunks:
        md5.update(chunk)
        sha.update(chunk)
        if len(head) < MAGIC_BYTES:
            head += chunk[: MAGIC_BYTES - len(head)]
        total += len(chunk)
    return ContentResult(md5.hexdigest(), sha.hexdigest(), total, bytes(head))
