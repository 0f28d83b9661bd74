"""Jurisdiction profiles and wording templates, loaded from ``resources/`` as data.

A lab adds its own profile by dropping a YAML file into a folder named in ``SEALBAG_PROFILES_DIR``
(or passing ``extra_dirs``); a profile may ``extends`` another one and add ``required_add`` paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import resources
from forensics.errors import UserInputError

RESOURCES_DIR = Path(resources.__file__).resolve().parent
PROFILES_DIR = RESOURCES_DIR / "profiles"
TEMPLATES_DIR = RESOURCES_DIR / "templates"
ALL_SECTIONS = tuple(f"S{number}" for number in range(19))
KNOWN_CERTIFICATES = (
    "IN-BSA63-A",
    "IN-BSA63-B",
    "IN-IEA65B",
    "US-3505",
    "US-902-14",
    "GEN-ISO27037",
)


@dataclass(frozen=True)
class DateTimeStyle:
    zone: str = "UTC"
    label: str = "UTC"
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M:%S"


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    request_type: str
    sections: tuple[str, ...]
    certificates: tuple[str, ...]
    required: tuple[str, ...]
    datetime: DateTimeStyle
    signatories: tuple[str, ...]
    translations_required: tuple[str, ...]
    headings: dict[str, str] = field(default_factory=dict)
    court_seal_boxes: bool = False
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "source": self.source}


def _profile_dirs(extra_dirs: tuple[Path, ...] = ()) -> list[Path]:
    dirs = [PROFILES_DIR]
    env = os.environ.get("SEALBAG_PROFILES_DIR")
    if env:
        dirs.extend(Path(part) for part in env.split(os.pathsep) if part)
    dirs.extend(extra_dirs)
    return dirs


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserInputError(f"cannot read profile/template {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UserInputError(f"{path} must be a YAML mapping")
    return data


def _raw_profiles(extra_dirs: tuple[Path, ...]) -> dict[str, tuple[Path, dict[str, Any]]]:
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for folder in _profile_dirs(extra_dirs):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            found[path.stem] = (path, _read_yaml(path))  # later folders override earlier ones
    return found


def _resolve(name: str, raw: dict[str, tuple[Path, dict[str, Any]]], seen: tuple[str, ...]) -> dict:
    if name not in raw:
        raise UserInputError(f"unknown profile {name!r}; known: {', '.join(list_profiles())}")
    if name in seen:
        raise UserInputError(f"profile {name} extends itself through {' -> '.join(seen)}")
    _, data = raw[name]
    merged: dict[str, Any] = {}
    required: list[str] = []
    for parent in data.get("extends") or []:
        base = _resolve(parent, raw, (*seen, name))
        required.extend(base.pop("required", []))
        merged.update({k: v for k, v in base.items() if k != "abstract"})
    own = dict(data)
    own.pop("extends", None)
    if "required" in own:
        required = list(own.pop("required"))
    required.extend(own.pop("required_add", []) or [])
    merged.update(own)
    merged["required"] = list(dict.fromkeys(required))
    return merged


def list_profiles(extra_dirs: tuple[Path, ...] = ()) -> list[str]:
    """Names of the concrete (non-abstract) profiles."""
    raw = _raw_profiles(extra_dirs)
    return sorted(name for name, (_, data) in raw.items() if not data.get("abstract"))


def load_profile(name: str, extra_dirs: tuple[Path, ...] = ()) -> Profile:
    """Load and validate one profile.

    Raises:
        UserInputError: unknown profile, unknown section or certificate, bad extends.
    """
    raw = _raw_profiles(extra_dirs)
    if name not in raw or raw[name][1].get("abstract"):
        raise UserInputError(
            f"unknown profile {name!r}; known: {', '.join(list_profiles(extra_dirs))}"
        )
    data = _resolve(name, raw, ())
    sections = tuple(data.get("sections") or ALL_SECTIONS)
    bad = [s for s in sections if s not in ALL_SECTIONS]
    if bad or list(sections) != sorted(sections, key=ALL_SECTIONS.index):
        raise UserInputError(f"profile {name}: sections must be a subset of S0-S18 in order")
    for required in ("S0", "S1", "S14", "S18"):
        if required not in sections:
            raise UserInputError(f"profile {name}: section {required} is required in every bundle")
    certificates = tuple(data.get("certificates") or ())
    for cert in certificates:
        if not (TEMPLATES_DIR / "certificates" / f"{cert}.yaml").is_file():
            raise UserInputError(f"profile {name}: no certificate template {cert}")
    headings: dict[str, str] = {}
    if data.get("headings_file"):
        headings = {
            str(k): str(v) for k, v in load_template(f"headings/{data['headings_file']}").items()
        }
    headings.update({str(k): str(v) for k, v in (data.get("headings") or {}).items()})
    return Profile(
        id=str(data.get("id", name)),
        name=str(data.get("name", name)),
        request_type=str(data.get("request_type", "mla")),
        sections=sections,
        certificates=certificates,
        required=tuple(data.get("required") or ()),
        datetime=DateTimeStyle(**(data.get("datetime") or {})),
        signatories=tuple(data.get("signatories") or ()),
        translations_required=tuple(data.get("translations_required") or ()),
        headings=headings,
        court_seal_boxes=bool(data.get("court_seal_boxes", False)),
        source=str(raw[name][0]),
    )


def load_template(relative: str) -> dict[str, Any]:
    """A wording template from ``resources/templates`` (``relative`` without ``.yaml``)."""
    path = TEMPLATES_DIR / f"{relative}.yaml"
    if not path.is_file():
        raise UserInputError(f"missing template {path}")
    return _read_yaml(path)
