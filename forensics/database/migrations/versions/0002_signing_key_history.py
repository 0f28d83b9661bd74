"""signing keys: history is append-only (no delete, revocation cannot be undone)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# An UPDATE may only set revoked_at, once; every other column is fixed.
_SQLITE_FORBIDDEN_UPDATE = (
    "OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL "
    "OR NEW.id IS NOT OLD.id OR NEW.person_id IS NOT OLD.person_id "
    "OR NEW.algorithm IS NOT OLD.algorithm OR NEW.public_key IS NOT OLD.public_key "
    "OR NEW.fingerprint IS NOT OLD.fingerprint "
    "OR NEW.encrypted_private_key IS NOT OLD.encrypted_private_key "
    "OR NEW.created_at IS NOT OLD.created_at"
)
_PG_FORBIDDEN_UPDATE = (
    "OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL "
    "OR NEW.id IS DISTINCT FROM OLD.id OR NEW.person_id IS DISTINCT FROM OLD.person_id "
    "OR NEW.algorithm IS DISTINCT FROM OLD.algorithm "
    "OR NEW.public_key IS DISTINCT FROM OLD.public_key "
    "OR NEW.fingerprint IS DISTINCT FROM OLD.fingerprint "
    "OR NEW.encrypted_private_key IS DISTINCT FROM OLD.encrypted_private_key "
    "OR NEW.created_at IS DISTINCT FROM OLD.created_at"
)


def upgrade() -> None:
    """Refuse deleting signing keys and any change but a one-time revocation."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER signing_key_no_delete BEFORE DELETE ON signing_key "
            "BEGIN SELECT RAISE(ABORT, 'signing keys are append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER signing_key_revoke_only BEFORE UPDATE ON signing_key "
            f"WHEN {_SQLITE_FORBIDDEN_UPDATE} "
            "BEGIN SELECT RAISE(ABORT, 'a signing key can only be revoked, once'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION signing_key_revoke_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            "BEGIN "
            "IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION 'signing keys are append-only'; END IF; "
            f"IF {_PG_FORBIDDEN_UPDATE} THEN "
            "RAISE EXCEPTION 'a signing key can only be revoked, once'; END IF; "
            "RETURN NEW; END$$"
        )
        op.execute(
            "CREATE TRIGGER signing_key_no_change BEFORE UPDATE OR DELETE ON signing_key "
            "FOR EACH ROW EXECUTE FUNCTION signing_key_revoke_only()"
        )
        op.execute(
            "CREATE TRIGGER signing_key_no_truncate BEFORE TRUNCATE ON signing_key "
            "FOR EACH STATEMENT EXECUTE FUNCTION signing_key_revoke_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS signing_key_no_delete")
        op.execute("DROP TRIGGER IF EXISTS signing_key_revoke_only")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS signing_key_no_change ON signing_key")
        op.execute("DROP TRIGGER IF EXISTS signing_key_no_truncate ON signing_key")
        op.execute("DROP FUNCTION IF EXISTS signing_key_revoke_only()")
