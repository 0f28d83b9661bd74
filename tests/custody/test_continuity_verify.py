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
from forensics.custody.canonical import ZERO_HASH, encode_canonical
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
        data = encode_canonical(event)  # unchecked, as a malicious writer would
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
    "disposed without releaser": [SEIZE, ("disposed", "asha", 1, {})],
    "examined by non-holder": [SEIZE, ("examined", "ben", 1, {})],
    "imaged by non-holder": [SEIZE, OUT, ("imaged", "chen", 3, {})],
    "seal-checked by non-holder": [SEIZE, ("seal-checked", "ben", 1,
                                           {"seal_number": "S1", "seal_intact": True})],
    "sealed by non-holder": [SEIZE, ("sealed", "chen", 1, {})],
    "automatic event for a non-holder": [SEIZE, ("imaged", "asha", 1, {"details": {
        "automatic": True, "operator": PEOPLE["ben"]}})],
    "short digest": [SEIZE, ("verified", "asha", 1, {"hash_algorithm": "sha256",
                                                     "hash_value": "ab", "hash_match": True})],
    "digest without algorithm": [SEIZE, ("verified", "asha", 1, {"hash_value": "ab" * 32,
                                                                 "hash_match": True})],
    "md5 digest named sha512": [SEIZE, ("note", "asha", 1, {"hash_algorithm": "sha512",
                                                            "hash_value": "ab" * 16})],
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
        # lone surrogates written as escapes cannot be encoded back to UTF-8
        [*good[:-1], canonical_line(good[-1]).replace('"remarks":null', '"remarks":"\\ud800"')],
        [canonical_line(good[0]).replace('"name":"asha"', '"name":"\\udfff"'), *good[1:]],
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


def test_hands_on_actions_by_the_holder_or_the_automatic_operator_are_continuous():
    steps = [SEIZE, ("sealed", "asha", 1, {}), ("seal-checked", "asha", 2,
                                                {"seal_number": "S1", "seal_intact": True}),
             ("checked-out", "ben", 3, {"released_by": "asha", "received_by": "ben"}),
             ("imaged", "chen", 4, {"details": {"automatic": True, "operator": PEOPLE["ben"]},
                                    "hash_algorithm": "md5", "hash_value": "ab" * 16}),
             ("examined", "ben", 5, {}),
             ("checked-in", "asha", 6, {"released_by": "ben", "received_by": "asha"}),
             ("disposed", "asha", 7, {"released_by": "asha"})]
    ours, theirs = both(key_lines() + chain(steps))
    assert ours.valid, ours.first_broken
    assert theirs["valid"], theirs["first_broken"]


def test_event_recorded_before_its_key_was_created_is_rejected_by_both():
    keys = [json.dumps({**json.loads(k), "created_at": "2026-03-04T00:00:00.000000Z"})
            for k in key_lines()]
    ours, theirs = both(keys + chain([SEIZE]))  # recorded 2026-03-02
    assert not ours.valid and not theirs["valid"]
    assert "before its signing key was created" in ours.first_broken.reason
    assert theirs["first_broken"]["reason"] == ours.first_broken.reason
    revoked_at_recording = [json.dumps({**json.loads(k),
                                        "revoked_at": "2026-03-02T00:00:00.000000Z"})
                            for k in key_lines()]
    ours, theirs = both(revoked_at_recording + chain([SEIZE]))
    assert not ours.valid and not theirs["valid"]
    assert "revoked" in ours.first_broken.reason


def test_duplicate_members_floats_and_spacing_are_refused_by_both():
    good = key_lines() + chain([SEIZE, ("note", "asha", 1, {"remarks": "real"})])
    signed = with_header(good)
    assert all(r for r in (verify_lines(signed).valid, standalone.verify_lines(signed)["valid"]))
    last = signed[-1]
    # JSON parsers keep the last of duplicate members: a forged first copy would be invisible
    duplicated = last.replace('"remarks":"real"', '"remarks":"forged","remarks":"real"')
    assert json.loads(duplicated) == json.loads(last)
    spaced = last.replace(",", ", ", 1)
    for line in (duplicated, spaced):
        ours, theirs = both([*signed[:-1], line])
        assert not ours.valid and not theirs["valid"], line
        assert ours.first_broken.line == theirs["first_broken"]["line"] == len(signed)
    floated = chain([SEIZE, ("note", "asha", 1, {"details": {"ratio": 1.5}})])
    ours, theirs = both(key_lines() + floated)
    assert not ours.valid and not theirs["valid"]
    assert "not an integer" in ours.first_broken.reason
    assert "not an integer" in theirs["first_broken"]["reason"]
    for value in ("1e400", "NaN", str(2**60)):
        line = last.replace('"details":{}', f'"details":{{"n":{value}}}')
        ours, theirs = both([*signed[:-1], line])
        assert not ours.valid and not theirs["valid"], value


def test_export_header_must_be_present_signed_and_by_a_known_key():
    lines = with_header(key_lines() + chain([SEIZE, ("note", "asha", 1, {})]))
    header = json.loads(lines[0])
    cut = [lines[0], *lines[1:-1]]
    shorter = {**header, "heads": {"EX-001": {"sequence": 1,
                                              "entry_hash": json.loads(lines[-2])["entry_hash"]}}}
    unsigned = {k: v for k, v in header.items() if k != "signature"}
    outsider = Ed25519PrivateKey.generate()
    resigned = {**shorter}
    resigned.pop("signature")
    resigned["signature"] = outsider.sign(encode_canonical(resigned)).hex()
    cases = {
        "no header": lines[1:],
        "tail cut, heads rewritten": [encode_canonical(shorter).decode(), *cut[1:]],
        "unsigned": [encode_canonical(unsigned).decode(), *lines[1:]],
        "signed by another key": [encode_canonical(resigned).decode(), *cut[1:]],
        "second header": [*lines, lines[0]],
    }
    for name, tampered in cases.items():
        ours, theirs = verify_lines(tampered), standalone.verify_lines(tampered)
        assert not ours.valid and not theirs["valid"], name
        assert ours.first_broken.line == theirs["first_broken"]["line"], name
        assert ours.first_broken.reason == theirs["first_broken"]["reason"], name


def test_header_signed_by_a_planted_key_that_signed_nothing_is_refused():
    steps = [SEIZE, ("note", "asha", 1, {})]
    lines = key_lines() + chain(steps)
    planted_private = Ed25519PrivateKey.generate()
    raw = planted_private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    planted = {"type": "key", "version": 1, "algorithm": "ed25519",
               "fingerprint": hashlib.sha256(raw).hexdigest(), "public_key": raw.hex(),
               "person": PEOPLE["asha"], "created_at": "2026-01-01T00:00:00.000000Z",
               "revoked_at": None}
    KEYS["planted"], PEOPLE["planted"] = planted_private, PEOPLE["asha"]
    try:
        signed = with_header([json.dumps(planted), *lines], signer="planted")
    finally:
        del KEYS["planted"], PEOPLE["planted"]
    ours, theirs = verify_lines(signed), standalone.verify_lines(signed)
    assert not ours.valid and not theirs["valid"]
    assert "signed no event" in ours.first_broken.reason
    assert theirs["first_broken"]["reason"] == ours.first_broken.reason


def test_key_lines_are_covered_by_the_header_signature():
    lines = with_header(key_lines() + chain([SEIZE]))
    key = json.loads(lines[2])  # ben's key signed nothing, so no event check involves it
    altered = encode_canonical({**key, "revoked_at": "2026-01-02T00:00:00.000000Z"}).decode()
    for tampered in ([*lines[:2], altered, *lines[3:]], [*lines[:2], *lines[3:]]):
        ours, theirs = verify_lines(tampered), standalone.verify_lines(tampered)
        assert not ours.valid and not theirs["valid"]
        assert "key records differ" in ours.first_broken.reason
        assert theirs["first_broken"]["reason"] == ours.first_broken.reason


def test_standalone_output_escapes_terminal_control_sequences(tmp_path, capsys):
    hostile = "EX-\x1b]0;pwned\x07\x1b[2J\u202e1"
    steps = [SEIZE, ("note", "asha", 1, {"exception": True,
                                        "exception_justification": "late \x1b[31mred",
                                        "remarks": "x"})]
    lines = with_header(key_lines() + chain(steps, exhibit=hostile))
    path = tmp_path / "custody.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert standalone.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "<U+001B>" in out and "<U+202E>" in out
    broken = [lines[0], *lines[1:-1]]  # tail cut: the failure line names the exhibit too
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    assert standalone.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.startswith("BROKEN")
