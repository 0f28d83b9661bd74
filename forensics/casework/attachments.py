"""Keeping photos and scans in the evidence store, recorded by SHA-256."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.database.models import Attachment
from forensics.database.session import track_new_file
from forensics.store import EvidenceStore, default_store_root


def store_attachment(session: Session, case_folder: Path | None, source: Path) -> Attachment:
    """Copy ``source`` into the case's evidence store and return its attachment row.

    Args:
        session: open session (a new row is added to it, not committed).
        case_folder: the case's evidence folder; None for the store's ``unfiled`` folder.
        source: the photo or scan.

    Returns:
        The :class:`Attachment` (the existing one when the same bytes were kept before).

    Raises:
        UserInputError: the file cannot be read or stored.
    """
    folder = case_folder if case_folder is not None else default_store_root() / "unfiled"
    stored = EvidenceStore.add_attachment(folder, source)
    if stored.created:
        track_new_file(session, folder / stored.relative_path)
    existing = session.scalar(select(Attachment).where(Attachment.sha256 == stored.sha256))
    if existing is not None:
        return existing
    attachment = Attachment(
        sha256=stored.sha256,
        size=stored.size,
        media_type=mimetypes.guess_type(source.name)[0],
        original_name=stored.original_name,
        stored_path=str(folder / stored.relative_path),
    )
    session.add(attachment)
    return attachment


__all__ = ["store_attachment"]
