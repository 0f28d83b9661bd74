"""Build the bundle package: PDF, manifest.json, SHA256SUMS, custody.jsonl, verifier, annexes.

Order of work (each step needs the one before):
1. pre-flight checks (a final bundle stops here when any fails);
2. custody.jsonl, listing CSVs and the verifier script are written and hashed;
3. layout passes fix page numbers and Bates ranges; the manifest (which holds the Bates ranges)
   is written; the final pass prints the manifest's SHA-256 on the cover;
4. the rendered PDF is checked (hash agreement across S10/S11/S13/S14, Bates continuity);
5. manifest.json, custody.jsonl, SHA256SUMS (without the PDF's own line) are attached to the PDF;
6. the optional PAdES signature is applied as an incremental update (attachments survive);
7. only then the PDF is hashed into SHA256SUMS, and the folder is renamed into place.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.errors import ConflictError, IntegrityError, UserInputError
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, ProgressUpdate, no_progress
from reports import custody_chain
from reports.layout import Layout, PackageFile, RenderContext
from reports.listing import ListingSpool, forget_layout, spool_rows
from reports.model import BundleInput, normalise_algorithm
from reports.pdfcheck import check_rendered_pdf
from reports.preflight import Problem, run_preflight
from reports.profiles import RESOURCES_DIR, Profile, load_profile, load_template
from reports.render import render_pdf
from reports.timefmt import has_zone, utc_iso

SCHEMA = "mla-bundle/1.0"
GENERATOR_VERSION = "0.1.0"
PLACEHOLDER_HASH = "0" * 64
MAX_LAYOUT_PASSES = 5
ATTACHED_FILES = ("manifest.json", "custody.jsonl", "SHA256SUMS", "case-uco.jsonld")


class PreflightError(UserInputError):
    """Pre-flight checks failed for a final bundle; ``problems`` lists what to fix."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"pre-flight failed with {len(self.problems)} problem(s); fix them or build with "
            f"--draft:\n{lines}"
        )


@dataclass(frozen=True)
class SigningConfig:
    """PAdES signing with the examiner's key and certificate (PEM files)."""

    key_path: Path
    cert_path: Path
    signer_name: str
    signer_role: str = "Examiner"
    signer_designation: str = ""
    key_passphrase: bytes | None = None


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    bundle_id: str
    pdf_path: Path
    pdf_sha256: str
    manifest_sha256: str
    pages: int
    draft: bool
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "bundle_id": self.bundle_id,
            "pdf": str(self.pdf_path),
            "pdf_sha256": self.pdf_sha256,
            "manifest_sha256": self.manifest_sha256,
            "pages": self.pages,
            "draft": self.draft,
            "problems": [p.to_dict() for p in self.problems],
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80] or "_"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _package_file(folder: Path, relative: str, role: str) -> PackageFile:
    path = folder / relative
    return PackageFile(relative, path.stat().st_size, sha256_file(path), role)


def _verifier(ledger_format: bool) -> tuple[Path, str]:
    """The stand-alone custody verifier to ship and its name in the package.

    Ledger exports get the ledger's own ``standalone_verifier.py``; simple chains (spec B8.2)
    get ``custody-verify.py``.
    """
    if ledger_format:
        try:
            from forensics.custody.export import VERIFIER_NAME, VERIFIER_SOURCE
        except ImportError:
            raise UserInputError(
                "the custody log is a ledger export but forensics.custody is not installed"
            ) from None
        return VERIFIER_SOURCE, VERIFIER_NAME
    return RESOURCES_DIR / "scripts" / "custody-verify.py", "custody-verify.py"


def build_manifest(
    inp: BundleInput,
    profile: Profile,
    layout: Layout,
    files: Sequence[PackageFile],
    custody: custody_chain.ChainResult,
    custody_sha: str,
    problems: Sequence[Problem],
    signing: SigningConfig | None,
    signer_fingerprint: str,
) -> bytes:
    """``manifest.json`` bytes (spec B8.1); stable key order and formatting."""
    req, case = inp.request, inp.case_data
    acquisitions = {a.exhibit_id: a for a in case.acquisitions}
    exhibits = []
    for exhibit in case.exhibits:
        acq = acquisitions.get(exhibit.id)
        pages = layout.exhibit_pages.get(exhibit.id)
        exhibits.append(
            {
                "id": exhibit.id,
                "parent": exhibit.parent or None,
                "description": exhibit.description,
                "type": exhibit.type,
                "seal_numbers": list(exhibit.seal_numbers),
                "device": {
                    "source_type": exhibit.device.source_type,
                    "make": exhibit.device.make,
                    "model": exhibit.device.model,
                    "serial": exhibit.device.serial_number,
                    "imei": exhibit.device.imei,
                    "other_ids": exhibit.device.other_ids,
                },
                "acquisition": None
                if acq is None
                else {
                    "tool": acq.tool,
                    "version": acq.tool_version,
                    "method": acq.method,
                    "bytes": acq.size_bytes or None,
                    "start": acq.started_at,
                    "end": acq.finished_at,
                    "examiner": acq.examiner.name,
                },
                "hashes": []
                if acq is None
                else [
                    {
                        "algorithm": normalise_algorithm(h.algorithm),
                        "value": h.value,
                        "scope": h.scope,
                    }
                    for h in acq.hashes
                ],
                "verification": None
                if acq is None
                else {"result": acq.verification_result, "note": acq.verification_note},
                "bates": None
                if not pages
                else {
                    "first": f"{case.case.bundle_id}-{min(pages):06d}",
                    "last": f"{case.case.bundle_id}-{max(pages):06d}",
                },
                "certificates": list(exhibit.certificates),
            }
        )
    signers = [
        {
            "name": s.name,
            "role": s.role,
            "designation": s.designation,
            "signature_type": "handwritten",
            "cert_fingerprint_sha256": None,
            "time": s.date,
        }
        for s in req.signatories
    ]
    if signing is not None:
        signers.append(
            {
                "name": signing.signer_name,
                "role": signing.signer_role,
                "designation": signing.signer_designation,
                "signature_type": "PAdES",
                "cert_fingerprint_sha256": signer_fingerprint,
                # The signature is applied after this manifest is sealed into the PDF, so its
                # signing time can only be read from the signature itself.
                "time": None,
                "time_source": "signed attributes of the PAdES signature",
            }
        )
    manifest = {
        "schema": SCHEMA,
        "generator": {"name": "Sealbag", "version": GENERATOR_VERSION},
        "bundle_id": case.case.bundle_id,
        "version": case.case.bundle_version,
        "generated_at": utc_iso(inp.generated_at),
        "status": "draft" if inp.draft else "final",
        "profile": {"id": profile.id, "name": profile.name},
        "requesting_authority": req.requesting_authority.to_dict(),
        "requested_authority": req.requested_authority.to_dict(),
        "case": {
            "reference": case.case.reference,
            "title": case.case.title,
            "our_reference": req.references.our_reference,
            "fir_number": req.references.fir_number,
            "court_case_number": req.references.court_case_number,
            "offences": [
                {"name": o.name, "statute_reference": o.statute_reference} for o in req.offences
            ],
        },
        "legal_basis": {
            "instrument": req.legal_basis.instrument,
            "article": req.legal_basis.instrument_article,
            "domestic_basis": req.legal_basis.domestic_basis,
        },
        "measures": [
            {
                "id": m.id,
                "type": m.type,
                "data_categories": list(m.data_categories),
                "time_range": {"start": m.time_range_start, "end": m.time_range_end},
                "identifiers": list(m.identifiers),
            }
            for m in req.measures
        ],
        "exhibits": exhibits,
        "files": [
            {"path": f.path, "bytes": f.size, "sha256": f.sha256, "role": f.role} for f in files
        ],
        "files_note": "The PDF, manifest.json and SHA256SUMS are hashed in SHA256SUMS only: "
        "a file cannot contain its own hash, and the PDF carries this manifest's hash.",
        "custody_log": {
            "path": "custody.jsonl",
            "sha256": custody_sha,
            "format": custody.format,
            "head_hash": custody.head_hash or None,
            "heads": dict(sorted(custody.heads.items())),
            "entries": custody.count,
        },
        "signers": signers,
        "translations": [
            {
                "language": t.language,
                "file": None,
                "section": "S17",
                "translator": t.translator_name,
            }
            for t in req.translations
        ],
        "pages": layout.total_pages,
        "preflight": {"passed": not problems, "problems": [str(p) for p in problems]},
    }
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def sha256sums_text(entries: Sequence[tuple[str, str]]) -> bytes:
    """coreutils ``sha256sum`` format, sorted by path."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(entries)).encode()


def _write_listing_csvs(spools: Mapping[str, ListingSpool], folder: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    for exhibit_id, spool in spools.items():
        relative = f"annex/{_safe_name(exhibit_id)}-files.csv"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            open(spool.path, encoding="utf-8") as source,
            open(target, "w", newline="", encoding="utf-8") as handle,
        ):
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                [
                    "exhibit_id",
                    "path",
                    "size",
                    "modified",
                    "accessed",
                    "changed",
                    "created",
                    "sha256",
                ]
            )
            for line in source:
                writer.writerow([exhibit_id, *json.loads(line)])
        names[exhibit_id] = relative
    return names


def _attach(pdf_path: Path, attachments: Mapping[str, bytes]) -> None:
    import pikepdf

    mime = {
        ".json": "application/json",
        ".jsonl": "application/jsonl",
        ".jsonld": "application/ld+json",
    }
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        for name, data in attachments.items():
            spec = pikepdf.AttachedFileSpec(
                pdf,
                data,
                description=name,
                filename=name,
                mime_type=mime.get(Path(name).suffix, "text/plain"),
                relationship=pikepdf.Name.Data,
            )
            pdf.attachments[name] = spec
        pdf.save(
            pdf_path,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )


def _certificate_fingerprint(cert_path: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex()


def _sign(pdf_path: Path, signing: SigningConfig, bundle_id: str) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    try:
        signer = signers.SimpleSigner.load(
            str(signing.key_path), str(signing.cert_path), key_passphrase=signing.key_passphrase
        )
    except Exception as exc:  # pyHanko raises assorted errors for unreadable keys
        raise UserInputError(f"cannot load the signing key/certificate: {exc}") from None
    if signer is None:
        raise UserInputError("cannot load the signing key/certificate (wrong passphrase?)")
    meta = signers.PdfSignatureMetadata(
        field_name="ExaminerSignature",
        reason=f"Sealbag MLA evidence bundle {bundle_id}",
        subfilter=signers.pdf_signer.SigSeedSubFilter.PADES,
    )
    signed = pdf_path.with_suffix(".signed")
    with open(pdf_path, "rb") as source, open(signed, "wb") as target:
        writer = IncrementalPdfFileWriter(source, strict=False)
        signers.sign_pdf(writer, meta, signer=signer, output=target)
    os.replace(signed, pdf_path)


def build_bundle(
    inp: BundleInput,
    out_dir: Path,
    *,
    signing: SigningConfig | None = None,
    include_uco: bool = False,
    extra_profile_dirs: tuple[Path, ...] = (),
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> BuildResult:
    """Build the bundle package into ``out_dir`` (created atomically; must not exist yet).

    Args:
        inp: request, case data, profile id, generated_at and draft flag.
        out_dir: the package folder to create.
        signing: optional PAdES signing of the PDF.
        include_uco: also write ``case-uco.jsonld``.

    Returns:
        Where the bundle is, its hashes and the pre-flight problems (drafts only).

    Raises:
        PreflightError: a final bundle failed pre-flight.
        ConflictError: ``out_dir`` already exists and is not empty.
        IntegrityError: the rendered PDF failed its own checks.
    """
    profile = load_profile(inp.profile_id, extra_profile_dirs)
    if not has_zone(inp.generated_at):
        raise UserInputError("generated_at needs a UTC offset, e.g. 2026-03-01T10:00:00Z")
    problems = run_preflight(profile, inp.request, inp.case_data, inp.generated_at)
    if problems and not inp.draft:
        raise PreflightError(problems)
    _require_shaping_if_needed(inp)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConflictError(f"{out_dir} already exists; choose a new --out folder")
    case = inp.case_data
    bundle_id = case.case.bundle_id
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    except OSError as exc:
        raise UserInputError(
            f"cannot write a bundle into {out_dir.parent}: {exc.strerror}"
        ) from None
    scratch = Path(tempfile.mkdtemp(prefix="sealbag-bundle-"))
    spools: dict[str, ListingSpool] = {}
    try:
        progress(ProgressUpdate("bundle", 0, 5, "steps", "writing custody log and annexes"))
        events = list(case.custody_events)
        custody_bytes = custody_chain.custody_jsonl(events)
        _write(staging / "custody.jsonl", custody_bytes)
        chain = custody_chain.verify_chain(events)
        verifier_source, verifier_name = _verifier(chain.format == "ledger")
        shutil.copyfile(verifier_source, staging / verifier_name)
        spools = spool_rows(case.iter_file_rows(), scratch)
        cancel.raise_if_cancelled()
        csv_names = _write_listing_csvs(spools, staging)
        files = [
            _package_file(staging, "custody.jsonl", "custody"),
            _package_file(staging, verifier_name, "verifier"),
        ]
        listing_files = {ex: _package_file(staging, rel, "annex") for ex, rel in csv_names.items()}
        files += listing_files.values()
        if include_uco:
            from reports.uco import case_uco_jsonld

            _write(staging / "case-uco.jsonld", case_uco_jsonld(inp))
            files.append(_package_file(staging, "case-uco.jsonld", "case-uco"))
        files.sort(key=lambda f: f.path)
        fingerprint = _certificate_fingerprint(signing.cert_path) if signing else ""

        templates = {c: load_template(f"certificates/{c}") for c in profile.certificates}
        base = RenderContext(
            bundle_id=bundle_id,
            profile=profile,
            boilerplate=load_template("boilerplate"),
            certificate_templates=templates,
            request=inp.request,
            case_data=case,
            custody_events=events,
            custody=chain,
            generated_at=inp.generated_at,
            draft=inp.draft,
            draft_problems=[str(p) for p in problems],
            manifest_sha256=PLACEHOLDER_HASH,
            package_files=files,
            listings=spools,
            listing_files=listing_files,
            cancel=cancel,
        )
        pdf_path = staging / f"{_safe_name(bundle_id)}.pdf"

        progress(ProgressUpdate("bundle", 1, 5, "steps", "laying out pages"))
        layout = render_pdf(base, pdf_path, None, draw_listing=False)
        for _ in range(MAX_LAYOUT_PASSES):
            cancel.raise_if_cancelled()
            again = render_pdf(base, pdf_path, layout, draw_listing=False)
            if again.key() == layout.key():
                break
            layout = again
        else:
            raise IntegrityError("page layout did not settle; report this bundle as a bug")

        progress(ProgressUpdate("bundle", 2, 5, "steps", "rendering the PDF"))
        manifest = build_manifest(
            inp,
            profile,
            layout,
            files,
            chain,
            hashlib.sha256(custody_bytes).hexdigest(),
            problems,
            signing,
            fingerprint,
        )
        manifest_sha = hashlib.sha256(manifest).hexdigest()
        final_ctx = _replace(base, manifest_sha256=manifest_sha)
        final_layout = render_pdf(final_ctx, pdf_path, layout, draw_listing=True)
        if final_layout.key() != layout.key():
            raise IntegrityError("final page layout differs from the layout pass; report as a bug")
        _write(staging / "manifest.json", manifest)

        progress(ProgressUpdate("bundle", 3, 5, "steps", "checking the rendered PDF"))
        post = check_rendered_pdf(pdf_path, final_ctx, layout)
        if post and not inp.draft:
            raise IntegrityError("rendered PDF failed its checks: " + "; ".join(map(str, post)))

        progress(ProgressUpdate("bundle", 4, 5, "steps", "attaching files and signing"))
        sums_without_pdf = [(f.path, f.sha256) for f in files] + [("manifest.json", manifest_sha)]
        attachments = {
            "manifest.json": manifest,
            "custody.jsonl": custody_bytes,
            "SHA256SUMS": sha256sums_text(sums_without_pdf),
        }
        if include_uco:
            attachments["case-uco.jsonld"] = (staging / "case-uco.jsonld").read_bytes()
        _attach(pdf_path, attachments)
        if signing is not None:
            _sign(pdf_path, signing, bundle_id)
        pdf_sha = sha256_file(pdf_path)
        _write(
            staging / "SHA256SUMS", sha256sums_text([*sums_without_pdf, (pdf_path.name, pdf_sha)])
        )
        progress(ProgressUpdate("bundle", 5, 5, "steps", "bundle written"))
        os.chmod(staging, 0o755)  # noqa: S103  # mkdtemp makes it private
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserInputError(
            f"cannot write the bundle {out_dir}: {exc.strerror or exc}; nothing was kept"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if spools:
            forget_layout(spools.values())
        shutil.rmtree(scratch, ignore_errors=True)
    return BuildResult(
        out_dir,
        bundle_id,
        out_dir / pdf_path.name,
        pdf_sha,
        manifest_sha,
        layout.total_pages,
        inp.draft,
        tuple(problems) + tuple(post),
    )


def _require_shaping_if_needed(inp: BundleInput) -> None:
    """Devanagari printed without HarfBuzz shaping is wrong (vowel signs misplaced): refuse."""
    from reports.fonts import shaping_available

    text = json.dumps(inp.request.to_dict(), ensure_ascii=False)
    if any("\u0900" <= char <= "\u097f" for char in text) and not shaping_available():
        raise UserInputError(
            "the request contains Devanagari text but reportlab cannot shape it: "
            "install uharfbuzz (pip install uharfbuzz==0.57.0)"
        )


def _replace(ctx: RenderContext, **changes: Any) -> RenderContext:
    import dataclasses

    return dataclasses.replace(ctx, **changes)
