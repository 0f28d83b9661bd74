"""Continuity rules at verification time, on chains signed by their rightful keys.

These chains are built without :func:`record_event` (as a buggy or malicious
writer would), so only the verifiers stand between them and a court.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from forensics.custody import standalone_verifier as standalone
from forensics.custody.canonical import ZERO_HASH, canonical_bytes, encode_canonical
from forensics.custody.verify import verify_lines

PEOPLE = {
    name: {"person_ref": i, "name": name, "designation": "SI", "id_number": f"B{i}"}
    for i, name in enumerate(["asha", "ben", "chen"], 1)
}
KEYS = {name: Ed25519PrivateKey.generate() for name in PEOPLE}


def fingerprint(name):
    raw = KEYS[name].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest(), raw.hex()


def key_lines():
    out = []
    for name, person in PEOPLE.items():
        fp, pub = fingerprint(name)
        out.append(json.dumps({"type": "key", "version": 1, "algorithm": "ed25519",
                               "fingerprint": fp, "public_key": pub, "person": person,
                               "created_at": "2026-01-01T00:00:00.000000Z",
                               "revoked_at": None}))
    return out


def chain(steps, exhibit="EX-001", derived_from=None):
    """Signed event lines for ``steps`` = [(action, actor, minute, extra fields)]."""
    lines, prev = [], ZERO_HASH
    for seq, (action, actor, minute, extra) in enumerate(steps, 1):
        event = {
            "type": "custody-event", "version": 1, "case": "C-1", "exhibit": exhibit,
            "sequence": seq, "prev_hash": prev, "derived_from": derived_from if seq == 1 else None,
            "action": action, "occurred_at": f"2026-03-01T10:{minute:02d}:00.000000Z",
            "occurred_tz": "UTC", "recorded_at": "2026-03-02T00:00:00.000000Z",
            "actor": PEOPLE[actor], "released_by": None, "received_by": None, "purpose": None,
            "location_from": None, "location_to": None, "storage_ref": None,
            "seal_number": None, "seal_intact": None, "new_seal_number": None,
            "hash_algorithm": None, "hash_value": None, "hash_match": None, "remarks": None,
            "attachments": [], "corrects": None, "exception": False,
            "exception_justification": None, "violations": [], "details": {},
            "signer": fingerprint(actor)[0],
        }
        for key, value in extra.items():
            event[key] = PEOPLE[value] if key in ("released_by", "received_by") else value
        data = canonical_bytes(event)
        digest = hashlib.sha256(data).hexdigest()
        lines.append(json.dumps({**event, "entry_hash": digest,
                                 "signature": KEYS[actor].sign(data).hex()}))
        prev = digest
    return lines


def canonical_line(line):
    try:
        return encode_canonical(json.loads(line)).decode("utf-8")
    except (ValueError, RecursionError):
        return line


def with_header(lines, signer="asha"):
    """``lines`` in canonical form behind a header signed by ``signer``'s key."""
    lines = [canonical_line(line) for line in lines]
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        records.append(record if isinstance(record, dict) else {})
    heads = {str(r.get("exhibit")): {"sequence": r.get("sequence"),
                                     "entry_hash": r.get("entry_hash")}
             for r in records if r.get("type") == "custody-event"}
    keys = {str(r.get("fingerprint")): hashlib.sha256(line.encode()).hexdigest()
            for r, line in zip(records, lines, strict=True) if r.get("type") == "key"}
    header = {"type": "custody-export", "version": 2, "case": "C-1", "exhibits": sorted(heads),
              "heads": heads, "keys": keys, "exported_at": "2026-03-03T00:00:00.000000Z",
              "generator": "test", "verifier": "standalone_verifier.py",
              "signer": fingerprint(signer)[0]}
    header["signature"] = KEYS[signer].sign(encode_canonical(header)).hex()
    return [encode_canonical(header).decode("utf-8"), *lines]


def both(lines):
    """Both verifiers on ``lines`` (given a signed header unless they start with one)."""
    try:
        has_header = json.loads(lines[0]).get("type") == "custody-export"
    except (ValueError, RecursionError, AttributeError):
        has_header = True  # hostile samples go in as they are
    if not has_header:
        lines = with_header(lines)
    ours, theirs = verify_lines(lines), standalone.verify_lines(lines)
    return ours, theirs


SEIZE = ("seized", "asha", 0, {"received_by": "asha"})
OUT = ("checked-out", "ben", 2, {"released_by": "asha", "received_by": "ben"})
VIOLATIONS = {
    "no seizure first": [("note", "asha", 0, {})],
    "backwards": [SEIZE, ("note", "asha", 5, {}), ("note", "asha", 4, {})],
    "second seizure": [SEIZE, ("seized", "ben", 1, {})],
    "broken transfer": [SEIZE, ("transferred", "chen", 1,
                                {"released_by": "ben", "received_by": "chen"})],
    "transfer half filled": [SEIZE, ("transferred", "ben", 1, {"received_by": "ben"})],
    "check-in without check-out": [SEIZE, ("checked-in", "asha", 1,
                                           {"released_by": "asha", "received_by": "asha"})],
    "transfer while out": [SEIZE, OUT, ("transferred", "chen", 3,
                                        {"released_by": "ben", "received_by": "chen"})],
    "double check-out": [SEIZE, OUT, ("checked-out", "chen", 3,
                                      {"released_by": "ben", "received_by": "chen"})],
    "after disposal": [SEIZE, ("disposed", "asha", 1, {"released_by": "asha"}),
                       ("examined", "asha", 2, {})],
    "seal check without result": [SEIZE, ("seal-checked", "asha", 1, {"seal_number": "S1"})],
    "future": [SEIZE, ("note", "asha", 1, {"recorded_at": "2026-03-01T09:00:00.000000Z"})],
    "correction of nothing": [SEIZE, ("correction", "asha", 1, {})],
    "bad correction link": [SEIZE, ("correction", "asha", 1,
                                    {"corrects": {"sequence": 1, "entry_hash": "ab" * 32}})],
    "late parent link": [SEIZE, ("note", "asha", 1, {"derived_from": {
        "exhibit": "EX-000", "sequence": 1, "entry_hash": "ab" * 32}})],
}


def test_continuous_chain_is_valid_in_both():
    steps = [SEIZE, OUT, ("imaged", "ben", 3, {"hash_algorithm": "sha256",
                                               "hash_value": "ab" * 32, "hash_match": True}),
             ("checked-in", "asha", 4, {"released_by": "ben", "received_by": "asha"}),
             ("returned", "asha", 5, {"released_by": "asha", "received_by": "chen"}),
             ("note", "chen", 6, {})]
    ours, theirs = both(key_lines() + chain(steps))
    assert ours.valid, ours.first_broken
    assert theirs["valid"], theirs["first_broken"]
    assert [c.status for c in ours.chains] == ["returned"]


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_violation_is_rejected_by_both_unless_flagged_with_justification(name):
    steps = VIOLATIONS[name]
    ours, theirs = both(key_lines() + chain(steps))
    assert not ours.valid and not theirs["valid"]
    assert ours.first_broken.reason.startswith("continuity: ")
    assert theirs["first_broken"]["reason"] == ours.first_broken.reason
    assert ours.first_broken.sequence == len(steps)

    action, actor, minute, extra = steps[-1]
    flagged = [*steps[:-1], (action, actor, minute, {**extra, "exception": True,
                                                     "exception_justification": "paper log"})]
    ours, theirs = both(key_lines() + chain(flagged))
    assert ours.valid and theirs["valid"]
    assert len(ours.exceptions) == len(theirs["exceptions"]) == 1

    unjustified = [*steps[:-1], (action, actor, minute, {**extra, "exception": True})]
    ours, theirs = both(key_lines() + chain(unjustified))
    assert not ours.valid and not theirs["valid"]
    assert "without a justification" in ours.first_broken.reason


def test_derived_chain_link_is_checked_when_parent_is_present():
    parent = chain([SEIZE, ("imaged", "asha", 3, {})])
    head = json.loads(parent[-1])
    link = {"exhibit": "EX-001", "sequence": 2, "entry_hash": head["entry_hash"]}
    child = chain([("imaged", "asha", 4, {})], exhibit="EX-001.1", derived_from=link)
    ours, theirs = both(key_lines() + parent + child)
    assert ours.valid and theirs["valid"]
    ours, theirs = both(key_lines() + child)  # parent absent: valid, with a warning
    assert ours.valid and theirs["valid"] and ours.warnings and theirs["warnings"]
    early = chain([("imaged", "asha", 1, {})], exhibit="EX-001.1", derived_from=link)
    ours, theirs = both(key_lines() + parent + early)
    assert not ours.valid and not theirs["valid"]
    assert "precedes the parent" in ours.first_broken.reason
    wrong = chain([("imaged", "asha", 4, {})], exhibit="EX-001.1",
                  derived_from={**link, "entry_hash": "cd" * 32})
    ours, theirs = both(key_lines() + parent + wrong)
    assert not ours.valid and not theirs["valid"]


def test_hostile_input_does_not_crash_either_verifier():
    good = key_lines() + chain([SEIZE])
    samples = [
        ["not json"], ["[1, 2]"], ['{"type": "custody-event"}'],
        [*good[:-1], json.dumps({**json.loads(good[-1]), "sequence": "1"})],
        [*good[:-1], json.dumps({**json.loads(good[-1]), "sequence": True})],
        [*good, '{"type":"key","fingerprint":5}'],
        [*good[:-1], json.dumps({**json.loads(good[-1]), "actor": "asha"})],
        [*good[:-1], json.dumps({**json.loads(good[-1]), "signature": None})],
        [*good[:-1], json.dumps({**json.loads(good[-1]), "corrects": [1]})],
        ['{"type":"custody-export","heads":{"EX-001":{"sequence":2}}}', *good],
        ["[" * 100_000 + "]" * 100_000],
        [*good[:-1], good[-1][:-1] + ',"details":' + '{"a":' * 900 + "1" + "}" * 901],
    ]
    for lines in samples:
        ours, theirs = both(lines)
        assert not ours.valid and not theirs["valid"], lines


def test_events_signed_after_key_revocation_are_rejected_by_both():
    keys = key_lines()
    revoked = [json.dumps({**json.loads(k), "revoked_at": "2026-03-01T12:00:00.000000Z"})
               for k in keys]
    lines = chain([SEIZE, ("note", "asha", 1, {})])  # recorded 2026-03-02, after revocation
    ours, theirs = both(revoked + lines)
    assert not ours.valid and not theirs["valid"]
    assert "revoked" in ours.first_broken.reason and "revoked" in theirs["first_broken"]["reason"]
    early = [json.dumps({**json.loads(k), "revoked_at": "2026-03-05T00:00:00.000000Z"})
             for k in keys]
    ours, theirs = both(early + lines)  # revoked later: old events stay valid
    assert ours.valid and theirs["valid"]
