"""Bad and hostile input to the foundation: clear one-line errors, nothing half-written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from forensics.casework import cases as cases_mod
from forensics.casework import exhibits as exhibits_mod
from forensics.casework.cases import CaseInput, create_case
from forensics.casework.exhibits import ExhibitInput, add_exhibit
from forensics.database import open_database
from forensics.errors import DatabaseError, UserInputError
from forensics.store import EvidenceStore
from forensics.timeutil import parse_local_time

REF = "FIR 9/2026"


def _case(sealbag, tz="Europe/Paris"):
    r = sealbag("case", "new", "--reference", REF, "--title", "t", "--time-zone", tz)
    assert r.code == 0, r.err


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        ("2026-03-29T02:30", "Europe/Paris", "does not exist"),
        ("2026-10-25T02:30", "Europe/Paris", "happened twice"),
        ("2026-11-20T10:00", "localtime", "unknown time zone"),
        ("2026-11-20T10:00", "posixrules", "unknown time zone"),
        ("2026-11-20T10:00", "UTC+05:99", "bad UTC offset"),
        ("0001-01-01T00:00+05:00", None, "out of range"),
        ("0999-06-01T00:00Z", None, "out of range"),
    ],
)
def test_times_that_cannot_be_placed_are_refused(text, zone, message):
    with pytest.raises(UserInputError, match=message):
        parse_local_time(text, zone)


def test_unambiguous_local_times_and_explicit_offsets_are_kept():
    dt, zone = parse_local_time("2026-10-25T02:30+01:00", "Europe/Paris")
    assert (dt.hour, dt.minute, zone) == (1, 30, "Europe/Paris")
    dt, zone = parse_local_time("2026-10-25T03:30", "Europe/Paris")
    assert (dt.hour, zone) == (2, "Europe/Paris")


def test_dst_gap_in_seizure_time_is_refused_by_the_cli(sealbag):
    _case(sealbag)
    r = sealbag(
        "exhibit",
        "add",
        "--case",
        REF,
        "--id",
        "EX-1",
        "--description",
        "x",
        "--seized-at",
        "2026-03-29T02:30",
    )
    assert r.code == 1 and "does not exist" in r.err
    assert sealbag("exhibit", "list", "--case", REF, "--json").json() == []


def test_exhibit_id_rules(sealbag):
    _case(sealbag)
    assert (
        sealbag("exhibit", "add", "--case", REF, "--id", "EX-001", "--description", "x").code == 0
    )
    dup = sealbag("exhibit", "add", "--case", REF, "--id", "ex-001", "--description", "y")
    assert dup.code == 1 and "EX-001 already exists" in dup.err
    skip = sealbag(
        "exhibit",
        "add",
        "--case",
        REF,
        "--id",
        "EX-001.1.2",
        "--parent",
        "EX-001",
        "--description",
        "y",
    )
    assert skip.code == 1 and "plus one more part" in skip.err
    slash = sealbag("exhibit", "add", "--case", REF, "--id", "EX/1", "--description", "y")
    assert slash.code == 1 and "not valid" in slash.err


def test_overlong_values_are_refused_the_same_on_both_backends(sealbag):
    _case(sealbag)
    r = sealbag(
        "exhibit", "add", "--case", REF, "--id", "EX-1", "--description", "x", "--make", "M" * 5000
    )
    assert r.code == 1 and "--make is 5000 characters long" in r.err
    r = sealbag("case", "new", "--reference", "R-2", "--title", "T" * 300)
    assert r.code == 1 and "--title" in r.err
    assert [c["reference"] for c in sealbag("case", "list", "--json").json()] == [REF]


def test_failed_exhibit_leaves_no_photo_behind(database_url, tmp_path, monkeypatch):
    db = open_database(database_url)
    store = EvidenceStore(tmp_path / "store")
    with db.session() as s:
        view = create_case(s, CaseInput(reference=REF, title="t"), store)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"photo bytes")

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(exhibits_mod, "record_audit", boom)
    with pytest.raises(RuntimeError), db.session() as s:
        add_exhibit(s, REF, ExhibitInput("EX-1", "x", photos=(photo,)), store)
    assert not [p for p in Path(view.store_path).rglob("*") if p.is_file()]
    db.close()


def test_failed_case_leaves_no_folder_behind(database_url, tmp_path, monkeypatch):
    db = open_database(database_url)
    store = EvidenceStore(tmp_path / "store")

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(cases_mod, "record_audit", boom)
    with pytest.raises(RuntimeError), db.session() as s:
        create_case(s, CaseInput(reference=REF, title="t"), store)
    assert not store.root.exists() or not any(store.root.iterdir())
    db.close()


def test_two_databases_never_share_a_case_folder(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    folders = []
    for name in ("a.db", "b.db"):
        db = open_database(str(tmp_path / name))
        with db.session() as s:
            folders.append(create_case(s, CaseInput(reference=REF, title="t"), store).store_path)
        db.close()
    assert folders[0] != folders[1]


def test_database_paths_that_cannot_work(tmp_path, capsys):
    for args, message in (
        (["case", "list", "--db", str(tmp_path)], "is a folder"),
        (["case", "list", "--db", "mysql://u@h/db"], "unsupported database URL"),
        (["case", "new", "--reference", "R", "--title", "t", "--db", "sqlite://"], "in-memory"),
        (["case", "list", "--db", str(tmp_path / "typo" / "lab.db")], "no Sealbag database"),
    ):
        assert main(args) == 1, args
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "typo").exists()  # a read-only command created nothing


def test_non_utf8_argument_is_a_usage_error(tmp_path):
    cmd = [
        sys.executable,
        "-c",
        "import sys; from app.cli.main import main; raise SystemExit(main(sys.argv[1:]))",
        "case",
        "new",
        "--reference",
        b"FIR-\xff".decode("utf-8", "surrogateescape"),
        "--title",
        "x",
        "--db",
        str(tmp_path / "c.db"),
    ]
    proc = subprocess.run(
        [c.encode("utf-8", "surrogateescape") for c in cmd],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 2, proc.stderr
    assert "not valid UTF-8" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.postgres
def test_workstations_opening_a_new_postgres_database_at_once(postgres_server):
    url = postgres_server.new_database("race")
    code = (
        "import sys; from forensics.database import open_database; "
        "open_database(sys.argv[1]).close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url],
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors


def test_unexpected_errors_print_one_line_even_without_a_writable_data_folder(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SEALBAG_HOME", "/dev/null/nowhere")
    import app.cli.cases as cli_cases

    monkeypatch.setattr(cli_cases, "list_cases", lambda s: 1 / 0)
    db = tmp_path / "c.db"
    open_database(str(db)).close()
    assert main(["case", "list", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "Traceback" not in err


def test_missing_database_error_type():
    with pytest.raises(DatabaseError, match="no Sealbag database"):
        open_database("/nonexistent-folder/x.db", create=False)
