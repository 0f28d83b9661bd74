"""``sealbag custody``: record, show, verify and export the chain of custody; manage keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from app.cli.common import (
    database,
    db_option,
    echo_json,
    json_option,
    print_table,
    safe_text,
)
from forensics.casework.attachments import store_attachment
from forensics.casework.cases import get_case_row
from forensics.casework.exhibits import get_exhibit_row
from forensics.casework.people import find_person
from forensics.custody import (
    chain_events,
    compare_with_export,
    custody_status,
    export_custody,
    generate_key,
    record_event,
    revoke_key,
    unlock,
    unlock_person_key,
    verify_chain,
    verify_export,
)
from forensics.custody.keys import (
    has_active_key,
    key_by_fingerprint,
    key_listing,
    list_keys,
    passphrase_from_env,
)
from forensics.custody.ledger import case_custody_status, find_event
from forensics.custody.rules import person_label
from forensics.custody.verify import VerifyReport
from forensics.database.enums import CustodyAction
from forensics.errors import IntegrityError, UserInputError
from forensics.timeutil import parse_local_time, to_local

ENV_NEW_PASSPHRASE = "SEALBAG_NEW_KEY_PASSPHRASE"  # noqa: S105 - a variable name


def _passphrase(confirm: bool = False) -> str:
    return passphrase_from_env() or click.prompt(
        "Signing key passphrase", hide_input=True, confirmation_prompt=confirm, err=True
    )


@click.group("custody")
def custody_group() -> None:
    """Chain of custody: a signed, hash-chained ledger per exhibit."""


@custody_group.command("add")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--exhibit", "exhibit_id", required=True, help="Exhibit ID, e.g. EX-001.")
@click.option(
    "--action", required=True, type=click.Choice([a.value for a in CustodyAction]),
)
@click.option("--actor", required=True, help="Who records it (signs with their key).")
@click.option("--at", "at_text", help="When it happened, ISO 8601 (default: now).")
@click.option("--tz", "zone_name", help="Zone of --at (default: the case's zone).")
@click.option("--released-by", help="Person handing the exhibit over.")
@click.option("--received-by", help="Person receiving it.")
@click.option("--purpose", help="Purpose of the change of custody.")
@click.option("--from", "location_from", help="Location it left.")
@click.option("--to", "location_to", help="Location it went to.")
@click.option("--storage-ref", help="Store, rack, shelf or locker reference.")
@click.option("--seal-number", help="Seal number checked.")
@click.option("--seal-intact/--seal-broken", default=None, help="Whether the seal was intact.")
@click.option("--new-seal", "new_seal_number", help="New seal number applied.")
@click.option("--hash-algorithm", help="Algorithm of a re-verified hash (sha256, md5 ...).")
@click.option("--hash-value", help="The re-verified hash value.")
@click.option("--hash-match/--hash-mismatch", default=None, help="Whether it matched.")
@click.option("--remarks")
@click.option(
    "--attach", "attachments", multiple=True, type=click.Path(path_type=Path),
    help="Photo or scan to keep (stored by SHA-256; repeatable).",
)
@click.option("--corrects", "corrects_seq", type=int, help="Sequence number this corrects.")
@click.option(
    "--exception", help="Record a continuity violation anyway, flagged, with this justification.",
)
@click.option("--update-identity", is_flag=True,
              help="With --action correction: sign the exhibit's corrected description, "
              "identifiers, seals and seizure details into its chain.")
@click.option("--detail", "detail_items", multiple=True, metavar="KEY=VALUE",
              help="Extra fact kept in the signed record (repeatable).")
@db_option
@json_option
def custody_add(
    case_ref: str, exhibit_id: str, action: str, actor: str, at_text: str | None,
    zone_name: str | None, released_by: str | None, received_by: str | None,
    purpose: str | None, location_from: str | None, location_to: str | None,
    storage_ref: str | None, seal_number: str | None, seal_intact: bool | None,
    new_seal_number: str | None, hash_algorithm: str | None, hash_value: str | None,
    hash_match: bool | None, remarks: str | None, attachments: tuple[Path, ...],
    corrects_seq: int | None, exception: str | None, update_identity: bool,
    detail_items: tuple[str, ...], db_url: str | None, as_json: bool,
) -> None:
    """Record one custody event (signed with the actor's key)."""
    details: dict[str, Any] = {}
    for item in detail_items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserInputError(f"--detail {item!r} must be KEY=VALUE")
        details[key.strip()] = value
    with database(db_url) as db, db.session() as session:
        case = get_case_row(session, case_ref)
        exhibit = get_exhibit_row(session, case_ref, exhibit_id)
        person = find_person(session, actor)
        zone = zone_name or case.time_zone or "UTC"
        occurred_at = None
        if at_text:
            occurred_at, zone = parse_local_time(at_text, zone)
        corrects = None
        if corrects_seq is not None:
            corrects = find_event(session, exhibit, corrects_seq)
        folder = Path(case.store_path) if case.store_path else None
        hashes = [store_attachment(session, folder, path).sha256 for path in attachments]
        key = unlock_person_key(session, person, _passphrase())
        event = record_event(
            session, case=case, exhibit=exhibit, action=action, actor=person,
            occurred_at=occurred_at, occurred_tz=zone, signer=key,
            released_by=find_person(session, released_by) if released_by else None,
            received_by=find_person(session, received_by) if received_by else None,
            purpose=purpose, location_from=location_from, location_to=location_to,
            storage_ref=storage_ref, seal_number=seal_number, seal_intact=seal_intact,
            new_seal_number=new_seal_number, hash_algorithm=hash_algorithm,
            hash_value=hash_value, hash_match=hash_match, remarks=remarks, attachments=hashes,
            corrects=corrects, exception=exception, details=details,
            update_identity=update_identity,
        )
        result = {"exhibit": exhibit.exhibit_id, "sequence": event.sequence,
                  "action": event.action.value, "entry_hash": event.entry_hash,
                  "exception": event.exception_flag}
    if as_json:
        echo_json(result)
        return
    flag = " (FLAGGED EXCEPTION)" if result["exception"] else ""
    click.echo(safe_text(f"{result['exhibit']} #{result['sequence']} {result['action']} "
                         f"recorded{flag}; entry hash {result['entry_hash']}"))
    if exception and not result["exception"]:
        click.echo("note: the event breaks no continuity rule, so it was recorded without the "
                   "exception flag and the justification was not stored", err=True)


def _who(person: dict[str, Any] | None) -> str:
    return person_label(person, empty="")


def _summary(event: dict[str, Any]) -> str:
    parts = []
    link = event["derived_from"]
    if link:
        parts.append(f"derived from {link['exhibit']} #{link['sequence']}")
    if event["purpose"]:
        parts.append(f"purpose: {event['purpose']}")
    if event["location_from"] or event["location_to"]:
        parts.append(f"{event['location_from'] or '?'} → {event['location_to'] or '?'}")
    if event["storage_ref"]:
        parts.append(f"store: {event['storage_ref']}")
    if event["seal_number"]:
        intact = {True: " intact", False: " BROKEN", None: ""}[event["seal_intact"]]
        parts.append(f"seal {event['seal_number']}{intact}")
    if event["new_seal_number"]:
        parts.append(f"new seal {event['new_seal_number']}")
    if event["hash_value"]:
        match = {True: " match", False: " MISMATCH", None: ""}[event["hash_match"]]
        parts.append(f"{event['hash_algorithm'] or 'hash'} {event['hash_value'][:16]}…{match}")
    if event["remarks"]:
        parts.append(event["remarks"])
    if event["corrects"]:
        parts.append(f"corrects #{event['corrects']['sequence']}")
    if event["exception"]:
        parts.append(f"EXCEPTION: {event['exception_justification']}")
    return "; ".join(parts)


@custody_group.command("log")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--exhibit", "exhibit_id", required=True, help="Exhibit ID.")
@db_option
@json_option
def custody_log(case_ref: str, exhibit_id: str, db_url: str | None, as_json: bool) -> None:
    """Show an exhibit's custody log and whether it is in custody now."""
    import json

    from forensics.custody.canonical import parse_time

    with database(db_url) as db, db.session() as session:
        exhibit = get_exhibit_row(session, case_ref, exhibit_id)
        status = custody_status(session, exhibit)
        events = []
        for row in chain_events(session, exhibit):
            record = json.loads(row.canonical)
            record.update(entry_hash=row.entry_hash, signature=row.signature)
            events.append(record)
    if as_json:
        echo_json({"exhibit": exhibit_id, "status": status.to_dict(), "events": events})
        return
    corrected_by = {e["corrects"]["sequence"]: e["sequence"] for e in events if e["corrects"]}
    rows = []
    for event in events:
        local = to_local(parse_time(event["occurred_at"]), event["occurred_tz"])
        later = corrected_by.get(event["sequence"])
        rows.append({
            "seq": event["sequence"],
            "time": f"{local:%Y-%m-%d %H:%M:%S%z} {event['occurred_tz']}",
            "action": event["action"],
            "released": _who(event["released_by"]),
            "received": _who(event["received_by"]),
            "by": _who(event["actor"]),
            "details": _summary(event) + (f" [corrected by #{later}]" if later else ""),
        })
    if rows:
        print_table(rows, [("seq", "#"), ("time", "Date and time"), ("action", "Action"),
                           ("released", "Released by"), ("received", "Received by"),
                           ("by", "Recorded by"), ("details", "Details")])
    click.echo(_status_line(status.to_dict()))


def _status_line(status: dict[str, Any]) -> str:
    label = {
        "no-record": "no custody record yet",
        "in-custody": "IN CUSTODY",
        "checked-out": "OUT OF CUSTODY (checked out)",
        "returned": "RETURNED",
        "disposed": "DISPOSED",
    }[status["status"]]
    text = f"{status['exhibit']}: {label}"
    if status["holder"]:
        text += f", held by {_who(status['holder'])}"
    if status["location"]:
        text += f", at {status['location']}"
    if status["since"]:
        text += f", since {status['since'][:16].replace('T', ' ')} UTC"
    return safe_text(text)


@custody_group.command("status")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@db_option
@json_option
def custody_status_cmd(case_ref: str, db_url: str | None, as_json: bool) -> None:
    """Custody status of every exhibit of a case (checked-out items show as out)."""
    with database(db_url) as db, db.session() as session:
        case = get_case_row(session, case_ref)
        statuses = [status.to_dict() for status in case_custody_status(session, case)]
    if as_json:
        echo_json(statuses)
        return
    for status in statuses:
        click.echo(_status_line(status))


def _print_report(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        echo_json(report.to_dict())
    else:
        for chain in report.chains:
            state = "OK" if report.valid else "  "
            click.echo(safe_text(f"{state} {chain.exhibit}: {chain.events} events, "
                                 f"head {chain.head_hash}"))
        for item in report.exceptions:
            click.echo(safe_text(f"flagged exception {item['exhibit']} #{item['sequence']}: "
                                 f"{item['justification']} ({'; '.join(item['violations'])})"))
        for warning in report.warnings:
            click.echo(safe_text(f"warning: {warning}"))
        if report.header_signer is not None:
            signer = report.header_signer
            click.echo(safe_text(f"export header signed by {_who(signer['person'])}, key "
                                 f"{signer['fingerprint']}"))
    if report.first_broken is not None:
        # one line on stderr and exit status 1, like every other error
        raise IntegrityError(safe_text(f"custody chain BROKEN at {report.first_broken.describe()}"))


@custody_group.command("verify")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--exhibit", "exhibit_id", help="Only this exhibit (and its parents).")
@click.option("--against", type=click.Path(path_type=Path, dir_okay=False),
              help="An earlier custody.jsonl: also check none of its events were removed.")
@db_option
@json_option
def custody_verify(case_ref: str, exhibit_id: str | None,
                   against: Path | None, db_url: str | None, as_json: bool) -> None:
    """Verify hashes, signatures and continuity; exit 1 naming the first broken entry."""
    with database(db_url) as db, db.session() as session:
        case = get_case_row(session, case_ref)
        report = verify_chain(session, case, exhibit_id)
        if report.valid and against is not None:
            broken = compare_with_export(session, case, against)
            if broken is not None:
                report = VerifyReport(False, report.chains, broken, report.exceptions,
                                      report.warnings)
    _print_report(report, as_json)


@custody_group.command("verify-file")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@json_option
def custody_verify_file(path: Path, as_json: bool) -> None:
    """Verify an exported custody.jsonl (exit 1 naming the first broken entry)."""
    report = verify_export(path)
    _print_report(report, as_json)


@custody_group.command("export")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--exhibit", "exhibit_ids", multiple=True,
              help="Exhibit to export (repeatable; default: all). Parents come along.")
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="custody.jsonl to write; standalone_verifier.py is put beside it.")
@click.option("--by", "exporter",
              help="Sign the header with this person's key (default: the workstation key).")
@click.option("--force", is_flag=True, help="Replace an existing file (an earlier export is an "
              "anchor worth keeping).")
@db_option
@json_option
def custody_export(case_ref: str, exhibit_ids: tuple[str, ...], out_path: Path,
                   exporter: str | None, force: bool, db_url: str | None,
                   as_json: bool) -> None:
    """Export verified chains as JSON Lines with public keys and the standalone verifier.

    Each exported exhibit gets an 'exported' event naming the file's SHA-256.
    """
    with database(db_url) as db, db.session() as session:
        case = get_case_row(session, case_ref)
        signer = None
        if exporter:
            signer = unlock_person_key(session, find_person(session, exporter), _passphrase())
        result = export_custody(session, case, out_path, list(exhibit_ids) or None,
                                signer=signer, overwrite=force)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(safe_text(f"{result.events} events written to {result.path} "
                         f"(sha256 {result.sha256})"))
    click.echo(safe_text(f"check it anywhere with: python {result.verifier_path.name} "
                         f"{result.path.name}"))
    for warning in result.warnings:
        click.echo(safe_text(f"warning: {warning}"), err=True)


@custody_group.group("key")
def key_group() -> None:
    """Signing keys (Ed25519, one or more per person, passphrase-encrypted)."""


@key_group.command("new")
@click.option("--person", "person_key", required=True, help="ID number, #id or name.")
@click.option("--authorised-by", "authoriser",
              help="For a person who lost their passphrase: another person (supervisor or "
              "witness) whose key authorises the new key; needs --justification.")
@click.option("--justification", help="Why another person authorises this key change.")
@db_option
@json_option
def key_new(person_key: str, authoriser: str | None, justification: str | None,
            db_url: str | None, as_json: bool) -> None:
    """Create a signing key for a person.

    A further key for someone who already has one is authorised by their current
    key (its passphrase from the prompt or $SEALBAG_KEY_PASSPHRASE), or by
    --authorised-by with --justification. The new key's passphrase comes from the
    prompt or $SEALBAG_NEW_KEY_PASSPHRASE ($SEALBAG_KEY_PASSPHRASE for a first key).
    """
    with database(db_url) as db, db.session() as session:
        person = find_person(session, person_key)
        authorised_by = None
        if has_active_key(session, person):
            holder = find_person(session, authoriser) if authoriser else person
            click.echo(safe_text(f"authorising with the current key of {holder.name}"), err=True)
            authorised_by = unlock_person_key(session, holder, _passphrase())
            secret = os.environ.get(ENV_NEW_PASSPHRASE) or click.prompt(
                "New key passphrase", hide_input=True, confirmation_prompt=True, err=True)
        else:
            secret = _passphrase(confirm=True)
        key = generate_key(session, person, secret, authorised_by=authorised_by,
                           justification=justification)
        result = key_listing(key, person)
    if as_json:
        echo_json(result)
    else:
        click.echo(safe_text(f"key {result['fingerprint']} created for {person.name}"))


@key_group.command("list")
@click.option("--person", "person_key", help="Only this person's keys.")
@db_option
@json_option
def key_list(person_key: str | None, db_url: str | None, as_json: bool) -> None:
    """List signing keys with their fingerprints."""
    with database(db_url) as db, db.session() as session:
        keys = list_keys(session, find_person(session, person_key) if person_key else None)
    if as_json:
        echo_json(keys)
        return
    print_table(keys, [("person", "Person"), ("fingerprint", "Fingerprint"),
                       ("created_at", "Created"), ("revoked_at", "Revoked")])


@key_group.command("revoke")
@click.argument("fingerprint")
@click.option("--authorised-by", "authoriser",
              help="Another person whose key authorises the revocation (when the holder "
              "cannot); needs --justification.")
@click.option("--justification", help="Why another person revokes this key.")
@db_option
def key_revoke(fingerprint: str, authoriser: str | None, justification: str | None,
               db_url: str | None) -> None:
    """Revoke a key: events it signed stay valid, it cannot sign new ones.

    Needs the key's own passphrase, or --authorised-by with --justification.
    """
    with database(db_url) as db, db.session() as session:
        key = key_by_fingerprint(session, fingerprint)
        if authoriser:
            authorised_by = unlock_person_key(session, find_person(session, authoriser),
                                              _passphrase())
        else:
            authorised_by = unlock(key, _passphrase())
        key = revoke_key(session, key.fingerprint, authorised_by=authorised_by,
                         justification=justification)
        click.echo(f"key {key.fingerprint} revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


@key_group.command("check")
@click.option("--person", "person_key", required=True, help="ID number, #id or name.")
@db_option
def key_check(person_key: str, db_url: str | None) -> None:
    """Check that the passphrase unlocks the person's active key."""
    with database(db_url) as db, db.session() as session:
        person = find_person(session, person_key)
        key = unlock_person_key(session, person, _passphrase())
    click.echo(f"passphrase OK for key {key.fingerprint}")


def register(group: click.Group) -> None:
    group.add_command(custody_group)
