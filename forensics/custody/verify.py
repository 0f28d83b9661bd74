"""Verifying custody chains: in the database, and in ``custody.jsonl`` exports.

Both paths feed the same :class:`ChainChecker`. The database path also checks
that each row's queryable columns say what its signed canonical JSON says, so
an edit made behind Sealbag's back (triggers dropped) is caught either way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.custody.canonical import (
    EVENT_FIELDS,
    EVENT_TYPE,
    EVENT_VERSION,
    canonical_bytes,
    encode_canonical,
    format_time,
    parse_time,
    strict_loads,
)
from forensics.custody.keys import fingerprint_of, key_record, verify_signature
from forensics.custody.ledger import IDENTITY_KEY, exhibit_identity, person_record
from forensics.custody.rules import ChainState, advance, continuity_violations
from forensics.database.models import Case, CustodyEvent, Exhibit, Person, SigningKey
from forensics.errors import NotFoundError, UserInputError

_FIELD_SET = frozenset(EVENT_FIELDS)
HEADER_VERSION = 2


class _Broken(Exception):
    pass


@dataclass(frozen=True)
class BrokenEntry:
    """The first entry that failed, and why."""

    exhibit: str | None
    sequence: int | None
    entry_hash: str | None
    reason: str
    line: int | None = None

    def describe(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}exhibit {self.exhibit} event #{self.sequence}: {self.reason}"


@dataclass(frozen=True)
class ChainSummary:
    exhibit: str
    events: int
    head_hash: str
    status: str


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of a verification; ``valid`` is True only if every check held."""

    valid: bool
    chains: tuple[ChainSummary, ...] = ()
    first_broken: BrokenEntry | None = None
    exceptions: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    header_signer: dict[str, Any] | None = None

    @property
    def events(self) -> int:
        return sum(c.events for c in self.chains)

    def head(self, exhibit: str) -> str | None:
        """Head hash of ``exhibit``'s chain (None if not in the report)."""
        return next((c.head_hash for c in self.chains if c.exhibit == exhibit), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "events": self.events,
            "chains": [asdict(c) for c in self.chains],
            "first_broken": asdict(self.first_broken) if self.first_broken else None,
            "exceptions": list(self.exceptions),
            "warnings": list(self.warnings),
            "header_signer": self.header_signer,
        }


@dataclass
class ChainChecker:
    """Checks events one by one against keys, hashes, signatures and continuity."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    chains: dict[tuple[str, str], ChainState] = field(default_factory=dict)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_key(self, record: dict[str, Any]) -> None:
        try:
            public_hex = record["public_key"]
            if record["algorithm"] != "ed25519" or len(public_hex) != 64:
                raise _Broken("key record is not a 32-byte Ed25519 public key")
            if fingerprint_of(bytes.fromhex(public_hex)) != record["fingerprint"]:
                raise _Broken("key fingerprint is not the SHA-256 of its public key")
            if type(record["person"]["person_ref"]) is not int:
                raise _Broken("key record does not name its owner")
            parse_time(record["created_at"])
            if record["revoked_at"] is not None:
                parse_time(record["revoked_at"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _Broken(f"malformed key record ({type(exc).__name__})") from exc
        known = self.keys.get(record["fingerprint"])
        if known is not None and known != record:
            raise _Broken("two different records for the same key")
        self.keys[record["fingerprint"]] = record

    def check(self, event: dict[str, Any], digest: Any, signature: Any) -> ChainState:
        """Check one event (with its stored hash and signature) and advance its chain."""
        try:
            return self._check(event, digest, signature)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise _Broken(f"malformed event ({type(exc).__name__})") from exc

    def _check(self, event: dict[str, Any], digest: Any, signature: Any) -> ChainState:
        if set(event) != _FIELD_SET or event["type"] != EVENT_TYPE:
            raise _Broken("not a custody event: members are missing or unknown")
        if event["version"] != EVENT_VERSION:
            raise _Broken(f"unsupported event version {event['version']!r}")
        for name in ("actor", "released_by", "received_by"):
            person = event[name]
            if person is not None and type(person.get("person_ref")) is not int:
                raise _Broken(f"{name} is not a person record")
        if event["actor"] is None:
            raise _Broken("the event has no actor")
        state = self.chains.setdefault((event["case"], event["exhibit"]), ChainState())
        if type(event["sequence"]) is not int or event["sequence"] != state.count + 1:
            raise _Broken(
                f"sequence {event['sequence']} where {state.count + 1} was expected "
                "(an event is missing, duplicated or out of order)"
            )
        if event["prev_hash"] != state.head:
            raise _Broken("prev_hash is not the previous event's entry_hash")
        data = canonical_bytes(event)
        if hashlib.sha256(data).hexdigest() != digest:
            raise _Broken("entry_hash does not match the event's content (the event was altered)")
        key = self.keys.get(event["signer"])
        if key is None:
            raise _Broken(f"signed by an unknown key {str(event['signer'])[:16]}")
        if key["person"]["person_ref"] != event["actor"]["person_ref"]:
            raise _Broken(
                f"signed with a key of {key['person'].get('name')}, not of the actor "
                f"{event['actor'].get('name')}"
            )
        if event["recorded_at"] < key["created_at"]:
            raise _Broken("recorded before its signing key was created")
        if key["revoked_at"] is not None and event["recorded_at"] >= key["revoked_at"]:
            raise _Broken("signed with a key after it was revoked")
        if not isinstance(signature, str) or not verify_signature(
            key["public_key"], data, signature
        ):
            raise _Broken("the signature does not verify")
        parent_time = None
        link = event["derived_from"]
        if state.count == 0 and link is not None:
            parent = self.chains.get((event["case"], link["exhibit"]))
            if parent is None:
                self.warnings.append(
                    f"{event['exhibit']}: parent chain {link['exhibit']} was not checked with "
                    "it; the derivation link was not verified"
                )
            elif parent.hashes.get(link["sequence"]) != link["entry_hash"]:
                raise _Broken(f"links to an event that is not in the chain of {link['exhibit']}")
            else:
                parent_time = parent.times[link["sequence"]]
        problems = continuity_violations(state, event, parent_time)
        if problems and event["exception"] is not True:
            raise _Broken("continuity: " + "; ".join(problems))
        if event["exception"] is True:
            if not (event["exception_justification"] or "").strip():
                raise _Broken("flagged as an exception without a justification")
            self.exceptions.append(
                {
                    "exhibit": event["exhibit"],
                    "sequence": event["sequence"],
                    "justification": event["exception_justification"],
                    "violations": event["violations"],
                }
            )
        advance(state, event, digest)
        return state

    def summaries(self) -> tuple[ChainSummary, ...]:
        return tuple(
            ChainSummary(exhibit=exhibit, events=s.count, head_hash=s.head, status=s.status)
            for (_case, exhibit), s in self.chains.items()
        )


# --- database -----------------------------------------------------------------------------


def _exhibits_to_check(session: Session, case: Case, exhibit_id: str | None) -> list[Exhibit]:
    exhibits = list(session.scalars(select(Exhibit).where(Exhibit.case_id == case.id)))
    by_id = {e.id: e for e in exhibits}
    if exhibit_id is not None:
        target = next((e for e in exhibits if e.exhibit_id == exhibit_id), None)
        if target is None:
            raise NotFoundError(f"no exhibit {exhibit_id} in case {case.reference}")
        chosen, node = [], target
        while node is not None:  # the exhibit and its ancestors (derivation links)
            chosen.append(node)
            node = by_id.get(node.parent_id) if node.parent_id else None
        exhibits = chosen

    def depth(e: Exhibit) -> int:
        n, node = 0, e
        while node.parent_id and node.parent_id in by_id and n < 64:
            node, n = by_id[node.parent_id], n + 1
        return n

    return sorted(exhibits, key=lambda e: (depth(e), e.exhibit_id))


def ledger_keys(session: Session, fingerprints: Iterable[str] | None = None) -> list[dict]:
    """Export records of the signing keys (all, or those with the given fingerprints)."""
    query = select(SigningKey).order_by(SigningKey.id)
    if fingerprints is not None:
        query = query.where(SigningKey.fingerprint.in_(sorted(set(fingerprints))))
    records = []
    for key in session.scalars(query):
        person = session.get(Person, key.person_id)
        records.append(key_record(key, person_record(person) or {"person_ref": key.person_id}))
    return records


def _column_mismatch(
    session: Session, row: CustodyEvent, event: dict[str, Any], case: Case, exhibit: Exhibit
) -> str | None:
    """Name the first column whose value differs from the signed canonical JSON."""
    def ref(person: dict[str, Any] | None) -> int | None:
        return person["person_ref"] if person else None

    corrects = None
    if row.corrects_event_id is not None:
        target = session.get(CustodyEvent, row.corrects_event_id)
        corrects = {"sequence": target.sequence, "entry_hash": target.entry_hash} if target else {}
    expected: dict[str, tuple[Any, Any]] = {
        "case": (case.reference, event["case"]),
        "exhibit": (exhibit.exhibit_id, event["exhibit"]),
        "sequence": (row.sequence, event["sequence"]),
        "action": (row.action.value, event["action"]),
        "occurred_at": (format_time(row.occurred_at), event["occurred_at"]),
        "occurred_tz": (row.occurred_tz, event["occurred_tz"]),
        "recorded_at": (format_time(row.recorded_at), event["recorded_at"]),
        "actor_id": (row.actor_id, ref(event["actor"])),
        "released_by_id": (row.released_by_id, ref(event["released_by"])),
        "received_by_id": (row.received_by_id, ref(event["received_by"])),
        "corrects_event_id": (corrects, event["corrects"]),
        "exception_flag": (row.exception_flag, event["exception"]),
        "prev_hash": (row.prev_hash, event["prev_hash"]),
        "key_fingerprint": (row.key_fingerprint, event["signer"]),
    }
    for name in (
        "purpose", "location_from", "location_to", "storage_ref", "seal_number", "seal_intact",
        "new_seal_number", "hash_algorithm", "hash_value", "hash_match", "remarks",
        "exception_justification", "attachments", "details",
    ):
        expected[name] = (getattr(row, name), event[name])
    for name, (column, signed) in expected.items():
        if column != signed and name in ("case", "exhibit"):
            return (f"the {name} is now {column!r} but the signed record says {signed!r} "
                    "(renamed or moved after it was signed)")
        if column != signed:
            return f"column {name} was changed: it differs from the signed record"
    return None


def _check_identity(
    session: Session, exhibit: Exhibit, signed: dict[str, Any] | None, checker: ChainChecker
) -> None:
    """Compare the exhibit row with the latest identity snapshot signed into its chain."""
    if signed is None:
        checker.warnings.append(
            f"{exhibit.exhibit_id}: its chain carries no signed identity snapshot (recorded "
            "before Sealbag kept one); its description and identifiers are not covered"
        )
        return
    current = exhibit_identity(session, exhibit)
    for name in sorted(set(current) | set(signed)):
        if current.get(name) != signed.get(name):
            raise _Broken(
                f"exhibit field {name} is now {current.get(name)!r} but the signed record says "
                f"{signed.get(name)!r} (edited without a signed correction)"
            )


def verify_chain(session: Session, case: Case, exhibit_id: str | None = None) -> VerifyReport:
    """Verify the custody chains of ``case`` (or one exhibit and its ancestors) in the database.

    Args:
        session: open session.
        case: the case.
        exhibit_id: limit to this exhibit (its parents are checked too).

    Returns:
        A :class:`VerifyReport` naming the first broken entry, if any.

    Raises:
        NotFoundError: no such exhibit in the case.
    """
    checker = ChainChecker()
    exhibits = _exhibits_to_check(session, case, exhibit_id)
    by_id = {e.id: e for e in session.scalars(select(Exhibit).where(Exhibit.case_id == case.id))}
    try:
        for record in ledger_keys(session):
            checker.add_key(record)
    except _Broken as exc:
        return VerifyReport(False, first_broken=BrokenEntry(None, None, None, str(exc)))
    for exhibit in exhibits:
        rows = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.exhibit_id == exhibit.id)
            .order_by(CustodyEvent.sequence, CustodyEvent.id)
        ).all()
        identity: dict[str, Any] | None = None
        for row in rows:
            where = (exhibit.exhibit_id, row.sequence, row.entry_hash)
            try:
                if row.case_id != case.id:
                    raise _Broken("the row belongs to another case")
                try:
                    event = strict_loads(row.canonical)
                except (ValueError, RecursionError) as exc:
                    raise _Broken("the stored canonical JSON does not parse") from exc
                if not isinstance(event, dict):
                    raise _Broken("the stored canonical JSON is not an object")
                try:
                    text = canonical_bytes(event).decode("utf-8")
                except (ValueError, RecursionError) as exc:
                    raise _Broken(f"the stored record is not canonical: {exc}") from exc
                if text != row.canonical:
                    raise _Broken("the stored record is not in canonical form (it was edited)")
                checker.check(event, row.entry_hash, row.signature)
                mismatch = _column_mismatch(session, row, event, case, exhibit)
                if mismatch:
                    raise _Broken(mismatch)
                link = event["derived_from"]
                parent = by_id.get(exhibit.parent_id) if exhibit.parent_id else None
                if link is not None and (parent is None or link["exhibit"] != parent.exhibit_id):
                    raise _Broken("the derivation link names an exhibit that is not its parent")
                if event["sequence"] == 1 or event["action"] == "correction":
                    identity = event["details"].get(IDENTITY_KEY, identity)
                if row is rows[-1]:
                    _check_identity(session, exhibit, identity, checker)
            except _Broken as exc:
                return VerifyReport(
                    False,
                    chains=checker.summaries(),
                    first_broken=BrokenEntry(*where, reason=str(exc)),
                    exceptions=tuple(checker.exceptions),
                    warnings=tuple(checker.warnings),
                )
    summaries = list(checker.summaries())
    present = {s.exhibit for s in summaries}
    summaries += [
        ChainSummary(e.exhibit_id, 0, "0" * 64, "no-record")
        for e in exhibits
        if e.exhibit_id not in present
    ]
    return VerifyReport(
        True,
        chains=tuple(summaries),
        exceptions=tuple(checker.exceptions),
        warnings=tuple(checker.warnings),
    )


# --- exports ------------------------------------------------------------------------------


HEADER_FIELDS = frozenset({
    "type", "version", "case", "exhibits", "heads", "keys", "exported_at", "generator",
    "verifier", "signer", "signature",
})
WORKSTATION_ID_PREFIX = "sealbag-ws:"


def _check_header(
    header: dict[str, Any], checker: ChainChecker, key_lines: dict[str, str],
    event_signers: set[str],
) -> None:
    """Refuse an export header that is unsigned, wrongly signed, or does not match the file."""
    if set(header) != HEADER_FIELDS or header["version"] != HEADER_VERSION:
        raise _Broken("the export header is not a signed version 2 header (members missing "
                      "or unknown; exports from before signed headers must be made again)")
    key = checker.keys.get(header["signer"])
    if key is None:
        raise _Broken("the export header is signed by a key that is not in the file")
    body = {k: v for k, v in header.items() if k != "signature"}
    if not isinstance(header["signature"], str) or not verify_signature(
        key["public_key"], encode_canonical(body), header["signature"]
    ):
        raise _Broken("the export header signature does not verify (the header was altered)")
    person = key["person"]
    if header["signer"] not in event_signers and not str(person.get("id_number") or "").startswith(
        WORKSTATION_ID_PREFIX
    ):
        raise _Broken("the export header is signed by a key that signed no event in the file "
                      "and is not a Sealbag workstation key")
    listed = header["keys"]
    if not isinstance(listed, dict) or listed != {
        fp: hashlib.sha256(line.encode("utf-8")).hexdigest() for fp, line in key_lines.items()
    }:
        raise _Broken("the key records differ from those the export header lists "
                      "(a key was added, removed or altered)")


def verify_lines(lines: Iterable[str]) -> VerifyReport:
    """Verify ``custody.jsonl`` content given as lines (see :func:`verify_export`).

    Every line must be the canonical JSON of its record (no duplicate members,
    no floats, no reordering or spacing), the first line the signed header.
    """
    checker = ChainChecker()
    records: list[tuple[int, dict[str, Any]]] = []
    key_lines: dict[str, str] = {}

    def fail(line: int | None, reason: str, rec: dict[str, Any] | None = None) -> VerifyReport:
        rec = rec or {}
        return VerifyReport(
            False,
            chains=checker.summaries(),
            first_broken=BrokenEntry(
                rec.get("exhibit"), rec.get("sequence"), rec.get("entry_hash"), reason, line
            ),
            exceptions=tuple(checker.exceptions),
            warnings=tuple(checker.warnings),
        )

    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = strict_loads(line)
        except (ValueError, RecursionError) as exc:
            return fail(number, f"not a valid custody record ({exc})")
        if not isinstance(rec, dict):
            return fail(number, "not a JSON object")
        try:
            canonical = encode_canonical(rec) == line.encode("utf-8")
        except ValueError:  # a lone surrogate written as an escape
            canonical = False
        if not canonical:
            return fail(number, "the line is not in canonical form (it was edited)", rec)
        records.append((number, rec))
    if not records or records[0][1].get("type") != "custody-export":
        return fail(1, "the first line is not the export header")
    header = records[0][1]
    for number, rec in records[1:]:
        kind = rec.get("type")
        if kind == "custody-export":
            return fail(number, "a second export header")
        if kind == "key":
            if isinstance(rec.get("fingerprint"), str) and rec["fingerprint"] in key_lines:
                return fail(number, "a key is listed twice")
            try:
                checker.add_key(rec)
            except _Broken as exc:
                return fail(number, str(exc))
            key_lines[rec["fingerprint"]] = encode_canonical(rec).decode("utf-8")
    for number, rec in records[1:]:
        kind = rec.get("type")
        if kind == "key":
            continue
        if kind != EVENT_TYPE:
            return fail(number, f"unknown record type {kind!r}", rec)
        event = dict(rec)
        digest, signature = event.pop("entry_hash", None), event.pop("signature", None)
        try:
            checker.check(event, digest, signature)
        except _Broken as exc:
            return fail(number, str(exc), rec)
    signers = {rec.get("signer") for _, rec in records if rec.get("type") == EVENT_TYPE}
    try:
        _check_header(header, checker, key_lines, signers)
    except _Broken as exc:
        return fail(1, str(exc))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return fail(1, f"malformed export header ({type(exc).__name__})")
    heads = header["heads"]
    chains = {s.exhibit: s for s in checker.summaries()}
    if not isinstance(heads, dict):
        return fail(1, "the export header has no heads")
    for exhibit in sorted(set(heads) | set(chains), key=str):
        head, mine = heads.get(exhibit), chains.get(exhibit)
        if (
            not isinstance(head, dict)
            or mine is None
            or head.get("sequence") != mine.events
            or head.get("entry_hash") != mine.head_hash
        ):
            return fail(
                1,
                "the chain does not end at the head named in the export header "
                "(events were removed or added)",
                {"exhibit": exhibit},
            )
    signer = checker.keys[header["signer"]]
    return VerifyReport(
        True,
        chains=checker.summaries(),
        exceptions=tuple(checker.exceptions),
        warnings=tuple(checker.warnings),
        header_signer={"fingerprint": header["signer"], "person": signer["person"]},
    )


def verify_export(path: str | Path) -> VerifyReport:
    """Verify a ``custody.jsonl`` export (used by the bundle builder).

    Returns:
        A :class:`VerifyReport`; ``report.head(exhibit)`` gives each head hash.

    Raises:
        UserInputError: the file cannot be read as UTF-8 text.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read custody export {path}: {exc}") from exc
    return verify_lines(text.split("\n"))


def compare_with_export(session: Session, case: Case, path: str | Path) -> BrokenEntry | None:
    """Check that every event of an earlier export is still in the database, unchanged.

    A hash chain cannot show that its newest events were removed; an export
    (or a bundle) delivered earlier is the anchor that can.

    Returns:
        The first event that is missing or different, or None when all are there.

    Raises:
        UserInputError: the export cannot be read.
    """
    report = verify_export(path)
    if not report.valid and report.first_broken is not None:
        return BrokenEntry(None, None, None, "the export itself is broken: "
                           + report.first_broken.describe())
    exhibits = {e.exhibit_id: e for e in
                session.scalars(select(Exhibit).where(Exhibit.case_id == case.id))}
    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("type") != EVENT_TYPE:
            continue
        if record["case"] != case.reference:
            return BrokenEntry(record["exhibit"], record["sequence"], record["entry_hash"],
                               f"the export is of case {record['case']}, not {case.reference}")
        exhibit = exhibits.get(record["exhibit"])
        row = None
        if exhibit is not None:
            row = session.scalars(select(CustodyEvent).where(
                CustodyEvent.exhibit_id == exhibit.id,
                CustodyEvent.sequence == record["sequence"])).first()
        if row is None:
            return BrokenEntry(record["exhibit"], record["sequence"], record["entry_hash"],
                               "this exported event is missing from the database (removed)")
        if row.entry_hash != record["entry_hash"]:
            return BrokenEntry(record["exhibit"], record["sequence"], row.entry_hash,
                               "the database event differs from the one exported earlier")
    return None


__all__ = [
    "BrokenEntry",
    "ChainChecker",
    "ChainSummary",
    "VerifyReport",
    "compare_with_export",
    "ledger_keys",
    "verify_chain",
    "verify_export",
    "verify_lines",
]
