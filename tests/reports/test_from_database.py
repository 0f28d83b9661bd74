"""Bundles built straight from the case database (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import event, func, insert, select

from app.cli.main import main
from forensics.casework.cases import create_case
from forensics.casework.exhibits import add_exhibit
from forensics.casework.people import add_person
from forensics.custody import read_export, verify_chain
from forensics.custody.demo import record_demo_custody
from forensics.database import Database, open_database
from forensics.database.enums import (
    AcquisitionState,
    CatalogStatus,
    HashSetKind,
    VerificationResult,
)
from forensics.database.models import (
    Acquisition,
    AuditEntry,
    Bundle,
    Case,
    CatalogRun,
    CustodyEvent,
    Exhibit,
    FileEntry,
    HashSet,
    Person,
    StoredFile,
)
from forensics.demo import DEMO_CASE, DEMO_EXHIBITS, DEMO_PEOPLE, DEMO_REFERENCE
from forensics.errors import NotFoundError, UserInputError
from forensics.store import EvidenceStore
from reports.bundle_store import (
    build_bundle_from_database,
    list_bundles,
    parse_request_document,
    store_request,
)
from reports.db_listing import iter_listing_rows
from reports.demo import demo_request
from reports.from_database import case_data_from_database, listing_runs
from reports.verify import verify_bundle

GENERATED_AT = "2026-11-23T10:00:00+00:00"
HOSTILE_DISPLAY = "/hostile/invoice⟨U+202E⟩fdp.exe"  # catalog display form
HOSTILE_EXACT = "/hostile/invoice\u202efdp.exe"
UNDECODABLE_DISPLAY = "/hostile/latin⟨0xE9⟩.txt"


def _image_hashes(ref: str) -> dict[str, str]:
    return {
        "sha256": hashlib.sha256(f"image of {ref}".encode()).hexdigest(),
        "sha1": hashlib.sha1(f"image of {ref}".encode()).hexdigest(),
        "md5": hashlib.md5(f"image of {ref}".encode()).hexdigest(),
    }


def _add_acquisition(session, exhibit: Exhibit, examiner: Person) -> Acquisition:
    """An Acquisition row shaped like the imaging engine's case storage."""
    hashes = _image_hashes(exhibit.exhibit_id)
    row = Acquisition(
        exhibit_id=exhibit.id,
        state=AcquisitionState.COMPLETED,
        origin="sealbag",
        format="e01",
        source_path="/dev/sdz",
        examiner_id=examiner.id,
        started_at=datetime(2026, 11, 21, 5, 0, tzinfo=UTC),
        ended_at=datetime(2026, 11, 21, 5, 40, tzinfo=UTC),
        size_bytes=16_000_000_000,
        bytes_read=16_000_000_000,
        source_hashes=dict(hashes),
        image_hashes=dict(hashes),
        sha256=hashes["sha256"],
        error_ranges=[{"offset": 4096, "length": 512, "error": "EIO"}],
        verification=VerificationResult.MATCH,
        verification_details={
            "result": "match",
            "method": "raw files, page cache dropped",
            "checks": [
                {
                    "item": "image sha256",
                    "expected": hashes["sha256"],
                    "actual": hashes["sha256"],
                    "match": True,
                }
            ],
        },
        image_files=[
            {"path": f"{exhibit.exhibit_id}.E01", "size": 2_000_000_000, "sha256": "a" * 64},
            {"path": f"{exhibit.exhibit_id}.E02", "size": 1_000_000, "sha256": "b" * 64},
        ],
        record={
            "schema": "sealbag.acquisition/1",
            "tool": {"name": "Sealbag", "version": "0.1.0"},
            "source": {"kind": "block-device"},
            "write_blocker": "Tableau T8u (serial TB-42)",
            "padding_bytes": 0,
            "warnings": [],
        },
    )
    session.add(row)
    return row


def _add_catalog(db: Database, exhibit_pk: int, files: int, hash_set_id: int | None) -> int:
    """A complete catalog run (and a newer failed one that must be ignored)."""
    with db.session() as session:
        run = CatalogRun(
            exhibit_id=exhibit_pk,
            image_path="EX-001.E01",
            image_sha256=_image_hashes("EX-001")["sha256"],
            status=CatalogStatus.COMPLETE,
            entry_count=files,
            tool_versions={"pytsk3": "20260715"},
        )
        session.add(run)
        session.flush()
        run_id = run.id
        session.add(CatalogRun(exhibit_id=exhibit_pk, image_path="x", status=CatalogStatus.FAILED))
    rows = []
    for number in range(files):
        rows.append(
            {
                "run_id": run_id,
                "path": f"/docs/f{number:06d}.txt",
                "path_raw": None,
                "name": f"f{number:06d}.txt",
                "entry_type": "r/r",
                "size": number,
                "allocated": True,
                "mtime_ns": 1_763_700_000_000_000_000 + number,
                "sha256": hashlib.sha256(str(number).encode()).hexdigest(),
                "hash_set_id": hash_set_id if number == 0 else None,
                "known": number == 0,
            }
        )
    rows[1].update(path=HOSTILE_DISPLAY, path_raw=HOSTILE_EXACT.encode())
    rows[2].update(allocated=False, path="/docs/gone.txt")
    rows[3].update(path=UNDECODABLE_DISPLAY, path_raw=b"/hostile/latin\xe9.txt")
    with db.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(FileEntry), rows[start : start + 5000])
    return run_id


@dataclasses.dataclass
class DbCase:
    db: Database
    url: str
    store: EvidenceStore
    run_id: int


def _request_document(profile: str = "IN-MLA") -> dict:
    data = json.loads(json.dumps(dataclasses.asdict(demo_request(profile))))
    data["certificates"] = {
        "party": {"place": "Bengaluru", "date": "2026-11-23", "relation": "daughter of X"},
        "expert": {"place": "Bengaluru", "date": "2026-11-23"},
        "custodian": {"name": "Meena Iyer", "designation": "Custodian", "place": "Bengaluru"},
    }
    data["exhibit_notes"] = {
        ref: {"device_clock": "not readable (device powered off)", "witnesses": "W1, W2"}
        for ref in ("EX-001", "EX-002")
    }
    data["bundle"] = {"year": 2026, "serial": 417}
    return data


def make_case(url: str, tmp_path: Path, files: int = 40) -> DbCase:
    db = open_database(url)
    store = EvidenceStore(tmp_path / "store")
    with db.session() as session:
        for person in DEMO_PEOPLE:
            add_person(session, person)
        create_case(session, DEMO_CASE, store)
        for exhibit in DEMO_EXHIBITS:
            if exhibit.capacity_bytes is None:
                exhibit = dataclasses.replace(exhibit, capacity_bytes=64 * 1000**3)
            add_exhibit(session, DEMO_REFERENCE, exhibit, store)
        hash_set = HashSet(
            name="NSRL",
            version="2026.09.1",
            kind=HashSetKind.KNOWN_GOOD,
            format="nsrl-rdsv3",
            source_sha256="c" * 64,
            entry_count=1000,
        )
        session.add(hash_set)
        session.flush()
        hash_set_id = hash_set.id
    record_demo_custody(
        db,
        DEMO_REFERENCE,
        tmp_path,
        officer="DEMO-IO-1",
        custodian="DEMO-CU-1",
        examiner="DEMO-EX-1",
    )
    with db.session() as session:
        examiner = session.scalar(select(Person).where(Person.id_number == "DEMO-EX-1"))
        exhibits = session.scalars(select(Exhibit).order_by(Exhibit.exhibit_id)).all()
        for exhibit in exhibits:
            _add_acquisition(session, exhibit, examiner)
        ex1 = exhibits[0].id
    run_id = _add_catalog(db, ex1, files, hash_set_id)
    return DbCase(db, url, store, run_id)


@pytest.fixture
def db_case(database_url: str, tmp_path: Path) -> Iterator[DbCase]:
    case = make_case(database_url, tmp_path)
    try:
        yield case
    finally:
        case.db.close()


def _pages_by_section(pdf_path: Path) -> dict[str, str]:
    sections: dict[str, str] = {}
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            text = page.extract_text() or ""
            footer = next((line for line in reversed(text.splitlines()) if " | page " in line), "")
            parts = [p.strip() for p in footer.split("|")]
            section = parts[1] if len(parts) > 2 else "?"
            sections[section] = sections.get(section, "") + "\n" + text
    return sections


def _squeeze(text: str) -> str:
    return "".join(text.split())


def test_final_bundle_from_database(db_case: DbCase, tmp_path: Path) -> None:
    with db_case.db.session() as session:
        store_request(session, DEMO_REFERENCE, "IN-MLA", _request_document())
        heads_before = {
            e.exhibit_id: session.scalar(
                select(CustodyEvent.entry_hash)
                .where(CustodyEvent.exhibit_id == e.id)
                .order_by(CustodyEvent.sequence.desc())
                .limit(1)
            )
            for e in session.scalars(select(Exhibit))
        }
    outcome = build_bundle_from_database(
        db_case.db, DEMO_REFERENCE, "IN-MLA", generated_at=GENERATED_AT
    )
    result = outcome.result
    assert outcome.record_error == ""
    assert not result.draft and not result.problems, result.problems
    assert result.bundle_id == "IN-CYPS-2026-000417"
    # default output: the case's bundles/ folder in the evidence store
    assert result.folder.parent.name == "bundles"
    assert str(result.folder).startswith(str(db_case.store.root))

    report = verify_bundle(result.folder)
    assert report.ok, [c for c in report.checks if not c.ok]

    # the shipped custody.jsonl is the ledger export: its heads are the database heads
    contents = read_export(result.folder / "custody.jsonl")
    assert contents.header is not None
    shipped_heads = {k: v["entry_hash"] for k, v in contents.header["heads"].items()}
    assert shipped_heads == heads_before
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["custody_log"]["heads"] == shipped_heads

    sections = _pages_by_section(result.pdf_path)
    for ref in ("EX-001", "EX-002"):
        sha = _image_hashes(ref)["sha256"]
        md5 = _image_hashes(ref)["md5"]
        assert sha[:16] in sections["S10"]
        for section in ("S11", "S13", "S14"):
            assert sha in _squeeze(sections[section]), (ref, section)
        assert md5 in _squeeze(sections["S11"])
        assert shipped_heads[ref] in _squeeze(sections["S12"])
    s11 = sections["S11"]
    assert "Tableau T8u" in s11
    assert "EX-001.E01" in s11 and "EX-001.E02" in s11
    assert "unreadable" in s11 and "EIO" in s11
    assert "Sealbag" in s11 and "0.1.0" in s11
    assert "Vikram Nair" in s11
    s15 = sections["S15"]
    assert "NSRL" in s15 and "2026.09.1" in s15
    assert "[deleted]" in s15
    assert "⟨U+202E⟩" in s15 and "\u202e" not in s15

    with db_case.db.session() as session:
        bundle = session.scalar(select(Bundle))
        assert bundle is not None
        assert (bundle.bundle_id, bundle.version, bundle.status.value, bundle.profile) == (
            "IN-CYPS-2026-000417",
            1,
            "final",
            "IN-MLA",
        )
        assert bundle.manifest_sha256 == result.manifest_sha256
        assert bundle.pdf_sha256 == hashlib.sha256(result.pdf_path.read_bytes()).hexdigest()
        assert bundle.request_id is not None
        stored = {
            f.relative_path: f.sha256
            for f in session.scalars(select(StoredFile))
            if f.kind.value == "bundle"
        }
        pdf_rel = next(p for p in stored if p.endswith(".pdf"))
        assert stored[pdf_rel] == result.pdf_sha256
        assert any(p.endswith("manifest.json") for p in stored)
        case = session.scalar(select(Case))
        for ref in ("EX-001", "EX-002"):
            exhibit = session.scalar(select(Exhibit).where(Exhibit.exhibit_id == ref))
            last = session.scalar(
                select(CustodyEvent)
                .where(CustodyEvent.exhibit_id == exhibit.id)
                .order_by(CustodyEvent.sequence.desc())
                .limit(1)
            )
            assert last.action.value == "reported"
            assert last.prev_hash == shipped_heads[ref]
            assert last.details["manifest_sha256"] == result.manifest_sha256
            assert last.details["pdf_sha256"] == result.pdf_sha256
        assert verify_chain(session, case, None).valid
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "bundle.build"))
        assert audit is not None and audit.details["pdf_sha256"] == result.pdf_sha256
        listed = list_bundles(session, DEMO_REFERENCE)
        assert [b["version"] for b in listed] == [1]

    # a second build is version 2 of the same bundle ID, in its own folder
    again = build_bundle_from_database(
        db_case.db, DEMO_REFERENCE, "IN-MLA", generated_at=GENERATED_AT, draft=True
    )
    assert again.result.folder != result.folder
    assert again.recorded is not None
    with db_case.db.session() as session:
        assert [b["version"] for b in list_bundles(session, DEMO_REFERENCE)] == [2, 1]


def test_listing_streams_in_batches(database_url: str, tmp_path: Path) -> None:
    case = make_case(database_url, tmp_path, files=20_000)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "file_entry" in statement.lower() and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    try:
        with case.db.session() as session:
            data = case_data_from_database(session, DEMO_REFERENCE, listing_batch=2000)
        assert listing_runs(data) == (("EX-001", case.run_id),)  # the failed run is ignored
        event.listen(case.db.engine, "before_cursor_execute", count)
        tracemalloc.start()
        seen = 0
        last = ""
        for row in data.iter_file_rows():
            assert row.path > last or not row.path.startswith("/docs/f")
            last = row.path if row.path.startswith("/docs/f") else last
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        event.remove(case.db.engine, "before_cursor_execute", count)
        assert seen == 20_000
        # the run's id range, then 10 windows of 2,000 ids: never one query for all rows
        assert len(statements) == 11
        # 2,000 rows at a time: far below what 20,000 rows held at once would take
        assert peak < 6 * 1024 * 1024, peak  # about 2.3 MB measured; all rows at once: 12+ MB
    finally:
        case.db.close()


def test_listing_rows_show_display_form_and_streams(db_case: DbCase) -> None:
    rows = list(iter_listing_rows(db_case.db.engine, [("EX-001", db_case.run_id)], 7))
    assert len(rows) == 40
    assert rows[1].path == HOSTILE_EXACT
    assert rows[2].path == "/docs/gone.txt [deleted]"
    assert rows[3].path == UNDECODABLE_DISPLAY
    assert rows[0].modified.endswith("+00:00")
    with db_case.db.session() as session:
        count = session.scalar(
            select(func.count(FileEntry.id)).where(FileEntry.run_id == db_case.run_id)
        )
    assert count == 40


def test_missing_stored_request_is_a_clear_error(db_case: DbCase, capsys) -> None:
    with pytest.raises(NotFoundError, match="sealbag bundle request set"):
        build_bundle_from_database(db_case.db, DEMO_REFERENCE, "IN-MLA")
    code = main(
        ["bundle", "build", "--case", DEMO_REFERENCE, "--profile", "IN-MLA", "--db", db_case.url]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "no stored request for profile IN-MLA" in err
    assert "bundle request set" in err and "Traceback" not in err


def _set_request(db_case: DbCase, request_file: Path) -> int:
    """``sealbag bundle request set`` for the demo case's IN-MLA profile."""
    return main(["bundle", "request", "set", "--case", DEMO_REFERENCE, "--profile", "IN-MLA",
                 "--file", str(request_file), "--db", db_case.url])


def test_request_cli_set_show_and_build(db_case: DbCase, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts: x\nnot_a_field: 1\n", encoding="utf-8")
    code = _set_request(db_case, bad)
    assert code == 1 and "not_a_field" in capsys.readouterr().err

    dated = tmp_path / "dated.yaml"  # YAML reads an unquoted date as a date object
    dated.write_text("facts: x\nletter:\n  signatory:\n    date: 2026-03-01\n", encoding="utf-8")
    code = _set_request(db_case, dated)
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()

    good = tmp_path / "request.json"
    good.write_text(json.dumps(_request_document()), encoding="utf-8")
    code = _set_request(db_case, good)
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    code = main(
        ["bundle", "request", "show", "--case", DEMO_REFERENCE, "--json", "--db", db_case.url]
    )
    shown = json.loads(capsys.readouterr().out)
    assert code == 0 and shown[0]["profile"] == "IN-MLA"
    assert shown[0]["data"]["references"]["fir_number"] == "FIR 17/2026"

    out = tmp_path / "out" / "bundle"
    code = main(
        [
            "bundle",
            "build",
            "--case",
            DEMO_REFERENCE,
            "--profile",
            "IN-MLA",
            "--out",
            str(out),
            "--generated-at",
            GENERATED_AT,
            "--db",
            db_case.url,
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    built = json.loads(captured.out)
    assert built["recorded"]["custody_events"].keys() == {"EX-001", "EX-002"}
    assert built["recorded"]["stored_files"] == 0  # outside the evidence folder
    assert main(["bundle", "verify", str(out)]) == 0
    capsys.readouterr()
    code = main(["bundle", "list", "--case", DEMO_REFERENCE, "--json", "--db", db_case.url])
    listed = json.loads(capsys.readouterr().out)
    assert code == 0 and listed[0]["pdf_sha256"] == built["pdf_sha256"]


def test_record_failure_is_reported_and_package_kept(
    db_case: DbCase, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import reports.bundle_store as bundle_store

    with db_case.db.session() as session:
        store_request(session, DEMO_REFERENCE, "IN-MLA", _request_document())

    def fail(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bundle_store, "record_built_bundle", fail)
    outcome = build_bundle_from_database(
        db_case.db, DEMO_REFERENCE, "IN-MLA", generated_at=GENERATED_AT
    )
    assert outcome.recorded is None
    assert "recording it in the case database failed" in outcome.record_error
    assert "disk full" in outcome.record_error
    assert verify_bundle(outcome.result.folder).ok
    code = main(
        [
            "bundle",
            "build",
            "--case",
            DEMO_REFERENCE,
            "--profile",
            "IN-MLA",
            "--db",
            db_case.url,
            "--generated-at",
            GENERATED_AT,
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "bundle IN-CYPS-2026-000417" in captured.out  # where the package is
    assert "sealbag: error:" in captured.err and "disk full" in captured.err
    assert "IN-CYPS-2026-000417-v2" in captured.out  # the unrecorded v1 folder is not reused
    with db_case.db.session() as session:
        assert session.scalar(select(func.count(Bundle.id))) == 0
        assert (
            session.scalar(
                select(func.count(CustodyEvent.id)).where(CustodyEvent.action == "reported")
            )
            == 0
        )


def test_request_document_extras_are_validated() -> None:
    data = _request_document()
    parsed = parse_request_document(data)
    assert parsed.bundle_serial == 417
    assert parsed.exhibit_notes["EX-001"]["witnesses"] == "W1, W2"
    with pytest.raises(UserInputError, match=r"exhibit_notes\.EX-001"):
        parse_request_document({**data, "exhibit_notes": {"EX-001": {"colour": "red"}}})
    with pytest.raises(UserInputError, match="bundle"):
        parse_request_document({**data, "bundle": {"serial": "x"}})


def test_demo_ends_with_a_bundle_from_the_database(tmp_path: Path, capsys) -> None:
    code = main(["demo", "--out", str(tmp_path / "demo"), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    step = summary["steps"][-1]
    assert step["step"] == "bundle" and step["status"] in ("done", "draft")
    folder = Path(step["bundle"])
    assert folder.parent.name == "bundles"
    report = verify_bundle(folder)
    failed = {c.name for c in report.checks if not c.ok}
    # a draft fails only the 'bundle is final' check; everything else verifies
    assert failed <= {"bundle is final"}
    assert (step["status"] == "draft") == bool(failed)
    with open_database(summary["database"]) as db, db.session() as session:
        assert list_bundles(session, summary["case"])[0]["out_path"] == str(folder)


def test_bundle_from_real_imaging_and_catalog(database_url: str, tmp_path: Path) -> None:
    """A generated FAT image imaged and catalogued by the engines, then bundled."""
    from forensics.casework.exhibits import get_exhibit_row
    from forensics.cataloging import engine as catalog_engine
    from forensics.cataloging import store as catalog_store
    from forensics.demo import ensure_demo_case
    from forensics.imaging import casestore
    from forensics.training import imagebuilder as training

    db = open_database(database_url)
    try:
        ensure_demo_case(db, EvidenceStore(tmp_path / "store"))
        record_demo_custody(
            db,
            DEMO_REFERENCE,
            tmp_path,
            officer="DEMO-IO-1",
            custodian="DEMO-CU-1",
            examiner="DEMO-EX-1",
        )
        source = tmp_path / "usb.img"
        training.build_image(training.TrainingSpec(seed=5, fs_type="fat16", files=10), source)
        record = casestore.acquire_for_case(
            db,
            DEMO_REFERENCE,
            "EX-001",
            source,
            examiner="DEMO-EX-1",
            fmt="e01",
            write_blocker="Tableau T8u (demo)",
        )
        image = Path(record.output_dir) / record.segments[0].path
        with db.session() as session:
            exhibit_pk = get_exhibit_row(session, DEMO_REFERENCE, "EX-001").id
        sink = catalog_store.CatalogStore(
            db, str(image), exhibit_id=exhibit_pk, image_sha256=record.image_hashes["sha256"]
        )
        assert sink.finish(catalog_engine.run_catalog(image, sink)).value == "complete"
        with db.session() as session:
            store_request(session, DEMO_REFERENCE, "IN-MLA", _request_document())
            data = case_data_from_database(session, DEMO_REFERENCE, exhibits=["EX-001"])
        acquisition = data.acquisitions[0]
        assert acquisition.hash("SHA-256", "image") == record.image_hashes["sha256"]
        assert acquisition.hash("MD5", "source") == record.source_hashes["md5"]
        assert acquisition.verification_result == "match"
        assert acquisition.write_blocker == "Tableau T8u (demo)"
        assert acquisition.output_format.startswith("E01")
        outcome = build_bundle_from_database(
            db, DEMO_REFERENCE, "IN-MLA", exhibits=["EX-001"], generated_at=GENERATED_AT
        )
        result = outcome.result
        assert not result.problems, result.problems
        assert verify_bundle(result.folder).ok
        sections = _pages_by_section(result.pdf_path)
        for section in ("S11", "S13", "S14"):
            assert record.image_hashes["sha256"] in _squeeze(sections[section])
        listing = (result.folder / "annex" / "EX-001-files.csv").read_text(encoding="utf-8")
        assert listing.count("\n") == sink.stored + 1  # header + every catalogued entry
        with db.session() as session:
            case = session.scalar(select(Case))
            assert verify_chain(session, case, None).valid
            actions = [
                e.action.value
                for e in session.scalars(
                    select(CustodyEvent)
                    .where(CustodyEvent.exhibit_id == exhibit_pk)
                    .order_by(CustodyEvent.sequence)
                )
            ]
            assert actions[-3:] == ["imaged", "verified", "reported"]
    finally:
        db.close()


def test_draft_from_a_bare_case_says_what_is_missing(database_url: str, tmp_path: Path) -> None:
    """No custody, acquisition or catalog yet: a draft builds, a final is refused."""
    from forensics.demo import ensure_demo_case
    from reports.package import PreflightError

    db = open_database(database_url)
    try:
        ensure_demo_case(db, EvidenceStore(tmp_path / "store"))
        with db.session() as session:
            store_request(session, DEMO_REFERENCE, "IN-MLA", _request_document())
        with pytest.raises(PreflightError, match="needs exactly one acquisition record"):
            build_bundle_from_database(db, DEMO_REFERENCE, "IN-MLA", generated_at=GENERATED_AT)
        with db.session() as session:
            assert session.scalar(select(func.count(Bundle.id))) == 0
        outcome = build_bundle_from_database(
            db, DEMO_REFERENCE, "IN-MLA", generated_at=GENERATED_AT, draft=True
        )
        assert outcome.result.draft and outcome.result.problems
        assert outcome.recorded is not None
        assert outcome.recorded.custody_events == {}
        assert any("no custody chain yet" in w for w in outcome.recorded.warnings)
        assert not (outcome.result.folder / "annex").exists()
    finally:
        db.close()


def test_returned_exhibit_gets_a_note_not_a_reported_event(
    database_url: str, tmp_path: Path
) -> None:
    from forensics.custody import record_event, unlock_person_key
    from forensics.custody.demo import DEMO_PASSPHRASE
    from forensics.demo import ensure_demo_case

    db = open_database(database_url)
    try:
        ensure_demo_case(db, EvidenceStore(tmp_path / "store"))
        record_demo_custody(
            db,
            DEMO_REFERENCE,
            tmp_path,
            officer="DEMO-IO-1",
            custodian="DEMO-CU-1",
            examiner="DEMO-EX-1",
        )
        with db.session() as session:
            case = session.scalar(select(Case))
            exhibit = session.scalar(select(Exhibit).where(Exhibit.exhibit_id == "EX-002"))
            keeper, officer = (
                session.scalar(select(Person).where(Person.id_number == number))
                for number in ("DEMO-CU-1", "DEMO-IO-1")
            )
            record_event(
                session,
                case=case,
                exhibit=exhibit,
                action="returned",
                actor=keeper,
                occurred_at=None,
                occurred_tz="Asia/Kolkata",
                signer=unlock_person_key(session, keeper, DEMO_PASSPHRASE),
                released_by=keeper,
                received_by=officer,
                purpose="returned to the owner",
            )
            store_request(session, DEMO_REFERENCE, "IN-MLA", _request_document())
        outcome = build_bundle_from_database(
            db, DEMO_REFERENCE, "IN-MLA", generated_at=GENERATED_AT, draft=True
        )
        assert set(outcome.recorded.custody_events) == {"EX-001", "EX-002"}
        with db.session() as session:
            last = {
                ref: session.scalar(
                    select(CustodyEvent)
                    .join(Exhibit, Exhibit.id == CustodyEvent.exhibit_id)
                    .where(Exhibit.exhibit_id == ref)
                    .order_by(CustodyEvent.sequence.desc())
                    .limit(1)
                )
                for ref in ("EX-001", "EX-002")
            }
            assert last["EX-001"].action.value == "reported"
            assert last["EX-002"].action.value == "note"
            assert last["EX-002"].details["pdf_sha256"] == outcome.result.pdf_sha256
            assert not last["EX-002"].exception_flag
            assert verify_chain(session, session.scalar(select(Case)), None).valid
    finally:
        db.close()


def test_listing_from_a_real_catalog_run(database_url: str, tmp_path: Path) -> None:
    """The catalog engine's stored run of a generated ext4 image, undecodable name included."""
    from forensics.cataloging.engine import run_catalog
    from forensics.cataloging.names import display_name
    from forensics.cataloging.store import CatalogStore
    from forensics.demo import ensure_demo_case
    from forensics.training.imagebuilder import TrainingSpec, build_image

    image = tmp_path / "training.img"
    key = build_image(TrainingSpec(seed=2, fs_type="ext4", files=12, undecodable=True), image)
    db = open_database(database_url)
    try:
        ensure_demo_case(db, EvidenceStore(tmp_path / "store"))
        with db.session() as session:
            exhibit_pk = session.scalar(select(Exhibit.id).where(Exhibit.exhibit_id == "EX-001"))
        sink = CatalogStore(db, str(image), exhibit_id=exhibit_pk, image_sha256=key.image_sha256)
        assert sink.finish(run_catalog(image, sink)).value == "complete"
        with db.session() as session:
            data = case_data_from_database(session, DEMO_REFERENCE, listing_batch=5)
        rows = list(data.iter_file_rows())
        assert len(rows) == sink.stored
        listed = {row.path.removesuffix(" [deleted]").lstrip("/"): row for row in rows}
        undecodable = 0
        for item in key.files:
            raw = bytes.fromhex(item["path_raw_hex"])
            try:
                expected = raw.decode("utf-8")
            except UnicodeDecodeError:
                expected = display_name(raw)  # not UTF-8: the display form, e.g. ⟨0xFF⟩
                undecodable += 1
            assert expected in listed, expected
            row = listed[expected]
            assert row.path.endswith(" [deleted]") == item["deleted"]
            if item["allocated"]:
                assert row.sha256 == item["sha256"]
                assert row.size == item["size"]
        assert undecodable >= 1
        details = dict(data.listing_details["EX-001"])
        assert key.image_sha256 in details["Catalog run"]
    finally:
        db.close()
