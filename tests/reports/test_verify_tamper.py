"""``bundle verify`` catches an edited PDF, manifest or custody line."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from forensics.custody.canonical import encode_canonical
from reports.package import build_bundle
from reports.verify import verify_bundle
from tests.reports.conftest import small_input


@pytest.fixture(scope="module")
def original(module_tmp):
    return build_bundle(small_input("IN-MLA"), module_tmp / "original")


@pytest.fixture
def copy(original, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(original.folder, target)
    return target


def _failed(report):
    return {c.name for c in report.checks if not c.ok}


def _rewrite_sums(folder):
    lines = []
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        _, name = line.split("  ", 1)
        lines.append(f"{hashlib.sha256((folder / name).read_bytes()).hexdigest()}  {name}")
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def test_untouched_copy_verifies(copy):
    assert verify_bundle(copy).ok


def test_edited_pdf_is_caught(copy, original):
    import pikepdf

    pdf_path = copy / original.pdf_path.name
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = "edited"
        pdf.save(pdf_path)
    report = verify_bundle(copy)
    assert not report.ok
    assert "SHA256SUMS" in _failed(report)


def test_corrupted_pdf_fails_without_crashing(copy, original):
    pdf_path = copy / original.pdf_path.name
    data = bytearray(pdf_path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = b"\x00" * 4000
    pdf_path.write_bytes(bytes(data))
    report = verify_bundle(copy)
    assert not report.ok
    assert "SHA256SUMS" in _failed(report)


def test_edited_manifest_is_caught_even_with_new_sums(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["exhibits"][0]["description"] = "something else"
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    report = verify_bundle(copy)
    assert "SHA256SUMS" in _failed(report)
    _rewrite_sums(copy)
    report = verify_bundle(copy)
    assert not report.ok
    assert "manifest hash on the cover" in _failed(report)
    assert "attached manifest.json equals the detached file" in _failed(report)


def test_edited_custody_line_is_caught_even_with_new_sums(copy):
    lines = (copy / "custody.jsonl").read_bytes().splitlines()
    number = next(i for i, line in enumerate(lines) if b'"checked-out"' in line)
    event = json.loads(lines[number])
    event["received_by"]["name"] = "Somebody Else"
    lines[number] = encode_canonical(event)
    (copy / "custody.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    assert "SHA256SUMS" in _failed(verify_bundle(copy))
    _rewrite_sums(copy)
    failed = _failed(verify_bundle(copy))
    assert "custody chain" in failed


def test_rechained_simple_custody_is_caught_by_head_hash(tmp_path):
    from reports.custody_chain import chain_events, custody_jsonl

    copy = build_bundle(small_input("IN-MLA", custody_format="simple"), tmp_path / "s").folder
    assert (copy / "custody-verify.py").is_file()
    assert verify_bundle(copy).ok
    events = [json.loads(line) for line in (copy / "custody.jsonl").read_bytes().splitlines()]
    events[0]["remarks"] = "rewritten history"
    (copy / "custody.jsonl").write_bytes(custody_jsonl(chain_events(events)))
    _rewrite_sums(copy)
    failed = _failed(verify_bundle(copy))
    assert "custody chain" not in failed
    assert "custody head hash matches the manifest" in failed


def test_ledger_bundle_ships_the_ledger_verifier(copy):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "standalone_verifier.py", "custody.jsonl"],
        cwd=copy,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_cli_exit_codes(copy, original):
    from app.cli.main import main

    assert main(["bundle", "verify", str(copy)]) == 0
    (copy / "custody.jsonl").write_bytes((copy / "custody.jsonl").read_bytes() + b"{}\n")
    assert main(["bundle", "verify", str(copy)]) == 1
    assert main(["bundle", "verify", str(original.pdf_path)]) == 0


def test_extra_unlisted_file_fails(copy):
    (copy / "extra.txt").write_text("not part of the bundle")
    assert "SHA256SUMS" in _failed(verify_bundle(copy))


def test_sums_pointing_outside_the_folder_fail(copy, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    digest = hashlib.sha256(b"x").hexdigest()
    with open(copy / "SHA256SUMS", "a") as handle:
        handle.write(f"{digest}  {outside}\n{digest}  ../outside.txt\n")
    report = verify_bundle(copy)
    detail = next(c.detail for c in report.checks if c.name == "SHA256SUMS")
    assert not report.ok
    assert "path leaves the bundle folder" in detail


def test_footer_lookalike_in_a_field_cannot_replace_the_footer():
    from reports.pdfcheck import check_footers, footer_sections

    texts = {1: "Name: X | S9 | page 7 of 9 | X-000007\nbody\nB | S0 | page 1 of 1 | B-000001"}
    assert footer_sections(texts) == {1: "S0"}
    assert check_footers(texts, "B", 1) == []


def test_unwritable_output_is_a_clean_error(tmp_path):
    from forensics.errors import UserInputError

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(UserInputError, match="cannot write a bundle"):
        build_bundle(small_input("IN-EVIDENCE"), not_a_folder / "out")
