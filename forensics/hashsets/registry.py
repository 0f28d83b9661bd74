"""Hash sets known to the case database (``hash_set`` rows pointing at index files)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from forensics.database.enums import HashSetKind
from forensics.database.models import HashSet
from forensics.database.session import Database, data_dir
from forensics.errors import ConflictError, NotFoundError
from forensics.hashsets.index import HashIndex, HashSetInfo, import_hash_list
from forensics.hashsets.matcher import HashSource
from forensics.hashsets.nsrl import NsrlRds
from forensics.progress import ProgressFn, no_progress


def default_index_dir() -> Path:
    """Where imported hash indexes live (beside the default database)."""
    return data_dir() / "hashsets"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "set"


def _existing(db: Database, name: str, version: str) -> HashSet | None:
    with db.session() as s:
        return s.scalars(select(HashSet).where(HashSet.name == name,
                                               HashSet.version == version)).first()


def _add(db: Database, info: HashSetInfo, description: str | None) -> int:
    with db.session() as s:
        row = HashSet(name=info.name, version=info.version, kind=HashSetKind(info.kind),
                      format=info.format, source_path=info.source_path,
                      source_sha256=info.source_sha256, index_path=info.index_path,
                      algorithms=list(info.algorithms), entry_count=info.entry_count,
                      enabled=True, description=description)
        s.add(row)
        s.flush()
        return row.id


def import_into(db: Database, source: str | Path, *, name: str, version: str, kind: str,
                fmt: str | None = None, index_dir: Path | None = None,
                description: str | None = None,
                progress: ProgressFn = no_progress) -> HashSetInfo:
    """Import a hash list into its own index file and register it.

    Raises:
        ConflictError: a set with this name and version is already registered.
    """
    if _existing(db, name, version) is not None:
        raise ConflictError(f"hash set {name!r} version {version!r} is already registered")
    folder = index_dir or default_index_dir()
    dest = folder / f"{_slug(name)}-{_slug(version)}.sqlite"
    info = import_hash_list(source, dest, name=name, version=version, kind=kind, fmt=fmt,
                            progress=progress)
    try:
        _add(db, info, description)
    except Exception:
        dest.unlink(missing_ok=True)
        raise
    return info


def register_nsrl(db: Database, path: str | Path, *, name: str = "NSRL RDS",
                  version: str | None = None) -> HashSetInfo:
    """Register an NSRL RDSv3 SQLite file, used in place (nothing is copied)."""
    rds = NsrlRds(path, name=name)
    info = rds.info
    rds.close()
    if version is not None:
        info = HashSetInfo(info.name, version, info.kind, info.format, info.entry_count,
                           info.algorithms, info.source_path, None, info.index_path)
    if _existing(db, info.name, info.version) is not None:
        raise ConflictError(f"hash set {info.name!r} version {info.version!r} is already "
                            "registered")
    _add(db, info, "NIST NSRL RDSv3, opened in place")
    return info


def list_sets(db: Database) -> list[dict[str, object]]:
    """Every registered set, as plain dicts."""
    with db.session() as s:
        rows = s.scalars(select(HashSet).order_by(HashSet.name, HashSet.version)).all()
        return [{"id": r.id, "name": r.name, "version": r.version, "kind": r.kind.value,
                 "format": r.format, "entries": r.entry_count, "enabled": r.enabled,
                 "algorithms": r.algorithms, "index_path": r.index_path,
                 "source_sha256": r.source_sha256} for r in rows]


def remove_set(db: Database, name: str, version: str) -> None:
    """Unregister a set (its imported index file is deleted; an NSRL file is left alone)."""
    with db.session() as s:
        row = s.scalars(select(HashSet).where(HashSet.name == name,
                                              HashSet.version == version)).first()
        if row is None:
            raise NotFoundError(f"no hash set {name!r} version {version!r}")
        if row.format != "nsrl-rdsv3" and row.index_path:
            Path(row.index_path).unlink(missing_ok=True)
        s.delete(row)


def open_enabled(db: Database) -> tuple[list[HashSource], dict[str, int]]:
    """Open every enabled set for matching.

    Returns:
        The opened sources and a set-name -> database-id map for the store.
    """
    sources: list[HashSource] = []
    ids: dict[str, int] = {}
    with db.session() as s:
        rows = s.scalars(select(HashSet).where(HashSet.enabled.is_(True))).all()
        for r in rows:
            if not r.index_path:
                continue
            src: HashSource = (NsrlRds(r.index_path, name=r.name) if r.format == "nsrl-rdsv3"
                               else HashIndex(r.index_path))
            sources.append(src)
            ids[r.name] = r.id
    return sources, ids
