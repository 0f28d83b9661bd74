"""The commented request template ``sealbag bundle init`` writes for a profile."""

from __future__ import annotations

import dataclasses
import typing

from reports.model import RequestData
from reports.profiles import load_profile

_HINTS = {
    "request_type": "mla / letter-of-request / preservation / production / eio",
    "time_zone": "IANA name, e.g. Asia/Kolkata",
    "country": "ISO 3166 alpha-2, e.g. IN",
    "observed_at": "ISO 8601 with offset, e.g. 2026-01-14T21:07:33+05:30",
    "range_start": "ISO 8601 with offset",
    "range_end": "ISO 8601 with offset",
    "time_range_start": "ISO 8601 with offset",
    "time_range_end": "ISO 8601 with offset",
    "deadline": "ISO 8601 with offset",
    "at": "ISO 8601 with offset",
    "status": "new / follow-up / extension",
    "measures.type": "preservation / subscriber information / traffic data / content"
    " / search and seizure / witness statement / documents / expert examination / videoconference",
    "persons.identifiers.kind": "e-mail / username / phone / imei / ip / url / wallet",
    "measures.identifiers": "values of identifiers listed under persons",
    "language": "BCP 47 code, e.g. hi, fr",
}


def request_template(profile_id: str) -> str:
    """YAML text with every request field, marking those the profile requires."""
    profile = load_profile(profile_id)
    required = {
        spec.removeprefix("request.").replace("[]", "")
        for spec in profile.required
        if spec.startswith("request.")
    }
    lines = [
        f"# Sealbag MLA bundle request for profile {profile.id}: {profile.name}",
        "# Fill in the fields; 'REQUIRED' ones block a final bundle while empty.",
        "# Times are ISO 8601 with a UTC offset. Unknown keys are rejected.",
        f"# Build with: sealbag bundle build --case REF --profile {profile.id} --request THIS_FILE "
        "--out DIR",
        "",
    ]
    _emit(RequestData, "", 0, required, lines, overrides={"request_type": profile.request_type})
    return "\n".join(lines) + "\n"


def _comment(name: str, path: str, required: set[str]) -> str:
    notes = []
    if path in required:
        notes.append("REQUIRED")
    hint = _HINTS.get(path, _HINTS.get(name))
    if hint:
        notes.append(hint)
    return f"  # {'; '.join(notes)}" if notes else ""


def _emit(
    cls: type,
    prefix: str,
    indent: int,
    required: set[str],
    lines: list[str],
    overrides: dict[str, str] | None = None,
) -> None:
    hints = typing.get_type_hints(cls)
    pad = "  " * indent
    for item in dataclasses.fields(cls):
        hint = hints[item.name]
        path = f"{prefix}{item.name}"
        comment = _comment(item.name, path, required)
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            lines.append(f"{pad}{item.name}:{comment}")
            _emit(hint, f"{path}.", indent + 1, required, lines)
        elif origin is tuple:
            inner = typing.get_args(hint)[0]
            if dataclasses.is_dataclass(inner):
                lines.append(f"{pad}{item.name}:{comment}")
                sub: list[str] = []
                _emit(inner, f"{path}.", 0, required, sub)
                for number, text in enumerate(sub):
                    lead = "- " if number == 0 else "  "
                    lines.append(
                        f"{pad}  {lead}{text}"
                        if not text.startswith(" ") or number
                        else f"{pad}  - {text.strip()}"
                    )
            else:
                lines.append(f"{pad}{item.name}: []{comment}")
        elif hint is bool:
            lines.append(f"{pad}{item.name}: false{comment}")
        elif hint is int:
            lines.append(f"{pad}{item.name}: 0{comment}")
        else:
            value = (overrides or {}).get(item.name, "")
            lines.append(f'{pad}{item.name}: "{value}"{comment}')
