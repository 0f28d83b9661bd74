"""A demonstration case: the whole pipeline on generated evidence, headless.

Used by ``sealbag demo --out DIR`` (trainers, newcomers, CI) and by the desktop
app, which opens on a demo case when the database is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from forensics.casework.cases import CaseInput, OffenceInput, create_case
from forensics.casework.exhibits import ExhibitInput, add_exhibit
from forensics.casework.people import PersonInput, add_person
from forensics.database.models import Case
from forensics.database.session import Database
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, ProgressUpdate, no_progress
from forensics.store import EvidenceStore

DEMO_REFERENCE = "DEMO FIR 0001/2026"

DEMO_CASE = CaseInput(
    reference=DEMO_REFERENCE,
    title="Demonstration: phishing kit seized from a rented flat",
    agency="Cyber Crime Police Station (demo)",
    jurisdiction="Chief Judicial Magistrate, Bengaluru (demo)",
    country_code="IN",
    agency_code="CYPS",
    stage="investigation",
    time_zone="Asia/Kolkata",
    description="Generated demonstration case. All names, numbers and media are fictitious.",
    offences=(
        OffenceInput("Cheating by personation", "BNS s.319"),
        OffenceInput("Identity theft", "IT Act 2000 s.66C"),
    ),
)

DEMO_PEOPLE = (
    PersonInput(
        "Asha Rao", "Inspector of Police", "DEMO-IO-1", "Cyber Crime PS", "investigating-officer"
    ),
    PersonInput(
        "Vikram Nair", "Scientific Officer", "DEMO-EX-1", "State FSL Cyber Division", "examiner"
    ),
    PersonInput(
        "Meena Iyer", "Head Constable (malkhana)", "DEMO-CU-1", "Cyber Crime PS", "custodian"
    ),
)

DEMO_EXHIBITS = (
    ExhibitInput(
        exhibit_id="EX-001",
        description="USB flash drive, black, found in laptop bag",
        type="storage-media",
        source_category="flash-drive",
        make="SanDisk",
        model="Cruzer Blade",
        serial_number="DEMO4C530001",
        colour="black",
        capacity_bytes=16 * 1000**3,
        condition="good, no visible damage",
        seal_numbers=("CYPS/2026/S-0417",),
        seized_at="2026-11-20T14:30",
        seized_location="Flat 4B, 12th Cross, Indiranagar, Bengaluru (demo)",
        seized_by="DEMO-IO-1",
        legal_authority="Search warrant 55/2026 dated 19/11/2026 (demo)",
    ),
    ExhibitInput(
        exhibit_id="EX-002",
        description="Android phone, blue, screen cracked",
        type="mobile",
        source_category="mobile",
        make="Samsung",
        model="Galaxy A14",
        serial_number="R58T00DEMO",
        imei="356938035643809",
        colour="blue",
        capacity_bytes=64 * 1000**3,
        condition="screen cracked, powered off at seizure",
        seal_numbers=("CYPS/2026/S-0418",),
        seized_at="2026-11-20T14:45",
        seized_location="Flat 4B, 12th Cross, Indiranagar, Bengaluru (demo)",
        seized_by="DEMO-IO-1",
        legal_authority="Search warrant 55/2026 dated 19/11/2026 (demo)",
    ),
)


@dataclass
class DemoSummary:
    """Where everything the demo made is, and what each step did."""

    database_url: str
    case_reference: str
    store_path: str | None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database_url,
            "case": self.case_reference,
            "evidence_folder": self.store_path,
            "steps": self.steps,
        }


def ensure_demo_case(db: Database, store: EvidenceStore) -> bool:
    """Create the demo case, people and exhibits if the database has no case yet.

    Returns:
        True when the demo case was created now.
    """
    with db.session() as session:
        if session.scalar(select(func.count(Case.id))):
            return False
        for person in DEMO_PEOPLE:
            add_person(session, person)
        create_case(session, DEMO_CASE, store)
        for exhibit in DEMO_EXHIBITS:
            add_exhibit(session, DEMO_REFERENCE, exhibit, store)
    return True


def run_demo(
    out_dir: Path,
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> DemoSummary:
    """Run every available pipeline step on generated evidence in ``out_dir``.

    Args:
        out_dir: folder for the demo database (``sealbag.db``) and evidence store.
        progress: receives one update per step.
        cancel: checked between steps.

    Returns:
        A summary naming the database, the case folder and each step's outputs.
    """
    from forensics.database import open_database

    out_dir = out_dir.absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "sealbag.db"
    if db_path.exists():
        from forensics.database.session import remove_sqlite_files

        remove_sqlite_files(db_path)
    url = f"sqlite:///{db_path}"
    store = EvidenceStore(out_dir / "store")
    if store.root.exists():
        import shutil

        shutil.rmtree(store.root)  # the demo starts from nothing on every run
    steps = [
        ("case", _step_case),
        ("custody", _step_custody),
        ("media", _step_media),
        ("acquire", _step_acquire),
        ("catalog", _step_catalog),
        ("ledger", _step_ledger),
    ]
    summary = DemoSummary(database_url=url, case_reference=DEMO_REFERENCE, store_path=None)
    with open_database(url) as db:
        for index, (name, step) in enumerate(steps):
            cancel.raise_if_cancelled()
            progress(ProgressUpdate("demo", index, len(steps), "steps", name))
            summary.steps.append({"step": name, **step(db, store, out_dir)})
        progress(ProgressUpdate("demo", len(steps), len(steps), "steps", "done"))
        with db.session() as session:
            summary.store_path = session.scalar(
                select(Case.store_path).where(Case.reference == DEMO_REFERENCE)
            )
    return summary


def _step_case(db: Database, store: EvidenceStore, out_dir: Path) -> dict[str, Any]:
    ensure_demo_case(db, store)
    return {
        "status": "done",
        "people": len(DEMO_PEOPLE),
        "exhibits": [e.exhibit_id for e in DEMO_EXHIBITS],
    }


def _step_custody(db: Database, store: EvidenceStore, out_dir: Path) -> dict[str, Any]:
    from forensics.custody.demo import check_out_to_laboratory, record_demo_custody

    result = record_demo_custody(
        db,
        DEMO_REFERENCE,
        out_dir,
        officer="DEMO-IO-1",
        custodian="DEMO-CU-1",
        examiner="DEMO-EX-1",
    )
    # the phone goes to the laboratory too, a day after the USB drive
    result["events"] += check_out_to_laboratory(
        db,
        DEMO_REFERENCE,
        "EX-002",
        custodian="DEMO-CU-1",
        examiner="DEMO-EX-1",
        after_minutes=2880,
    )
    return {"status": "done", **result}


# What each demo exhibit held: (exhibit, image file, practice-image recipe)
DEMO_MEDIA = (
    (
        "EX-001",
        "seized-media/EX-001-usb.dd",
        {"fs_type": "fat32", "files": 40, "deleted": 5, "disguised": 4},
    ),
    (
        "EX-002",
        "seized-media/EX-002-phone-userdata.dd",
        {"fs_type": "ext4", "files": 60, "deleted": 6, "disguised": 3},
    ),
)
DEMO_WRITE_BLOCKER = "Tableau T8u forensic USB bridge, s/n DEMO-T8U-0001 (demo)"


def _step_media(db: Database, store: EvidenceStore, out_dir: Path) -> dict[str, Any]:
    """Generate the 'seized' media: a FAT32 USB drive and an ext4 phone data partition."""
    from forensics.training import TrainingSpec, build_image

    made = {}
    for seed, (exhibit, name, recipe) in enumerate(DEMO_MEDIA, start=2026):
        image = out_dir / name
        image.parent.mkdir(parents=True, exist_ok=True)
        image.unlink(missing_ok=True)
        key = build_image(TrainingSpec(seed=seed, **recipe), image)
        made[exhibit] = {
            "image": str(image),
            "answer_key": f"{image}.answers.json",
            "files": len(key.files),
        }
    return {"status": "done", "media": made}


def _step_acquire(db: Database, store: EvidenceStore, out_dir: Path) -> dict[str, Any]:
    """Image each drive into the case's evidence folder (E01 when ewf-tools is there)."""
    import shutil

    from forensics.imaging.casestore import acquire_for_case

    warnings: list[str] = []
    fmt = "e01" if shutil.which("ewfacquirestream") else "raw"
    images = {}
    for exhibit, name, _recipe in DEMO_MEDIA:
        record = acquire_for_case(
            db,
            DEMO_REFERENCE,
            exhibit,
            out_dir / name,
            examiner="DEMO-EX-1",
            fmt=fmt,
            verify=True,
            write_blocker=DEMO_WRITE_BLOCKER,
            on_warning=warnings.append,
        )
        images[exhibit] = {
            "state": record.state,
            "sha256": record.source_hashes.get("sha256"),
            "verification": record.verification.result if record.verification else None,
            "image": str(Path(record.output_dir) / record.image_name),
        }
    return {"status": "done", "format": fmt, "images": images, "warnings": warnings}


def _step_catalog(db: Database, store: EvidenceStore, out_dir: Path) -> dict[str, Any]:
    """Catalogue each stored acquisition: every file, deleted ones too, hashed and typed."""
    from forensics.cataloging.casestore import catalog_for_case

    warnings: list[str] = []
    runs = {}
    for exhibit, _name, _recipe in DEMO_MEDIA:
        result = catalog_for_case(
            db, DEMO_REFERENCE, exhibit, examiner="DEMO-EX-1", on_warning=warnings.append
        )
        summary = result.summary
        warnings.extend(result.custody_warnings)
        runs[exhibit] = {
            "run": result.run_id,
            "status": str(summary.status),
            "entries": summary.entry_count,
            "files_hashed": summary.files_hashed,
        }
    status = "done" if all(r["status"] == "complete" for r in runs.values()) else "incomplete"
    return {
        "status": status,
        "runs": runs,
        "warnings": warnings + [w for r in runs.values() for w in r.pop("custody_warnings", [])],
    }


def _step_ledger(db: Database, store: EvidenceStore, out_dir: Path) -> dict[str, Any]:
    """Verify every custody chain and export the final ledger with its standalone verifier."""
    from forensics.custody import export_custody, verify_chain

    folder = out_dir / "custody" / "final"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "custody.jsonl"
    target.unlink(missing_ok=True)
    with db.session() as session:
        case = session.scalars(select(Case).where(Case.reference == DEMO_REFERENCE)).one()
        report = verify_chain(session, case)
        exported = export_custody(session, case, target)
    return {
        "status": "done" if report.valid else "broken",
        "events": report.events,
        "export": str(target),
        "export_sha256": exported.sha256,
        "check": f"python3 {folder / 'standalone_verifier.py'} {target}",
    }
