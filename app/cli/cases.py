"""``sealbag case``: open, list and show cases."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import database, db_option, echo_json, json_option, print_table, store_option
from forensics.casework.cases import (
    CaseInput,
    create_case,
    get_case,
    list_cases,
    parse_offence,
)
from forensics.store import EvidenceStore
from forensics.timeutil import to_local


@click.group("case")
def case_group() -> None:
    """Open, list and show cases."""


@case_group.command("new")
@click.option("--reference", required=True, help="FIR / crime / case number (unique).")
@click.option("--title", required=True, help="Short title of the case.")
@click.option("--agency", help="Investigating agency or police station.")
@click.option("--jurisdiction", help="Court or territorial jurisdiction.")
@click.option("--country", "country_code", help="ISO 3166 alpha-2 country code (IN, US...).")
@click.option("--agency-code", help="Short agency code used in bundle IDs (e.g. CYPS).")
@click.option(
    "--offence",
    "offences",
    multiple=True,
    metavar="TEXT",
    help='Offence with its statute, e.g. "Cheating by personation=BNS s.319" (repeatable).',
)
@click.option("--stage", default="investigation", show_default=True, help="Stage of proceedings.")
@click.option("--time-zone", default="UTC", show_default=True, help="IANA zone of the case.")
@click.option("--description", help="Free-text summary.")
@db_option
@store_option
@json_option
def case_new(
    reference: str,
    title: str,
    agency: str | None,
    jurisdiction: str | None,
    country_code: str | None,
    agency_code: str | None,
    offences: tuple[str, ...],
    stage: str,
    time_zone: str,
    description: str | None,
    db_url: str | None,
    store_root: Path | None,
    as_json: bool,
) -> None:
    """Open a new case and create its evidence folder."""
    data = CaseInput(
        reference=reference,
        title=title,
        agency=agency,
        jurisdiction=jurisdiction,
        country_code=country_code,
        agency_code=agency_code,
        stage=stage,
        time_zone=time_zone,
        description=description,
        offences=tuple(parse_offence(o) for o in offences),
    )
    with database(db_url) as db, db.session() as session:
        view = create_case(session, data, EvidenceStore(store_root))
    if as_json:
        echo_json(view.to_dict())
    else:
        click.echo(f"case {view.reference} opened; evidence folder: {view.store_path}")


@case_group.command("list")
@db_option
@json_option
def case_list(db_url: str | None, as_json: bool) -> None:
    """List every case."""
    with database(db_url, create=False) as db, db.session() as session:
        cases = list_cases(session)
    if as_json:
        echo_json([c.to_dict() for c in cases])
        return
    if not cases:
        click.echo("no cases yet; open one with: sealbag case new --reference REF --title TITLE")
        return
    print_table(
        [
            {
                "reference": c.reference,
                "title": c.title,
                "agency": c.agency,
                "stage": c.stage,
                "status": c.status,
                "exhibits": c.exhibit_count,
            }
            for c in cases
        ],
        [
            ("reference", "Reference"),
            ("title", "Title"),
            ("agency", "Agency"),
            ("stage", "Stage"),
            ("status", "Status"),
            ("exhibits", "Exhibits"),
        ],
    )


@case_group.command("show")
@click.argument("reference", required=False)
@click.option("--case", "case_ref", help="Case reference (same as the argument).")
@db_option
@json_option
def case_show(
    reference: str | None, case_ref: str | None, db_url: str | None, as_json: bool
) -> None:
    """Show one case."""
    ref = reference or case_ref
    if not ref:
        raise click.UsageError("give the case reference: sealbag case show REF")
    with database(db_url, create=False) as db, db.session() as session:
        view = get_case(session, ref)
    if as_json:
        echo_json(view.to_dict())
        return
    created = to_local(view.created_at, view.time_zone)
    lines = [
        ("Reference", view.reference),
        ("Title", view.title),
        ("Agency", view.agency),
        ("Jurisdiction", view.jurisdiction),
        ("Country", view.country_code),
        ("Stage", view.stage),
        ("Status", view.status),
        ("Time zone", view.time_zone),
        (
            "Opened",
            f"{created:%Y-%m-%d %H:%M:%S} {view.time_zone} ({view.created_at:%H:%M:%S} UTC)",
        ),
        ("Exhibits", str(view.exhibit_count)),
        ("Evidence folder", view.store_path),
        ("Description", view.description),
    ]
    for offence in view.offences:
        lines.append(("Offence", f"{offence.name} [{offence.statute or 'no statute given'}]"))
    print_table([{"k": k, "v": v} for k, v in lines if v], [("k", "Field"), ("v", "Value")])


def register(group: click.Group) -> None:
    group.add_command(case_group)
