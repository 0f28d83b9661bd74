"""``sealbag hashset``: register known-file hash sets (NSRL RDSv3, hashdeep, md5sum, CSV)."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import database, db_option, echo_json, progress_bar, safe_text
from forensics.errors import UserInputError


@click.group("hashset")
def hashset_group() -> None:
    """Known-file hash sets: known-good sets hide files, known-bad sets flag them notable."""


@hashset_group.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name a report cites (e.g. 'Project VIC').")
@click.option("--version", "version", required=True, help="Version or date of the set.")
@click.option("--kind", required=True, type=click.Choice(["known-good", "known-bad", "known"]))
@click.option("--format", "fmt", type=click.Choice(["hashdeep", "md5sum", "sha256sum", "csv"]),
              help="List format (guessed from the content when omitted).")
@click.option("--description", help="Free text kept with the set.")
@db_option
def import_cmd(source: Path, name: str, version: str, kind: str, fmt: str | None,
               description: str | None, db_url: str | None) -> None:
    """Import a hashdeep, md5sum, sha256sum or CSV list into its own index file."""
    from forensics.hashsets.registry import import_into

    with database(db_url) as db, progress_bar("import") as (report, _cancel):
        info = import_into(db, source, name=name, version=version, kind=kind, fmt=fmt,
                           description=description, progress=report)
    click.echo(f"imported {info.entry_count} entries ({', '.join(info.algorithms)}) as "
               f"{info.name} {info.version} [{info.kind}] -> {info.index_path}")


@hashset_group.command("add-nsrl")
@click.argument("rds", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default="NSRL RDS", show_default=True)
@click.option("--version", "version", help="Version label (read from the database if omitted).")
@db_option
def add_nsrl_cmd(rds: Path, name: str, version: str | None, db_url: str | None) -> None:
    """Use an NSRL RDSv3 SQLite file in place (nothing is copied). Hits are 'known'."""
    from forensics.hashsets.nsrl import NsrlRds
    from forensics.hashsets.registry import register_nsrl

    probe = NsrlRds(rds, name=name)
    indexed = probe.indexed
    probe.close()
    with database(db_url) as db:
        info = register_nsrl(db, rds, name=name, version=version)
    click.echo(f"registered {info.name} {info.version or '(no version)'} [known] at {rds}")
    if not indexed:
        click.echo("sealbag: warning: the FILE table has no index on sha256/md5; lookups "
                   "will be slow (NIST's 'minimal' RDS ships without one)", err=True)


@hashset_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def list_cmd(as_json: bool, db_url: str | None) -> None:
    """Show the registered hash sets."""
    from forensics.hashsets.registry import list_sets

    with database(db_url) as db:
        sets = list_sets(db)
    if as_json:
        echo_json(sets)
        return
    if not sets:
        click.echo("no hash sets registered (sealbag hashset import / add-nsrl)")
    for s in sets:
        click.echo(f"{safe_text(s['name'])}\t{safe_text(s['version'])}\t{s['kind']}\t"
                   f"{s['format']}\t"
                   f"{s['entries'] if s['entries'] >= 0 else '?'} entries\t"
                   f"{'enabled' if s['enabled'] else 'disabled'}")


@hashset_group.command("remove")
@click.argument("name")
@click.argument("version")
@db_option
def remove_cmd(name: str, version: str, db_url: str | None) -> None:
    """Unregister a set (an imported index is deleted; an NSRL file is left alone)."""
    from forensics.hashsets.registry import remove_set

    with database(db_url) as db:
        remove_set(db, name, version)
    click.echo(f"removed {name} {version}")


@hashset_group.command("lookup")
@click.argument("digest")
@db_option
def lookup_cmd(digest: str, db_url: str | None) -> None:
    """Look an MD5 or SHA-256 up in every enabled set."""
    from forensics.database.hashkey import parse_digest
    from forensics.hashsets.matcher import HashMatcher
    from forensics.hashsets.registry import open_enabled

    try:
        digest = parse_digest(digest)
    except ValueError as exc:
        raise UserInputError(str(exc)) from exc
    with database(db_url) as db:
        sources, _ids = open_enabled(db)
    try:
        hit = HashMatcher(sources).match(digest if len(digest) == 32 else None,
                                         digest if len(digest) == 64 else None)
    finally:
        for s in sources:
            s.close()
    if hit is None:
        click.echo("not in any enabled hash set")
    else:
        click.echo(f"{hit.kind}: {safe_text(hit.set_name)} {safe_text(hit.set_version)}: "
                   f"{safe_text(hit.listed_name)}")


def register(group: click.Group) -> None:
    """Add ``hashset`` to the root command group."""
    group.add_command(hashset_group)
