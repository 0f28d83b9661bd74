"""Pre-flight validation (spec B9): what blocks a final bundle, said as what to fix."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports import custody_chain
from reports.custody_view import view
from reports.model import DATA_MEASURE_TYPES, CaseData, RequestData, normalise_algorithm
from reports.profiles import Profile
from reports.timefmt import has_zone, parse_time

HEX_LENGTH = {"SHA-256": 64, "SHA-1": 40, "MD5": 32, "SHA-512": 128}
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class Problem:
    """One failed check: the B9 rule, where, and what to fix."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def _values(root: Any, path: Sequence[str], where: str) -> Iterator[tuple[str, Any]]:
    """Resolve a dotted path with ``[]`` list steps; yields (where, value) pairs."""
    if not path:
        yield where, root
        return
    step, rest = path[0], path[1:]
    many = step.endswith("[]")
    name = step[:-2] if many else step
    value = getattr(root, name, None) if not isinstance(root, Mapping) else root.get(name)
    if many:
        items = list(value or ())
        if not items:
            yield f"{where}.{name}", None
            return
        for index, item in enumerate(items):
            yield from _values(item, rest, f"{where}.{name}[{index}]")
    else:
        yield from _values(value, rest, f"{where}.{name}")


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, tuple | list):
        return not value
    return False


def check_required(profile: Profile, request: RequestData, case: CaseData) -> list[Problem]:
    """B9.1: every field the profile marks required is filled."""
    problems = []
    roots = {"request": request, "case": case}
    for spec in profile.required:
        root_name, *path = spec.split(".")
        for where, value in _values(roots[root_name], path, root_name):
            if _is_blank(value):
                problems.append(
                    Problem("B9.1", where, f"required by profile {profile.id}; fill it in")
                )
    return problems


def check_hashes(case: CaseData) -> list[Problem]:
    """B9.2 and B9.3: SHA-256 for every digital exhibit, algorithm names, consistent values."""
    problems = []
    acquisitions: dict[str, list] = {}
    for acq in case.acquisitions:
        acquisitions.setdefault(acq.exhibit_id, []).append(acq)
    exhibit_ids = {e.id for e in case.exhibits}
    for exhibit_id in acquisitions:
        if exhibit_id not in exhibit_ids:
            problems.append(
                Problem(
                    "B9.3",
                    f"acquisition of {exhibit_id}",
                    "no exhibit with this ID in the exhibit list",
                )
            )
    for exhibit in case.exhibits:
        if not exhibit.digital:
            continue
        records = acquisitions.get(exhibit.id, [])
        if len(records) != 1:
            problems.append(
                Problem(
                    "B9.2",
                    f"exhibit {exhibit.id}",
                    f"needs exactly one acquisition record, found {len(records)}",
                )
            )
            continue
        acq = records[0]
        if not acq.hash("SHA-256"):
            problems.append(
                Problem(
                    "B9.2", f"exhibit {exhibit.id}", "has no SHA-256; add the SHA-256 of the image"
                )
            )
        for index, item in enumerate(acq.hashes):
            where = f"exhibit {exhibit.id} hash {index + 1}"
            if not item.algorithm.strip():
                problems.append(Problem("B9.2", where, "hash value without algorithm name"))
                continue
            name = normalise_algorithm(item.algorithm)
            expected = HEX_LENGTH.get(name)
            if expected and (len(item.value) != expected or not _HEX.match(item.value)):
                problems.append(
                    Problem("B9.2", where, f"{name} must be {expected} lower-case hex digits")
                )
        image = acq.hash("SHA-256", "image")
        verification = acq.hash("SHA-256", "verification")
        source = acq.hash("SHA-256", "source")
        for label, other in (("verification", verification), ("source", source)):
            if image and other and other != image and acq.verification_result == "match":
                problems.append(
                    Problem(
                        "B9.3",
                        f"exhibit {exhibit.id}",
                        f"verification says match but the {label} SHA-256 differs"
                        " from the image SHA-256",
                    )
                )
    return problems


def check_bsa_parts(profile: Profile, case: CaseData) -> list[Problem]:
    """B9.4: BSA Part A and Part B list the same device particulars and hash."""
    if not {"IN-BSA63-A", "IN-BSA63-B"} <= set(profile.certificates):
        return []
    problems = []
    for exhibit in case.exhibits:
        if exhibit.digital and not exhibit.certificates:
            continue
        if exhibit.digital and not {"IN-BSA63-A", "IN-BSA63-B"} <= set(exhibit.certificates):
            problems.append(
                Problem(
                    "B9.4", f"exhibit {exhibit.id}", "must be covered by both BSA Part A and Part B"
                )
            )
    return problems


TIME_FIELDS_REQUEST = (
    "request.timeline[].at",
    "request.persons[].identifiers[].observed_at",
    "request.persons[].identifiers[].range_start",
    "request.persons[].identifiers[].range_end",
    "request.measures[].time_range_start",
    "request.measures[].time_range_end",
    "request.references.deadline",
)
TIME_FIELDS_CASE = (
    "case.exhibits[].seized_at",
    "case.acquisitions[].started_at",
    "case.acquisitions[].finished_at",
)


def check_times(request: RequestData, case: CaseData, generated_at: str) -> list[Problem]:
    """B9.6: every time carries a zone."""
    problems = []
    roots = {"request": request, "case": case}
    for spec in (*TIME_FIELDS_REQUEST, *TIME_FIELDS_CASE):
        root_name, *path = spec.split(".")
        for where, value in _values(roots[root_name], path, root_name):
            if value and not has_zone(str(value)):
                problems.append(
                    Problem(
                        "B9.6",
                        where,
                        f"{value!r} needs a UTC offset, e.g. 2026-03-01T10:15:00+05:30",
                    )
                )
    for index, event in enumerate(custody_chain.events_only(case.custody_events)):
        at = view(event, index)["at"]
        if not has_zone(at):
            problems.append(
                Problem(
                    "B9.6",
                    f"custody {event.get('entry_no', index + 1)}",
                    f"time {at!r} needs a UTC offset",
                )
            )
    if not has_zone(generated_at):
        problems.append(Problem("B9.6", "generated_at", "needs a UTC offset"))
    return problems


def check_custody(case: CaseData) -> list[Problem]:
    """B9.5: custody continuous, time-ordered, nothing before seizure; chain intact."""
    originals = [e.id for e in case.exhibits if not e.parent]
    problems = [
        Problem("B9.5", "custody log", text)
        for text in custody_chain.continuity_problems(case.custody_events, originals)
    ]
    chain = custody_chain.verify_chain(case.custody_events)
    problems += [Problem("B9.5", "custody log", text) for text in chain.problems]
    events = custody_chain.events_only(case.custody_events)
    rows = [view(event, index) for index, event in enumerate(events)]
    exhibits_with_events = {row["exhibit_id"] for row in rows}
    for exhibit in case.exhibits:
        if exhibit.parent and exhibit.id not in exhibits_with_events:
            problems.append(Problem("B9.5", f"exhibit {exhibit.id}", "has no custody entries"))
        seized = parse_time(exhibit.seized_at) if exhibit.seized_at else None
        if seized is None or seized.tzinfo is None:
            continue
        for row in rows:
            when = parse_time(row["at"])
            if row["exhibit_id"] == exhibit.id and when and when.tzinfo and when < seized:
                problems.append(
                    Problem(
                        "B9.5",
                        f"custody {row['entry_no']}",
                        f"precedes the seizure of {exhibit.id}",
                    )
                )
    return problems


def check_measures(profile: Profile, request: RequestData) -> list[Problem]:
    """B9.7: data measures have a time range and an identifier; a nexus statement exists."""
    if "S8" not in profile.sections:
        return []
    problems = []
    known = {i.value for p in request.persons for i in p.identifiers}
    for index, measure in enumerate(request.measures):
        where = f"request.measures[{index}] ({measure.id or '?'})"
        if measure.type in DATA_MEASURE_TYPES:
            if not (measure.time_range_start and measure.time_range_end):
                problems.append(
                    Problem("B9.7", where, "data measure needs a time range start and end")
                )
            if not measure.identifiers:
                problems.append(
                    Problem("B9.7", where, "data measure needs at least one identifier")
                )
        for value in measure.identifiers:
            if value not in known:
                problems.append(
                    Problem(
                        "B9.7", where, f"identifier {value!r} is not listed under a person in S7"
                    )
                )
    for p_index, person in enumerate(request.persons):
        for i_index, ident in enumerate(person.identifiers):
            if ident.kind.lower() in ("ip", "ip address") and not (
                ident.port and ident.observed_at
            ):
                problems.append(
                    Problem(
                        "B9.7",
                        f"request.persons[{p_index}].identifiers[{i_index}]",
                        "an IP address needs its port and a time with zone",
                    )
                )
    if request.measures and not request.nexus_statement.strip():
        problems.append(Problem("B9.7", "request.nexus_statement", "S5 needs a nexus statement"))
    return problems


def check_offences(profile: Profile, request: RequestData) -> list[Problem]:
    """B9.8: the text of every cited offence is annexed."""
    if "S6" not in profile.sections:
        return []
    return [
        Problem(
            "B9.8",
            f"request.offences[{i}] ({o.statute_reference or o.name})",
            "the full text of the provision is missing",
        )
        for i, o in enumerate(request.offences)
        if not o.statute_text.strip()
    ]


def check_translations(profile: Profile, request: RequestData) -> list[Problem]:
    """B9.9: a translation exists for every language the profile requires."""
    have = {t.language for t in request.translations if t.text.strip()}
    return [
        Problem("B9.9", "request.translations", f"translation into {lang!r} is required")
        for lang in profile.translations_required
        if lang not in have
    ]


def run_preflight(
    profile: Profile, request: RequestData, case: CaseData, generated_at: str
) -> list[Problem]:
    """All data checks of B9 (B9.10, Bates, is checked on the rendered PDF)."""
    return [
        *check_required(profile, request, case),
        *check_hashes(case),
        *check_bsa_parts(profile, case),
        *check_custody(case),
        *check_times(request, case, generated_at),
        *check_measures(profile, request),
        *check_offences(profile, request),
        *check_translations(profile, request),
    ]
