"""Custody events for the demonstration case (``sealbag demo``).

Gives each demo person a signing key (passphrase :data:`DEMO_PASSPHRASE`, for
the demo only), records seizure, sealing and deposit in the malkhana for every
demo exhibit, checks EX-001 out to the examiner, and exports the chains.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from forensics.custody.export import export_custody
from forensics.custody.keys import active_key, generate_key, unlock
from forensics.custody.ledger import chain_events, record_event
from forensics.database.models import Case, Exhibit, Person
from forensics.database.session import Database
from forensics.errors import NotFoundError

DEMO_PASSPHRASE = "demo passphrase"  # noqa: S105 - published on purpose; demo data only


def _key(session: Any, person: Person) -> Any:
    try:
        stored = active_key(session, person)
    except NotFoundError:
        stored = generate_key(session, person, DEMO_PASSPHRASE)
    return unlock(stored, DEMO_PASSPHRASE)


def record_demo_custody(
    db: Database,
    case_reference: str,
    out_dir: Path,
    *,
    officer: str,
    custodian: str,
    examiner: str,
) -> dict[str, Any]:
    """Record a plausible custody history for every exhibit of the demo case and export it.

    Args:
        db: the demo database.
        case_reference: the demo case.
        out_dir: the export goes to ``out_dir/custody/custody.jsonl``.
        officer, custodian, examiner: ID numbers of the demo people.

    Returns:
        Step summary: events recorded, export path and head hashes.
    """
    recorded = 0
    with db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == case_reference)).one()
        io, keeper, fsl = (
            s.scalars(select(Person).where(Person.id_number == number)).one()
            for number in (officer, custodian, examiner)
        )
        keys = {p.id: _key(s, p) for p in (io, keeper, fsl)}
        exhibits = s.scalars(
            select(Exhibit)
            .where(Exhibit.case_id == case.id, Exhibit.parent_id.is_(None))
            .order_by(Exhibit.exhibit_id)
        ).all()
        for exhibit in exhibits:
            if chain_events(s, exhibit) or exhibit.seized_at is None:
                continue
            t0, zone = exhibit.seized_at, exhibit.seized_tz or case.time_zone
            seal = (exhibit.seal_numbers or [None])[0]

            def add(
                action: str,
                actor: Person,
                minutes: int,
                ex: Exhibit = exhibit,
                start: Any = t0,
                tz: str = zone,
                **fields: Any,
            ) -> None:
                record_event(
                    s,
                    case=case,
                    exhibit=ex,
                    action=action,
                    actor=actor,
                    occurred_at=start + timedelta(minutes=minutes),
                    occurred_tz=tz,
                    signer=keys[actor.id],
                    **fields,
                )

            add(
                "seized",
                io,
                0,
                received_by=io,
                location_to=exhibit.seized_location,
                purpose="seized under the search warrant",
            )
            add("sealed", io, 10, seal_number=seal, remarks="packed and sealed at the scene")
            add(
                "transferred",
                keeper,
                180,
                released_by=io,
                received_by=keeper,
                purpose="deposit in malkhana",
                location_from=exhibit.seized_location,
                location_to="Cyber Crime PS malkhana",
                storage_ref="Almirah 2, shelf 3",
            )
            recorded += 3
            if exhibit.exhibit_id == "EX-001":
                add(
                    "checked-out",
                    fsl,
                    1440,
                    released_by=keeper,
                    received_by=fsl,
                    purpose="forensic imaging",
                    location_from="Cyber Crime PS malkhana",
                    location_to="State FSL Cyber Division",
                )
                add(
                    "seal-checked",
                    fsl,
                    1500,
                    seal_number=seal,
                    seal_intact=True,
                    remarks="seal intact on receipt at the laboratory",
                )
                recorded += 2
        # the demonstration export is rebuilt on every run, without 'exported' events
        result = export_custody(
            s, case, out_dir / "custody" / "custody.jsonl", overwrite=True, record_exported=False
        )
    return {
        "status": "done",
        "events": recorded,
        "export": str(result.path),
        "heads": {k: v["entry_hash"] for k, v in result.heads.items()},
    }


def check_out_to_laboratory(
    db: Database,
    case_reference: str,
    exhibit_id: str,
    *,
    custodian: str,
    examiner: str,
    after_minutes: int = 1440,
) -> int:
    """Check a demo exhibit out of the malkhana to the examiner, and check its seal.

    Returns:
        The number of events recorded (0 when it is already out).
    """
    with db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == case_reference)).one()
        exhibit = s.scalars(
            select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.exhibit_id == exhibit_id)
        ).one()
        keeper, fsl = (
            s.scalars(select(Person).where(Person.id_number == number)).one()
            for number in (custodian, examiner)
        )
        events = chain_events(s, exhibit)
        if not events or events[-1].action.value == "checked-out":
            return 0
        start = exhibit.seized_at or events[-1].occurred_at
        zone = exhibit.seized_tz or case.time_zone
        seal = (exhibit.seal_numbers or [None])[0]
        record_event(
            s,
            case=case,
            exhibit=exhibit,
            action="checked-out",
            actor=fsl,
            occurred_at=start + timedelta(minutes=after_minutes),
            occurred_tz=zone,
            signer=_key(s, fsl),
            released_by=keeper,
            received_by=fsl,
            purpose="forensic imaging",
            location_from="Cyber Crime PS malkhana",
            location_to="State FSL Cyber Division",
        )
        record_event(
            s,
            case=case,
            exhibit=exhibit,
            action="seal-checked",
            actor=fsl,
            occurred_at=start + timedelta(minutes=after_minutes + 60),
            occurred_tz=zone,
            signer=_key(s, fsl),
            seal_number=seal,
            seal_intact=True,
            remarks="seal intact on receipt at the laboratory",
        )
    return 2


__all__ = ["DEMO_PASSPHRASE", "check_out_to_laboratory", "record_demo_custody"]
