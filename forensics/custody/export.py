"""Exporting custody chains as ``custody.jsonl`` plus the standalone verifier.

Layout of the file (one JSON object per line, each in canonical form):

1. ``{"type": "custody-export", ...}``: case, exhibits, each chain's head
   (sequence and entry_hash) at export time, the SHA-256 of every key line,
   signed by the exporter's (default: this workstation's) key;
2. ``{"type": "key", ...}``: every public key that signed an exported event;
3. ``{"type": "custody-event", ...}``: the canonical events, chain by chain
   (parents before derived items), each with ``entry_hash`` and ``signature``.

``standalone_verifier.py`` is copied beside the file so it can be checked
without Sealbag.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forensics.custody.canonical import encode_canonical, format_time
from forensics.custody.keys import UnlockedKey
from forensics.custody.ledger import custody_status, record_system_event
from forensics.custody.verify import (
    HEADER_VERSION,
    _exhibits_to_check,
    ledger_keys,
    verify_chain,
)
from forensics.custody.workstation import workstation_signer
from forensics.database.base import utcnow
from forensics.database.enums import CustodyAction
from forensics.database.models import Case, CustodyEvent, Exhibit, Person
from forensics.errors import ConflictError, IntegrityError, NotFoundError, UserInputError

VERIFIER_NAME = "standalone_verifier.py"
VERIFIER_SOURCE = Path(__file__).with_name(VERIFIER_NAME)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    verifier_path: Path
    sha256: str
    events: int
    heads: dict[str, dict[str, Any]]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "verifier_path": str(self.verifier_path),
            "sha256": self.sha256,
            "events": self.events,
            "heads": self.heads,
            "warnings": list(self.warnings),
        }


def _sealbag_version() -> str:
    try:
        return version("sealbag")
    except PackageNotFoundError:
        return "unknown"


def _line(obj: dict[str, Any]) -> bytes:
    return encode_canonical(obj) + b"\n"


def export_custody(
    session: Session,
    case: Case,
    out_path: str | Path,
    exhibit_ids: Sequence[str] | None = None,
    *,
    signer: UnlockedKey | None = None,
    overwrite: bool = False,
    record_exported: bool = True,
) -> ExportResult:
    """Write ``custody.jsonl`` for ``case`` (all exhibits, or the named ones and their parents).

    The database chains are verified first; a broken chain is not exported.

    Args:
        session: open session.
        case: the case.
        out_path: the ``.jsonl`` file to write (atomically).
        exhibit_ids: exhibits to export; their ancestors come along so the
            derivation links verify offline.
        signer: the exporter's unlocked key to sign the header with (it must have
            signed one of the exported events); default this workstation's key.
        overwrite: replace an existing file (an earlier export is an anchor
            worth keeping, so this is off by default).
        record_exported: record an ``exported`` event (a ``note`` on a closed
            chain) per exported exhibit, carrying the file's SHA-256, in the
            caller's transaction.

    Returns:
        An :class:`ExportResult` with the file's SHA-256 and the head hashes.

    Raises:
        IntegrityError: a chain fails verification.
        NotFoundError: an exhibit is not in the case.
        ConflictError: ``out_path`` exists and ``overwrite`` is False.
        UserInputError: the output folder cannot be written, or ``signer`` signed no
            exported event.
    """
    out = Path(out_path)
    if out.exists() and not overwrite:
        raise ConflictError(
            f"{out} already exists; an earlier export is an anchor to keep (use --force to "
            "replace it, or choose another file name)"
        )
    chosen: dict[int, Exhibit] = {}
    for exhibit_id in exhibit_ids or [None]:
        for exhibit in _exhibits_to_check(session, case, exhibit_id):
            chosen[exhibit.id] = exhibit
    if not chosen:
        raise NotFoundError(f"case {case.reference} has no exhibits to export")
    ordered = _exhibits_to_check(session, case, None)
    exhibits = [e for e in ordered if e.id in chosen]
    for exhibit_id in exhibit_ids or [None]:
        report = verify_chain(session, case, exhibit_id)
        if not report.valid and report.first_broken is not None:
            raise IntegrityError(
                f"not exporting a broken custody chain: {report.first_broken.describe()}"
            )
    events: list[dict[str, Any]] = []
    heads: dict[str, dict[str, Any]] = {}
    for exhibit in exhibits:
        rows = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.exhibit_id == exhibit.id)
            .order_by(CustodyEvent.sequence)
        ).all()
        for row in rows:
            record = json.loads(row.canonical)
            record["entry_hash"] = row.entry_hash
            record["signature"] = row.signature
            events.append(record)
        if rows:
            heads[exhibit.exhibit_id] = {
                "sequence": rows[-1].sequence,
                "entry_hash": rows[-1].entry_hash,
            }
    if signer is not None and signer.fingerprint not in {e["signer"] for e in events}:
        # the verifiers trust a header key only if it signed an exported event (or is a
        # workstation's): otherwise anyone could re-sign a cut-down file with a fresh key
        raise UserInputError(
            "the export header must be signed by a key that signed one of the exported events, "
            "or by this workstation (omit --by)"
        )
    header_key = signer if signer is not None else workstation_signer(session)
    keys = ledger_keys(session, {e["signer"] for e in events} | {header_key.fingerprint})
    header: dict[str, Any] = {
        "type": "custody-export",
        "version": HEADER_VERSION,
        "case": case.reference,
        "exhibits": [e.exhibit_id for e in exhibits if e.exhibit_id in heads],
        "heads": heads,
        "keys": {k["fingerprint"]: hashlib.sha256(encode_canonical(k)).hexdigest() for k in keys},
        "exported_at": format_time(utcnow()),
        "generator": f"Sealbag {_sealbag_version()}",
        "verifier": VERIFIER_NAME,
        "signer": header_key.fingerprint,
    }
    header["signature"] = header_key.sign(encode_canonical(header))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(prefix=".custody-", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                for obj in (header, *keys, *events):
                    data = _line(obj)
                    digest.update(data)
                    fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, out)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        verifier = out.parent / VERIFIER_NAME
        shutil.copyfile(VERIFIER_SOURCE, verifier)
    except OSError as exc:
        raise UserInputError(f"cannot write the custody export to {out}: {exc.strerror}") from exc
    result = ExportResult(
        path=out, verifier_path=verifier, sha256=digest.hexdigest(), events=len(events),
        heads=heads,
    )
    if record_exported:
        warnings = _record_exported(session, [e for e in exhibits if e.exhibit_id in heads],
                                    result, signer)
        result = dataclasses.replace(result, warnings=tuple(warnings))
    return result


def _record_exported(
    session: Session, exhibits: list[Exhibit], result: ExportResult, signer: UnlockedKey | None
) -> list[str]:
    """One signed event per exported exhibit naming the export's SHA-256; returns warnings."""
    actor = session.get(Person, signer.person_id) if signer is not None else None
    warnings = []
    for exhibit in exhibits:
        closed = custody_status(session, exhibit).status in ("returned", "disposed")
        try:
            with session.begin_nested():
                record_system_event(
                    session, exhibit, CustodyAction.NOTE if closed else CustodyAction.EXPORTED,
                    actor=actor, signer=signer,
                    details={"engine": "custody-export", "export_sha256": result.sha256,
                             "export_name": result.path.name[:200], "events": result.events},
                    remarks="custody exported" + (" (exhibit already closed)" if closed else ""),
                )
        except (IntegrityError, UserInputError) as exc:
            # the file is written and valid; say why the ledger does not mention it
            warnings.append(f"{exhibit.exhibit_id}: 'exported' event not recorded: {exc}")
    return warnings


@dataclass(frozen=True)
class ExportContents:
    """The records of a ``custody.jsonl`` (for rendering S12 from the exact exported data)."""

    header: dict[str, Any] | None
    keys: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]

    def chain(self, exhibit_id: str) -> list[dict[str, Any]]:
        """The events of one exhibit, in sequence order."""
        return sorted((e for e in self.events if e.get("exhibit") == exhibit_id),
                      key=lambda e: e.get("sequence", 0))


def read_export(path: str | Path) -> ExportContents:
    """Parse a ``custody.jsonl`` without judging it (call ``verify_export`` for that).

    Raises:
        UserInputError: the file cannot be read or a line is not a JSON object.
    """
    path = Path(path)
    header, keys, events = None, [], []
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read custody export {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict):
            raise UserInputError(f"{path} line {number} is not a JSON object")
        kind = record.get("type")
        if kind == "custody-export":
            header = record
        elif kind == "key":
            keys.append(record)
        else:
            events.append(record)
    return ExportContents(header, tuple(keys), tuple(events))


__all__ = ["VERIFIER_NAME", "ExportContents", "ExportResult", "export_custody", "read_export"]
