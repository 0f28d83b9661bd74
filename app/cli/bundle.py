"""``sealbag bundle``: write a request template, build an MLA evidence bundle, verify one."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import (
    database,
    db_option,
    echo_json,
    json_option,
    print_table,
    progress_bar,
    safe_text,
)
from forensics.errors import DatabaseError, UserInputError
from reports.loading import load_case_data, load_request
from reports.model import BundleInput
from reports.package import SigningConfig, build_bundle
from reports.profiles import list_profiles
from reports.request_template import request_template
from reports.verify import verify_bundle


def _print_result(result) -> None:
    click.echo(f"{'DRAFT ' if result.draft else ''}bundle {result.bundle_id}: {result.folder}")
    click.echo(f"  PDF {result.pdf_path.name}: {result.pages} pages, SHA-256 {result.pdf_sha256}")
    click.echo(f"  manifest.json SHA-256 {result.manifest_sha256}")
    for problem in result.problems:
        click.echo(f"  pre-flight: {safe_text(problem)}", err=True)


def _load_case_data(case_ref: str, case_data_file: Path):
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
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Request YAML/JSON (default: the request stored with 'bundle request set').",
    )
    @click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        help="Bundle folder to create (must not exist; default: the case's bundles/ folder).",
    )
    @click.option(
        "--case-data",
        "case_data_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Read the case part from this YAML/JSON instead of the case database.",
    )
    @click.option(
        "--exhibit",
        "exhibit_ids",
        multiple=True,
        help="Only these exhibits (repeatable; parents come along). Default: all.",
    )
    @click.option("--by", "operator", help="Person building the bundle (ID number or name).")
    @db_option
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
        request_file: Path | None,
        out_dir: Path | None,
        case_data_file: Path | None,
        exhibit_ids: tuple[str, ...],
        operator: str | None,
        db_url: str | None,
        draft: bool,
        generated_at: str | None,
        uco: bool,
        sign_key: Path | None,
        sign_cert: Path | None,
        signer: str,
        as_json: bool,
    ) -> None:
        """Build the bundle for CASE with PROFILE (from the case database by default)."""
        from datetime import UTC, datetime

        if bool(sign_key) != bool(sign_cert):
            raise UserInputError("--sign-key and --sign-cert go together")
        signing = (
            SigningConfig(sign_key, sign_cert, signer or "Examiner")
            if sign_key and sign_cert
            else None
        )
        stamp = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
        if case_data_file is not None:
            if request_file is None:
                raise UserInputError("--case-data needs --request FILE too")
            if out_dir is None:
                raise UserInputError("--case-data needs --out DIR too")
            if exhibit_ids or operator:
                raise UserInputError("--exhibit and --by apply to builds from the case database")
            inp = BundleInput(
                request=load_request(request_file),
                case_data=_load_case_data(case_ref, case_data_file),
                profile_id=profile_id,
                generated_at=stamp,
                draft=draft,
            )
            with progress_bar("bundle", enabled=not as_json) as (progress, cancel):
                result = build_bundle(
                    inp,
                    out_dir,
                    signing=signing,
                    include_uco=uco,
                    progress=progress,
                    cancel=cancel,
                )
            if as_json:
                echo_json(result)
                return
            _print_result(result)
            return
        from reports.bundle_store import build_bundle_from_database

        with (
            database(db_url, create=False) as db,
            progress_bar("bundle", enabled=not as_json) as (
                progress,
                cancel,
            ),
        ):
            outcome = build_bundle_from_database(
                db,
                case_ref,
                profile_id,
                request_file=request_file,
                out_dir=out_dir,
                draft=draft,
                generated_at=stamp,
                exhibits=exhibit_ids or None,
                operator=operator,
                signing=signing,
                include_uco=uco,
                progress=progress,
                cancel=cancel,
            )
        if as_json:
            echo_json(outcome.to_dict())
        else:
            _print_result(outcome.result)
            if outcome.recorded is not None:
                rec = outcome.recorded
                click.echo(
                    f"  recorded in the case database: bundle row #{rec.bundle_row_id}, "
                    f"{rec.stored_files} stored file(s), 'reported' custody event(s) for "
                    + (", ".join(sorted(rec.custody_events)) or "no exhibit")
                )
                for warning in rec.warnings:
                    click.echo(f"  custody: {safe_text(warning)}", err=True)
        if outcome.record_error:
            raise DatabaseError(outcome.record_error)

    @bundle.group("request")
    def request_group() -> None:
        """The request data stored with a case (one per profile)."""

    @request_group.command("set")
    @click.option("--case", "case_ref", required=True, help="Case reference.")
    @click.option("--profile", "profile_id", required=True, help="Profile, e.g. IN-MLA.")
    @click.option(
        "--file",
        "request_file",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Request YAML/JSON (from 'sealbag bundle init'); may add certificates: and bundle:.",
    )
    @db_option
    @json_option
    def request_set(
        case_ref: str, profile_id: str, request_file: Path, db_url: str | None, as_json: bool
    ) -> None:
        """Validate a request file and store it for CASE and PROFILE (replacing any)."""
        from reports.bundle_store import store_request
        from reports.loading import read_structured_file

        data = read_structured_file(request_file)
        if data is not None and not isinstance(data, dict):
            raise UserInputError(f"{request_file}: expected a mapping at the top level")
        with database(db_url, create=False) as db, db.session() as session:
            row = store_request(session, case_ref, profile_id, data or {})
            summary = {
                "id": row.id,
                "case": case_ref,
                "profile": row.profile,
                "reference": row.reference,
            }
        if as_json:
            echo_json(summary)
        else:
            click.echo(
                f"stored request #{summary['id']} for case {safe_text(case_ref)} "
                f"profile {summary['profile']}"
            )

    @request_group.command("show")
    @click.option("--case", "case_ref", required=True, help="Case reference.")
    @click.option("--profile", "profile_id", help="Only this profile.")
    @db_option
    @json_option
    def request_show(
        case_ref: str, profile_id: str | None, db_url: str | None, as_json: bool
    ) -> None:
        """Show the stored request(s) of CASE (YAML, or JSON with --json)."""
        import yaml

        from reports.bundle_store import stored_request, stored_requests

        with database(db_url, create=False) as db, db.session() as session:
            rows = (
                [stored_request(session, case_ref, profile_id)]
                if profile_id
                else stored_requests(session, case_ref)
            )
            items = [
                {
                    "id": r.id,
                    "profile": r.profile,
                    "reference": r.reference,
                    "updated_at": r.updated_at.isoformat(),
                    "data": r.data,
                }
                for r in rows
            ]
        if as_json:
            echo_json(items)
            return
        if not items:
            click.echo(
                f"no stored request for case {safe_text(case_ref)}; store one with: "
                "sealbag bundle request set --case REF --profile P --file request.yaml"
            )
            return
        for item in items:
            click.echo(
                f"# request #{item['id']} profile {item['profile']} (updated {item['updated_at']})"
            )
            text = yaml.safe_dump(item["data"], allow_unicode=True, sort_keys=False)
            click.echo("\n".join(safe_text(line) for line in text.splitlines()))

    @bundle.command("list")
    @click.option("--case", "case_ref", required=True, help="Case reference.")
    @db_option
    @json_option
    def list_command(case_ref: str, db_url: str | None, as_json: bool) -> None:
        """List the bundles recorded for CASE."""
        from reports.bundle_store import list_bundles

        with database(db_url, create=False) as db, db.session() as session:
            rows = list_bundles(session, case_ref)
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo(f"no bundles recorded for case {safe_text(case_ref)}")
            return
        for row in rows:
            row["pdf"] = row["pdf_sha256"][:16]
            row["manifest"] = row["manifest_sha256"][:16]
        print_table(
            rows,
            [
                ("bundle_id", "Bundle"),
                ("version", "v"),
                ("profile", "Profile"),
                ("status", "Status"),
                ("generated_at", "Generated (UTC)"),
                ("manifest", "manifest SHA-256"),
                ("pdf", "PDF SHA-256"),
                ("out_path", "Folder"),
            ],
        )

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
