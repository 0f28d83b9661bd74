"""The catalog engine: every volume, file system and file of an image, hashed and typed.

Parsing runs in an isolated worker process (:mod:`forensics.cataloging.worker`);
:func:`~forensics.cataloging.engine.run_catalog` starts it and streams what it
finds to a sink (the database store, the ``--jsonl`` printer, a list).
"""

from forensics.cataloging.engine import CatalogOptions, CatalogSink, ListSink, run_catalog
from forensics.cataloging.records import (
    CatalogSummary,
    EntryRecord,
    FileSystemRecord,
    Gap,
    RunStatus,
    Timestamp,
    VolumeRecord,
)

__all__ = [
    "CatalogOptions", "CatalogSink", "CatalogSummary", "EntryRecord", "FileSystemRecord",
    "Gap", "ListSink", "RunStatus", "Timestamp", "VolumeRecord", "run_catalog",
]
