"""NIST NSRL RDSv3 (SQLite) opened in place, read-only: no import, no copy."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from forensics.errors import NotFoundError, UserInputError
from forensics.hashsets.index import HashSetInfo


class NsrlRds:
    """Lookups in an NSRL RDSv3 database's ``FILE`` table by SHA-256 or MD5.

    NSRL lists software that is *known*, not software that is harmless, so its
    hits are labelled "known" (kind ``known``), never "good".
    """

    def __init__(self, path: str | os.PathLike[str], *, name: str = "NSRL RDS") -> None:
        p = Path(path)
        if not p.is_file():
            raise NotFoundError(f"NSRL database not found: {p}")
        self._conn = sqlite3.connect(f"file:{p}?mode=ro&immutable=1", uri=True,
                                     check_same_thread=False)
        try:
            cols = {r[1].lower() for r in self._conn.execute("PRAGMA table_info(FILE)")}
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise UserInputError(f"{p.name} is not an SQLite database ({exc})") from exc
        if not {"sha256", "md5"} <= cols:
            self._conn.close()
            raise UserInputError(f"{p.name} is not an NSRL RDSv3 database (no FILE table "
                                 "with sha256 and md5 columns)")
        version = ""
        try:
            row = self._conn.execute("SELECT * FROM VERSION LIMIT 1").fetchone()
            version = " ".join(str(v) for v in row[:2]) if row else ""
        except sqlite3.DatabaseError:
            pass
        self._indexed = self._indexed_columns()
        self.info = HashSetInfo(name, version, "known", "nsrl-rdsv3", -1,
                                tuple(c for c in ("md5", "sha256") if c in cols),
                                str(p.resolve()), None, str(p.resolve()))

    def _indexed_columns(self) -> set[str]:
        out: set[str] = set()
        for idx in self._conn.execute("PRAGMA index_list(FILE)").fetchall():
            first = self._conn.execute(f"PRAGMA index_info('{idx[1]}')").fetchone()
            if first:
                out.add(str(first[2]).lower())
        return out

    @property
    def indexed(self) -> bool:
        """True when the FILE table has an index on sha256 or md5 (lookups are fast)."""
        return bool(self._indexed & {"sha256", "md5"})

    def lookup(self, md5: str | None, sha256: str | None) -> str | None:
        """The NSRL file name when either hash is listed, else None."""
        for column, value in (("sha256", sha256), ("md5", md5)):
            if value:
                row = self._conn.execute(
                    f"SELECT file_name FROM FILE WHERE {column} = ? LIMIT 1",  # noqa: S608
                    (value.upper(),)).fetchone()
                if row is not None:
                    return str(row[0])
        return None

    def close(self) -> None:
        self._conn.close()
