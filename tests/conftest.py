"""Shared fixtures: isolated data folders, and the database matrix (SQLite + PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_server import PostgresUnavailable, ThrowawayPostgres

REPO = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path | None:
    """The shared image corpus, or None when it is not beside the repository."""
    env = os.environ.get("SEALBAG_CORPUS")
    path = Path(env) if env else REPO.parent / "shared" / "corpus"
    return path if (path / "images").is_dir() else None


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the user's real database, store or settings."""
    home = tmp_path_factory.mktemp("sealbag-home")
    monkeypatch.setenv("SEALBAG_HOME", str(home))
    monkeypatch.delenv("SEALBAG_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """One throwaway PostgreSQL cluster for the whole run (started on first use)."""
    try:
        server = ThrowawayPostgres().start()
    except PostgresUnavailable as exc:
        if os.environ.get("SEALBAG_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required for this run: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'case.db'}"
    server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database URL (for tests that are about SQLite itself)."""
    return f"sqlite:///{tmp_path / 'case.db'}"
