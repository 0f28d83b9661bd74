"""``sealbag person``: register and list people."""

from __future__ import annotations

import click

from app.cli.common import database, db_option, echo_json, json_option, print_table
from forensics.casework.people import PersonInput, add_person, list_people
from forensics.database.enums import PersonRole


@click.group("person")
def person_group() -> None:
    """Register and list examiners, officers, custodians and others."""


@person_group.command("add")
@click.option("--name", required=True)
@click.option("--designation", help="Rank or job title.")
@click.option("--id-number", help="Badge, staff or ID number (unique).")
@click.option("--agency")
@click.option(
    "--role",
    default="other",
    show_default=True,
    type=click.Choice([r.value for r in PersonRole], case_sensitive=False),
)
@click.option("--email")
@click.option("--phone")
@db_option
@json_option
def person_add(
    name: str,
    designation: str | None,
    id_number: str | None,
    agency: str | None,
    role: str,
    email: str | None,
    phone: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Register a person."""
    data = PersonInput(name, designation, id_number, agency, role, email, phone)
    with database(db_url) as db, db.session() as session:
        view = add_person(session, data)
    if as_json:
        echo_json(view.to_dict())
    else:
        click.echo(f"person #{view.id} registered: {view.label}")


@person_group.command("list")
@db_option
@json_option
def person_list(db_url: str | None, as_json: bool) -> None:
    """List everyone registered."""
    with database(db_url, create=False) as db, db.session() as session:
        people = list_people(session)
    if as_json:
        echo_json([p.to_dict() for p in people])
        return
    if not people:
        click.echo("nobody registered yet; add someone with: sealbag person add --name NAME")
        return
    print_table(
        [p.to_dict() for p in people],
        [
            ("id", "#"),
            ("name", "Name"),
            ("designation", "Designation"),
            ("id_number", "ID number"),
            ("agency", "Agency"),
            ("role", "Role"),
        ],
    )


def register(group: click.Group) -> None:
    group.add_command(person_group)
