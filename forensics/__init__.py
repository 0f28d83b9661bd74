"""Sealbag core: evidence database, imaging, cataloguing, hashing and custody.

This package never imports Qt; every long job is a plain function with a
progress callback and a cancel token (see :mod:`forensics.progress`).
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up on first use: reading the installed metadata costs a worker process
    # that only parses an image about 30 ms at every start.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("sealbag")
        except PackageNotFoundError:  # running from a source tree without install
            found = "0.1.0"
        globals()["__version__"] = found  # later lookups find it directly
        return found
    raise AttributeError(f"module 'forensics' has no attribute {name!r}")
