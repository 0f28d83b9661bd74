"""A compact, indexed SQLite file per imported hash list (kept out of the case database)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from forensics.errors import ConflictError, NotFoundError, UserInputError
from forensics.hashsets.parsers import detect_format, read_rows
from forensics.progress import ProgressFn, ProgressUpdate, no_progress

KINDS = ("known-good", "known-bad", "known")
SCHEMA_VERSION = "1"


@dataclass(frozen=True, slots=True)
class HashSetInfo:
    """What a hash set is, so a report can cite it."""

    name: str
    version: str
    kind: str
    format: str
    entry_count: int
    algorithms: tuple[str, ...]
    source_path: str
    source_sha256: str | None
    index_path: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_hash_list(source: str | os.PathLike[str], index_path: str | os.PathLike[str], *,
                     name: str, version: str, kind: str, fmt: str | None = None,
                     progress: ProgressFn = no_progress) -> HashSetInfo:
    """Build an index file from a hashdeep, md5sum, sha256sum or CSV list.

    Args:
        source: the list file.
        index_path: the SQLite index to create (must not exist).
        name: set name shown in reports (e.g. "Project VIC").
        version: the set's version or date.
        kind: known-good (hidden by default), known-bad (flagged notable) or known.
        fmt: list format; guessed from the content when None.

    Returns:
        The set's description.

    Raises:
        UserInputError: bad kind or format, or a list without any valid hash.
        ConflictError: the index file already exists.
    """
    src = Path(source)
    dest = Path(index_path)
    if not src.is_file():
        raise NotFoundError(f"hash list not found: {src}")
    if kind not in KINDS:
        raise UserInputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if dest.exists():
        raise ConflictError(f"a hash index already exists at {dest}; remove it or pick "
                            "another name")
    fmt = fmt or detect_format(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript("""
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE md5 (hash BLOB PRIMARY KEY, name TEXT) WITHOUT ROWID;
            CREATE TABLE sha256 (hash BLOB PRIMARY KEY, name TEXT) WITHOUT ROWID;
        """)
        md5_rows: list[tuple[bytes, str | None]] = []
        sha_rows: list[tuple[bytes, str | None]] = []
        count = 0

        def flush() -> None:
            conn.executemany("INSERT OR IGNORE INTO md5 VALUES (?, ?)", md5_rows)
            conn.executemany("INSERT OR IGNORE INTO sha256 VALUES (?, ?)", sha_rows)
            md5_rows.clear()
            sha_rows.clear()
            progress(ProgressUpdate("import", count, None, "hashes"))

        for row in read_rows(src, fmt):
            if row.md5:
                md5_rows.append((bytes.fromhex(row.md5), row.name))
            if row.sha256:
                sha_rows.append((bytes.fromhex(row.sha256), row.name))
            count += 1
            if len(md5_rows) + len(sha_rows) >= 50_000:
                flush()
        flush()
        if count == 0:
            raise UserInputError(f"{src.name}: no valid hash found in this {fmt} list")
        n_md5 = conn.execute("SELECT count(*) FROM md5").fetchone()[0]
        n_sha = conn.execute("SELECT count(*) FROM sha256").fetchone()[0]
        algorithms = tuple(a for a, n in (("md5", n_md5), ("sha256", n_sha)) if n)
        info = HashSetInfo(name, version, kind, fmt, count, algorithms, str(src.resolve()),
                           _file_sha256(src), str(dest.resolve()))
        meta = {"schema": SCHEMA_VERSION, **{k: (",".join(v) if isinstance(v, tuple) else str(v))
                                             for k, v in info.to_dict().items()}}
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.commit()
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    os.replace(tmp, dest)
    return info


class HashIndex:
    """An imported hash set, opened read-only for lookups."""

    def __init__(self, index_path: str | os.PathLike[str]) -> None:
        path = Path(index_path)
        if not path.is_file():
            raise NotFoundError(f"hash index not found: {path}")
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        try:
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise UserInputError(f"{path} is not a Sealbag hash index ({exc})") from exc
        self.info = HashSetInfo(
            meta["name"], meta["version"], meta["kind"], meta["format"],
            int(meta["entry_count"]), tuple(a for a in meta["algorithms"].split(",") if a),
            meta["source_path"], meta.get("source_sha256") or None, str(path))

    def lookup(self, md5: str | None, sha256: str | None) -> str | None:
        """The listed name (or '') when either hash is in the set, else None."""
        for table, value in (("sha256", sha256), ("md5", md5)):
            if value:
                row = self._conn.execute(f"SELECT name FROM {table} WHERE hash = ?",  # noqa: S608
                                         (bytes.fromhex(value),)).fetchone()
                if row is not None:
                    return row[0] or ""
        return None

    def close(self) -> None:
        self._conn.close()
