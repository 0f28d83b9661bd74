"""Per-person Ed25519 signing keys, kept encrypted with a passphrase.

The private key is stored as an encrypted PKCS#8 PEM
(``BestAvailableEncryption``) in :class:`~forensics.database.models.SigningKey`;
the public key and its fingerprint (SHA-256 of the raw 32-byte public key) are
part of the ledger and travel with every export.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.casework.audit import record_audit
from forensics.custody.canonical import encode_canonical, format_time
from forensics.database.base import utcnow
from forensics.database.models import Person, SigningKey
from forensics.errors import NotFoundError, UserInputError

ENV_PASSPHRASE = "SEALBAG_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
MIN_PASSPHRASE = 8
WORKSTATION_PREFIX = "sealbag-ws:"


@dataclass(frozen=True)
class UnlockedKey:
    """A signing key ready to sign (keep it in memory only as long as needed)."""

    person_id: int
    fingerprint: str
    private_key: Ed25519PrivateKey

    def sign(self, message: bytes) -> str:
        """Ed25519 signature of ``message`` as 128 hex digits."""
        return self.private_key.sign(message).hex()


def fingerprint_of(public_raw: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, hex."""
    return hashlib.sha256(public_raw).hexdigest()


def passphrase_from_env() -> str | None:
    """``$SEALBAG_KEY_PASSPHRASE`` if set (for scripts), else None."""
    return os.environ.get(ENV_PASSPHRASE) or None


def _authorise(
    session: Session,
    person: Person,
    authorised_by: UnlockedKey | None,
    justification: str | None,
    statement: dict[str, Any],
) -> dict[str, Any]:
    """Check who authorises a key change for ``person``; return the audit facts.

    The person's own active key authorises; another person's active key may
    override (a supervisor or witness when the passphrase is lost) only with a
    justification. The authoriser signs ``statement`` as proof of possession.

    Raises:
        UserInputError: no authorisation, a revoked or unknown authorising key,
            or an override without a justification.
    """
    if authorised_by is None:
        raise UserInputError(
            f"{person.name} already has a signing key: a key change must be authorised with "
            "their current key's passphrase, or by another person's key with a justification"
        )
    stored = session.scalars(
        select(SigningKey).where(SigningKey.fingerprint == authorised_by.fingerprint)
    ).first()
    if stored is None or stored.person_id != authorised_by.person_id:
        raise UserInputError(f"authorising key {authorised_by.fingerprint[:16]} is not in this "
                             "ledger")
    if stored.revoked_at is not None:
        raise UserInputError(f"authorising key {authorised_by.fingerprint[:16]} was revoked")
    note = (justification or "").strip()
    if authorised_by.person_id != person.id and not note:
        raise UserInputError(
            f"a key change for {person.name} authorised by another person needs a justification"
        )
    signed = dict(statement, justification=note or None)
    return {
        "authorised_by": authorised_by.fingerprint,
        "authoriser_person_id": authorised_by.person_id,
        "override": authorised_by.person_id != person.id,
        "statement": signed,
        "signature": authorised_by.sign(encode_canonical(signed)),
    }


def has_active_key(session: Session, person: Person) -> bool:
    """Whether ``person`` has a key that is not revoked."""
    return session.scalar(
        select(SigningKey.id).where(
            SigningKey.person_id == person.id, SigningKey.revoked_at.is_(None)
        ).limit(1)
    ) is not None


def generate_key(
    session: Session,
    person: Person,
    passphrase: str,
    *,
    authorised_by: UnlockedKey | None = None,
    justification: str | None = None,
) -> SigningKey:
    """Create a new Ed25519 key for ``person``, stored encrypted with ``passphrase``.

    A person's first key needs no authorisation. A further key (rotation) must be
    authorised by the person's current key, or by another person's key with a
    justification; the authorisation is signed and kept in the audit log, and the
    person's earlier keys are revoked (events they signed stay valid).

    Raises:
        UserInputError: short passphrase, or a missing or invalid authorisation.
    """
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserInputError(f"the key passphrase must be at least {MIN_PASSPHRASE} characters")
    facts: dict[str, Any] = {}
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    superseded: list[SigningKey] = []
    if has_active_key(session, person):
        facts = _authorise(session, person, authorised_by, justification, {
            "type": "key-authorisation", "change": "new", "person_ref": person.id,
            "fingerprint": fingerprint_of(public_raw), "at": format_time(utcnow()),
        })
        superseded = list(session.scalars(select(SigningKey).where(
            SigningKey.person_id == person.id, SigningKey.revoked_at.is_(None))))
    key = _store_key(session, person, private, public_raw, passphrase, facts)
    for old in superseded:  # one usable key per person: the new one replaces the old
        old.revoked_at = utcnow()
        session.flush()
        record_audit(session, "custody.key.revoke", target_type="signing_key",
                     target_id=old.fingerprint, person_id=person.id,
                     details={"superseded_by": key.fingerprint})
    return key


def _store_key(
    session: Session, person: Person, private: Ed25519PrivateKey, public_raw: bytes,
    passphrase: str, facts: dict[str, Any],
) -> SigningKey:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
    key = SigningKey(
        person_id=person.id,
        algorithm="ed25519",
        public_key=public_raw.hex(),
        fingerprint=fingerprint_of(public_raw),
        encrypted_private_key=pem,
    )
    session.add(key)
    session.flush()
    record_audit(session, "custody.key.new", target_type="signing_key",
                 target_id=key.fingerprint, person_id=person.id, details=facts or None)
    return key


def generate_workstation_key(session: Session, person: Person, passphrase: str) -> SigningKey:
    """A new key for a workstation person (its secret lives in a file, not in a head).

    Raises:
        UserInputError: ``person`` is not a workstation.
    """
    if not (person.id_number or "").startswith(WORKSTATION_PREFIX):
        raise UserInputError(f"{person.name} is not a Sealbag workstation")
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return _store_key(session, person, private, public_raw, passphrase,
                      {"workstation": True})


def active_key(session: Session, person: Person) -> SigningKey:
    """The newest key of ``person`` that is not revoked.

    Raises:
        NotFoundError: the person has no usable key.
    """
    key = session.scalars(
        select(SigningKey)
        .where(SigningKey.person_id == person.id, SigningKey.revoked_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        .limit(1)
    ).first()
    if key is None:
        raise NotFoundError(
            f"{person.name} (person {person.id}) has no signing key; create one with "
            f"'sealbag custody key new --person {person.id}'"
        )
    return key


def unlock(key: SigningKey, passphrase: str) -> UnlockedKey:
    """Decrypt a stored key.

    Raises:
        UserInputError: wrong passphrase or a damaged key record.
    """
    try:
        private = serialization.load_pem_private_key(
            key.encrypted_private_key, password=passphrase.encode("utf-8")
        )
    except (ValueError, TypeError) as exc:
        raise UserInputError(
            f"cannot unlock signing key {key.fingerprint[:16]}: wrong passphrase"
        ) from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise UserInputError(f"signing key {key.fingerprint[:16]} is not an Ed25519 key")
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if public_raw.hex() != key.public_key or fingerprint_of(public_raw) != key.fingerprint:
        raise UserInputError(
            f"signing key {key.fingerprint[:16]}: the private key does not match its public key"
        )
    return UnlockedKey(person_id=key.person_id, fingerprint=key.fingerprint, private_key=private)


def unlock_person_key(session: Session, person: Person, passphrase: str | None) -> UnlockedKey:
    """Unlock ``person``'s active key with ``passphrase`` or ``$SEALBAG_KEY_PASSPHRASE``.

    Raises:
        NotFoundError: no key. UserInputError: no or wrong passphrase.
    """
    key = active_key(session, person)
    secret = passphrase if passphrase is not None else passphrase_from_env()
    if secret is None:
        raise UserInputError(
            f"a passphrase is needed to sign as {person.name}; give it at the prompt or in "
            f"${ENV_PASSPHRASE}"
        )
    return unlock(key, secret)


def revoke_key(
    session: Session,
    fingerprint: str,
    *,
    authorised_by: UnlockedKey,
    justification: str | None = None,
) -> SigningKey:
    """Mark a key revoked from now on; events it signed before stay valid.

    Args:
        session: open session.
        fingerprint: the key to revoke.
        authorised_by: the unlocked key itself or another key of its holder
            (proves the holder's passphrase), or another person's key with a
            ``justification`` (recorded, signed, in the audit log).
        justification: why, required for an override.

    Raises:
        NotFoundError: no key with that fingerprint.
        UserInputError: the authorisation is missing or invalid.
    """
    key = session.scalars(select(SigningKey).where(SigningKey.fingerprint == fingerprint)).first()
    if key is None:
        raise NotFoundError(f"no signing key with fingerprint {fingerprint}")
    if key.revoked_at is None:
        person = session.get(Person, key.person_id)
        if person is None:
            raise NotFoundError(f"signing key {fingerprint[:16]} has no owner")
        if authorised_by.fingerprint == key.fingerprint:
            facts = {"authorised_by": key.fingerprint, "override": False}
        else:
            facts = _authorise(session, person, authorised_by, justification, {
                "type": "key-authorisation", "change": "revoke", "person_ref": person.id,
                "fingerprint": key.fingerprint, "at": format_time(utcnow()),
            })
        key.revoked_at = utcnow()
        session.flush()
        record_audit(session, "custody.key.revoke", target_type="signing_key",
                     target_id=key.fingerprint, person_id=key.person_id, details=facts)
    return key


def verify_signature(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is a valid Ed25519 signature of ``message``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def key_record(key: SigningKey, person: dict[str, Any]) -> dict[str, Any]:
    """The ``{"type": "key", ...}`` export record of a public key."""
    return {
        "type": "key",
        "version": 1,
        "algorithm": key.algorithm,
        "fingerprint": key.fingerprint,
        "public_key": key.public_key,
        "person": person,
        "created_at": format_time(key.created_at),
        "revoked_at": format_time(key.revoked_at) if key.revoked_at else None,
    }


__all__ = [
    "ENV_PASSPHRASE",
    "UnlockedKey",
    "active_key",
    "fingerprint_of",
    "generate_key",
    "generate_workstation_key",
    "has_active_key",
    "key_record",
    "passphrase_from_env",
    "revoke_key",
    "unlock",
    "unlock_person_key",
    "verify_signature",
]


def key_by_fingerprint(session: Session, fingerprint: str) -> SigningKey:
    """The signing key with this fingerprint.

    Raises:
        NotFoundError: no such key.
    """
    fingerprint = fingerprint.strip().lower()
    key = session.scalar(select(SigningKey).where(SigningKey.fingerprint == fingerprint))
    if key is None:
        raise NotFoundError(f"no signing key with fingerprint {fingerprint}")
    return key


def list_keys(session: Session, person: Person | None = None) -> list[dict[str, Any]]:
    """Every signing key (or one person's) as plain data: fingerprint, holder, dates."""
    query = select(SigningKey, Person).join(Person, SigningKey.person_id == Person.id)
    if person is not None:
        query = query.where(SigningKey.person_id == person.id)
    rows = session.execute(query.order_by(SigningKey.id))
    return [key_listing(key, holder) for key, holder in rows]


def key_listing(key: SigningKey, holder: Person) -> dict[str, Any]:
    """A signing key as plain data for listings and ``--json`` output."""
    return {
        "fingerprint": key.fingerprint,
        "public_key": key.public_key,
        "algorithm": key.algorithm,
        "person_id": key.person_id,
        "person": holder.name,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }
