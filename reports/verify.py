"""``sealbag bundle verify``: re-check a bundle folder or a bundle PDF on its own.

Checks: SHA256SUMS (folder only), the manifest hash printed on the cover, the attached files
against the detached ones, the custody chain and its head hash, Bates continuity, and hash
agreement across S10/S11/S13/S14. The custody chain check goes through
:func:`reports.custody_chain.verify_custody_export`, the one place to swap in the ledger's own
verifier.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.errors import UserInputError
from reports.custody_chain import verify_custody_export
from reports.package import sha256_file
from reports.pdfcheck import check_footers, check_hash_agreement, footer_sections, page_texts

_SUMS_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class VerifyReport:
    target: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, ok, detail))

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "checks": [c.to_dict() for c in self.checks]}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_sha256sums(text: str) -> dict[str, str]:
    """``{path: hex}`` from coreutils format; raises UserInputError on a malformed line."""
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _SUMS_LINE.match(line)
        if not match:
            raise UserInputError(f"SHA256SUMS line {number} is not '<sha256>  <path>'")
        entries[match.group(2)] = match.group(1)
    return entries


def _attachments(pdf_path: Path) -> dict[str, bytes]:
    import pikepdf

    try:
        with pikepdf.open(pdf_path) as pdf:
            return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    except pikepdf.PdfError as exc:
        raise UserInputError(f"{pdf_path} is not a readable PDF: {exc}") from None


def _check_signature(pdf_path: Path, report: VerifyReport) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with open(pdf_path, "rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        signatures = reader.embedded_signatures
        for sig in signatures:
            # Integrity only: whether the signer is trusted is for the receiving authority.
            status = validate_pdf_signature(sig, ValidationContext(trust_roots=[]))
            when = getattr(status, "signer_reported_dt", None)
            report.add(
                f"PAdES signature {sig.field_name}",
                bool(status.intact),
                (
                    f"signed content intact; signing time {when.isoformat() if when else 'unknown'}"
                    if status.intact
                    else "signed content was altered"
                ),
            )
            covers_all = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
            report.add(
                f"PAdES signature {sig.field_name} covers the whole file",
                covers_all,
                "" if covers_all else "content was appended after signing",
            )


def _check_status(manifest: dict[str, Any], report: VerifyReport) -> None:
    status = manifest.get("status")
    report.add(
        "bundle is final",
        status == "final",
        "" if status == "final" else f"status is {status!r}: a draft is not for transmission",
    )


def _check_pdf(
    pdf_path: Path, manifest: dict[str, Any], manifest_sha: str, report: VerifyReport
) -> None:
    _check_status(manifest, report)
    texts = page_texts(pdf_path)
    total = len(texts)
    cover = re.sub(r"\s+", "", texts.get(1, ""))
    report.add(
        "manifest hash on the cover",
        manifest_sha in cover,
        manifest_sha if manifest_sha in cover else f"cover lacks {manifest_sha}",
    )
    footer_problems = check_footers(texts, str(manifest.get("bundle_id")), total)
    report.add(
        "Bates numbers and page N of M",
        not footer_problems,
        "; ".join(map(str, footer_problems[:5])) or f"{total} pages",
    )
    sections = footer_sections(texts)
    exhibit_hashes = []
    for exhibit in manifest.get("exhibits", []):
        values = [
            h["value"]
            for h in exhibit.get("hashes", [])
            if h.get("algorithm") == "SHA-256" and h.get("scope") == "image"
        ] or [h["value"] for h in exhibit.get("hashes", []) if h.get("algorithm") == "SHA-256"]
        exhibit_hashes.append((exhibit["id"], values[0] if values else ""))
    s13 = sorted(p for p, s in sections.items() if s == "S13")
    has_certificates = any("Records and exhibits covered" in texts[p] for p in s13)
    problems = check_hash_agreement(
        texts, sections, exhibit_hashes, {"S13": s13} if has_certificates else {}
    )
    bates_problems = []
    for exhibit in manifest.get("exhibits", []):
        bates = exhibit.get("bates") or {}
        first = str(bates.get("first", ""))
        page = int(first.rsplit("-", 1)[-1]) if first[-6:].isdigit() else 0
        if page and f"Acquisition record: {exhibit['id']}" not in texts.get(page, ""):
            bates_problems.append(f"{exhibit['id']}: Bates {first} is not its acquisition record")
    report.add(
        "exhibit hashes agree across S10, S11, S13, S14",
        not problems,
        "; ".join(map(str, problems[:5])),
    )
    report.add(
        "exhibit Bates ranges match the pages", not bates_problems, "; ".join(bates_problems[:5])
    )


def _check_custody(custody: Path, manifest: dict[str, Any], report: VerifyReport) -> None:
    result = verify_custody_export(custody)
    recorded = manifest.get("custody_log") or {}
    report.add(
        "custody chain", result.ok, "; ".join(result.problems[:5]) or f"{result.count} entries"
    )
    same = (result.head_hash or None) == recorded.get("head_hash") and dict(result.heads) == (
        recorded.get("heads") or {}
    )
    report.add(
        "custody head hash matches the manifest",
        same,
        ""
        if same
        else f"log {result.head_hash or dict(result.heads)}, manifest "
        f"{recorded.get('head_hash') or recorded.get('heads')}",
    )


def verify_bundle(target: Path) -> VerifyReport:
    """Verify a bundle folder or a bundle PDF alone.

    Raises:
        UserInputError: the target does not exist or is not a bundle.
    """
    target = Path(target)
    report = VerifyReport(str(target))
    if target.is_dir():
        _verify_folder(target, report)
    elif target.is_file():
        _verify_pdf_alone(target, report)
    else:
        raise UserInputError(f"{target} does not exist; give a bundle folder or its PDF")
    return report


def _verify_folder(folder: Path, report: VerifyReport) -> None:
    sums_path = folder / "SHA256SUMS"
    if not sums_path.is_file():
        raise UserInputError(f"{folder} has no SHA256SUMS; is it a bundle folder?")
    entries = parse_sha256sums(sums_path.read_text(encoding="utf-8"))
    bad = []
    for relative, digest in sorted(entries.items()):
        path = folder / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            bad.append(f"{relative}: path leaves the bundle folder")
        elif path.is_symlink() or not path.is_file():
            bad.append(f"{relative}: missing or not a regular file")
        elif sha256_file(path) != digest:
            bad.append(f"{relative}: hash differs")
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    unlisted = sorted(present - set(entries) - {"SHA256SUMS", "manifest.json.sig"})
    bad += [f"{name}: not listed in SHA256SUMS" for name in unlisted]
    report.add("SHA256SUMS", not bad, "; ".join(bad[:10]) or f"{len(entries)} files OK")
    manifest_bytes = (folder / "manifest.json").read_bytes()
    try:
        manifest = json.loads(manifest_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError):
        report.add("manifest.json readable", False, "not valid JSON")
        return
    pdfs = [name for name in entries if name.endswith(".pdf") and "/" not in name]
    if len(pdfs) != 1:
        report.add("bundle PDF", False, "SHA256SUMS must list exactly one top-level PDF")
        return
    pdf_path = folder / pdfs[0]
    listed = {f["path"]: f["sha256"] for f in manifest.get("files", [])}
    mismatched = [p for p, h in listed.items() if entries.get(p) != h]
    report.add("manifest files agree with SHA256SUMS", not mismatched, ", ".join(mismatched))
    _check_custody(folder / "custody.jsonl", manifest, report)
    try:
        attached = _attachments(pdf_path)
        for name in ("manifest.json", "custody.jsonl"):
            same = attached.get(name) == (folder / name).read_bytes()
            report.add(f"attached {name} equals the detached file", same)
        _check_pdf(pdf_path, manifest, _sha256(manifest_bytes), report)
        _check_signature(pdf_path, report)
    except Exception as exc:  # a damaged PDF must fail verification, not crash it
        report.add("bundle PDF readable", False, f"{type(exc).__name__}: {str(exc)[:200]}")


def _verify_pdf_alone(pdf_path: Path, report: VerifyReport) -> None:
    attached = _attachments(pdf_path)
    missing = [n for n in ("manifest.json", "custody.jsonl", "SHA256SUMS") if n not in attached]
    if missing:
        report.add("attached files", False, "missing: " + ", ".join(missing))
        return
    entries = parse_sha256sums(attached["SHA256SUMS"].decode("utf-8"))
    mismatched = [
        n for n in ("manifest.json", "custody.jsonl") if entries.get(n) != _sha256(attached[n])
    ]
    report.add(
        "attached SHA256SUMS matches the attached files", not mismatched, ", ".join(mismatched)
    )
    manifest_bytes = attached["manifest.json"]
    manifest = json.loads(manifest_bytes)
    with tempfile.TemporaryDirectory(prefix="sealbag-verify-") as scratch:
        custody = Path(scratch) / "custody.jsonl"
        custody.write_bytes(attached["custody.jsonl"])
        _check_custody(custody, manifest, report)
    _check_pdf(pdf_path, manifest, _sha256(manifest_bytes), report)
    _check_signature(pdf_path, report)
    report.add(
        "PDF's own hash (informational)",
        True,
        "not checkable from the PDF alone; compare with the "
        "detached SHA256SUMS or the transmittal letter",
    )
