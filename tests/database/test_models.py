"""Model round-trips on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from forensics.database import open_database
from forensics.database.enums import (
    AcquisitionState,
    CaseStage,
    CustodyAction,
    ExhibitType,
    HashSetKind,
    PersonRole,
)
from forensics.database.models import (
    Acquisition,
    Case,
    CatalogRun,
    CustodyEvent,
    Exhibit,
    FileEntry,
    FileSystem,
    HashSet,
    Offence,
    Person,
    Volume,
)

IST = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture
def db(database_url):
    database = open_database(database_url)
    yield database
    database.close()


def _case(session) -> Case:
    case = Case(
        reference="FIR 7/2026",
        title="Test",
        stage=CaseStage.TRIAL,
        time_zone="Asia/Kolkata",
        offences=[Offence(name="Cheating", statute="BNS s.318", position=0)],
    )
    session.add(case)
    session.flush()
    return case


def test_case_person_exhibit_round_trip(db):
    seized = datetime(2026, 11, 20, 14, 30, 15, 123456, tzinfo=IST)
    with db.session() as s:
        case = _case(s)
        officer = Person(
            name="Rao",
            designation="Inspector",
            id_number="KA-1",
            role=PersonRole.INVESTIGATING_OFFICER,
        )
        s.add(officer)
        s.flush()
        parent = Exhibit(
            case_id=case.id,
            exhibit_id="EX-001",
            description="Phone, नीला",
            type=ExhibitType.MOBILE,
            imei="356938035643809",
            seal_numbers=["S-1", "S-2"],
            seized_at=seized,
            seized_tz="Asia/Kolkata",
            seized_by_id=officer.id,
            capacity_bytes=128 * 10**9,
            other_identifiers={"iccid": "8991000000000000001"},
        )
        s.add(parent)
        s.flush()
        s.add(
            Exhibit(
                case_id=case.id,
                exhibit_id="EX-001.1",
                parent_id=parent.id,
                description="image",
                type=ExhibitType.FORENSIC_IMAGE,
            )
        )
    with db.session() as s:
        ex = s.scalar(select(Exhibit).where(Exhibit.exhibit_id == "EX-001"))
        assert ex.description == "Phone, नीला"
        assert ex.type is ExhibitType.MOBILE
        assert ex.seal_numbers == ["S-1", "S-2"]
        assert ex.other_identifiers == {"iccid": "8991000000000000001"}
        assert ex.seized_at == seized  # same instant, microseconds kept
        assert ex.seized_at.tzinfo is not None and ex.seized_at.utcoffset() == timedelta(0)
        assert ex.seized_by.id_number == "KA-1"
        child = s.scalar(select(Exhibit).where(Exhibit.exhibit_id == "EX-001.1"))
        assert child.parent.exhibit_id == "EX-001"
        case = s.scalar(select(Case))
        assert case.stage is CaseStage.TRIAL
        assert [o.statute for o in case.offences] == ["BNS s.318"]
        # enum values are what is stored, so other tools can read the database
        raw = s.execute(text('SELECT stage FROM "case"')).scalar()
        assert raw == "trial"


def test_naive_datetime_refused(db):
    with pytest.raises(Exception, match="naive datetime"), db.session() as s:
        case = _case(s)
        s.add(
            Exhibit(
                case_id=case.id, exhibit_id="EX-1", description="x", seized_at=datetime(2026, 1, 1)
            )
        )
        s.flush()


def test_exhibit_id_unique_per_case(db):
    with pytest.raises(IntegrityError), db.session() as s:
        case = _case(s)
        s.add_all(
            [
                Exhibit(case_id=case.id, exhibit_id="EX-1", description="a"),
                Exhibit(case_id=case.id, exhibit_id="EX-1", description="b"),
            ]
        )
        s.flush()


def test_foreign_keys_enforced(db):
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Exhibit(case_id=999, exhibit_id="EX-1", description="orphan"))
        s.flush()


def test_catalog_tables_bulk_insert_and_query(db):
    with db.session() as s:
        case = _case(s)
        ex = Exhibit(case_id=case.id, exhibit_id="EX-1", description="disk")
        s.add(ex)
        s.flush()
        acq = Acquisition(
            exhibit_id=ex.id,
            format="raw",
            state=AcquisitionState.COMPLETED,
            source_hashes={"sha256": "a" * 64},
            sha256="a" * 64,
            error_ranges=[{"offset": 512, "length": 512, "error": "EIO"}],
        )
        run = CatalogRun(exhibit_id=ex.id, image_path="/x.dd")
        s.add_all([acq, run])
        s.flush()
        vol = Volume(run_id=run.id, start_sector=2048, length_sectors=100, scheme="dos")
        s.add(vol)
        s.flush()
        fs = FileSystem(run_id=run.id, volume_id=vol.id, offset_bytes=2048 * 512, fs_type="ext4")
        hs = HashSet(name="NSRL", version="2026.09", kind=HashSetKind.KNOWN, format="nsrl-rdsv3")
        s.add_all([fs, hs])
        s.flush()
        rows = [
            {
                "run_id": run.id,
                "file_system_id": fs.id,
                "path": f"dir/f{i}",
                "name": f"f{i}",
                "entry_type": "r",
                "allocated": i % 3 != 0,
                "size": i,
                "mtime_ns": 1_700_000_000_123_456_789 + i,
                "sha256": f"{i:064x}",
                "path_raw": b"dir/f\xff" if i == 5 else None,
            }
            for i in range(2000)
        ]
        s.execute(insert(FileEntry), rows)
    with db.session() as s:
        assert s.scalar(select(FileEntry.size).where(FileEntry.sha256 == f"{77:064x}")) == 77
        deleted = s.scalars(select(FileEntry.id).where(FileEntry.allocated.is_(False))).all()
        assert len(deleted) == 667
        entry = s.scalar(select(FileEntry).where(FileEntry.name == "f5"))
        assert entry.path_raw == b"dir/f\xff"
        assert entry.mtime_ns == 1_700_000_000_123_456_794  # nanoseconds survive
        acq = s.scalar(select(Acquisition))
        assert acq.error_ranges[0]["error"] == "EIO"


def _custody_row(case_id: int, exhibit_id: int) -> CustodyEvent:
    return CustodyEvent(
        case_id=case_id,
        exhibit_id=exhibit_id,
        sequence=1,
        action=CustodyAction.SEIZED,
        occurred_at=datetime.now(UTC),
        occurred_tz="UTC",
        canonical="{}",
        prev_hash="0" * 64,
        entry_hash="1" * 64,
    )


def test_custody_rows_are_append_only_in_the_database(db):
    with db.session() as s:
        case = _case(s)
        ex = Exhibit(case_id=case.id, exhibit_id="EX-1", description="disk")
        s.add(ex)
        s.flush()
        s.add(_custody_row(case.id, ex.id))
    with pytest.raises(DBAPIError, match="append-only"), db.session() as s:
        s.execute(update(CustodyEvent).values(remarks="edited"))
    with pytest.raises(DBAPIError, match="append-only"), db.session() as s:
        s.execute(delete(CustodyEvent))
    with db.session() as s:
        assert s.scalar(select(CustodyEvent.remarks)) is None
    if db.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.session() as s:
            s.execute(text("TRUNCATE custody_event"))
