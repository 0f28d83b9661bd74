"""The audit trail: one row per write made through Sealbag."""

from __future__ import annotations

import getpass
import socket
from typing import Any

from sqlalchemy.orm import Session

from forensics.database.models import AuditEntry


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def record_audit(
    session: Session,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    case_id: int | None = None,
    person_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row in the caller's transaction (so it commits with the change)."""
    session.add(
        AuditEntry(
            os_user=_os_user(),
            workstation=socket.gethostname(),
            person_id=person_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            case_id=case_id,
            details=details or {},
        )
    )
