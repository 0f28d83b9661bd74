"""Load the request file and the case-data file (YAML or JSON) into the bundle model."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from forensics.errors import UserInputError
from reports.model import (
    Acquisition as _Acquisition,
)
from reports.model import (
    CaseData,
    CaseInfo,
    CertificatesData,
    FileRow,
    RequestData,
)
from reports.model import (
    Exhibit as _Exhibit,
)


def read_structured_file(path: Path) -> Any:
    """Parse a YAML or JSON file (by suffix; YAML is a superset so it is the fallback).

    Raises:
        UserInputError: the file is missing or cannot be parsed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserInputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserInputError(f"{path} is not UTF-8 text") from None
    try:
        if Path(path).suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserInputError(f"cannot parse {path}: {first_line}") from None


def build_dataclass(cls: type, data: Any, where: str) -> Any:
    """Build a (nested) frozen dataclass from plain data, rejecting unknown keys.

    Raises:
        UserInputError: unknown key or wrong shape, naming the dotted path to fix.
    """
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        raise UserInputError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(map(str, data)) - names)
    if unknown:
        raise UserInputError(f"{where}: unknown field(s) {', '.join(unknown)}")
    values = {key: _convert(hints[key], value, f"{where}.{key}") for key, value in data.items()}
    return cls(**values)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return None if value is None else _convert(options[0], value, where)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        if value is None:
            return ()
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise UserInputError(f"{where}: expected a list")
        return tuple(_convert(item_hint, item, f"{where}[{i}]") for i, item in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return build_dataclass(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise UserInputError(f"{where}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserInputError(f"{where}: expected a whole number")
        return value
    if hint is str:
        if value is None:
            return ""
        if isinstance(value, dict | list):
            raise UserInputError(f"{where}: expected text")
        # YAML turns unquoted dates into date objects; keep the text the user meant.
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value


def load_request(path: Path) -> RequestData:
    """Read the request file written from ``sealbag bundle init``."""
    return build_dataclass(RequestData, read_structured_file(path) or {}, "request")


def case_data_from_dict(data: Mapping[str, Any], where: str = "case-data") -> CaseData:
    """Case data from a plain mapping (the JSON form the query layer also produces)."""
    if not isinstance(data, Mapping):
        raise UserInputError(f"{where}: expected a mapping")
    allowed = {"case", "exhibits", "acquisitions", "custody_events", "certificates", "file_rows"}
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise UserInputError(f"{where}: unknown field(s) {', '.join(unknown)}")
    exhibits = tuple(
        build_dataclass(_Exhibit, item, f"{where}.exhibits[{i}]")
        for i, item in enumerate(data.get("exhibits") or ())
    )
    acquisitions = tuple(
        build_dataclass(_Acquisition, item, f"{where}.acquisitions[{i}]")
        for i, item in enumerate(data.get("acquisitions") or ())
    )
    raw_events = data.get("custody_events") or ()
    if not isinstance(raw_events, list | tuple) or not all(
        isinstance(item, Mapping) for item in raw_events
    ):
        raise UserInputError(f"{where}.custody_events: expected a list of objects")
    events = tuple(dict(item) for item in raw_events)
    raw_rows = list(data.get("file_rows") or ())
    rows = tuple(_file_row(item, f"{where}.file_rows[{i}]") for i, item in enumerate(raw_rows))
    return CaseData(
        case=build_dataclass(CaseInfo, data.get("case"), f"{where}.case"),
        exhibits=exhibits,
        acquisitions=acquisitions,
        custody_events=events,
        certificates=build_dataclass(
            CertificatesData, data.get("certificates"), f"{where}.certificates"
        ),
        file_rows=(lambda: iter(rows)) if rows else None,
    )


def _file_row(item: Any, where: str) -> FileRow:
    if not isinstance(item, Mapping) or "path" not in item or "exhibit_id" not in item:
        raise UserInputError(f"{where}: a file row needs exhibit_id, path and size")
    return build_dataclass(FileRow, {"size": 0, **item}, where)


def load_case_data(path: Path) -> CaseData:
    """Read a case-data file (YAML/JSON) standing in for the database query layer."""
    return case_data_from_dict(read_structured_file(path) or {}, str(path))


def iter_csv_rows(path: Path) -> Iterator[FileRow]:
    """File rows from a listing CSV (header: exhibit_id,path,size,modified,...)."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            yield FileRow(
                exhibit_id=record["exhibit_id"],
                path=record["path"],
                size=int(record["size"]),
                modified=record.get("modified", ""),
                accessed=record.get("accessed", ""),
                changed=record.get("changed", ""),
                created=record.get("created", ""),
                sha256=record.get("sha256", ""),
            )


def request_from_dict(data: Mapping[str, Any] | None) -> RequestData:
    """Request data from a plain mapping (e.g. ``MlaRequest.data`` in the case database).

    Raises:
        UserInputError: unknown key or wrong shape, naming the dotted path to fix.
    """
    return build_dataclass(RequestData, data or {}, "request")
