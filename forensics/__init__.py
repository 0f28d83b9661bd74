"""Sealbag core: evidence database, imaging, cataloguing, hashing and custody.

This package never imports Qt; every long job is a plain function with a
progress callback and a cancel token (see :mod:`forensics.progress`).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sealbag")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0"
