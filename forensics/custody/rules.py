"""Continuity rules of a custody chain, applied on every write and on verification.

The rules read only canonical event dicts, so the same check runs on the
database, on an export, and (re-implemented) in the standalone verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from forensics.custody.canonical import ZERO_HASH, parse_time

# An event may be recorded a little before the wall clock of another workstation.
FUTURE_SLACK = timedelta(minutes=5)
TRANSFER_ACTIONS = frozenset({"transferred", "checked-out", "checked-in", "returned"})
CLOSING_ACTIONS = frozenset({"returned", "disposed"})
ALLOWED_AFTER_CLOSE = frozenset({"note", "correction"})
# Actions that need the exhibit in the hands of whoever performs them.
HANDS_ON_ACTIONS = frozenset({"examined", "imaged", "seal-checked", "sealed"})
DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128, "blake2b": 128,
                  "sha3-256": 64}
_HEX_DIGITS = frozenset("0123456789abcdef")


@dataclass
class ChainState:
    """Where an exhibit's chain stands after the events replayed so far."""

    count: int = 0
    head: str = ZERO_HASH
    last_time: datetime | None = None
    seized: bool = False
    holder: dict[str, Any] | None = None
    checked_out: bool = False
    closed: str | None = None
    last_location: str | None = None
    status_since: datetime | None = None
    hashes: dict[int, str] = field(default_factory=dict)
    times: dict[int, datetime] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``no-record``, ``in-custody``, ``checked-out``, ``returned`` or ``disposed``."""
        if self.count == 0:
            return "no-record"
        if self.closed:
            return self.closed
        return "checked-out" if self.checked_out else "in-custody"


def _ref(person: dict[str, Any] | None) -> int | None:
    return person.get("person_ref") if person else None


def person_label(person: dict[str, Any] | None, empty: str = "nobody") -> str:
    """``Name (designation, ID number)`` of a canonical person record."""
    if not person:
        return empty
    extra = ", ".join(str(x) for x in (person.get("designation"), person.get("id_number")) if x)
    return f"{person.get('name')} ({extra})" if extra else str(person.get("name"))


def performer(event: dict[str, Any]) -> dict[str, Any] | None:
    """Who handled the exhibit: the operator named in an automatic event, else the actor.

    Engines sign automatic events with the workstation key and name the
    examiner in ``details.operator``; the examiner is the one holding the item.
    """
    details = event["details"]
    if isinstance(details, dict) and details.get("automatic") is True and isinstance(
        details.get("operator"), dict
    ):
        return details["operator"]
    return event["actor"]


def digest_problem(algorithm: Any, value: Any) -> str | None:
    """Why ``value`` is not a ``algorithm`` digest in lower-case hex (None if it is)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or not set(value) <= _HEX_DIGITS:
        return "the hash value must be lower-case hexadecimal"
    length = DIGEST_LENGTHS.get(algorithm) if isinstance(algorithm, str) else None
    if length is None:
        return "a hash value needs a known hash algorithm (" + ", ".join(DIGEST_LENGTHS) + ")"
    if len(value) != length:
        return f"the hash value is not a {algorithm} digest ({length} hex digits)"
    return None


def continuity_violations(
    state: ChainState, event: dict[str, Any], parent_time: datetime | None = None
) -> list[str]:
    """The custody rules ``event`` would break if appended after ``state``.

    Args:
        state: the chain so far.
        event: canonical event dict.
        parent_time: for the first event of a derived item, when the parent
            event it links to occurred.

    Returns:
        One message per broken rule; empty when the event is continuous.
    """
    problems: list[str] = []
    action = event["action"]
    occurred = parse_time(event["occurred_at"])
    recorded = parse_time(event["recorded_at"])
    released, received = event["released_by"], event["received_by"]
    if state.count == 0:
        if event["derived_from"] is None and action != "seized":
            problems.append(
                "the first event of an exhibit must be its seizure "
                "(or, for a derived item, link to its parent)"
            )
        if parent_time is not None and occurred < parent_time:
            problems.append("it precedes the parent exhibit's event it derives from")
    else:
        if event["derived_from"] is not None:
            problems.append("only the first event of a chain may link to a parent exhibit")
        if action == "seized" and state.seized:
            problems.append("the exhibit was already seized")
        if state.last_time is not None and occurred < state.last_time:
            problems.append(
                f"time goes backwards: {event['occurred_at']} is before the previous event "
                f"({state.last_time.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z)"
            )
    if occurred > recorded + FUTURE_SLACK:
        problems.append("it occurred after it was recorded (a time in the future)")
    if state.closed and action not in ALLOWED_AFTER_CLOSE:
        problems.append(
            f"the exhibit was already {state.closed}; only notes and corrections may follow"
        )
    if action in TRANSFER_ACTIONS and (released is None or received is None):
        problems.append(f"'{action}' needs both released_by and received_by")
    if action == "disposed" and released is None:
        problems.append("'disposed' needs released_by: the person holding the exhibit")
    handler = performer(event)
    if (
        action in HANDS_ON_ACTIONS
        and state.count > 0
        and state.holder is not None
        and _ref(handler) != _ref(state.holder)
    ):
        problems.append(
            f"{action} by {person_label(handler)}, but the exhibit was held by "
            f"{person_label(state.holder)} (check it out to them first)"
        )
    digest = digest_problem(event["hash_algorithm"], event["hash_value"])
    if digest:
        problems.append(digest)
    if (
        (action in TRANSFER_ACTIONS or action == "disposed")
        and released is not None
        and state.holder is not None
        and _ref(released) != _ref(state.holder)
    ):
        problems.append(
            f"released by {person_label(released)}, but the exhibit was held by "
            f"{person_label(state.holder)}"
        )
    if action == "checked-out" and state.checked_out:
        problems.append("it is already checked out")
    if action == "checked-in" and not state.checked_out:
        problems.append("checked in, but it was not checked out")
    if action in ("transferred", "returned", "disposed") and state.checked_out:
        problems.append("the exhibit is checked out; check it in first")
    if action == "seal-checked" and (event["seal_number"] is None or event["seal_intact"] is None):
        problems.append("a seal check needs the seal number and whether it was intact")
    if action == "verified" and (event["hash_value"] is None or event["hash_match"] is None):
        problems.append("a verification needs the hash value and whether it matched")
    if event["hash_match"] is not None and event["hash_value"] is None:
        problems.append("a hash match result needs the hash value")
    corrects = event["corrects"]
    if action == "correction" and corrects is None:
        problems.append("a correction must reference the event it corrects")
    if corrects is not None and state.hashes.get(corrects.get("sequence")) != corrects.get(
        "entry_hash"
    ):
        problems.append("it corrects an event that is not earlier in this chain")
    return problems


def advance(state: ChainState, event: dict[str, Any], entry_hash: str) -> None:
    """Move ``state`` past an accepted ``event`` (in place)."""
    action = event["action"]
    occurred = parse_time(event["occurred_at"])
    if state.count == 0 or action == "seized":
        state.holder = event["received_by"] or performer(event)
    elif action in TRANSFER_ACTIONS and event["received_by"] is not None:
        state.holder = event["received_by"]
    state.seized = state.seized or action == "seized"
    if action == "checked-out":
        state.checked_out = True
    elif action in ("checked-in", *CLOSING_ACTIONS):
        state.checked_out = False
    if action in CLOSING_ACTIONS:
        state.closed = action
    if state.count == 0 or action == "seized" or action in TRANSFER_ACTIONS or (
        action in CLOSING_ACTIONS
    ):
        # a change of custody: where the exhibit is now is whatever this event says
        state.last_location = event.get("location_to")
        state.status_since = occurred
    elif event.get("location_to"):
        state.last_location = event["location_to"]
    state.last_time = occurred if state.last_time is None else max(state.last_time, occurred)
    state.count += 1
    state.head = entry_hash
    state.hashes[event["sequence"]] = entry_hash
    state.times[event["sequence"]] = occurred


__all__ = [
    "DIGEST_LENGTHS",
    "FUTURE_SLACK",
    "HANDS_ON_ACTIONS",
    "TRANSFER_ACTIONS",
    "ChainState",
    "advance",
    "continuity_violations",
    "digest_problem",
    "performer",
    "person_label",
]
