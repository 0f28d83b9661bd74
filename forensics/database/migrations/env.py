"""Alembic environment: Sealbag always passes an open connection in."""

from __future__ import annotations

from alembic import context

from forensics.database.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand without Sealbag
    raise RuntimeError("run migrations through forensics.database.open_database()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
