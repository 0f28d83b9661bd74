"""A bundle for every profile from the demo case: text, hashes, attachments, qpdf, sha256sum."""

from __future__ import annotations

import shutil
import subprocess

import pikepdf
import pytest

from reports.escaping import visible_text
from reports.pdfcheck import footer_sections, page_texts
from reports.preflight import TIME_FIELDS_CASE, TIME_FIELDS_REQUEST, _values
from reports.profiles import list_profiles, load_profile
from reports.verify import verify_bundle
from tests.reports.conftest import small_input, squeeze

PROFILES = list_profiles()


def test_all_required_profiles_exist():
    for name in (
        "IN-MLA",
        "IN-LR",
        "IN-EVIDENCE",
        "US-INBOUND",
        "US-EVIDENCE",
        "COE-ART29",
        "COE-ART31",
        "EU-EIO",
        "GEN-UNTOC",
    ):
        assert name in PROFILES


@pytest.fixture(scope="module", params=PROFILES)
def built(request, module_tmp):
    profile = request.param
    inp = small_input(profile)
    from reports.package import build_bundle

    result = build_bundle(inp, module_tmp / profile)
    return profile, inp, result, page_texts(result.pdf_path)


def _section_text(texts, sections, section):
    return squeeze("\n".join(texts[p] for p, s in sections.items() if s == section))


def test_sections_in_profile_order(built):
    profile_id, _, result, texts = built
    profile = load_profile(profile_id)
    sections = footer_sections(texts)
    assert len(sections) == len(texts) == result.pages
    order = []
    for page in sorted(sections):
        if not order or order[-1] != sections[page]:
            order.append(sections[page])
    assert order == list(profile.sections)


def test_every_required_field_is_printed(built):
    profile_id, inp, _, texts = built
    profile = load_profile(profile_id)
    everything = squeeze("\n".join(texts.values()))
    time_fields = set(TIME_FIELDS_REQUEST) | set(TIME_FIELDS_CASE)
    roots = {"request": inp.request, "case": inp.case_data}
    checked = 0
    for spec in profile.required:
        if spec in time_fields or spec == "request.request_type":
            continue
        root, *path = spec.split(".")
        for where, value in _values(roots[root], path, root):
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if not isinstance(item, str) or not item:
                    continue
                if spec.endswith(".date"):
                    continue  # rendered in the profile's date format
                assert squeeze(visible_text(item)) in everything, f"{where} not printed"
                checked += 1
    assert checked > 20


def test_hashes_where_the_spec_puts_them(built):
    profile_id, inp, result, texts = built
    profile = load_profile(profile_id)
    sections = footer_sections(texts)
    assert result.manifest_sha256 in squeeze(texts[1])
    s14 = _section_text(texts, sections, "S14")
    assert result.manifest_sha256 in s14
    for acq in inp.case_data.acquisitions:
        image = acq.hash("SHA-256", "image")
        if "S10" in profile.sections:
            assert image[:16] in _section_text(texts, sections, "S10")
            assert image in _section_text(texts, sections, "S11")
            for item in acq.hashes:
                assert f"{item.scope}{acq.size_bytes:,}{item.algorithm}{item.value}" in s14
        if profile.certificates:
            s13 = _section_text(texts, sections, "S13")
            for cert in profile.certificates:
                assert cert in s13
            assert s13.count(image) >= len(profile.certificates)
    custody = (result.folder / "custody.jsonl").read_bytes()
    import hashlib

    assert hashlib.sha256(custody).hexdigest() in s14


def test_india_profiles_render_ist(built):
    profile_id, _, _, texts = built
    text = "\n".join(texts.values())
    if load_profile(profile_id).datetime.label == "IST":
        assert "02/03/2026 15:00:00 IST" in text  # generated_at 09:30Z on the cover
    else:
        assert "IST" not in text.replace("LIST", "")


def test_qpdf_check_passes(built):
    result = built[2]
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf not installed")
    run = subprocess.run(["qpdf", "--check", str(result.pdf_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_attachments_and_sha256sums(built):
    result = built[2]
    with pikepdf.open(result.pdf_path) as pdf:
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    assert set(attached) == {"manifest.json", "custody.jsonl", "SHA256SUMS"}
    for name in ("manifest.json", "custody.jsonl"):
        assert attached[name] == (result.folder / name).read_bytes()
    detached = (result.folder / "SHA256SUMS").read_text()
    pdf_line = f"{result.pdf_sha256}  {result.pdf_path.name}\n"
    assert pdf_line in detached
    assert attached["SHA256SUMS"].decode() == detached.replace(pdf_line, "")
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum not installed")
    run = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=result.folder, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_bundle_verifies(built):
    report = verify_bundle(built[2].folder)
    assert report.ok, [c for c in report.checks if not c.ok]
    report = verify_bundle(built[2].pdf_path)
    assert report.ok, [c for c in report.checks if not c.ok]
