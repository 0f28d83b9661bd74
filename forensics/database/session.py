"""Opening the case database: SQLite by default, any SQLAlchemy URL otherwise.

An engine is made when a database is opened, never at import time. SQLite gets
WAL, foreign keys and ``synchronous=FULL`` (the custody ledger must survive a
power cut); schema migrations run on open, after the SQLite file has been
copied aside.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.orm import Session, sessionmaker

from forensics.database import migrate
from forensics.errors import DatabaseError, UserInputError

ENV_DB = "SEALBAG_DB"
APP_NAME = "sealbag"
# File systems on which SQLite locking is unreliable: a case database there
# can be corrupted by two workstations, so it is refused (use PostgreSQL).
NETWORK_FS_TYPES = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p"})


def data_dir() -> Path:
    """The per-user folder holding the default database and evidence store."""
    override = os.environ.get("SEALBAG_HOME")
    return Path(override) if override else user_data_path(APP_NAME, appauthor=False)


def default_database_url() -> str:
    """``$SEALBAG_DB`` if set, else an SQLite file in the user data folder."""
    env = os.environ.get(ENV_DB)
    if env:
        return env
    return f"sqlite:///{data_dir() / 'sealbag.db'}"


@dataclass
class Database:
    """An open case database: one engine, a session factory."""

    url: URL
    engine: Engine
    sessionmaker: sessionmaker[Session]
    backup_path: Path | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction, committed on success and rolled back on error."""
        with self.sessionmaker.begin() as session:
            yield session

    def display_url(self) -> str:
        """The URL with any password hidden."""
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # after a large catalog the write-ahead log shrinks back once it has been copied in
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _check_sqlite_location(path: Path, create: bool) -> None:
    if path.is_dir():
        raise DatabaseError(
            f"{path} is a folder; give the path of a database file (e.g. {path}/sealbag.db)"
        )
    if not create and not path.exists():
        raise DatabaseError(
            f"there is no Sealbag database at {path} yet (the first 'sealbag case new' "
            "creates it); "
            "check --db / SEALBAG_DB"
        )
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the database folder {folder}: {exc.strerror}") from exc
    fstype = _fs_type(folder)
    if fstype in NETWORK_FS_TYPES:
        raise DatabaseError(
            f"{path} is on a network file system ({fstype}); SQLite cannot lock it safely. "
            "Keep the database on a local disk, or use a PostgreSQL URL for a shared lab database"
        )
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            header = fh.read(16)
        if header != b"SQLite format 3\x00":
            raise DatabaseError(
                f"{path} is not an SQLite database (it was left untouched); "
                "move it aside or point --db at the right file"
            )


def _fs_type(folder: Path) -> str | None:
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(folder.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(
            mount_point
        ) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def _backup_sqlite(engine: Engine, path: Path, from_revision: str) -> Path:
    """Copy an SQLite database aside (consistent even in WAL mode) before migrating it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.pre-{from_revision}-{stamp}.bak")
    raw = engine.raw_connection()
    try:
        dest = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(dest)  # type: ignore[union-attr]
        finally:
            dest.close()
    finally:
        raw.close()
    return target


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise UserInputError(
            f"not a database URL: {url!r}; use e.g. sqlite:////path/to/case.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from exc


def open_database(
    url: str | None = None, *, migrate_schema: bool = True, create: bool = True
) -> Database:
    """Open (creating and migrating as needed) the case database at ``url``.

    Args:
        url: SQLAlchemy URL; default :func:`default_database_url`. A bare file
            path is taken as an SQLite file. ``postgresql://`` uses psycopg 3.
        migrate_schema: upgrade the schema to the newest revision.
        create: create a missing SQLite file (False for commands that only read).

    Returns:
        The open :class:`Database`.

    Raises:
        UserInputError: the URL cannot be parsed.
        DatabaseError: the database cannot be reached, is not a database, is on a
            network share (SQLite), or was written by a newer Sealbag.
    """
    raw = url or default_database_url()
    if "://" not in raw:
        raw = f"sqlite:///{Path(raw).expanduser().absolute()}"
    parsed = _parse_url(raw)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    sqlite_path: Path | None = None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            sqlite_path = Path(database)
            _check_sqlite_location(sqlite_path, create)
    try:
        kwargs: dict[str, object] = {}
        if sqlite_path is None and parsed.get_backend_name() == "sqlite":
            from sqlalchemy.pool import StaticPool

            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            kwargs = {"pool_pre_ping": True}
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise UserInputError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
            "Sealbag works with sqlite:///FILE and postgresql://USER@HOST/DB"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    backup: Path | None = None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if migrate_schema:
            backup = _migrate(engine, sqlite_path)
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"cannot open database {parsed.render_as_string(hide_password=True)}: {reason}"
        ) from exc
    except DatabaseError:
        engine.dispose()
        raise
    factory = sessionmaker(engine, expire_on_commit=False)
    track_new_files(factory)
    return Database(url=parsed, engine=engine, sessionmaker=factory, backup_path=backup)


# Any constant shared by every Sealbag; serialises schema upgrades on one server.
_MIGRATION_LOCK_KEY = 0x5EA1BA6


def _migrate(engine: Engine, sqlite_path: Path | None) -> Path | None:
    head = migrate.head_revision()
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    if current == head:
        return None
    _check_revision(engine, current)
    backup = None
    if sqlite_path is not None and current is not None:
        backup = _backup_sqlite(engine, sqlite_path, current)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # two workstations opening a new database at once must not both create it
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            if migrate.current_revision(conn) == head:
                return backup
        migrate.upgrade(conn)
    return backup


def _check_revision(engine: Engine, current: str | None) -> None:
    if current is not None and current not in migrate.known_revisions():
        raise DatabaseError(
            f"the database is at schema revision {current}, which this Sealbag does not know; "
            "it was written by a newer version: upgrade Sealbag"
        )
    with engine.connect() as conn:
        has_tables = bool(set(inspect(conn).get_table_names()) - {"alembic_version"})
    if current is None and has_tables:
        raise DatabaseError(
            "the database has tables but no Sealbag schema revision; it is not a Sealbag "
            "database (left untouched)"
        )


def new_sqlite_url(path: str | os.PathLike[str]) -> str:
    """SQLite URL for a file path."""
    return f"sqlite:///{Path(path).absolute()}"


def remove_sqlite_files(path: Path) -> None:
    """Delete an SQLite database and its WAL/SHM side files (tests, demo resets)."""
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


__all__ = [
    "Database",
    "data_dir",
    "default_database_url",
    "new_sqlite_url",
    "open_database",
    "remove_sqlite_files",
]


_NEW_FILES = "sealbag_new_files"


def track_new_file(session: Session, path: Path) -> None:
    """Note a file or folder made for this transaction, to be removed if it rolls back.

    A folder is removed only while it holds no files, so nothing written later
    by someone else is ever deleted.
    """
    session.info.setdefault(_NEW_FILES, []).append(Path(path))


def track_new_files(factory: sessionmaker[Session]) -> None:
    """Make sessions from ``factory`` delete their tracked new files on rollback."""

    @event.listens_for(factory, "after_commit")
    def _forget(session: Session) -> None:
        session.info.pop(_NEW_FILES, None)

    @event.listens_for(factory, "after_soft_rollback")
    def _remove(session: Session, previous_transaction: object) -> None:
        for path in reversed(session.info.pop(_NEW_FILES, [])):
            try:
                if path.is_dir():
                    if not any(p.is_file() for p in path.rglob("*")):
                        shutil.rmtree(path)
                else:
                    path.chmod(0o644)
                    path.unlink()
            except OSError:
                pass
