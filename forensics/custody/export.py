"""Exporting custody chains as ``custody.jsonl`` plus the standalone verifier.

Layout of the file (one JSON object per line, each in canonical form):

1. ``{"type": "custody-export", ...}``: case, exhibits, and each chain's head
   (sequence and entry_hash) at export time;
2. ``{"type": "key", ...}``: every public key that signed an exported event;
3. ``{"type": "custody-event", ...}``: the canonical events, chain by chain
   (parents before derived items), each with ``entry_hash`` and ``signature``.

``standalone_verifier.py`` is copied beside the file so it can be checked
without Sealbag.
"""

from __future__ import annotations

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

from forensics.custody.canonical import format_time
from forensics.custody.verify import _exhibits_to_check, ledger_keys, verify_chain
from forensics.database.base import utcnow
from forensics.database.models import Case, CustodyEvent, Exhibit
from forensics.errors import IntegrityError, NotFoundError, UserInputError

VERIFIER_NAME = "standalone_verifier.py"
VERIFIER_SOURCE = Path(__file__).with_name(VERIFIER_NAME)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    verifier_path: Path
    sha256: str
    events: int
    heads: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "verifier_path": str(self.verifier_path),
            "sha256": self.sha256,
            "events": self.events,
            "heads": self.heads,
        }


def _sealbag_version() -> str:
    try:
        return version("sealbag")
    except PackageNotFoundError:
        return "unknown"


def _line(obj: dict[str, Any]) -> bytes:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def export_custody(
    session: Session,
    case: Case,
    out_path: str | Path,
    exhibit_ids: Sequence[str] | None = None,
) -> ExportResult:
    """Write ``custody.jsonl`` for ``case`` (all exhibits, or the named ones and their parents).

    The database chains are verified first; a broken chain is not exported.

    Args:
        session: open session.
        case: the case.
        out_path: the ``.jsonl`` file to write (replaced atomically).
        exhibit_ids: exhibits to export; their ancestors come along so the
            derivation links verify offline.

    Returns:
        An :class:`ExportResult` with the file's SHA-256 and the head hashes.

    Raises:
        IntegrityError: a chain fails verification.
        NotFoundError: an exhibit is not in the case.
        UserInputError: the output folder cannot be written.
    """
    out = Path(out_path)
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
    header = {
        "type": "custody-export",
        "version": 1,
        "case": case.reference,
        "exhibits": [e.exhibit_id for e in exhibits if e.exhibit_id in heads],
        "heads": heads,
        "exported_at": format_time(utcnow()),
        "generator": f"Sealbag {_sealbag_version()}",
        "verifier": VERIFIER_NAME,
    }
    keys = ledger_keys(session, {e["signer"] for e in events})
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
    return ExportResult(
        path=out, verifier_path=verifier, sha256=digest.hexdigest(), events=len(events),
        heads=heads,
    )


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
