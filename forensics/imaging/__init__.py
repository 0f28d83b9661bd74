"""Imaging engine: acquire devices and image sets to raw, split raw or E01.

Public entry points: :func:`acquire_image`, :func:`verify_image`, the
:class:`AcquisitionRecord` written beside every image, and importers for
Guymager, ewfacquire and dc3dd logs.
"""

from forensics.imaging.engine import (
    AcquisitionCancelled,
    AcquisitionFailed,
    ImageVerificationFailed,
    acquire_image,
    safe_image_name,
)
from forensics.imaging.record import (
    AcquisitionRecord,
    AcquisitionState,
    ErrorRange,
    HashCheck,
    SegmentFile,
    SourceIdentity,
    ToolInfo,
    Verification,
    read_record,
    record_path,
    write_record,
)
from forensics.imaging.sources import FdSource, MediaSource, OpenedSource, open_source
from forensics.imaging.verify import verify_image

__all__ = [
    "AcquisitionCancelled",
    "AcquisitionFailed",
    "AcquisitionRecord",
    "AcquisitionState",
    "ErrorRange",
    "FdSource",
    "HashCheck",
    "ImageVerificationFailed",
    "MediaSource",
    "OpenedSource",
    "SegmentFile",
    "SourceIdentity",
    "ToolInfo",
    "Verification",
    "acquire_image",
    "open_source",
    "read_record",
    "record_path",
    "safe_image_name",
    "verify_image",
    "write_record",
]
