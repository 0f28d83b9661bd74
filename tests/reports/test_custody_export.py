"""Custody events as the ledger exports them (its own field names) print and check alike."""

from __future__ import annotations

import dataclasses

from forensics.custody.canonical import ZERO_HASH, encode_canonical
from reports.custody_chain import (
    chain_events,
    continuity_problems,
    custody_jsonl,
    gap_entries,
    verify_chain,
)
from reports.custody_view import view
from reports.package import build_bundle
from reports.pdfcheck import page_texts
from tests.reports.conftest import small_input, squeeze

LEDGER_EVENTS = [
    {
        "exhibit_id": "EX-001",
        "sequence": 1,
        "action": "seized",
        "occurred_at": "2026-01-20T05:30:00+00:00",
        "occurred_tz": "Asia/Kolkata",
        "received_by": {"name": "SI R. Verma", "designation": "Sub-Inspector", "id_number": "4411"},
        "seal_number": "SEAL-0001",
        "seal_intact": True,
    },
    {
        "exhibit_id": "EX-001",
        "sequence": 2,
        "action": "checked-out",
        "occurred_at": "2026-01-20T12:30:00+00:00",
        "occurred_tz": "Asia/Kolkata",
        "released_by": {"name": "SI R. Verma", "designation": "Sub-Inspector", "id_number": "4411"},
        "received_by": {"name": "Dr. P. Nair", "designation": "Scientific Officer"},
        "purpose": "imaging",
        "seal_number": "SEAL-0001",
        "seal_intact": True,
    },
    {
        "exhibit_id": "EX-001",
        "sequence": 3,
        "action": "checked-in",
        "occurred_at": "2026-01-21T07:00:00+00:00",
        "occurred_tz": "Asia/Kolkata",
        "released_by": {"name": "Dr. P. Nair", "designation": "Scientific Officer"},
        "received_by": {"name": "SI R. Verma", "designation": "Sub-Inspector", "id_number": "4411"},
        "hash_algorithm": "SHA-256",
        "hash_value": "ab" * 32,
        "hash_match": True,
    },
]


def test_view_maps_ledger_names():
    row = view(LEDGER_EVENTS[2], 2)
    assert row["entry_no"] == "C-EX-001-03"
    assert row["at"] == "2026-01-21T12:30:00+05:30"
    assert row["released_by"] == "Dr. P. Nair · Scientific Officer"
    assert row["hash_verified"] == f"SHA-256 {'ab' * 32}"
    assert row["hash_match"] == "Y"


def test_chain_and_continuity():
    chained = chain_events(LEDGER_EVENTS)
    assert chained[0]["prev_hash"] == ZERO_HASH
    assert chained[1]["prev_hash"] == chained[0]["entry_hash"]
    assert verify_chain(chained).ok
    assert continuity_problems(chained, ["EX-001"]) == []
    assert custody_jsonl(chained).count(b"\n") == 3
    assert custody_jsonl(chained).splitlines()[0] == encode_canonical(chained[0])
    broken = [dict(e) for e in LEDGER_EVENTS]
    broken[2]["released_by"] = {"name": "Somebody Else"}
    assert gap_entries(broken) == {"C-EX-001-03"}
    assert any("released by 'Somebody Else'" in p for p in continuity_problems(broken, ["EX-001"]))


def test_bundle_prints_ledger_events_and_gap_warning(tmp_path):
    inp = small_input("IN-EVIDENCE")
    events = [dict(e) for e in LEDGER_EVENTS]
    events[2]["released_by"] = {"name": "Somebody Else"}
    events += [dict(e, exhibit_id="EX-002") for e in LEDGER_EVENTS]
    case = dataclasses.replace(inp.case_data, custody_events=tuple(chain_events(events)))
    result = build_bundle(dataclasses.replace(inp, case_data=case, draft=True), tmp_path / "b")
    text = squeeze("\n".join(page_texts(result.pdf_path).values()))
    assert squeeze("CUSTODY GAP: released by someone other than the previous receiver") in text
    assert squeeze("21/01/2026 12:30:00 IST") in text
    assert any("C-EX-001-03" in str(p) for p in result.problems)
