"""Readers for the corpus oracle files made by The Sleuth Kit's own tools."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FLS_LINE = re.compile(r"^(?P<types>\S+/\S+) (?P<deleted>\* )?(?P<inode>[^:]+):\t(?P<rest>.*)$")


@dataclass(frozen=True)
class OracleEntry:
    path: str
    size: int
    allocated: bool
    types: str
    inode: str


def read_fls(path: Path) -> list[OracleEntry]:
    """Parse ``fls -r -p -l -z UTC`` output."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        m = _FLS_LINE.match(line)
        if not m:
            continue
        fields = m["rest"].split("\t")
        # path, mtime, atime, ctime, crtime, size, uid, gid (the path itself holds no tab)
        name = "\t".join(fields[:-7])
        out.append(OracleEntry(name, int(fields[-3]), m["deleted"] is None, m["types"],
                               m["inode"]))
    return out


def read_hashes(path: Path) -> dict[str, tuple[str, str, str]]:
    """``files.sha256.tsv``: path -> (size, md5, sha256) ('ERROR' where icat failed)."""
    out = {}
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        parts = line.split("\t")
        if len(parts) >= 4:
            out["\t".join(parts[:-3])] = (parts[-3], parts[-2], parts[-1])
    return out


def image_sets(corpus: Path) -> list[str]:
    """First-segment names of every image set that has an oracle folder."""
    return sorted(p.name for p in (corpus / "oracle").iterdir() if p.is_dir())
