"""file entries: an index on (run_id, id) so a run's listing is read page by page quickly

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index (run_id, id): ``run_id = ? AND id > ? ORDER BY id`` no longer sorts the run."""
    op.create_index("ix_file_entry_run_id", "file_entry", ["run_id", "id"])


def downgrade() -> None:
    """Drop the paging index."""
    op.drop_index("ix_file_entry_run_id", table_name="file_entry")
