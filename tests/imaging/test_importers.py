"""Importers for Guymager .info, ewfacquire and dc3dd logs.

The Guymager sample is hand-written in Guymager 0.8.13's layout (Guymager is
not installed here); ewfacquire and dc3dd logs are also produced live by the
installed tools when they exist, so the parsers are checked against the real
output of the versions a lab runs.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from forensics.errors import UserInputError
from forensics.imaging.importers import (
    import_log,
    parse_dc3dd_log,
    parse_ewfacquire_log,
    parse_guymager_info,
)
from forensics.imaging.record import AcquisitionRecord, ErrorRange
from tests.imaging.helpers import have_tool, write_random

DATA = Path(__file__).parent / "data"


def test_guymager_info() -> None:
    rec = import_log(DATA / "guymager-sample.info")
    assert rec.state == "imported"
    assert rec.tool.name == "guymager"
    assert rec.tool.version == "0.8.13-1"
    assert rec.tool.host == "ws-forensic-02"
    assert rec.case_reference == "2026-0117"
    assert rec.exhibit_reference == "EX-014"
    assert rec.examiner == "PC 3391 Okafor"
    assert rec.notes == "from bag S-4410"
    assert rec.source.path == "/dev/sdb"
    assert rec.source.size == rec.bytes_total == 8019509248
    assert rec.source.hpa_dco == "Guymager reported: unknown"
    assert rec.image_format == "e01"
    assert rec.source_hashes == {
        "md5": "8a1f0c3a1c8b6d5e7f9a0b1c2d3e4f50",
        "sha256": "5b0e2f4c6a8d1e3f5a7c9b0d2e4f6a8c1b3d5e7f9a0c2e4a6b8d0f1e3a5c7e9b",
    }
    assert "sha1" not in rec.source_hashes  # "--" means not computed
    assert rec.verification.result == "match"
    assert rec.verification.source_reread
    assert rec.error_ranges == (
        ErrorRange(1024 * 512, 2 * 512, "bad sector (Guymager)"),
        ErrorRange(15663103 * 512, 512, "bad sector (Guymager)"),
    )
    assert rec.started.startswith("2026-03-14T10:12:31")
    assert "segments" in rec.unconfirmed_fields
    assert "source.serial" in rec.unconfirmed_fields
    # JSON round trip keeps the imported record intact
    assert AcquisitionRecord.from_dict(rec.to_dict()) == rec


def test_guymager_failed_state() -> None:
    text = (DATA / "guymager-sample.info").read_text().replace(
        "State: Finished successfully", "State: Aborted by user")
    rec = parse_guymager_info(text)
    assert rec.abort_reason == "Aborted by user"
    assert any("did not report a successful" in w for w in rec.warnings)


def test_ewfacquire_transcript() -> None:
    rec = import_log(DATA / "ewfacquire-transcript.txt")
    assert rec.tool.name == "ewfacquire"
    assert rec.tool.version == "20140813"
    assert rec.case_reference == "2026-0203"
    assert rec.exhibit_reference == "EX-022"
    assert rec.examiner == "DS Patel"
    assert rec.source.size == 8004304896
    assert rec.source_hashes == {"md5": "3c1e0a9b8d7f6e5d4c3b2a1908f7e6d5",
                                 "sha1": "9a8b7c6d5e4f30211f0e1d2c3b4a59687766a5b4"}
    assert rec.error_ranges == (ErrorRange(40960 * 512, 64 * 512, "read error (ewfacquire)"),)
    assert rec.image_name == "EX-022.E01"
    assert rec.started.startswith("2026-03-21T14:02:11")
    assert rec.abort_reason is None


def test_dc3dd_log_with_bad_sectors() -> None:
    rec = import_log(DATA / "dc3dd-badsectors.log")
    assert rec.tool.name == "dc3dd"
    assert rec.tool.version == "7.2.646"
    assert rec.source.path == "/dev/sdc"
    assert rec.bytes_total == 7831552 * 512
    assert rec.source_hashes["md5"] == "0f4e3b6a2c1d9e8f7a6b5c4d3e2f1a0b"
    assert rec.image_hashes == rec.source_hashes
    assert rec.verification.result == "match"
    assert rec.bytes_zero_filled == 2 * 512
    assert rec.error_ranges == (ErrorRange(2048 * 512, 2 * 512, "Input/output error"),)
    assert any("not checked against a real faulty device" in f for f in rec.unconfirmed_fields)
    assert rec.started == "2026-03-02T09:41:07+01:00"
    assert "case_reference" in rec.unconfirmed_fields


def test_live_dc3dd_log(tmp_path: Path) -> None:
    if not have_tool("dc3dd"):
        pytest.skip("dc3dd not installed")
    data = write_random(tmp_path / "src.bin", 100_000)
    subprocess.run(["dc3dd", f"if={tmp_path / 'src.bin'}", f"hof={tmp_path / 'out.dd'}",
                    "hash=md5", "hash=sha1", "hash=sha256", f"log={tmp_path / 'dc3dd.log'}"],
                   capture_output=True, check=True)
    rec = import_log(tmp_path / "dc3dd.log")
    assert rec.source_hashes == {a: hashlib.new(a, data).hexdigest()
                                 for a in ("md5", "sha1", "sha256")}
    assert rec.bytes_total == 100_000
    assert rec.verification.result == "match"
    assert rec.error_ranges == ()


def test_live_ewfacquire_log(tmp_path: Path) -> None:
    if not have_tool("ewfacquire"):
        pytest.skip("ewfacquire not installed")
    data = write_random(tmp_path / "src.bin", 64 * 512)
    proc = subprocess.run(
        ["ewfacquire", "-u", "-t", str(tmp_path / "ex"), "-C", "C-1", "-E", "EX-9", "-d", "sha1",
         "-l", str(tmp_path / "ex.log"), str(tmp_path / "src.bin")],
        capture_output=True, text=True, check=True,
    )
    log_rec = parse_ewfacquire_log((tmp_path / "ex.log").read_text())
    assert log_rec.source_hashes == {"md5": hashlib.md5(data).hexdigest(),
                                     "sha1": hashlib.sha1(data).hexdigest()}
    assert "case_number" in log_rec.unconfirmed_fields  # the -l log does not hold it
    transcript = parse_ewfacquire_log(proc.stdout)
    assert transcript.source.size == 64 * 512
    assert transcript.abort_reason is None


def test_unknown_file_refused(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(UserInputError):
        import_log(tmp_path / "x.txt")


def test_hostile_values_stay_data() -> None:
    text = (DATA / "dc3dd-badsectors.log").read_text().replace(
        "/dev/sdc", "../../etc/passwd\x1b[2J")
    rec = parse_dc3dd_log(text)
    assert rec.source.path == "../../etc/passwd\x1b[2J"
    assert rec.output_dir == "/evidence"


def test_pathological_lines_do_not_hang(tmp_path: Path) -> None:
    text = (DATA / "guymager-sample.info").read_text()
    text += "a" + " " * 200_000 + "\n" + "Version" + " " * 200_000 + "x\n"
    rec = parse_guymager_info(text)
    assert rec.tool.version == "0.8.13-1"
