"""Demo custody export in the ledger's format (``docs/custody.md``), signed with fixed keys.

The keys are derived from fixed seeds so the demo export is byte-for-byte reproducible; they are
published demo keys and prove nothing outside the demo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from forensics.custody.canonical import EVENT_FIELDS, ZERO_HASH, encode_canonical, entry_hash


def _utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DemoSigner:
    """A person of the demo ledger with a deterministic Ed25519 key."""

    def __init__(self, ref: int, name: str, designation: str, id_number: str) -> None:
        self.person = {
            "person_ref": ref,
            "name": name,
            "designation": designation,
            "id_number": id_number,
        }
        seed = hashlib.sha256(f"sealbag demo custody key {id_number}".encode()).digest()
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_hex = raw.hex()
        self.fingerprint = hashlib.sha256(raw).hexdigest()

    def key_record(self) -> dict[str, Any]:
        return {
            "type": "key",
            "version": 1,
            "algorithm": "ed25519",
            "fingerprint": self.fingerprint,
            "public_key": self.public_hex,
            "person": self.person,
            "created_at": "2026-01-01T00:00:00.000000Z",
            "revoked_at": None,
        }

    def sign(self, data: bytes) -> str:
        return self._key.sign(data).hex()


def ledger_export(
    case_reference: str, chains: dict[str, Sequence[dict[str, Any]]], exported_at: str
) -> list[dict[str, Any]]:
    """Header, key records and signed events for ``chains`` (exhibit -> event specs).

    Each event spec gives ``signer`` (a :class:`DemoSigner`), ``action``, ``at`` (ISO time with
    offset), ``tz`` and any event member to set; the rest default to null/empty.
    """
    signers: dict[str, DemoSigner] = {}
    events: list[dict[str, Any]] = []
    heads: dict[str, dict[str, Any]] = {}
    for exhibit, specs in chains.items():
        previous = ZERO_HASH
        for sequence, spec in enumerate(specs, 1):
            signer: DemoSigner = spec["signer"]
            signers[signer.fingerprint] = signer
            event: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
            event.update(
                {
                    "type": "custody-event",
                    "version": 1,
                    "case": case_reference,
                    "exhibit": exhibit,
                    "sequence": sequence,
                    "prev_hash": previous,
                    "occurred_at": _utc(spec["at"]),
                    "occurred_tz": spec["tz"],
                    "recorded_at": _utc(
                        (datetime.fromisoformat(spec["at"]) + timedelta(minutes=2)).isoformat()
                    ),
                    "actor": signer.person,
                    "attachments": [],
                    "exception": False,
                    "violations": [],
                    "details": {},
                    "signer": signer.fingerprint,
                }
            )
            event.update({k: v for k, v in spec.items() if k not in ("signer", "at", "tz")})
            data = encode_canonical(event)
            event["entry_hash"] = entry_hash(data)
            event["signature"] = signer.sign(data)
            previous = event["entry_hash"]
            events.append(event)
        heads[exhibit] = {"sequence": len(specs), "entry_hash": previous}
    keys = [s.key_record() for s in signers.values()]
    exporter = next(iter(signers.values()))  # a key that signed events signs the header
    header: dict[str, Any] = {
        "type": "custody-export",
        "version": 2,
        "case": case_reference,
        "exhibits": list(chains),
        "heads": heads,
        "keys": {k["fingerprint"]: hashlib.sha256(encode_canonical(k)).hexdigest() for k in keys},
        "exported_at": _utc(exported_at),
        "generator": "Sealbag demo",
        "verifier": "standalone_verifier.py",
        "signer": exporter.fingerprint,
    }
    header["signature"] = exporter.sign(encode_canonical(header))
    return [header, *keys, *events]
