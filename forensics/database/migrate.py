"""Schema migrations (alembic), run automatically when a database is opened."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", "forensics.database:migrations")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of Sealbag knows."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; they must form one line")
    return heads[0]


def known_revisions() -> set[str]:
    """Every revision id shipped with this version."""
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the database, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, target: str = "head") -> None:
    """Upgrade the schema on ``connection`` to ``target``."""
    command.upgrade(alembic_config(connection), target)
