"""The workstation key: signs automatic events when no person's key is unlocked.

Each workstation appears in the ledger as a person (``Sealbag workstation
<host>``, ID number ``sealbag-ws:<host>``) with its own Ed25519 key. The key's
random passphrase is kept in a file only this OS user can read, in the Sealbag
data folder. A workstation signature proves which workstation wrote an
automatic event; personal attestations (seal checks, transfers) are always
signed by the person.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.custody.keys import (
    WORKSTATION_PREFIX,
    UnlockedKey,
    generate_workstation_key,
    unlock,
)
from forensics.database.enums import PersonRole
from forensics.database.models import Person, SigningKey
from forensics.database.session import data_dir
from forensics.errors import UserInputError


def _secrets_dir() -> Path:
    return data_dir() / "workstation-keys"


def workstation_person(session: Session, host: str | None = None) -> Person:
    """The ledger person standing for this workstation (created on first use)."""
    host = (host or socket.gethostname() or "unknown")[:64]
    id_number = f"{WORKSTATION_PREFIX}{host}"[:64]
    person = session.scalar(select(Person).where(Person.id_number == id_number))
    if person is None:
        person = Person(name=f"Sealbag workstation {host}", designation="workstation",
                        id_number=id_number, role=PersonRole.OTHER)
        session.add(person)
        session.flush()
    return person


def workstation_signer(session: Session) -> UnlockedKey:
    """An unlocked key of this workstation, generating one (and its secret file) if needed.

    Raises:
        UserInputError: the data folder cannot hold the key secret.
    """
    person = workstation_person(session)
    folder = _secrets_dir()
    keys = session.scalars(
        select(SigningKey)
        .where(SigningKey.person_id == person.id, SigningKey.revoked_at.is_(None))
        .order_by(SigningKey.id.desc())
    )
    for key in keys:
        secret_file = folder / f"{key.fingerprint}.secret"
        if secret_file.is_file():
            return unlock(key, secret_file.read_text(encoding="ascii").strip())
    secret = secrets.token_urlsafe(32)
    key = generate_workstation_key(session, person, secret)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{key.fingerprint}.secret"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise UserInputError(
            f"cannot store the workstation key secret in {folder}: {exc.strerror}"
        ) from exc
    return unlock(key, secret)


__all__ = ["workstation_person", "workstation_signer"]
