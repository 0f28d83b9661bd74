"""``sealbag db``: where the database is and which schema it has."""

from __future__ import annotations

import click

from app.cli.common import database, db_option, echo_json, json_option
from forensics.database.migrate import current_revision, head_revision


@click.group("db")
def db_group() -> None:
    """Inspect and upgrade the case database."""


@db_group.command("info")
@db_option
@json_option
def db_info(db_url: str | None, as_json: bool) -> None:
    """Show the database URL, backend and schema revision (opening upgrades it)."""
    with database(db_url) as db, db.engine.connect() as conn:
        info = {
            "url": db.display_url(),
            "backend": db.dialect,
            "schema_revision": current_revision(conn),
            "newest_revision": head_revision(),
        }
    if as_json:
        echo_json(info)
    else:
        for key, value in info.items():
            click.echo(f"{key}: {value}")


def register(group: click.Group) -> None:
    group.add_command(db_group)
