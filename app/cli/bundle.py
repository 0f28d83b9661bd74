"""``sealbag bundle``: write a request template, build an MLA evidence bundle, verify one."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import echo_json, progress_bar
from forensics.errors import UserInputError
from reports.loading import load_case_data, load_request
from reports.model import BundleInput
from reports.package import SigningConfig, build_bundle
from reports.profiles import list_profiles
from reports.request_template import request_template
from reports.verify import verify_bundle


def _load_case_data(case_ref: str, case_data_file: Path | None):
    if case_data_file is None:
        raise UserInputError(
            "reading case data from the case database is not available yet; "
            "pass --case-data FILE (YAML/JSON) for case " + case_ref
        )
    data = load_case_data(case_data_file)
    if data.case.reference and data.case.reference != case_ref:
        raise UserInputError(
            f"--case {case_ref} does not match the case data file ({data.case.reference})"
        )
    return data


def register(group: click.Group) -> None:
    """Add the ``bundle`` command group."""

    @group.group("bundle")
    def bundle() -> None:
        """MLA evidence bundles: request template, build, verify."""

    @bundle.command("profiles")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def profiles(as_json: bool) -> None:
        """List the jurisdiction profiles."""
        names = list_profiles()
        if as_json:
            echo_json(names)
        else:
            click.echo("\n".join(names))

    @bundle.command("init")
    @click.option("--profile", "profile_id", required=True, help="Profile, e.g. IN-MLA.")
    @click.option(
        "--out",
        "out_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the template here instead of standard output.",
    )
    def init(profile_id: str, out_file: Path | None) -> None:
        """Write a commented request template for PROFILE."""
        text = request_template(profile_id)
        if out_file is None:
            click.echo(text, nl=False)
            return
        if out_file.exists():
            raise UserInputError(f"{out_file} already exists; choose another --out")
        out_file.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out_file}")

    @bundle.command("build")
    @click.option("--case", "case_ref", required=True, help="Case reference.")
    @click.option("--profile", "profile_id", required=True, help="Profile, e.g. IN-MLA.")
    @click.option(
        "--request",
        "request_file",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    )
    @click.option(
        "--out",
        "out_dir",
        required=True,
        type=click.Path(path_type=Path),
        help="Bundle folder to create (must not exist).",
    )
    @click.option(
        "--case-data",
        "case_data_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Case data (exhibits, acquisitions, custody, listings) as YAML/JSON.",
    )
    @click.option(
        "--draft", is_flag=True, help="Build despite pre-flight problems, watermarked DRAFT."
    )
    @click.option(
        "--generated-at",
        default=None,
        help="Generation time (ISO 8601 with zone); fixes the output for re-builds.",
    )
    @click.option("--uco", is_flag=True, help="Also write case-uco.jsonld.")
    @click.option(
        "--sign-key",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Examiner's private key (PEM) for a PAdES signature.",
    )
    @click.option(
        "--sign-cert",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Examiner's certificate (PEM).",
    )
    @click.option("--signer", default="", help="Signer's name recorded in the manifest.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    def build(
        case_ref: str,
        profile_id: str,
        request_file: Path,
        out_dir: Path,
        case_data_file: Path | None,
        draft: bool,
        generated_at: str | None,
        uco: bool,
        sign_key: Path | None,
        sign_cert: Path | None,
        signer: str,
        as_json: bool,
    ) -> None:
        """Build the bundle for CASE with PROFILE into OUT."""
        from datetime import UTC, datetime

        if bool(sign_key) != bool(sign_cert):
            raise UserInputError("--sign-key and --sign-cert go together")
        signing = (
            SigningConfig(sign_key, sign_cert, signer or "Examiner")
            if sign_key and sign_cert
            else None
        )
        stamp = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
        inp = BundleInput(
            request=load_request(request_file),
            case_data=_load_case_data(case_ref, case_data_file),
            profile_id=profile_id,
            generated_at=stamp,
            draft=draft,
        )
        with progress_bar("bundle", enabled=not as_json) as (progress, cancel):
            result = build_bundle(
                inp, out_dir, signing=signing, include_uco=uco, progress=progress, cancel=cancel
            )
        if as_json:
            echo_json(result)
            return
        click.echo(f"{'DRAFT ' if result.draft else ''}bundle {result.bundle_id}: {result.folder}")
        click.echo(
            f"  PDF {result.pdf_path.name}: {result.pages} pages, SHA-256 {result.pdf_sha256}"
        )
        click.echo(f"  manifest.json SHA-256 {result.manifest_sha256}")
        for problem in result.problems:
            click.echo(f"  pre-flight: {problem}", err=True)

    @bundle.command("verify")
    @click.argument("target", type=click.Path(exists=True, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    def verify(target: Path, as_json: bool) -> None:
        """Verify a bundle folder or bundle PDF; exit 0 only when every check passes."""
        report = verify_bundle(target)
        if as_json:
            echo_json(report)
        else:
            for check in report.checks:
                mark = "OK  " if check.ok else "FAIL"
                click.echo(f"{mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
            click.echo("bundle verified" if report.ok else "bundle FAILED verification")
        if not report.ok:
            raise click.exceptions.Exit(1)
