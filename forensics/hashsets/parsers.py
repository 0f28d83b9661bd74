"""Readers for hash list formats: hashdeep, md5sum/sha256sum, CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import UserInputError

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_SUM_LINE = re.compile(r"^\\?(?P<hash>[0-9a-fA-F]{32}|[0-9a-fA-F]{64})[ \t][ *]?(?P<name>.*)$")
FORMATS = ("hashdeep", "md5sum", "sha256sum", "csv")


@dataclass(frozen=True, slots=True)
class HashRow:
    """One known file: lower-case hex hashes (None when the list lacks that algorithm)."""

    md5: str | None
    sha256: str | None
    name: str | None
    size: int | None = None


def _hex(value: str | None, length: int) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    return value if len(value) == length and _HEX.match(value) else None


def detect_format(path: Path) -> str:
    """Guess a list's format from its first lines.

    Raises:
        UserInputError: the format cannot be recognised.
    """
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        head = [fh.readline() for _ in range(5)]
    first = head[0].strip()
    if first.startswith("%%%% HASHDEEP"):
        return "hashdeep"
    m = _SUM_LINE.match(first)
    if m:
        return "md5sum" if len(m["hash"]) == 32 else "sha256sum"
    if "," in first and any(k in first.lower() for k in ("md5", "sha256")):
        return "csv"
    raise UserInputError(
        f"{path.name}: not a hashdeep, md5sum, sha256sum or CSV (with an md5 or sha256 column) "
        "hash list; give --format")


def read_rows(path: Path, fmt: str) -> Iterator[HashRow]:
    """Yield the rows of a hash list; lines that hold no valid hash are skipped.

    Raises:
        UserInputError: unknown format, or a CSV without an md5/sha256 column.
    """
    if fmt not in FORMATS:
        raise UserInputError(f"unknown hash list format {fmt!r}; use one of {', '.join(FORMATS)}")
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        if fmt == "hashdeep":
            yield from _hashdeep(fh)
        elif fmt in ("md5sum", "sha256sum"):
            length = 32 if fmt == "md5sum" else 64
            for line in fh:
                m = _SUM_LINE.match(line.rstrip("\r\n"))
                if m and len(m["hash"]) == length:
                    h = m["hash"].lower()
                    yield HashRow(h if length == 32 else None, h if length == 64 else None,
                                  m["name"])
        else:
            yield from _csv(fh, path)


def _hashdeep(fh: io.TextIOBase) -> Iterator[HashRow]:
    columns: list[str] = []
    for raw in fh:
        line = raw.rstrip("\r\n")
        if line.startswith("%%%% size,"):
            columns = [c.strip() for c in line[5:].split(",")]
            continue
        if not line or line.startswith(("%", "#")) or not columns:
            continue
        parts = line.split(",", len(columns) - 1)
        if len(parts) != len(columns):
            continue
        rec = dict(zip(columns, parts, strict=True))
        size = int(rec["size"]) if rec.get("size", "").isdigit() else None
        row = HashRow(_hex(rec.get("md5"), 32), _hex(rec.get("sha256"), 64),
                      rec.get("filename"), size)
        if row.md5 or row.sha256:
            yield row


def _csv(fh: io.TextIOBase, path: Path) -> Iterator[HashRow]:
    reader = csv.DictReader(fh)
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    md5_col = fields.get("md5")
    sha_col = fields.get("sha256") or fields.get("sha-256")
    name_col = next((fields[k] for k in ("filename", "file_name", "name", "path") if k in fields),
                    None)
    if not md5_col and not sha_col:
        raise UserInputError(f"{path.name}: the CSV header has no md5 or sha256 column")
    for rec in reader:
        row = HashRow(_hex(rec.get(md5_col) if md5_col else None, 32),
                      _hex(rec.get(sha_col) if sha_col else None, 64),
                      rec.get(name_col) if name_col else None)
        if row.md5 or row.sha256:
            yield row
