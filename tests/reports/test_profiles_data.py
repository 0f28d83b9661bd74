"""Profiles are data: a lab adds one without code; bad profiles fail with a clear message."""

from __future__ import annotations

import pytest

from forensics.errors import UserInputError
from reports.package import build_bundle
from reports.profiles import list_profiles, load_profile
from tests.reports.conftest import small_input


def test_lab_profile_without_code(tmp_path, monkeypatch):
    folder = tmp_path / "lab-profiles"
    folder.mkdir()
    (folder / "LAB-KA.yaml").write_text(
        "id: LAB-KA\n"
        "name: Karnataka lab variant of IN-EVIDENCE\n"
        "extends: [IN-EVIDENCE]\n"
        "headings: {S14: 'Hash report (enclosure to the BSA certificate)'}\n"
        "required_add: [request.references.fir_number]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SEALBAG_PROFILES_DIR", str(folder))
    assert "LAB-KA" in list_profiles()
    profile = load_profile("LAB-KA")
    assert profile.datetime.label == "IST"
    assert "request.references.fir_number" in profile.required
    inp = small_input("IN-EVIDENCE")
    import dataclasses

    result = build_bundle(dataclasses.replace(inp, profile_id="LAB-KA"), tmp_path / "b")
    from reports.pdfcheck import page_texts

    text = "\n".join(page_texts(result.pdf_path).values())
    assert "Hash report (enclosure to the BSA certificate)" in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id: BAD\nsections: [S0, S1, S3, S2, S14, S18]\n", "S0-S18 in order"),
        ("id: BAD\nsections: [S0, S1, S14]\n", "section S18 is required"),
        ("id: BAD\ncertificates: [IN-NOPE]\n", "no certificate template IN-NOPE"),
        ("id: BAD\nextends: [BAD]\n", "extends itself"),
    ],
)
def test_bad_profiles_are_rejected(tmp_path, monkeypatch, body, message):
    (tmp_path / "BAD.yaml").write_text(body, encoding="utf-8")
    monkeypatch.setenv("SEALBAG_PROFILES_DIR", str(tmp_path))
    with pytest.raises(UserInputError, match=message):
        load_profile("BAD")


def test_unknown_profile_lists_known_ones():
    with pytest.raises(UserInputError, match="known: COE-ART29"):
        load_profile("XX-NOPE")


@pytest.mark.parametrize("profile", list_profiles())
def test_request_template_loads_back(profile):
    import yaml

    from reports.loading import request_from_dict
    from reports.request_template import request_template

    text = request_template(profile)
    request = request_from_dict(yaml.safe_load(text))
    assert request.request_type == load_profile(profile).request_type
    required = [s for s in load_profile(profile).required if s.startswith("request.")]
    assert text.count("REQUIRED") >= len({s.split("[]")[0] for s in required}) // 2


def test_missing_font_names_the_package(monkeypatch):
    from reports import fonts

    monkeypatch.setattr(fonts, "_registered", False)
    monkeypatch.setitem(
        fonts.FONT_FILES,
        fonts.DEVANAGARI,
        ("/nonexistent/NotoSansDevanagari.ttf", "fonts-noto-core"),
    )
    with pytest.raises(UserInputError, match="install the Debian package fonts-noto-core"):
        fonts.register_fonts()
