"""Custody ledger: write rate, database verification, export, offline verification (SQLite).

``python -m bench.bench_custody [--events N] [--offline M]`` records N events on
one exhibit (one transaction each, WAL + synchronous=FULL), verifies the chain
in the database, exports it, then times both offline verifiers on a synthetic
M-event export.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import peak_rss_mb, write_table


def _synthetic_export(events: int) -> list[str]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from forensics.custody.canonical import (
        ZERO_HASH,
        canonical_bytes,
        encode_canonical,
        format_time,
    )

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    fingerprint = hashlib.sha256(public).hexdigest()
    person = {"person_ref": 1, "name": "Examiner", "designation": "SI", "id_number": "B-1"}
    key_line = encode_canonical({"type": "key", "version": 1, "algorithm": "ed25519",
                                 "fingerprint": fingerprint, "public_key": public.hex(),
                                 "person": person, "created_at": "2026-01-01T00:00:00.000000Z",
                                 "revoked_at": None}).decode()
    lines = [key_line]
    prev, start = ZERO_HASH, datetime(2026, 1, 2, tzinfo=UTC)
    for seq in range(1, events + 1):
        at = format_time(start + timedelta(seconds=seq))
        event = {
            "type": "custody-event", "version": 1, "case": "C-1", "exhibit": "EX-001",
            "sequence": seq, "prev_hash": prev, "derived_from": None,
            "action": "seized" if seq == 1 else "note", "occurred_at": at, "occurred_tz": "UTC",
            "recorded_at": at, "actor": person, "released_by": None, "received_by": person
            if seq == 1 else None, "purpose": None, "location_from": None, "location_to": None,
            "storage_ref": None, "seal_number": None, "seal_intact": None,
            "new_seal_number": None, "hash_algorithm": None, "hash_value": None,
            "hash_match": None, "remarks": f"entry {seq}", "attachments": [], "corrects": None,
            "exception": False, "exception_justification": None, "violations": [],
            "details": {}, "signer": fingerprint,
        }
        data = canonical_bytes(event)
        prev = hashlib.sha256(data).hexdigest()
        lines.append(encode_canonical({**event, "entry_hash": prev,
                                       "signature": key.sign(data).hex()}).decode())
    header = {"type": "custody-export", "version": 2, "case": "C-1", "exhibits": ["EX-001"],
              "heads": {"EX-001": {"sequence": events, "entry_hash": prev}},
              "keys": {fingerprint: hashlib.sha256(key_line.encode()).hexdigest()},
              "exported_at": format_time(start), "generator": "bench", "verifier": "-",
              "signer": fingerprint}
    header["signature"] = key.sign(encode_canonical(header)).hex()
    return [encode_canonical(header).decode(), *lines]


def run(events: int, offline: int) -> list[list[str]]:
    from forensics.custody import (
        export_custody,
        generate_key,
        record_event,
        unlock,
        verify_chain,
        verify_export,
    )
    from forensics.custody import standalone_verifier as standalone
    from forensics.custody.verify import verify_lines
    from forensics.database import open_database
    from forensics.database.models import Case, Exhibit, Person

    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with db.session() as s:
            case = Case(reference="BENCH-1", title="bench")
            person = Person(name="Examiner", id_number="B-1")
            s.add_all([case, person])
            s.flush()
            s.add(Exhibit(case_id=case.id, exhibit_id="EX-001", description="disk"))
            key = unlock(generate_key(s, person, "bench passphrase"), "bench passphrase")
        t0 = time.perf_counter()
        for n in range(events):
            with db.session() as s:
                case = s.get(Case, 1)
                record_event(
                    s, case=case, exhibit=s.get(Exhibit, 1),
                    action="seized" if n == 0 else "note", actor=s.get(Person, 1),
                    occurred_at=None, occurred_tz="UTC", signer=key, remarks=f"entry {n}",
                )
        write_s = time.perf_counter() - t0
        rows.append(["record_event (own transaction each)", f"{events:,} events",
                     f"{write_s:.1f} s", f"{events / write_s:,.0f} events/s"])
        with db.session() as s:
            t0 = time.perf_counter()
            report = verify_chain(s, s.get(Case, 1))
            verify_s = time.perf_counter() - t0
            assert report.valid
            t0 = time.perf_counter()
            result = export_custody(s, s.get(Case, 1), Path(tmp) / "custody.jsonl")
            export_s = time.perf_counter() - t0
        db.close()
        rows.append(["verify_chain (database)", f"{events:,} events", f"{verify_s:.2f} s",
                     f"{events / verify_s:,.0f} events/s"])
        rows.append(["export_custody (verifies first)", f"{events:,} events",
                     f"{export_s:.2f} s", ""])
        t0 = time.perf_counter()
        assert verify_export(result.path).valid
        rows.append(["verify_export", f"{events:,} events", f"{time.perf_counter() - t0:.2f} s",
                     ""])
    lines = _synthetic_export(offline)
    for label, check in (("verify_lines (Sealbag)", lambda: verify_lines(lines).valid),
                         ("standalone_verifier", lambda: standalone.verify_lines(lines)["valid"])):
        t0 = time.perf_counter()
        assert check()
        took = time.perf_counter() - t0
        rows.append([f"offline {label}", f"{offline:,} events", f"{took:.2f} s",
                     f"{offline / took:,.0f} events/s"])
    rows.append(["peak memory", "", f"{peak_rss_mb():.0f} MB", ""])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--offline", type=int, default=100_000)
    args = parser.parse_args(argv)
    write_table(
        "custody",
        f"Custody ledger, SQLite (WAL, synchronous=FULL), one exhibit of {args.events:,} events; "
        f"offline check of {args.offline:,}",
        ["operation", "size", "time", "rate"],
        run(args.events, args.offline),
        notes="Each write replays the exhibit's chain to check continuity, so the write cost "
        "grows with chain length; real exhibits have tens of events.",
    )


if __name__ == "__main__":
    main()
