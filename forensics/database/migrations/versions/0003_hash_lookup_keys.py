"""file entries: hash lookups through 64-bit integer keys instead of indexed hex text

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from forensics.database.hashkey import hash_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 10_000


def upgrade() -> None:
    """Add md5_key/sha256_key, fill them for stored catalogs, index them instead of the text."""
    op.add_column("file_entry", sa.Column("md5_key", sa.BigInteger(), nullable=True))
    op.add_column("file_entry", sa.Column("sha256_key", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    entries = sa.table("file_entry", sa.column("id", sa.BigInteger()),
                       sa.column("md5", sa.String()), sa.column("sha256", sa.String()),
                       sa.column("md5_key", sa.BigInteger()),
                       sa.column("sha256_key", sa.BigInteger()))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(entries.c.id, entries.c.md5, entries.c.sha256)
            .where(entries.c.id > last,
                   sa.or_(entries.c.md5.is_not(None), entries.c.sha256.is_not(None)))
            .order_by(entries.c.id).limit(_BATCH)).all()
        if not rows:
            break
        conn.execute(
            entries.update().where(entries.c.id == sa.bindparam("entry_id"))
            .values(md5_key=sa.bindparam("mk"), sha256_key=sa.bindparam("sk")),
            [{"entry_id": r.id, "mk": _key(r.md5), "sk": _key(r.sha256)} for r in rows])
        last = rows[-1].id
    op.create_index("ix_file_entry_md5_key", "file_entry", ["md5_key"])
    op.create_index("ix_file_entry_sha256_key", "file_entry", ["sha256_key"])
    op.drop_index("ix_file_entry_md5", table_name="file_entry")
    op.drop_index("ix_file_entry_sha256", table_name="file_entry")


def _key(digest: str | None) -> int | None:
    try:
        return hash_key(digest)
    except ValueError:  # not a digest (never written by Sealbag): no key, still stored
        return None


def downgrade() -> None:
    """Index the hex digests again and drop the keys."""
    op.create_index("ix_file_entry_md5", "file_entry", ["md5"])
    op.create_index("ix_file_entry_sha256", "file_entry", ["sha256"])
    op.drop_index("ix_file_entry_md5_key", table_name="file_entry")
    op.drop_index("ix_file_entry_sha256_key", table_name="file_entry")
    op.drop_column("file_entry", "sha256_key")
    op.drop_column("file_entry", "md5_key")
