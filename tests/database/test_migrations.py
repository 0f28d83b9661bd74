"""Migrations: from an empty database, in both directions, and matching the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from forensics.database import migrate, open_database
from forensics.database.models import Base
from forensics.errors import DatabaseError


def test_empty_database_is_migrated_to_head(database_url):
    db = open_database(database_url)
    with db.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        tables = set(inspect(conn).get_table_names())
        # the schema the migrations build is exactly what the models describe
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert set(Base.metadata.tables) <= tables
    assert diff == [], f"models and migrations disagree: {diff}"
    db.close()


def test_downgrade_to_base_and_up_again(database_url):
    db = open_database(database_url)
    with db.engine.begin() as conn:
        from alembic import command

        command.downgrade(migrate.alembic_config(conn), "base")
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    db.close()
    db = open_database(database_url)
    with db.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    db.close()


def test_reopen_does_not_back_up_or_migrate(tmp_path: Path):
    path = tmp_path / "case.db"
    open_database(str(path)).close()
    db = open_database(str(path))
    assert db.backup_path is None
    db.close()
    assert not list(tmp_path.glob("*.bak"))


def test_sqlite_copied_aside_before_a_schema_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "case.db"
    db = open_database(str(path))
    with db.session() as s:
        s.execute(
            text(
                "INSERT INTO person (name, role, created_at) VALUES ('Kept', 'other', '2026-01-01')"
            )
        )
    db.close()
    monkeypatch.setattr(migrate, "head_revision", lambda: "9999")
    shipped = migrate.known_revisions()
    monkeypatch.setattr(migrate, "known_revisions", lambda: shipped | {"9999"})
    upgraded: list[str] = []
    monkeypatch.setattr(migrate, "upgrade", lambda conn, target="head": upgraded.append(target))
    db = open_database(str(path))
    db.close()
    assert upgraded == ["head"]
    assert db.backup_path is not None and db.backup_path.exists()
    copy = create_engine(f"sqlite:///{db.backup_path}")
    with copy.connect() as conn:
        assert conn.execute(text("SELECT name FROM person")).scalar() == "Kept"
    copy.dispose()


def test_database_from_a_newer_sealbag_is_refused(tmp_path: Path):
    path = tmp_path / "case.db"
    open_database(str(path)).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="newer version"):
        open_database(str(path))


def test_a_file_that_is_not_sqlite_is_left_untouched(tmp_path: Path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n")
    with pytest.raises(DatabaseError, match="not an SQLite database"):
        open_database(str(path))
    assert path.read_bytes() == b"these are my notes, not a database\n"


def test_foreign_database_is_not_adopted(tmp_path: Path):
    path = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stuff (x INTEGER)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="not a Sealbag database"):
        open_database(str(path))


def test_network_share_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from forensics.database import session as session_mod

    monkeypatch.setattr(session_mod, "_fs_type", lambda folder: "cifs")
    with pytest.raises(DatabaseError, match="network file system"):
        open_database(str(tmp_path / "case.db"))


def test_unreachable_postgres_gives_a_clear_error():
    with pytest.raises(DatabaseError, match="cannot open database"):
        open_database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_sqlite_pragmas(tmp_path: Path):
    db = open_database(str(tmp_path / "case.db"))
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    db.close()
