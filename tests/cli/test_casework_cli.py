"""The case / person / exhibit commands, success and error paths, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REF = "FIR 101/2026 PS Cyber"


def _open_case(sealbag):
    r = sealbag(
        "case",
        "new",
        "--reference",
        REF,
        "--title",
        "Investment fraud",
        "--country",
        "IN",
        "--agency",
        "Cyber Crime PS",
        "--time-zone",
        "Asia/Kolkata",
        "--offence",
        "Cheating by personation=BNS s.319",
        "--offence",
        "Identity theft [IT Act s.66C]",
        "--json",
    )
    assert r.code == 0, r.err
    return r.json()


def test_case_new_list_show(sealbag):
    case = _open_case(sealbag)
    assert case["reference"] == REF
    assert case["country_code"] == "IN"
    assert [o["statute"] for o in case["offences"]] == ["BNS s.319", "IT Act s.66C"]
    folder = Path(case["store_path"])
    assert folder.is_dir() and (folder / "images").is_dir() and (folder / "bundles").is_dir()
    listed = sealbag("case", "list", "--json").json()
    assert [c["reference"] for c in listed] == [REF]
    shown = sealbag("case", "show", REF, "--json").json()
    assert shown["title"] == "Investment fraud" and shown["time_zone"] == "Asia/Kolkata"
    text = sealbag("case", "show", REF)
    assert text.code == 0 and "Investment fraud" in text.out and "BNS s.319" in text.out


def test_duplicate_case_is_refused_with_one_line(sealbag):
    _open_case(sealbag)
    r = sealbag("case", "new", "--reference", REF, "--title", "again")
    assert r.code == 1
    assert r.err.strip().count("\n") == 0
    assert "already exists" in r.err and "Traceback" not in r.err
    assert len(sealbag("case", "list", "--json").json()) == 1


def test_bad_case_input_writes_nothing(sealbag):
    for args, message in (
        (("--time-zone", "Mars/Olympus"), "unknown time zone"),
        (("--country", "India"), "alpha-2"),
        (("--stage", "pondering"), "unknown stage"),
    ):
        r = sealbag("case", "new", "--reference", "R-1", "--title", "T", *args)
        assert r.code == 1 and message in r.err, r.err
    assert sealbag("case", "list", "--json").json() == []
    assert not sealbag.store.exists() or not any(sealbag.store.iterdir())


def test_missing_required_option_is_a_usage_error(sealbag):
    r = sealbag("case", "new", "--title", "no reference")
    assert r.code == 2 and "--reference" in r.err


def test_person_add_and_list(sealbag):
    r = sealbag(
        "person",
        "add",
        "--name",
        "Asha Rao",
        "--designation",
        "Inspector",
        "--id-number",
        "KA-1234",
        "--agency",
        "Cyber PS",
        "--role",
        "investigating-officer",
        "--json",
    )
    assert r.code == 0, r.err
    assert r.json()["role"] == "investigating-officer"
    dup = sealbag("person", "add", "--name", "Other", "--id-number", "KA-1234")
    assert dup.code == 1 and "already registered" in dup.err
    people = sealbag("person", "list", "--json").json()
    assert [p["id_number"] for p in people] == ["KA-1234"]


def test_exhibit_add_derived_show_list(sealbag, tmp_path):
    _open_case(sealbag)
    sealbag("person", "add", "--name", "Asha Rao", "--id-number", "KA-1234")
    photo = tmp_path / "front.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg for the test")
    r = sealbag(
        "exhibit",
        "add",
        "--case",
        REF,
        "--id",
        "EX-001",
        "--description",
        "Laptop, silver",
        "--make",
        "Dell",
        "--model",
        "Latitude 5420",
        "--serial",
        "7XK2Q",
        "--capacity",
        "512G",
        "--seal",
        "SEAL-0091",
        "--seal",
        "SEAL-0092",
        "--seized-at",
        "2026-11-20T14:30",
        "--seized-location",
        "Flat 4, MG Road",
        "--seized-by",
        "KA-1234",
        "--authority",
        "Search warrant 55/2026",
        "--photo",
        str(photo),
        "--json",
    )
    assert r.code == 0, r.err
    ex = r.json()
    assert ex["seal_numbers"] == ["SEAL-0091", "SEAL-0092"]
    assert ex["capacity_bytes"] == 512 * 1024**3
    assert ex["seized_tz"] == "Asia/Kolkata"
    assert ex["seized_at"].startswith("2026-11-20T09:00:00")  # 14:30 IST is 09:00 UTC
    assert ex["seized_by"]["id_number"] == "KA-1234"
    import hashlib

    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert ex["photos"] == [digest]
    stored = list(sealbag.store.rglob(f"{digest}.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == photo.read_bytes()

    child = sealbag(
        "exhibit",
        "add",
        "--case",
        REF,
        "--id",
        "EX-001.1",
        "--description",
        "E01 image of EX-001",
        "--type",
        "forensic-image",
        "--json",
    )
    assert child.code == 0 and child.json()["parent"] == "EX-001"
    listed = sealbag("exhibit", "list", "--case", REF, "--json").json()
    assert [e["exhibit_id"] for e in listed] == ["EX-001", "EX-001.1"]
    shown = sealbag("exhibit", "show", "--case", REF, "EX-001")
    assert shown.code == 0 and "SEAL-0091" in shown.out and "Asia/Kolkata" in shown.out


def test_exhibit_errors(sealbag, tmp_path):
    _open_case(sealbag)
    cases = [
        (("--case", "NOPE", "--id", "EX-1", "--description", "x"), "no case"),
        (("--case", REF, "--id", "EX-9.1", "--description", "x"), "parent exhibit EX-9"),
        (("--case", REF, "--id", "../etc", "--description", "x"), "not valid"),
        (
            ("--case", REF, "--id", "EX-1", "--description", "x", "--seized-by", "ghost"),
            "no person",
        ),
        (
            ("--case", REF, "--id", "EX-1", "--description", "x", "--seized-at", "yesterday"),
            "cannot read the time",
        ),
        (
            ("--case", REF, "--id", "EX-1", "--description", "x", "--capacity", "lots"),
            "cannot read the size",
        ),
        (
            (
                "--case",
                REF,
                "--id",
                "EX-1",
                "--description",
                "x",
                "--photo",
                str(tmp_path / "none.jpg"),
            ),
            "photo not found",
        ),
    ]
    for args, message in cases:
        r = sealbag("exhibit", "add", *args)
        assert r.code == 1, (args, r.err)
        assert message in r.err and "Traceback" not in r.err, (args, r.err)
    assert sealbag("exhibit", "list", "--case", REF, "--json").json() == []
    first = sealbag("exhibit", "add", "--case", REF, "--id", "EX-1", "--description", "x")
    assert first.code == 0
    again = sealbag("exhibit", "add", "--case", REF, "--id", "EX-1", "--description", "y")
    assert again.code == 1 and "already exists" in again.err
    missing = sealbag("exhibit", "show", "--case", REF, "EX-404")
    assert missing.code == 1 and "no exhibit EX-404" in missing.err


def test_sealbag_db_environment_variable_and_console_script(tmp_path):
    """The real console entry point honours SEALBAG_DB and prints no traceback on errors."""
    env = {
        **os.environ,
        "SEALBAG_DB": f"sqlite:///{tmp_path / 'env.db'}",
        "SEALBAG_STORE": str(tmp_path / "s"),
    }
    cmd = [sys.executable, "-m", "app.cli.main"]
    ok = subprocess.run(
        [*cmd, "case", "new", "--reference", "ENV-1", "--title", "t"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "env.db").exists()
    bad = subprocess.run(
        [*cmd, "case", "show", "ENV-2"], env=env, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("sealbag: error: no case 'ENV-2'")
    assert "Traceback" not in bad.stderr
    garbage = subprocess.run(
        [*cmd, "case", "list", "--db", "not a url://x"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert garbage.returncode == 1 and "Traceback" not in garbage.stderr
