"""Random tampering of exported custody events: both verifiers must catch every one.

One chain is built and exported once; each tampering works on an in-memory copy
of the exported lines. ``SEALBAG_CUSTODY_TAMPERS`` sets how many (default 1,000).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from forensics.custody import export_custody
from forensics.custody import standalone_verifier as standalone
from forensics.custody.canonical import canonical_bytes, entry_hash
from forensics.custody.keys import fingerprint_of
from forensics.custody.verify import verify_lines
from forensics.database.models import Exhibit
from tests.custody.conftest import make_ledger
from tests.custody.test_ledger import add

TAMPERS = int(os.environ.get("SEALBAG_CUSTODY_TAMPERS", "1000"))
HEX = "0123456789abcdef"


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes_any(obj):
    return dumps(obj).encode("utf-8")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """An exported case: EX-001 (10 events, one flagged exception) and EX-001.1 (4 events)."""
    folder = tmp_path_factory.mktemp("tamper")
    led = make_ledger(f"sqlite:///{folder / 'case.db'}")
    with led.db.session() as s:
        case, parent, _ = led.load(s)
        add(s, led, "seized", "asha", 0, received_by="asha", seal_number="S-1",
            location_to="Flat 3B")
        add(s, led, "sealed", "asha", 1, seal_number="S-1", remarks="bag sealed — signed ✓")
        add(s, led, "transferred", "ben", 30, released_by="asha", received_by="ben",
            location_from="Flat 3B", location_to="Malkhana", storage_ref="R4")
        add(s, led, "checked-out", "chen", 60, released_by="ben", received_by="chen",
            purpose="imaging")
        add(s, led, "seal-checked", "chen", 61, seal_number="S-1", seal_intact=True)
        add(s, led, "imaged", "chen", 90, hash_algorithm="sha256", hash_value="ab" * 32,
            hash_match=True, details={"image_sha256": "ab" * 32, "segments": [1, 2]})
        child = Exhibit(case_id=case.id, exhibit_id="EX-001.1", parent_id=parent.id,
                        description="E01 image of EX-001")
        s.add(child)
        s.flush()
        add(s, led, "imaged", "chen", 91, exhibit=child, hash_algorithm="sha256",
            hash_value="ab" * 32, hash_match=True)
        add(s, led, "verified", "chen", 92, exhibit=child, hash_algorithm="sha256",
            hash_value="ab" * 32, hash_match=True)
        add(s, led, "checked-in", "ben", 120, released_by="chen", received_by="ben")
        add(s, led, "note", "ben", 119, remarks="entered late", exception="typed from paper log")
        add(s, led, "examined", "chen", 200, exhibit=child, attachments=["cd" * 32])
        add(s, led, "exported", "chen", 210, exhibit=child, details={"export_sha256": "ef" * 32})
        wrong = add(s, led, "note", "ben", 300, remarks="seal S-9")
        add(s, led, "correction", "ben", 301, corrects=wrong, remarks="seal is S-1")
        chen = led.keys[led.people["chen"]]  # the examiner signs the export header
        result = export_custody(s, case, folder / "out" / "custody.jsonl", signer=chen)
    keys = dict(led.keys)
    led.db.close()
    lines = result.path.read_text(encoding="utf-8").splitlines()
    return result, lines, keys


def event_rows(lines):
    return [i for i, line in enumerate(lines) if json.loads(line)["type"] == "custody-event"]


def mutate_value(value, rng):
    if isinstance(value, bool):
        return rng.choice([not value, None, int(value)])
    if isinstance(value, int):
        return rng.choice([value + rng.randint(1, 3), value - 1, str(value), None])
    if isinstance(value, str):
        if value and all(c in HEX for c in value):
            i = rng.randrange(len(value))
            return value[:i] + rng.choice([c for c in HEX if c != value[i]]) + value[i + 1:]
        options = [value + " ", value.upper() if value != value.upper() else value + "X", None]
        if value:
            options.append(value[:-1])
        return rng.choice(options)
    if value is None:
        return rng.choice(["x", 0, False, [], {}])
    if isinstance(value, list):
        return [*value, "x"] if not value or rng.random() < 0.5 else value[:-1]
    if isinstance(value, dict):
        if value and rng.random() < 0.5:
            victim = rng.choice(sorted(value))
            return {k: v for k, v in value.items() if k != victim}
        return {**value, "tampered": 1}
    raise AssertionError(type(value))


def paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from paths(value, (*prefix, index))


def set_path(obj, path, value):
    if not path:
        return value
    target = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return obj


def get_path(obj, path):
    for step in path:
        obj = obj[step]
    return obj


def resign(event, key):
    """Recompute entry_hash and signature of ``event`` (a full export record) with ``key``."""
    body = {k: v for k, v in event.items() if k not in ("entry_hash", "signature")}
    data = canonical_bytes(body)
    event["entry_hash"] = entry_hash(data)
    event["signature"] = key.sign(data).hex()
    return event


def key_line(private, person):
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return dumps({"type": "key", "version": 1, "algorithm": "ed25519",
                  "fingerprint": fingerprint_of(public), "public_key": public.hex(),
                  "person": person, "created_at": "2026-01-01T00:00:00.000000Z",
                  "revoked_at": None})


def tamper(lines, rng, keys):
    """Return (kind, tampered lines) for one random tampering of the events."""
    rows = event_rows(lines)
    new = list(lines)
    kind = rng.choice(["field", "field", "field", "delete", "reorder", "insert",
                       "swap-signatures", "resign-other-key", "resign-foreign-key", "header",
                       "key-line", "cut-tail"])
    if kind == "header":
        header = json.loads(new[0])
        path = rng.choice([p for p in paths(header) if p and p != ("type",)])
        set_path(header, path, mutate_value(copy.deepcopy(get_path(header, path)), rng))
        new[0] = dumps(header)
    elif kind == "key-line":
        keys_at = [i for i, line in enumerate(new) if json.loads(line)["type"] == "key"]
        i = rng.choice(keys_at)
        record = json.loads(new[i])
        mode = rng.choice(["field", "delete", "duplicate", "plant"])
        if mode == "field":
            path = rng.choice([p for p in paths(record) if p and p != ("type",)])
            set_path(record, path, mutate_value(copy.deepcopy(get_path(record, path)), rng))
            new[i] = dumps(record)
        elif mode == "delete":
            del new[i]
        elif mode == "duplicate":
            new.insert(i, new[i])
        else:  # an unused key claiming to be one of the people
            new.insert(1, key_line(Ed25519PrivateKey.generate(), record["person"]))
    elif kind == "cut-tail":
        # drop a chain's newest event and make the header name the new head again,
        # re-signing the header with an outsider's key (planted) or leaving it unsigned
        header = json.loads(new[0])
        exhibit = rng.choice(sorted(header["heads"]))
        last = max(i for i in rows if json.loads(new[i])["exhibit"] == exhibit)
        record = json.loads(new[last])
        del new[last]
        previous = [json.loads(new[i]) for i in event_rows(new)
                    if json.loads(new[i])["exhibit"] == exhibit]
        header["heads"][exhibit] = {"sequence": record["sequence"] - 1,
                                    "entry_hash": previous[-1]["entry_hash"]}
        header.pop("signature")
        if rng.random() < 0.5:
            outsider = Ed25519PrivateKey.generate()
            pub = outsider.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            planted = key_line(outsider, record["actor"])
            new.insert(1, planted)
            header["keys"][fingerprint_of(pub)] = hashlib.sha256(planted.encode()).hexdigest()
            header["signer"] = fingerprint_of(pub)
            header["signature"] = outsider.sign(canonical_bytes_any(header)).hex()
        new[0] = dumps(header)
    elif kind == "field":
        i = rng.choice(rows)
        record = json.loads(new[i])
        path = rng.choice([p for p in paths(record) if p])
        set_path(record, path, mutate_value(copy.deepcopy(get_path(record, path)), rng))
        new[i] = dumps(record)
    elif kind == "delete":
        del new[rng.choice(rows)]
    elif kind == "reorder":
        by_chain = {}
        for i in rows:
            by_chain.setdefault(json.loads(new[i])["exhibit"], []).append(i)
        chain = rng.choice(sorted(by_chain))
        a, b = rng.sample(by_chain[chain], 2)
        new[a], new[b] = new[b], new[a]
    elif kind == "insert":
        source = new[rng.choice(rows)]
        if rng.random() < 0.5:
            new.insert(rng.randint(min(rows), len(new)), source)
        else:  # a forged event appended to its chain, signed by an outsider's key
            record = json.loads(source)
            chain = [json.loads(new[i]) for i in rows
                     if json.loads(new[i])["exhibit"] == record["exhibit"]]
            outsider = Ed25519PrivateKey.generate()
            record.update(sequence=chain[-1]["sequence"] + 1, prev_hash=chain[-1]["entry_hash"],
                          remarks="forged", occurred_at=chain[-1]["occurred_at"])
            new.insert(1, key_line(outsider, record["actor"]))
            pub = outsider.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            record["signer"] = fingerprint_of(pub)
            new.append(dumps(resign(record, outsider)))
    elif kind == "swap-signatures":
        a, b = rng.sample(rows, 2)
        ra, rb = json.loads(new[a]), json.loads(new[b])
        ra["signature"], rb["signature"] = rb["signature"], ra["signature"]
        new[a], new[b] = dumps(ra), dumps(rb)
    else:
        i = rng.choice(rows)
        record = json.loads(new[i])
        if rng.random() < 0.5:
            record["remarks"] = "altered after the fact"
        if kind == "resign-other-key":
            exported_keys = {json.loads(line).get("fingerprint") for line in new}
            others = [k for k in keys.values()
                      if k.fingerprint != record["signer"] and k.fingerprint in exported_keys]
            key = rng.choice(others)
            mode = rng.choice(["claim-signer", "keep-signer", "as-actor"])
            if mode != "keep-signer":
                record["signer"] = key.fingerprint
            if mode == "as-actor":
                actor = next(json.loads(line)["person"] for line in new
                             if json.loads(line)["type"] == "key"
                             and json.loads(line)["fingerprint"] == key.fingerprint)
                record["actor"] = actor
            new[i] = dumps(resign(record, key.private_key))
        else:
            outsider = Ed25519PrivateKey.generate()
            pub = outsider.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            record["signer"] = fingerprint_of(pub)
            if rng.random() < 0.5:  # also plant a key record claiming to be the actor
                new.insert(1, key_line(outsider, record["actor"]))
                i += 1
            new[i] = dumps(resign(record, outsider))
    return kind, new


def test_untampered_export_verifies_in_both_verifiers(exported):
    result, lines, _ = exported
    ours, theirs = verify_lines(lines), standalone.verify_lines(lines)
    assert ours.valid, ours.first_broken
    assert theirs["valid"], theirs["first_broken"]
    assert ours.events == theirs["events"] == 14
    assert {c.exhibit: c.head_hash for c in ours.chains} == {
        k: v["head"] for k, v in theirs["chains"].items()} == {
        k: v["entry_hash"] for k, v in result.heads.items()}
    assert len(ours.exceptions) == len(theirs["exceptions"]) == 1


@pytest.mark.slow
def test_random_tamperings_are_all_detected_by_both_verifiers(exported):
    _, lines, keys = exported
    rng = random.Random(20261123)
    kinds = Counter()
    for _ in range(TAMPERS):
        kind, tampered = tamper(lines, rng, keys)
        if tampered == lines:
            continue
        kinds[kind] += 1
        ours = verify_lines(tampered)
        theirs = standalone.verify_lines(tampered)
        assert not ours.valid, (kind, tampered)
        assert not theirs["valid"], (kind, tampered)
        assert ours.first_broken.line == theirs["first_broken"]["line"], (
            kind, ours.first_broken, theirs["first_broken"])
    assert sum(kinds.values()) >= TAMPERS * 0.98
    assert set(kinds) == {"field", "delete", "reorder", "insert", "swap-signatures",
                          "resign-other-key", "resign-foreign-key", "header", "key-line",
                          "cut-tail"}


def test_read_export_gives_the_exported_records(exported):
    from forensics.custody import read_export

    result, _, _ = exported
    contents = read_export(result.path)
    assert contents.header["heads"] == result.heads
    assert [e["sequence"] for e in contents.chain("EX-001.1")] == [1, 2, 3, 4]
    assert contents.chain("EX-001.1")[0]["derived_from"]["exhibit"] == "EX-001"
    assert len(contents.keys) == 3


def test_standalone_script_runs_without_sealbag(exported, tmp_path):
    result, lines, keys = exported
    script = result.verifier_path
    assert script.name == "standalone_verifier.py"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ""}
    ok = subprocess.run([sys.executable, "-I", str(script), str(result.path)],
                        capture_output=True, text=True, env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK EX-001: 10 events" in ok.stdout
    rng = random.Random(7)
    for n in range(12):
        _, tampered = tamper(lines, rng, keys)
        bad = tmp_path / f"bad{n}.jsonl"
        bad.write_text("\n".join(tampered) + "\n", encoding="utf-8")
        run = subprocess.run([sys.executable, "-I", str(script), str(bad)],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
        assert run.returncode == 1, run.stdout + run.stderr
        assert run.stdout.startswith("BROKEN at line ")


def test_standalone_verifier_imports_nothing_from_sealbag():
    import ast

    source = Path(standalone.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "hashlib", "json", "sys", "datetime", "cryptography"}
    # small enough to read in one sitting (it grew with the signed header and strict lines)
    assert len(source.splitlines()) < 480
