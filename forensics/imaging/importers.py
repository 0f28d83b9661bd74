"""Import acquisition logs written by other tools into an :class:`AcquisitionRecord`.

An image made elsewhere keeps its original record, and its hashes can be
cross-checked against a Sealbag re-acquisition (dual-tool verification).
Supported: Guymager ``.info`` files, ewfacquire / ewfacquirestream logs (the
``-l`` log file and/or the console transcript) and dc3dd ``log=`` files.

Every field the log does not state is left empty and named in
``unconfirmed_fields``; nothing is guessed. Logs are untrusted text: values are
kept as data, never used as paths.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from forensics.errors import UserInputError
from forensics.imaging.record import (
    RECORD_SCHEMA,
    AcquisitionRecord,
    AcquisitionState,
    ErrorRange,
    HashCheck,
    SourceIdentity,
    ToolInfo,
    Verification,
)

_HEX = {"md5": 32, "sha1": 40, "sha256": 64}
_MAX_LOG = 16 << 20


def import_log(path: str | Path) -> AcquisitionRecord:
    """Detect the tool from the file's contents and import it.

    Raises:
        UserInputError: the file is not a log Sealbag knows, or is too large.
    """
    p = Path(path)
    text = _read(p)
    if "GUYMAGER ACQUISITION INFO FILE" in text:
        return parse_guymager_info(text, imported_from=str(p))
    if re.search(r"^dc3dd \S+ started at", text, re.MULTILINE):
        return parse_dc3dd_log(text, imported_from=str(p))
    if re.search(r"hash calculated over data:", text) or "ewfacquire" in text:
        return parse_ewfacquire_log(text, imported_from=str(p))
    raise UserInputError(
        f"{p.name} is not a Guymager .info, ewfacquire or dc3dd log; nothing imported"
    )


def parse_guymager_info(text: str, *, imported_from: str | None = None) -> AcquisitionRecord:
    """Parse a Guymager ``.info`` file (layout of Guymager 0.8.x)."""
    fields = _colon_fields(text)
    unconfirmed: list[str] = []
    hashes: dict[str, str] = {}
    verified_src: dict[str, str] = {}
    verified_img: dict[str, str] = {}
    for algo, label in (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256")):
        for target, suffix in ((hashes, ""), (verified_src, " verified source"),
                               (verified_img, " verified image")):
            value = _hex(fields.get(f"{label} hash{suffix}", ""), algo)
            if value:
                target[algo] = value
    size = _int(fields.get("Device size", ""))
    if size is None:
        unconfirmed.append("source.size")
    state_m = re.search(r"^State:\s*(.+)$", text, re.MULTILINE)
    state_text = state_m.group(1).strip() if state_m else ""
    errors = _guymager_bad_sectors(text)
    checks: list[HashCheck] = []
    for algo, value in verified_src.items():
        checks.append(HashCheck(f"source {algo} (Guymager)", hashes.get(algo), value,
                                hashes.get(algo) == value))
    for algo, value in verified_img.items():
        checks.append(HashCheck(f"image {algo} (Guymager)", hashes.get(algo), value,
                                hashes.get(algo) == value))
    verification = Verification(
        result=("match" if checks and all(c.match for c in checks)
                else "mismatch" if checks else "not_run"),
        checks=tuple(checks), source_reread=bool(verified_src),
        method="as reported by Guymager (not re-run by Sealbag)",
    )
    started = _guymager_time(fields.get("Acquisition started", ""))
    ended = _guymager_time(fields.get("Ended", ""))
    if started is None:
        unconfirmed.append("started")
    if ended is None:
        unconfirmed.append("ended")
    image = fields.get("Image path and file name", "")
    fmt_text = fields.get("Format", "")
    fmt = "e01" if "Expert Witness" in fmt_text else "raw" if fmt_text else ""
    if not fmt:
        unconfirmed.append("image_format")
    unconfirmed += ["segments", "source.model", "source.serial", "source.sector_size"]
    speed = re.match(r"([\d.]+)\s*MByte/s", fields.get("Acquisition speed", ""))
    return _record(
        tool=ToolInfo(
            name="guymager", version=fields.get("Version", ""),
            libraries={k: v for k, v in (("libewf", fields.get("libewf version", "")),
                                         ("libguytools", fields.get("libguytools version", "")))
                       if v},
            host=fields.get("Host name", ""), operating_system=fields.get("System", ""),
        ),
        state_text=state_text,
        ok=state_text.lower().startswith("finished successfully"),
        case=fields.get("Case number"), exhibit=fields.get("Evidence number"),
        examiner=fields.get("Examiner"), description=fields.get("Description"),
        notes=fields.get("Notes"),
        source=SourceIdentity(path=fields.get("Linux device", ""), kind="block-device",
                              media_format="device", size=size or 0,
                              hpa_dco=_hidden_areas(text)),
        fmt=fmt, image=image, source_hashes=hashes,
        image_hashes=verified_img or {}, size=size, errors=errors, started=started, ended=ended,
        speed=float(speed.group(1)) * 1.048576 if speed else None,
        verification=verification, imported_from=imported_from, unconfirmed=unconfirmed,
    )


def parse_ewfacquire_log(text: str, *, imported_from: str | None = None) -> AcquisitionRecord:
    """Parse an ewfacquire/ewfacquirestream ``-l`` log and/or console transcript."""
    unconfirmed: list[str] = []
    hashes = {}
    for algo, label in (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256")):
        m = re.search(rf"{label} hash calculated over data:\s*([0-9a-fA-F]+)", text)
        if m and _hex(m.group(1), algo):
            hashes[algo] = m.group(1).lower()
    version = re.search(r"^(ewfacquire(?:stream)?) (\S+)", text, re.MULTILINE)
    size_m = re.search(r"Media size:.*?\((\d+) bytes\)", text)
    written_m = re.search(r"Written:.*?\((\d+) bytes\)", text)
    sector_m = re.search(r"Bytes per sector:\s*(\d+)", text)
    size = int(size_m.group(1)) if size_m else None
    if size is None:
        unconfirmed.append("source.size")
    errors = []
    for m in re.finditer(
        r"at sector\(s\):\s*(\d+)\s*-\s*(\d+)\s*number:\s*(\d+)", text
    ):
        sector = int(sector_m.group(1)) if sector_m else 512
        errors.append(ErrorRange(int(m.group(1)) * sector, int(m.group(3)) * sector,
                                 "read error (ewfacquire)"))
    started = _ewf_time(text, "Acquiry started at:")
    ended = _ewf_time(text, "Acquiry completed at:")
    if started is None:
        unconfirmed.append("started")
    if ended is None:
        unconfirmed.append("ended")

    def param(label: str) -> str | None:
        m = re.search(rf"^{label}:\s*(.*)$", text, re.MULTILINE)
        if m is None:
            unconfirmed.append(label.lower().replace(" ", "_"))
            return None
        return m.group(1).strip()

    case, exhibit = param("Case number"), param("Evidence number")
    examiner, description, notes = param("Examiner name"), param("Description"), param("Notes")
    image = param("Image path and filename") or ""
    unconfirmed += ["source.path", "source.model", "source.serial", "segments", "verification"]
    ok = bool(re.search(r"ewfacquire(?:stream)?: SUCCESS", text))
    failed = bool(re.search(r"ewfacquire(?:stream)?: FAILURE", text))
    return _record(
        tool=ToolInfo(name=version.group(1) if version else "ewfacquire",
                      version=version.group(2) if version else ""),
        state_text="SUCCESS" if ok else "FAILURE" if failed else "",
        ok=ok or (not failed and bool(hashes)),
        case=case, exhibit=exhibit, examiner=examiner, description=description, notes=notes,
        source=SourceIdentity(path="", kind="unknown", media_format="unknown", size=size or 0,
                              sector_size=int(sector_m.group(1)) if sector_m else 512),
        fmt="e01", image=image, source_hashes=hashes, image_hashes={}, size=size,
        errors=errors, started=started, ended=ended, speed=None,
        verification=Verification(method="not reported by ewfacquire"),
        imported_from=imported_from, unconfirmed=unconfirmed,
        written=int(written_m.group(1)) if written_m else None,
    )


def parse_dc3dd_log(text: str, *, imported_from: str | None = None) -> AcquisitionRecord:
    """Parse a dc3dd ``log=`` file (dc3dd 7.x layout)."""
    unconfirmed = ["case_reference", "exhibit_reference", "examiner", "description", "notes",
                   "source.model", "source.serial"]
    head = re.search(r"^dc3dd (\S+) started at (.+)$", text, re.MULTILINE)
    tail = re.search(r"^dc3dd (?:completed|aborted) at (.+)$", text, re.MULTILINE)
    cmd = re.search(r"^command line:\s*(.*)$", text, re.MULTILINE)
    sector_m = re.search(r"^sector size:\s*(\d+)", text, re.MULTILINE)
    sector = int(sector_m.group(1)) if sector_m else 512
    inp = re.search(r"input results for (?:file|device) `(.*?)':(.*?)(?:\n\s*\n|\Z)", text, re.S)
    out = re.search(r"output results for (?:file|device) `(.*?)':(.*?)(?:\n\s*\n|\Z)", text,
                    re.S)
    src_hashes = _dc3dd_hashes(inp.group(2)) if inp else {}
    img_hashes = _dc3dd_hashes(out.group(2)) if out else {}
    size = None
    if inp:
        m = re.search(r"(\d+) sectors(?: \+ (\d+) bytes)? in", inp.group(2))
        if m:
            size = int(m.group(1)) * sector + int(m.group(2) or 0)
    if size is None:
        unconfirmed.append("source.size")
    bad = re.search(r"(\d+) bad sectors replaced by zeros", text)
    bad_count = int(bad.group(1)) if bad else 0
    errors: list[ErrorRange] = []
    for m in re.finditer(r"^\[!!\] reading `.*?' at sector (\d+): (.+)$", text, re.MULTILINE):
        start = int(m.group(1)) * sector
        if errors and errors[-1].end == start and errors[-1].error == m.group(2).strip():
            prev = errors.pop()
            errors.append(ErrorRange(prev.offset, prev.length + sector, prev.error))
        else:
            errors.append(ErrorRange(start, sector, m.group(2).strip()))
    if bad_count:
        unconfirmed.append(
            "error_ranges (locations come from dc3dd's per-sector warning lines, whose layout "
            "was not checked against a real faulty device)"
        )
        if sum(e.length for e in errors) != bad_count * sector:
            unconfirmed.append(f"error_ranges (dc3dd counted {bad_count} bad sectors; "
                               "their locations are not all in the log)")
    checks = []
    if out:
        for line in out.group(2).splitlines():
            m = re.search(r"\[(ok|MISMATCH|\w+)\]\s*([0-9a-fA-F]+)\s*\((\w+)\)", line)
            if m:
                algo = m.group(3).lower()
                checks.append(HashCheck(f"image {algo} (dc3dd)", src_hashes.get(algo),
                                        m.group(2).lower(), m.group(1) == "ok"))
    speed_m = re.search(r"copied \( *\d+% *\), [\d.]+ s, ([\d.]+) ([KMG])/s", text)
    speed = None
    if speed_m:
        speed = float(speed_m.group(1)) * {"K": 1024, "M": 1024**2, "G": 1024**3}[
            speed_m.group(2)] / 1e6
    aborted = bool(re.search(r"^dc3dd aborted at", text, re.MULTILINE))
    return _record(
        tool=ToolInfo(name="dc3dd", version=head.group(1) if head else "",
                      command_line=cmd.group(1).strip() if cmd else ""),
        state_text="aborted" if aborted else "completed" if tail else "",
        ok=bool(tail) and not aborted,
        case=None, exhibit=None, examiner=None, description=None, notes=None,
        source=SourceIdentity(path=inp.group(1) if inp else "", kind="unknown",
                              media_format="unknown", size=size or 0, sector_size=sector),
        fmt="raw", image=out.group(1) if out else "", source_hashes=src_hashes,
        image_hashes=img_hashes, size=size, errors=errors, zero_filled=bad_count * sector,
        started=_dc3dd_time(head.group(2)) if head else None,
        ended=_dc3dd_time(tail.group(1)) if tail else None, speed=speed,
        verification=Verification(
            result=("match" if checks and all(c.match for c in checks)
                    else "mismatch" if checks else "not_run"),
            checks=tuple(checks), method="as reported by dc3dd hof= (not re-run by Sealbag)",
        ),
        imported_from=imported_from, unconfirmed=unconfirmed,
    )


def _record(
    *, tool: ToolInfo, state_text: str, ok: bool, case: str | None, exhibit: str | None,
    examiner: str | None, description: str | None, notes: str | None, source: SourceIdentity,
    fmt: str, image: str, source_hashes: dict[str, str], image_hashes: dict[str, str],
    size: int | None, errors: list[ErrorRange], started: str | None, ended: str | None,
    speed: float | None, verification: Verification, imported_from: str | None,
    unconfirmed: list[str], written: int | None = None, zero_filled: int | None = None,
) -> AcquisitionRecord:
    warnings = [f"imported from {tool.name}; original state: {state_text or 'not stated'}"]
    if not ok:
        warnings.append(f"{tool.name} did not report a successful acquisition")
    if written is not None:
        warnings.append(f"{tool.name} reports {written} bytes written (container size)")
    return AcquisitionRecord(
        schema=RECORD_SCHEMA, tool=tool, state=AcquisitionState.IMPORTED.value,
        case_reference=case or None, exhibit_reference=exhibit or None,
        examiner=examiner or None, description=description or None, notes=notes or None,
        source=source, image_format=fmt, image_name=Path(image).name if image else "",
        output_dir=str(Path(image).parent) if image else "", segment_size=None, segments=(),
        algorithms=tuple(sorted(source_hashes)), source_hashes=source_hashes,
        image_hashes=image_hashes, padding_bytes=0, bytes_total=size or 0,
        bytes_read=size or 0,
        bytes_zero_filled=(zero_filled if zero_filled is not None
                           else sum(e.length for e in errors)),
        error_ranges=tuple(errors), error_policy="as configured in " + tool.name,
        started=started or "", ended=ended, duration_seconds=None, speed_mb_per_s=speed,
        verification=verification, abort_reason=None if ok else (state_text or None),
        warnings=tuple(warnings), imported_from=imported_from,
        unconfirmed_fields=tuple(dict.fromkeys(unconfirmed)),
    )


def _read(p: Path) -> str:
    if p.stat().st_size > _MAX_LOG:
        raise UserInputError(f"{p.name} is larger than 16 MiB; not an acquisition log")
    return p.read_bytes().decode("utf-8", "replace")


def _colon_fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if len(line) > 4000:
            continue  # no real field is that long; keeps hostile input linear
        m = re.match(r"^\s*([A-Za-z][A-Za-z0-9 ()/.-]*?)\s*:\s(.*)$", line)
        if m and m.group(1) not in out:
            out[m.group(1)] = m.group(2).strip()
    return out


def _hex(value: str, algo: str) -> str | None:
    v = value.strip().lower()
    return v if re.fullmatch(rf"[0-9a-f]{{{_HEX[algo]}}}", v) else None


def _int(value: str) -> int | None:
    m = re.match(r"\s*(\d+)", value)
    return int(m.group(1)) if m else None


def _hidden_areas(text: str) -> str:
    m = re.search(r"^Hidden areas:\s*(.*)$", text, re.MULTILINE | re.IGNORECASE)
    return f"Guymager reported: {m.group(1).strip()}" if m else "not determinable"


def _guymager_bad_sectors(text: str) -> list[ErrorRange]:
    m = re.search(r"bad sectors? (?:have been|has been) encountered.*?:\s*\n(.*?)(?:\n\s*\n|\Z)",
                  text, re.S | re.IGNORECASE)
    if not m:
        return []
    out = []
    for a, b in re.findall(r"(\d+)(?:\s*-\s*(\d+))?", m.group(1)):
        first, last = int(a), int(b or a)
        out.append(ErrorRange(first * 512, (last - first + 1) * 512, "bad sector (Guymager)"))
    return out


def _guymager_time(value: str) -> str | None:
    m = re.match(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})", value.strip())
    return f"{m.group(1)}T{m.group(2)} (local time, zone not recorded)" if m else None


def _ewf_time(text: str, label: str) -> str | None:
    m = re.search(rf"{re.escape(label)}\s*(.+)$", text, re.MULTILINE)
    if not m:
        return None
    try:
        dt = datetime.strptime(m.group(1).strip(), "%b %d, %Y %H:%M:%S")
    except ValueError:
        return m.group(1).strip()
    return dt.isoformat() + " (local time, zone not recorded)"


def _dc3dd_time(value: str) -> str:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S %z").isoformat()
    except ValueError:
        return value.strip()


def _dc3dd_hashes(block: str) -> dict[str, str]:
    found = {}
    for value, algo in re.findall(r"([0-9a-fA-F]{32,128})\s*\((md5|sha1|sha256|sha512)\)", block):
        found[algo] = value.lower()
    return found
