"""``sealbag exhibit``: register, list and show exhibits."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import database, db_option, echo_json, json_option, print_table, store_option
from forensics.casework.exhibits import ExhibitInput, add_exhibit, get_exhibit, list_exhibits
from forensics.database.enums import ExhibitType, SourceCategory
from forensics.store import EvidenceStore
from forensics.timeutil import to_local
from forensics.units import format_size, parse_size


@click.group("exhibit")
def exhibit_group() -> None:
    """Register, list and show exhibits."""


@exhibit_group.command("add")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--id", "exhibit_id", required=True, help="Exhibit ID, e.g. EX-001 or EX-001.1.")
@click.option("--description", required=True)
@click.option("--parent", help="Parent exhibit of a derived item (default: from the ID).")
@click.option(
    "--type",
    "ex_type",
    default="device",
    show_default=True,
    type=click.Choice([t.value for t in ExhibitType], case_sensitive=False),
)
@click.option(
    "--source-category",
    type=click.Choice([s.value for s in SourceCategory], case_sensitive=False),
    help="Device/record source as on the BSA s.63 certificate.",
)
@click.option("--make")
@click.option("--model")
@click.option("--serial", "serial_number")
@click.option("--imei")
@click.option("--uin")
@click.option("--mac", "mac_address")
@click.option("--cloud-id")
@click.option("--colour", "--color", "colour")
@click.option("--capacity", help="Capacity, e.g. 500G, 1TB, 64GiB.")
@click.option("--condition", help="Condition and visible damage.")
@click.option("--seal", "seals", multiple=True, help="Seal or bag number (repeatable).")
@click.option("--seized-at", help="When seized, ISO 8601 (e.g. 2026-11-20T14:30).")
@click.option("--seized-tz", help="Zone of --seized-at (default: the case's zone).")
@click.option("--seized-location", help="Where it was seized.")
@click.option("--seized-by", help="Person (ID number, #id or name) who seized it.")
@click.option("--authority", "legal_authority", help="Warrant, notice or order (number, date).")
@click.option("--notes")
@click.option(
    "--photo",
    "photos",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Photo of the exhibit (repeatable); kept in the store by SHA-256.",
)
@db_option
@store_option
@json_option
def exhibit_add(
    case_ref: str,
    exhibit_id: str,
    description: str,
    parent: str | None,
    ex_type: str,
    source_category: str | None,
    make: str | None,
    model: str | None,
    serial_number: str | None,
    imei: str | None,
    uin: str | None,
    mac_address: str | None,
    cloud_id: str | None,
    colour: str | None,
    capacity: str | None,
    condition: str | None,
    seals: tuple[str, ...],
    seized_at: str | None,
    seized_tz: str | None,
    seized_location: str | None,
    seized_by: str | None,
    legal_authority: str | None,
    notes: str | None,
    photos: tuple[Path, ...],
    db_url: str | None,
    store_root: Path | None,
    as_json: bool,
) -> None:
    """Register an exhibit (or an item derived from one) in a case."""
    data = ExhibitInput(
        exhibit_id=exhibit_id,
        description=description,
        parent=parent,
        type=ex_type,
        source_category=source_category,
        make=make,
        model=model,
        serial_number=serial_number,
        imei=imei,
        uin=uin,
        mac_address=mac_address,
        cloud_id=cloud_id,
        colour=colour,
        capacity_bytes=parse_size(capacity) if capacity else None,
        condition=condition,
        seal_numbers=seals,
        seized_at=seized_at,
        seized_tz=seized_tz,
        seized_location=seized_location,
        seized_by=seized_by,
        legal_authority=legal_authority,
        notes=notes,
        photos=photos,
    )
    with database(db_url) as db, db.session() as session:
        view = add_exhibit(session, case_ref, data, EvidenceStore(store_root))
    if as_json:
        echo_json(view.to_dict())
    else:
        click.echo(f"exhibit {view.exhibit_id} added to case {view.case_reference}")


@exhibit_group.command("list")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@db_option
@json_option
def exhibit_list(case_ref: str, db_url: str | None, as_json: bool) -> None:
    """List the exhibits of a case."""
    with database(db_url, create=False) as db, db.session() as session:
        exhibits = list_exhibits(session, case_ref)
    if as_json:
        echo_json([e.to_dict() for e in exhibits])
        return
    if not exhibits:
        click.echo(f"no exhibits in {case_ref} yet; add one with: sealbag exhibit add --case ...")
        return
    print_table(
        [
            {
                "id": e.exhibit_id,
                "type": e.type,
                "description": e.description,
                "device": " ".join(x for x in (e.make, e.model) if x),
                "serial": e.serial_number,
                "seals": ", ".join(e.seal_numbers),
            }
            for e in exhibits
        ],
        [
            ("id", "Exhibit"),
            ("type", "Type"),
            ("description", "Description"),
            ("device", "Make/model"),
            ("serial", "Serial"),
            ("seals", "Seals"),
        ],
    )


@exhibit_group.command("show")
@click.argument("exhibit_id", required=False)
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--id", "exhibit_opt", help="Exhibit ID (same as the argument).")
@db_option
@json_option
def exhibit_show(
    exhibit_id: str | None,
    case_ref: str,
    exhibit_opt: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Show one exhibit."""
    ex_id = exhibit_id or exhibit_opt
    if not ex_id:
        raise click.UsageError("give the exhibit ID: sealbag exhibit show --case REF EX-001")
    with database(db_url, create=False) as db, db.session() as session:
        view = get_exhibit(session, case_ref, ex_id)
    if as_json:
        echo_json(view.to_dict())
        return
    seized = None
    if view.seized_at:
        local = to_local(view.seized_at, view.seized_tz)
        seized = f"{local:%Y-%m-%d %H:%M} {view.seized_tz} ({view.seized_at:%Y-%m-%d %H:%M} UTC)"
    fields = [
        ("Exhibit", view.exhibit_id),
        ("Case", view.case_reference),
        ("Derived from", view.parent),
        ("Type", view.type),
        ("Source category", view.source_category),
        ("Description", view.description),
        ("Make / model", " ".join(x for x in (view.make, view.model) if x)),
        ("Serial", view.serial_number),
        ("IMEI", view.imei),
        ("UIN", view.uin),
        ("MAC", view.mac_address),
        ("Cloud ID", view.cloud_id),
        ("Colour", view.colour),
        ("Capacity", format_size(view.capacity_bytes) if view.capacity_bytes else None),
        ("Condition", view.condition),
        ("Seals", ", ".join(view.seal_numbers)),
        ("Seized", seized),
        ("Seized at", view.seized_location),
        ("Seized by", view.seized_by.label if view.seized_by else None),
        ("Legal authority", view.legal_authority),
        ("Photos", ", ".join(p[:16] + "…" for p in view.photos)),
        ("Notes", view.notes),
    ]
    print_table([{"k": k, "v": v} for k, v in fields if v], [("k", "Field"), ("v", "Value")])


def register(group: click.Group) -> None:
    group.add_command(exhibit_group)
