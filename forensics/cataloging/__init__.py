"""The catalog engine: every volume, file system and file of an image, hashed and typed.

Parsing runs in an isolated worker process (:mod:`forensics.cataloging.worker`);
:func:`~forensics.cataloging.engine.run_catalog` starts it and streams what it
finds to a sink (the database store, the ``--jsonl`` printer, a list).

The names below are loaded on first use, so the worker process, which needs
none of the engine, starts without importing it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what static checkers see; at run time names load on first use
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

_HOMES = {
    "CatalogOptions": "engine", "CatalogSink": "engine", "ListSink": "engine",
    "run_catalog": "engine", "CatalogSummary": "records", "EntryRecord": "records",
    "FileSystemRecord": "records", "Gap": "records", "RunStatus": "records",
    "Timestamp": "records", "VolumeRecord": "records",
}

__all__ = [
    "CatalogOptions", "CatalogSink", "CatalogSummary", "EntryRecord", "FileSystemRecord",
    "Gap", "ListSink", "RunStatus", "Timestamp", "VolumeRecord", "run_catalog",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'forensics.cataloging' has no attribute {name!r}")
    return getattr(import_module(f"forensics.cataloging.{home}"), name)
