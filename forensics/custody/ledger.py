"""Writing the custody ledger: :func:`record_event` is the only write path.

There is no update or delete here (and the database refuses both with
triggers). A mistake is put right by a new ``correction`` event that
references the entry it corrects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.casework.audit import record_audit
from forensics.custody.canonical import (
    EVENT_TYPE,
    EVENT_VERSION,
    canonical_bytes,
    check_canonical_value,
    entry_hash,
    format_time,
    is_sha256_hex,
)
from forensics.custody.keys import UnlockedKey, passphrase_from_env, unlock_person_key
from forensics.custody.rules import (
    DIGEST_LENGTHS,
    ChainState,
    advance,
    continuity_violations,
    digest_problem,
)
from forensics.custody.workstation import workstation_person, workstation_signer
from forensics.database.base import utcnow
from forensics.database.enums import CustodyAction
from forensics.database.models import Case, CustodyEvent, Exhibit, Person, SigningKey
from forensics.errors import IntegrityError, NotFoundError, UserInputError
from forensics.timeutil import zone

HASH_ALGORITHMS = frozenset(DIGEST_LENGTHS)
WRITE_ATTEMPTS = 8
IDENTITY_KEY = "exhibit_identity"
SEIZURE_SLACK_S = 60  # the exhibit's seizure time and the seizure event agree to the minute


def person_record(person: Person | None) -> dict[str, Any] | None:
    """How a person appears inside a canonical event."""
    if person is None:
        return None
    return {
        "person_ref": person.id,
        "name": person.name,
        "designation": person.designation,
        "id_number": person.id_number,
    }


def exhibit_identity(session: Session, exhibit: Exhibit) -> dict[str, Any]:
    """What the exhibit is, as signed into the first event of its chain.

    ``verify_chain`` compares the exhibit row with the latest signed snapshot,
    so an identifier edited behind Sealbag's back is reported by name.
    """
    def text(value: Any) -> Any:
        return getattr(value, "value", value)

    seized_at = exhibit.seized_at
    if seized_at is not None and seized_at.tzinfo is None:
        seized_at = seized_at.replace(tzinfo=UTC)
    return {
        "exhibit_id": exhibit.exhibit_id,
        "description": exhibit.description,
        "type": text(exhibit.type),
        "source_category": text(exhibit.source_category),
        "make": exhibit.make,
        "model": exhibit.model,
        "serial_number": exhibit.serial_number,
        "imei": exhibit.imei,
        "uin": exhibit.uin,
        "mac_address": exhibit.mac_address,
        "cloud_id": exhibit.cloud_id,
        "other_identifiers": sorted(
            [str(k), str(v)] for k, v in (exhibit.other_identifiers or {}).items()
        ),
        "colour": exhibit.colour,
        "capacity_bytes": exhibit.capacity_bytes,
        "seal_numbers": [str(n) for n in exhibit.seal_numbers or []],
        "seized_at": format_time(seized_at) if seized_at is not None else None,
        "seized_tz": exhibit.seized_tz,
        "seized_location": exhibit.seized_location,
        "seized_by": exhibit.seized_by_id,
    }


def chain_events(session: Session, exhibit: Exhibit) -> list[CustodyEvent]:
    """The exhibit's custody events in chain order."""
    return list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.exhibit_id == exhibit.id)
            .order_by(CustodyEvent.sequence)
        )
    )


def chain_state(session: Session, exhibit: Exhibit) -> ChainState:
    """Replay the stored canonical events of ``exhibit`` into a :class:`ChainState`."""
    state = ChainState()
    for row in chain_events(session, exhibit):
        advance(state, json.loads(row.canonical), row.entry_hash)
    return state


@dataclass(frozen=True)
class CustodyStatus:
    """Where an exhibit stands now (shown by ``custody log`` and the GUI)."""

    exhibit: str
    status: str  # no-record, in-custody, checked-out, returned, disposed
    holder: dict[str, Any] | None
    since: str | None
    location: str | None
    events: int
    head_hash: str

    @property
    def out_of_custody(self) -> bool:
        return self.status == "checked-out"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "out_of_custody": self.out_of_custody}


def custody_status(session: Session, exhibit: Exhibit) -> CustodyStatus:
    """The current custody status of ``exhibit`` (a checked-out item shows as out)."""
    state = chain_state(session, exhibit)
    since = format_time(state.status_since) if state.status_since else None
    return CustodyStatus(
        exhibit=exhibit.exhibit_id,
        status=state.status,
        holder=state.holder,
        since=since,
        location=state.last_location,
        events=state.count,
        head_hash=state.head,
    )


def _lock_chain(session: Session, exhibit: Exhibit) -> None:
    """Serialise writers of one exhibit's chain until the transaction ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        connection = session.connection()
        driver = connection.connection.driver_connection
        # pysqlite starts transactions lazily; take the write lock before reading the head.
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        session.execute(select(Exhibit.id).where(Exhibit.id == exhibit.id).with_for_update())


def _check_zone(name: str) -> None:
    if len(name) > 64:
        raise UserInputError("the time zone name is too long")
    if not name or not name.strip():
        raise UserInputError("the event needs the time zone it was given in (e.g. Asia/Kolkata)")
    zone(name)  # raises UserInputError for an unknown zone


def _text(value: str | None, name: str, limit: int | None = None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if limit is not None and len(value) > limit:
        raise UserInputError(f"{name} is too long (at most {limit} characters)")
    try:
        check_canonical_value(value, name)
    except ValueError as exc:
        raise UserInputError(str(exc)) from exc
    return value


def _signer_for(
    session: Session, actor: Person, signer: UnlockedKey | None, passphrase: str | None
) -> UnlockedKey:
    key = signer if signer is not None else unlock_person_key(session, actor, passphrase)
    if key.person_id != actor.id:
        raise UserInputError(
            f"the signing key {key.fingerprint[:16]} is not {actor.name}'s; each event is "
            "signed by its actor"
        )
    stored = session.scalars(
        select(SigningKey).where(SigningKey.fingerprint == key.fingerprint)
    ).first()
    if stored is None or stored.person_id != actor.id:
        raise UserInputError(f"signing key {key.fingerprint[:16]} is not in this ledger")
    if stored.revoked_at is not None:
        raise UserInputError(f"signing key {key.fingerprint[:16]} was revoked; make a new one")
    return key


def record_event(
    session: Session,
    *,
    case: Case,
    exhibit: Exhibit,
    action: CustodyAction | str,
    actor: Person,
    occurred_at: datetime | None,
    occurred_tz: str,
    signer: UnlockedKey | None = None,
    passphrase: str | None = None,
    released_by: Person | None = None,
    received_by: Person | None = None,
    purpose: str | None = None,
    location_from: str | None = None,
    location_to: str | None = None,
    storage_ref: str | None = None,
    seal_number: str | None = None,
    seal_intact: bool | None = None,
    new_seal_number: str | None = None,
    hash_algorithm: str | None = None,
    hash_value: str | None = None,
    hash_match: bool | None = None,
    remarks: str | None = None,
    attachments: Sequence[str] = (),
    corrects: CustodyEvent | None = None,
    exception: str | None = None,
    details: Mapping[str, Any] | None = None,
    update_identity: bool = False,
) -> CustodyEvent:
    """Append one signed event to ``exhibit``'s custody chain (in the caller's transaction).

    The exhibit's chain is locked (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
    ``SELECT ... FOR UPDATE`` on the exhibit row) so concurrent writers line
    up; a lost race on ``(exhibit_id, sequence)`` is retried.

    Args:
        session: open session; the event commits with the caller's transaction.
        case, exhibit: where the event belongs (``exhibit`` must be in ``case``).
        action: a :class:`CustodyAction`.
        actor: who records the event; it is signed with their key.
        occurred_at: aware datetime of the event, or None for "now" (taken after
            the chain is locked, so concurrent writers stay in time order).
        occurred_tz: IANA zone the time was given in (kept for display).
        signer: an unlocked key of ``actor``; else ``passphrase`` (or
            ``$SEALBAG_KEY_PASSPHRASE``) unlocks the actor's active key.
        released_by, received_by, purpose, location_from, location_to, storage_ref,
        seal_number, seal_intact, new_seal_number, hash_algorithm, hash_value,
        hash_match, remarks: the S12 columns.
        attachments: SHA-256 (hex) of photos or scans kept in the evidence store.
        corrects: an earlier event of this chain that this one corrects.
        exception: justification; when given, a continuity violation is recorded
            as a flagged exception instead of being refused.
        details: extra facts (hashes of what an engine produced, tool versions).
        update_identity: for a ``correction``: sign the exhibit's current
            identity (description, identifiers, seals, seizure) into the chain,
            after its record was corrected. The first event always carries it.

    Returns:
        The new :class:`CustodyEvent` (flushed, not committed).

    Raises:
        IntegrityError: the event breaks a continuity rule and no exception
            justification was given.
        UserInputError: bad values, unknown zone, naive time, wrong key.
        NotFoundError: the actor has no signing key.
    """
    try:
        action = CustodyAction(action)
    except ValueError as exc:
        choices = ", ".join(a.value for a in CustodyAction)
        raise UserInputError(f"unknown custody action {action!r}; use one of {choices}") from exc
    if exhibit.case_id != case.id:
        raise UserInputError(f"exhibit {exhibit.exhibit_id} is not in case {case.reference}")
    if occurred_at is not None and (occurred_at.tzinfo is None or occurred_at.utcoffset() is None):
        raise UserInputError("the event time needs a time zone (e.g. 2026-11-23T10:00+05:30)")
    _check_zone(occurred_tz)
    if hash_algorithm is not None:
        hash_algorithm = hash_algorithm.strip().lower()
        if hash_algorithm not in HASH_ALGORITHMS:
            raise UserInputError(f"unknown hash algorithm {hash_algorithm!r}; use one of "
                                 + ", ".join(sorted(HASH_ALGORITHMS)))
    if hash_value is not None:
        hash_value = hash_value.strip().lower()
        problem = digest_problem(hash_algorithm, hash_value)
        if problem:
            raise UserInputError(problem)
    attachment_hashes = [str(a).strip().lower() for a in attachments]
    for digest in attachment_hashes:
        if not is_sha256_hex(digest):
            raise UserInputError(f"attachment reference {digest!r} is not a SHA-256 hex digest")
    extra = dict(details or {})
    if IDENTITY_KEY in extra:
        raise UserInputError(f"details may not set {IDENTITY_KEY}; Sealbag records it")
    if update_identity and action is not CustodyAction.CORRECTION:
        raise UserInputError("only a correction event can update the exhibit's signed identity")
    if action is CustodyAction.SEIZED:
        _check_seizure(exhibit, actor, received_by, seal_number, occurred_at)
    try:
        check_canonical_value(extra, "details")
    except ValueError as exc:
        raise UserInputError(str(exc)) from exc
    if corrects is not None and corrects.exhibit_id != exhibit.id:
        raise UserInputError("a correction must reference an event of the same exhibit")
    key = _signer_for(session, actor, signer, passphrase)
    justification = _text(exception, "exception")

    fields: dict[str, Any] = {
        "type": EVENT_TYPE,
        "version": EVENT_VERSION,
        "case": case.reference,
        "exhibit": exhibit.exhibit_id,
        "action": action.value,
        "occurred_at": format_time(occurred_at) if occurred_at is not None else None,
        "occurred_tz": occurred_tz,
        "actor": person_record(actor),
        "released_by": person_record(released_by),
        "received_by": person_record(received_by),
        "purpose": _text(purpose, "purpose"),
        "location_from": _text(location_from, "location_from"),
        "location_to": _text(location_to, "location_to"),
        "storage_ref": _text(storage_ref, "storage_ref"),
        "seal_number": _text(seal_number, "seal_number", 64),
        "seal_intact": seal_intact,
        "new_seal_number": _text(new_seal_number, "new_seal_number", 64),
        "hash_algorithm": hash_algorithm,
        "hash_value": hash_value,
        "hash_match": hash_match,
        "remarks": _text(remarks, "remarks"),
        "attachments": attachment_hashes,
        "corrects": (
            {"sequence": corrects.sequence, "entry_hash": corrects.entry_hash}
            if corrects is not None
            else None
        ),
        "details": extra,
        "signer": key.fingerprint,
    }
    for attempt in range(WRITE_ATTEMPTS):
        _lock_chain(session, exhibit)
        row = _build_row(session, case, exhibit, actor, released_by, received_by, corrects,
                         fields, key, justification, occurred_tz, update_identity)
        try:
            with session.begin_nested():
                session.add(row)
        except sa_exc.IntegrityError:
            # Another writer took this sequence number between our read and insert.
            if attempt == WRITE_ATTEMPTS - 1:
                raise
            continue
        record_audit(
            session, "custody.record", target_type="custody_event",
            target_id=f"{exhibit.exhibit_id}#{row.sequence}", case_id=case.id,
            person_id=actor.id,
            details={"action": row.action.value, "entry_hash": row.entry_hash,
                     "exception": row.exception_flag},
        )
        return row
    raise AssertionError("unreachable")


def _check_seizure(
    exhibit: Exhibit, actor: Person, received_by: Person | None, seal_number: str | None,
    occurred_at: datetime | None,
) -> None:
    """A seizure event must agree with the exhibit's recorded seizure (who, seal, when)."""
    seized_at = exhibit.seized_at
    if seized_at is not None and seized_at.tzinfo is None:
        seized_at = seized_at.replace(tzinfo=UTC)
    if seized_at is not None and (
        occurred_at is None or abs((occurred_at - seized_at).total_seconds()) > SEIZURE_SLACK_S
    ):
        raise UserInputError(
            f"exhibit {exhibit.exhibit_id} was seized at {format_time(seized_at)}; the seizure "
            "event must be dated then (give --at), or correct the exhibit first"
        )
    takers = {actor.id} | ({received_by.id} if received_by is not None else set())
    if exhibit.seized_by_id is not None and exhibit.seized_by_id not in takers:
        raise UserInputError(
            f"exhibit {exhibit.exhibit_id} was seized by person #{exhibit.seized_by_id}; the "
            "seizure event must be recorded or received by them (correct the exhibit first)"
        )
    seals = [str(n) for n in exhibit.seal_numbers or []]
    if seal_number and seals and seal_number.strip() not in seals:
        raise UserInputError(
            f"seal {seal_number.strip()} is not among the exhibit's seal numbers "
            f"({', '.join(seals)})"
        )


def _build_row(
    session: Session,
    case: Case,
    exhibit: Exhibit,
    actor: Person,
    released_by: Person | None,
    received_by: Person | None,
    corrects: CustodyEvent | None,
    fields: dict[str, Any],
    key: UnlockedKey,
    justification: str | None,
    occurred_tz: str,
    update_identity: bool,
) -> CustodyEvent:
    state = chain_state(session, exhibit)
    if state.count == 0 or update_identity:
        identity = exhibit_identity(session, exhibit)
        try:
            check_canonical_value(identity, IDENTITY_KEY)
        except ValueError as exc:
            raise UserInputError(f"exhibit {exhibit.exhibit_id}: {exc}") from exc
        fields = dict(fields, details={**fields["details"], IDENTITY_KEY: identity})
    derived_from, parent_time = None, None
    if state.count == 0 and exhibit.parent_id is not None:
        parent = session.get(Exhibit, exhibit.parent_id)
        parent_state = chain_state(session, parent) if parent is not None else ChainState()
        if parent is not None and parent_state.count:
            derived_from = {
                "exhibit": parent.exhibit_id,
                "sequence": parent_state.count,
                "entry_hash": parent_state.head,
            }
            parent_time = parent_state.times[parent_state.count]
    recorded_at = utcnow()
    event = dict(
        fields,
        occurred_at=fields["occurred_at"] or format_time(recorded_at),
        sequence=state.count + 1,
        prev_hash=state.head,
        derived_from=derived_from,
        recorded_at=format_time(recorded_at),
        exception=False,
        exception_justification=None,
        violations=[],
    )
    problems = continuity_violations(state, event, parent_time)
    if problems:
        if justification is None:
            raise IntegrityError(
                f"refused: {fields['action']} of {exhibit.exhibit_id} breaks the chain of "
                f"custody: {'; '.join(problems)} (record it anyway with an exception "
                "justification, e.g. --exception \"why\")"
            )
        event.update(exception=True, exception_justification=justification, violations=problems)
    data = canonical_bytes(event)
    digest = entry_hash(data)
    return CustodyEvent(
        case_id=case.id,
        exhibit_id=exhibit.id,
        sequence=event["sequence"],
        action=CustodyAction(event["action"]),
        occurred_at=datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")),
        occurred_tz=occurred_tz,
        recorded_at=recorded_at,
        actor_id=actor.id,
        released_by_id=released_by.id if released_by else None,
        received_by_id=received_by.id if received_by else None,
        purpose=event["purpose"],
        location_from=event["location_from"],
        location_to=event["location_to"],
        storage_ref=event["storage_ref"],
        seal_number=event["seal_number"],
        seal_intact=event["seal_intact"],
        new_seal_number=event["new_seal_number"],
        hash_algorithm=event["hash_algorithm"],
        hash_value=event["hash_value"],
        hash_match=event["hash_match"],
        remarks=event["remarks"],
        corrects_event_id=corrects.id if corrects is not None else None,
        exception_flag=event["exception"],
        exception_justification=event["exception_justification"],
        attachments=list(event["attachments"]),
        details=dict(event["details"]),
        canonical=data.decode("utf-8"),
        prev_hash=event["prev_hash"],
        entry_hash=digest,
        key_fingerprint=key.fingerprint,
        signature=key.sign(data),
    )


def record_system_event(
    session: Session,
    exhibit: Exhibit,
    action: CustodyAction | str,
    *,
    actor: Person | None,
    details: Mapping[str, Any],
    signer: UnlockedKey | None = None,
    passphrase: str | None = None,
    hash_algorithm: str | None = None,
    hash_value: str | None = None,
    hash_match: bool | None = None,
    remarks: str | None = None,
    occurred_at: datetime | None = None,
    exception: str | None = None,
) -> CustodyEvent:
    """Record an event produced by an engine (imaging, verification, catalog, export, bundle).

    Call it in the same transaction as the state change it describes. ``details``
    carries the hashes of what the engine produced, e.g.
    ``{"engine": "imaging", "image_sha256": "...", "acquisition_id": 7}``.

    The event is signed by ``actor`` when their key is at hand (``signer``,
    ``passphrase``, or ``$SEALBAG_KEY_PASSPHRASE`` with a key on file); otherwise
    by this workstation's key, with the workstation as actor and ``actor`` kept
    as ``details["operator"]``.

    Args:
        session: open session.
        exhibit: the exhibit concerned (its case is taken from it).
        action: usually imaged, verified, catalogued, exported or reported.
        actor: the examiner running the job (or None for unattended jobs).
        details: engine facts; must be canonical-JSON safe (no floats).
        signer / passphrase: as in :func:`record_event`.
        hash_algorithm, hash_value, hash_match: the re-verified hash, if any.
        remarks: free text.
        occurred_at: when it happened (default: now, taken when the chain is locked).
        exception: justification to record a continuity violation as an exception.

    Returns:
        The new event.

    Raises:
        As :func:`record_event`.
    """
    case = session.get(Case, exhibit.case_id)
    if case is None:
        raise NotFoundError(f"exhibit {exhibit.exhibit_id} has no case")
    facts = {"automatic": True, **dict(details)}
    signing_actor = actor
    secret = passphrase if passphrase is not None else passphrase_from_env()
    if signer is None:
        if actor is not None and secret is not None and _has_key(session, actor):
            signer = unlock_person_key(session, actor, secret)
        else:
            signer = workstation_signer(session)
            signing_actor = workstation_person(session)
            if actor is not None:
                facts["operator"] = person_record(actor)
    if signing_actor is None:
        raise UserInputError("a signing key was given without the person it belongs to")
    return record_event(
        session,
        case=case,
        exhibit=exhibit,
        action=action,
        actor=signing_actor,
        occurred_at=occurred_at,
        occurred_tz=case.time_zone or "UTC",
        signer=signer,
        hash_algorithm=hash_algorithm,
        hash_value=hash_value,
        hash_match=hash_match,
        remarks=remarks,
        exception=exception,
        details=facts,
    )


def _has_key(session: Session, person: Person) -> bool:
    return session.scalar(
        select(SigningKey.id).where(
            SigningKey.person_id == person.id, SigningKey.revoked_at.is_(None)
        ).limit(1)
    ) is not None


__all__ = [
    "IDENTITY_KEY",
    "CustodyStatus",
    "chain_events",
    "chain_state",
    "custody_status",
    "exhibit_identity",
    "person_record",
    "record_event",
    "record_system_event",
]


def find_event(session: Session, exhibit: Exhibit, sequence: int) -> CustodyEvent:
    """Event number ``sequence`` of the exhibit's chain.

    Raises:
        NotFoundError: the chain has no such event.
    """
    event = session.scalar(
        select(CustodyEvent).where(
            CustodyEvent.exhibit_id == exhibit.id, CustodyEvent.sequence == sequence
        )
    )
    if event is None:
        raise NotFoundError(f"{exhibit.exhibit_id} has no custody event #{sequence}")
    return event


def case_custody_status(session: Session, case: Case) -> list[CustodyStatus]:
    """Custody status of every exhibit of ``case``, in exhibit order."""
    exhibits = session.scalars(
        select(Exhibit).where(Exhibit.case_id == case.id).order_by(Exhibit.exhibit_id)
    )
    return [custody_status(session, exhibit) for exhibit in exhibits]
