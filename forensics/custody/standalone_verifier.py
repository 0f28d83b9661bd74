#!/usr/bin/env python3
"""Check a Sealbag ``custody.jsonl`` chain-of-custody export, without Sealbag.

Usage: ``python standalone_verifier.py custody.jsonl [--json]``
Exit status: 0 when every chain holds, 1 when one is broken (the first broken
entry and the reason are printed), 2 when the file cannot be read.

Needs only the Python standard library (3.9+) and the ``cryptography`` package.
The format it checks is described in Sealbag's ``docs/custody.md``:

* each event's ``entry_hash`` is SHA-256 over its canonical JSON (UTF-8, keys
  sorted, separators ``,`` and ``:``, no ASCII escaping) without the
  ``entry_hash`` and ``signature`` members;
* ``signature`` is Ed25519 over those same canonical bytes, by the key whose
  fingerprint (SHA-256 of the raw 32-byte public key) is the event's ``signer``,
  and that key belongs to the event's ``actor``;
* events of one exhibit form a chain: sequence 1, 2, 3 ... and each
  ``prev_hash`` is the previous event's ``entry_hash`` (64 zeros for the first);
* the continuity rules hold, unless the event is a flagged exception with a
  justification;
* every line is exactly the canonical JSON of its record (no duplicate members,
  no floats), the first line is the export header, signed by a key in the file,
  and it names each chain's head and the SHA-256 of each key line.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO_HASH = "0" * 64
FUTURE_SLACK = timedelta(minutes=5)
TRANSFERS = ("transferred", "checked-out", "checked-in", "returned")
HANDS_ON = ("examined", "imaged", "seal-checked", "sealed")
DIGESTS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128, "blake2b": 128, "sha3-256": 64}
HEADER_KEYS = frozenset(("type", "version", "case", "exhibits", "heads", "keys", "exported_at",
                         "generator", "verifier", "signer", "signature"))
EVENT_KEYS = frozenset((
    "type", "version", "case", "exhibit", "sequence", "prev_hash", "derived_from", "action",
    "occurred_at", "occurred_tz", "recorded_at", "actor", "released_by", "received_by",
    "purpose", "location_from", "location_to", "storage_ref", "seal_number", "seal_intact",
    "new_seal_number", "hash_algorithm", "hash_value", "hash_match", "remarks", "attachments",
    "corrects", "exception", "exception_justification", "violations", "details", "signer",
))


class Broken(Exception):
    """A check failed; the message says which and why, ``where`` says where."""

    def __init__(self, reason, **where):
        super().__init__(reason)
        self.where = where


def signature_ok(public_hex, signature, data):
    try:
        if not is_hex(signature, 128):
            return False
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature), data)
    except InvalidSignature:
        return False
    return True


def canonical_bytes(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hidden(o):
    """Code points that must not reach a terminal raw: controls, bidi and format
    characters, line separators, surrogates, private use."""
    return (o < 0x20 or 0x7F <= o <= 0x9F or o in (0xAD, 0x61C, 0x180E, 0xFEFF)
            or (0x200B <= o <= 0x200F and o != 0x200D) or 0x2028 <= o <= 0x202E
            or 0x2060 <= o <= 0x206F or 0xD800 <= o <= 0xF8FF or 0xFFF9 <= o <= 0xFFFB
            or o >= 0xE0000)


def shown(text):
    """Text safe for a terminal: hidden characters as visible <U+XXXX> escapes."""
    return "".join(f"<U+{ord(c):04X}>" if hidden(ord(c)) else c for c in str(text))


def no_duplicates(pairs):
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("duplicate member")
    return dict(pairs)


def no_float(text):
    raise ValueError(f"number {text} is not an integer")


def safe_int(text):
    if abs(int(text)) > 2**53 - 1:
        raise ValueError(f"integer {text} is too large")
    return int(text)


def strict_loads(line):
    return json.loads(line, object_pairs_hook=no_duplicates, parse_float=no_float,
                      parse_constant=no_float, parse_int=safe_int)


def parse_time(value):
    if not isinstance(value, str) or len(value) != 27 or not value.endswith("Z"):
        raise Broken(f"time {value!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise Broken(f"time {value!r} is not a valid date and time") from None


def is_hex(value, length):
    return (
        isinstance(value, str) and len(value) == length
        and all(c in "0123456789abcdef" for c in value)
    )


def person_ref(person):
    return person["person_ref"] if isinstance(person, dict) else None


def name_of(person):
    if not person:
        return "nobody"
    extra = ", ".join(str(x) for x in (person.get("designation"), person.get("id_number")) if x)
    return f"{person.get('name')} ({extra})" if extra else str(person.get("name"))


def performer(ev):
    """The operator named in an automatic (workstation-signed) event, else the actor."""
    details = ev["details"]
    if isinstance(details, dict) and details.get("automatic") is True \
            and isinstance(details.get("operator"), dict):
        return details["operator"]
    return ev["actor"]


class Chain:
    """The running state of one exhibit's chain while it is checked."""

    def __init__(self):
        self.count = 0
        self.head = ZERO_HASH
        self.last_time = None
        self.seized = False
        self.holder = None
        self.out = False
        self.closed = None
        self.hashes = {}
        self.times = {}


def continuity_violations(chain, ev, parent_time):
    """The custody rules this event breaks (same rules Sealbag enforces on write)."""
    found = []
    action = ev["action"]
    occurred, recorded = parse_time(ev["occurred_at"]), parse_time(ev["recorded_at"])
    released, received = ev["released_by"], ev["received_by"]
    if chain.count == 0:
        if ev["derived_from"] is None and action != "seized":
            found.append("the first event of an exhibit must be its seizure "
                         "(or, for a derived item, link to its parent)")
        if parent_time is not None and occurred < parent_time:
            found.append("it precedes the parent exhibit's event it derives from")
    else:
        if ev["derived_from"] is not None:
            found.append("only the first event of a chain may link to a parent exhibit")
        if action == "seized" and chain.seized:
            found.append("the exhibit was already seized")
        if occurred < chain.last_time:
            found.append(f"time goes backwards: {ev['occurred_at']} is before the previous "
                         f"event ({chain.last_time.strftime('%Y-%m-%dT%H:%M:%S.%fZ')})")
    if occurred > recorded + FUTURE_SLACK:
        found.append("it occurred after it was recorded (a time in the future)")
    if chain.closed and action not in ("note", "correction"):
        found.append(f"the exhibit was already {chain.closed}; "
                     "only notes and corrections may follow")
    if action in TRANSFERS and (released is None or received is None):
        found.append(f"'{action}' needs both released_by and received_by")
    if action == "disposed" and released is None:
        found.append("'disposed' needs released_by: the person holding the exhibit")
    handler = performer(ev)
    if action in HANDS_ON and chain.count and chain.holder is not None \
            and person_ref(handler) != person_ref(chain.holder):
        found.append(f"{action} by {name_of(handler)}, but the exhibit was held by "
                     f"{name_of(chain.holder)} (check it out to them first)")
    algorithm, value = ev["hash_algorithm"], ev["hash_value"]
    if value is not None and not (isinstance(value, str) and is_hex(value, len(value)) and value):
        found.append("the hash value must be lower-case hexadecimal")
    elif value is not None and (not isinstance(algorithm, str) or algorithm not in DIGESTS):
        found.append("a hash value needs a known hash algorithm (" + ", ".join(DIGESTS) + ")")
    elif value is not None and len(value) != DIGESTS[algorithm]:
        found.append(f"the hash value is not a {algorithm} digest ({DIGESTS[algorithm]} hex "
                     "digits)")
    if (action in TRANSFERS or action == "disposed") and released is not None \
            and chain.holder is not None and person_ref(released) != person_ref(chain.holder):
        found.append(f"released by {name_of(released)}, but the exhibit was held by "
                     f"{name_of(chain.holder)}")
    if action == "checked-out" and chain.out:
        found.append("it is already checked out")
    if action == "checked-in" and not chain.out:
        found.append("checked in, but it was not checked out")
    if action in ("transferred", "returned", "disposed") and chain.out:
        found.append("the exhibit is checked out; check it in first")
    if action == "seal-checked" and (ev["seal_number"] is None or ev["seal_intact"] is None):
        found.append("a seal check needs the seal number and whether it was intact")
    if action == "verified" and (ev["hash_value"] is None or ev["hash_match"] is None):
        found.append("a verification needs the hash value and whether it matched")
    if ev["hash_match"] is not None and ev["hash_value"] is None:
        found.append("a hash match result needs the hash value")
    if action == "correction" and ev["corrects"] is None:
        found.append("a correction must reference the event it corrects")
    corrects = ev["corrects"]
    if corrects is not None and chain.hashes.get(corrects.get("sequence")) != corrects.get(
        "entry_hash"
    ):
        found.append("it corrects an event that is not earlier in this chain")
    return found


def advance(chain, ev, entry_hash):
    """Move the chain state past an accepted event."""
    action, occurred = ev["action"], parse_time(ev["occurred_at"])
    if chain.count == 0 or action == "seized":
        chain.holder = ev["received_by"] or performer(ev)
    elif action in TRANSFERS and ev["received_by"] is not None:
        chain.holder = ev["received_by"]
    chain.seized = chain.seized or action == "seized"
    if action == "checked-out":
        chain.out = True
    elif action in ("checked-in", "returned", "disposed"):
        chain.out = False
    if action in ("returned", "disposed"):
        chain.closed = action
    chain.last_time = occurred if chain.last_time is None else max(chain.last_time, occurred)
    chain.count += 1
    chain.head = entry_hash
    chain.hashes[ev["sequence"]] = entry_hash
    chain.times[ev["sequence"]] = occurred


def check_key(rec, keys):
    if not {"fingerprint", "public_key", "algorithm", "person"} <= set(rec):
        raise Broken("key record lacks fingerprint, public_key, algorithm or person")
    if rec["algorithm"] != "ed25519" or not is_hex(rec["public_key"], 64):
        raise Broken("key record is not a 32-byte Ed25519 public key in hex")
    if hashlib.sha256(bytes.fromhex(rec["public_key"])).hexdigest() != rec["fingerprint"]:
        raise Broken("key fingerprint is not the SHA-256 of its public key")
    if not isinstance(rec["person"], dict) or type(rec["person"].get("person_ref")) is not int:
        raise Broken("key record does not name its owner")
    parse_time(rec["created_at"])
    if rec["revoked_at"] is not None:
        parse_time(rec["revoked_at"])
    known = keys.get(rec["fingerprint"])
    if known is not None and known != rec:
        raise Broken("two different records for the same key")
    keys[rec["fingerprint"]] = rec


def check_event(ev, entry_hash, signature, chain, chains, keys):
    if set(ev) != EVENT_KEYS or ev["version"] != 1:
        raise Broken("not a version 1 custody event (members missing or unknown)")
    for field in ("actor", "released_by", "received_by"):
        person = ev[field]
        if person is not None and (not isinstance(person, dict)
                                   or type(person.get("person_ref")) is not int):
            raise Broken(f"{field} is not a person record")
    if ev["actor"] is None:
        raise Broken("the event has no actor")
    if type(ev["sequence"]) is not int or ev["sequence"] != chain.count + 1:
        raise Broken(f"sequence {ev['sequence']} where {chain.count + 1} was expected "
                     "(an event is missing, duplicated or out of order)")
    if ev["prev_hash"] != chain.head:
        raise Broken("prev_hash is not the previous event's entry_hash")
    if hashlib.sha256(canonical_bytes(ev)).hexdigest() != entry_hash:
        raise Broken("entry_hash does not match the event's content (the event was altered)")
    key = keys.get(ev["signer"])
    if key is None:
        raise Broken(f"signed by an unknown key {str(ev['signer'])[:16]}...")
    if key["person"]["person_ref"] != ev["actor"]["person_ref"]:
        raise Broken(f"signed with a key of {name_of(key['person'])}, not of the actor "
                     f"{name_of(ev['actor'])}")
    if ev["recorded_at"] < key["created_at"]:
        raise Broken("recorded before its signing key was created")
    if key["revoked_at"] is not None and ev["recorded_at"] >= key["revoked_at"]:
        raise Broken("signed with a key after it was revoked")
    if not signature_ok(key["public_key"], signature, canonical_bytes(ev)):
        raise Broken("the signature does not verify")
    parent_time = None
    link = ev["derived_from"]
    if chain.count == 0 and link is not None:
        parent = chains.get((ev["case"], link.get("exhibit")))
        if parent is not None:
            if parent.hashes.get(link.get("sequence")) != link.get("entry_hash"):
                raise Broken(f"links to an event that is not in the chain of {link.get('exhibit')}")
            parent_time = parent.times[link["sequence"]]
    found = continuity_violations(chain, ev, parent_time)
    if ev["exception"] is not True and found:
        raise Broken("continuity: " + "; ".join(found))
    if ev["exception"] is True and not (ev["exception_justification"] or "").strip():
        raise Broken("flagged as an exception without a justification")
    advance(chain, ev, entry_hash)


def check_header(header, keys, key_lines, signers):
    if set(header) != HEADER_KEYS or header["version"] != 2:
        raise Broken("the export header is not a signed version 2 header (members missing or "
                     "unknown; exports from before signed headers must be made again)")
    key = keys.get(header["signer"])
    if key is None:
        raise Broken("the export header is signed by a key that is not in the file")
    body = {k: v for k, v in header.items() if k != "signature"}
    if not signature_ok(key["public_key"], header["signature"], canonical_bytes(body)):
        raise Broken("the export header signature does not verify (the header was altered)")
    if header["signer"] not in signers and not str(
            key["person"].get("id_number") or "").startswith("sealbag-ws:"):
        raise Broken("the export header is signed by a key that signed no event in the file "
                     "and is not a Sealbag workstation key")
    if header["keys"] != {fp: hashlib.sha256(line.encode()).hexdigest()
                          for fp, line in key_lines.items()}:
        raise Broken("the key records differ from those the export header lists "
                     "(a key was added, removed or altered)")
    if not isinstance(header["heads"], dict):
        raise Broken("the export header has no heads")


def check_all(lines, report):
    """Check every line; raises :class:`Broken` (with ``where``) at the first failure."""
    keys, chains, key_lines, records = {}, {}, {}, []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = strict_loads(line)
            exact = isinstance(rec, dict) and canonical_bytes(rec) == line.encode()
        except (ValueError, RecursionError) as exc:  # also lone surrogates in escapes
            raise Broken(f"not a valid custody record ({exc})", line=number) from None
        if not isinstance(rec, dict):
            raise Broken("not a JSON object", line=number)
        if not exact:
            raise Broken("the line is not in canonical form (it was edited)", line=number,
                         exhibit=rec.get("exhibit"), sequence=rec.get("sequence"))
        records.append((number, rec))
    if not records or records[0][1].get("type") != "custody-export":
        raise Broken("the first line is not the export header", line=1)
    for number, rec in records[1:]:
        if rec.get("type") == "custody-export":
            raise Broken("a second export header", line=number)
        if rec.get("type") == "key":
            if isinstance(rec.get("fingerprint"), str) and rec["fingerprint"] in key_lines:
                raise Broken("a key is listed twice", line=number)
            try:
                check_key(rec, keys)
            except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
                raise Broken(f"malformed key record ({type(exc).__name__})", line=number) from None
            except Broken as exc:
                raise Broken(str(exc), line=number) from None
            key_lines[rec["fingerprint"]] = canonical_bytes(rec).decode()
    for number, rec in records[1:]:
        kind = rec.get("type")
        where = {"line": number, "exhibit": rec.get("exhibit"), "sequence": rec.get("sequence")}
        if kind == "key":
            continue
        if kind != "custody-event":
            raise Broken(f"unknown record type {kind!r}", **where)
        ev = dict(rec)
        entry_hash, signature = ev.pop("entry_hash", None), ev.pop("signature", None)
        chain = chains.setdefault((ev.get("case"), ev.get("exhibit")), Chain())
        try:
            check_event(ev, entry_hash, signature, chain, chains, keys)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise Broken(f"malformed event ({type(exc).__name__})", entry_hash=entry_hash,
                         **where) from None
        except Broken as exc:
            raise Broken(str(exc), entry_hash=entry_hash, **where) from None
        if ev["exception"]:
            report["exceptions"].append(dict(where, justification=ev["exception_justification"],
                                             violations=ev["violations"]))
        link = ev["derived_from"]
        if ev["sequence"] == 1 and link and (ev["case"], link.get("exhibit")) not in chains:
            report["warnings"].append(f"{ev['exhibit']}: parent chain {link.get('exhibit')} is "
                                      "not in this file; the derivation link was not checked")
        report["events"] += 1
    for (case, exhibit), chain in chains.items():
        report["chains"][exhibit] = {"case": case, "events": chain.count, "head": chain.head}
    header = records[0][1]
    try:
        check_header(header, keys, key_lines,
                     {r.get("signer") for _, r in records if r.get("type") == "custody-event"})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Broken(f"malformed export header ({type(exc).__name__})", line=1) from None
    except Broken as exc:
        raise Broken(str(exc), line=1) from None
    heads = header["heads"]
    for exhibit in set(heads) | set(report["chains"]):
        mine, head = report["chains"].get(exhibit), heads.get(exhibit)
        if not isinstance(head, dict) or mine is None or mine["events"] != head.get(
                "sequence") or mine["head"] != head.get("entry_hash"):
            raise Broken("the chain does not end at the head named in the export header "
                         "(events were removed or added)", line=1, exhibit=exhibit)
    report["header_signer"] = {"fingerprint": header["signer"],
                               "person": keys[header["signer"]]["person"]}


def verify_lines(lines):
    """Check every record; returns a report dict (``valid`` says whether all holds)."""
    report = {"valid": False, "events": 0, "chains": {}, "exceptions": [], "warnings": [],
              "first_broken": None, "header_signer": None}
    try:
        check_all(lines, report)
    except Broken as exc:
        report["first_broken"] = dict(exc.where, reason=str(exc))
        return report
    report["valid"] = True
    return report


def main(argv):
    args = [a for a in argv if a != "--json"]
    if len(args) != 1:
        print("usage: python standalone_verifier.py custody.jsonl [--json]", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as fh:
            report = verify_lines(fh.read().split("\n"))
    except (OSError, UnicodeDecodeError) as exc:
        print(shown(f"cannot read {args[0]}: {exc}"), file=sys.stderr)
        return 2
    if "--json" in argv:
        print(json.dumps(report, indent=2, sort_keys=True))
    elif report["valid"]:
        for exhibit, chain in sorted(report["chains"].items()):
            print(shown(f"OK {exhibit}: {chain['events']} events, head {chain['head']}"))
        for item in report["exceptions"]:
            print(shown(f"flagged exception {item['exhibit']} #{item['sequence']}: "
                        f"{item['justification']}"))
        for warning in report["warnings"]:
            print(shown(f"warning: {warning}"))
        signer = report["header_signer"]
        print(shown(f"export header signed by {name_of(signer['person'])}, key "
                    f"{signer['fingerprint']}; compare it with the fingerprint you were given"))
    else:
        bad = report["first_broken"]
        print(shown(f"BROKEN at line {bad['line']} (exhibit {bad.get('exhibit')}, event "
                    f"#{bad.get('sequence')}): {bad['reason']}"))
    return 0 if report["valid"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
