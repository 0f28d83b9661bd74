"""Byte-identical rebuilds; hostile names print literally and visibly escaped."""

from __future__ import annotations

import dataclasses

from reports.demo import demo_bundle_input
from reports.escaping import markup, visible_text
from reports.model import FileRow
from reports.package import build_bundle
from reports.pdfcheck import page_texts
from tests.reports.conftest import small_input, squeeze


def _files(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_inputs_give_identical_bytes(tmp_path):
    first = build_bundle(small_input("IN-MLA"), tmp_path / "a", include_uco=True)
    second = build_bundle(small_input("IN-MLA"), tmp_path / "b", include_uco=True)
    assert _files(first.folder) == _files(second.folder)
    assert "case-uco.jsonld" in _files(first.folder)


def test_generated_at_changes_the_output(tmp_path):
    first = build_bundle(small_input("US-EVIDENCE"), tmp_path / "a")
    later = dataclasses.replace(small_input("US-EVIDENCE"), generated_at="2026-03-03T09:30:00Z")
    second = build_bundle(later, tmp_path / "b")
    assert first.pdf_sha256 != second.pdf_sha256


def test_visible_text_escapes_controls_and_bidi():
    assert visible_text("a\u202eb\x00c\u200bd\x1b") == "a⟨U+202E⟩b⟨U+0000⟩c⟨U+200B⟩d⟨U+001B⟩"
    assert markup("<img src=http://x>") == "&lt;img src=http://x&gt;"
    assert markup("x\ny") == "x<br/>y"
    assert visible_text("a⟨U+202E⟩b") == "a⟨U+27E8⟩U+202E⟩b"  # cannot imitate an escape
    assert visible_text("a\nb") == "a\nb"
    assert visible_text("a\nb", keep_newlines=False) == "a⟨U+000A⟩b"
    long = visible_text("A" * 1_000_000)
    assert len(long) < 5000 and "characters elided" in long


def test_hostile_names_render_literally(tmp_path):
    inp = demo_bundle_input("IN-MLA", files_per_exhibit=10, exhibits=1, hostile=True, draft=True)
    person = dataclasses.replace(inp.request.persons[0], name="Z" * 1_000_000)
    inp = dataclasses.replace(
        inp, request=dataclasses.replace(inp.request, persons=(person, *inp.request.persons[1:]))
    )
    result = build_bundle(inp, tmp_path / "hostile")
    text = "\n".join(page_texts(result.pdf_path).values())
    assert "\u202e" not in text and "\x00" not in text
    flat = squeeze(text)
    assert squeeze("/hostile/<img src=http://x>") in flat
    assert "invoice⟨U+202E⟩txt.exe" in flat
    assert "nul⟨U+0000⟩byte" in flat
    assert "tab⟨U+0009⟩here" in flat
    assert "line⟨U+000A⟩break" in flat  # a newline in a name cannot fake a listing row
    assert "Résumé–naïveünïcödé" in flat
    assert "Disk<imgsrc=http://x>⟨U+202E⟩evil⟨U+202C⟩nul⟨U+0000⟩" in flat
    assert "characterselided" in flat
    assert result.pages < 60
    csv_text = (result.folder / "annex" / "EX-001-files.csv").read_text(encoding="utf-8")
    assert "invoice\u202etxt.exe" in csv_text  # machine-readable files keep the exact bytes


def test_row_taller_than_a_page_does_not_break_the_layout(tmp_path):
    inp = small_input("IN-EVIDENCE")
    rows = [FileRow("EX-001", "/" + "d/" * 3000 + "f", 1, sha256="a" * 64)] + [
        FileRow("EX-001", f"/f{n}", n, sha256="b" * 64) for n in range(30)
    ]
    case = dataclasses.replace(inp.case_data, file_rows=lambda: iter(rows))
    result = build_bundle(dataclasses.replace(inp, case_data=case), tmp_path / "tall")
    assert result.pages > 5


def test_devanagari_needs_shaping(tmp_path, monkeypatch):
    import pytest

    from forensics.errors import UserInputError
    from reports import fonts

    monkeypatch.setattr(fonts, "shaping_available", lambda: False)
    with pytest.raises(UserInputError, match="install uharfbuzz"):
        build_bundle(small_input("IN-MLA"), tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_devanagari_is_shaped(tmp_path):
    from reports.fonts import shaping_available

    assert shaping_available()
    result = build_bundle(small_input("IN-MLA"), tmp_path / "hi")
    text = "\n".join(page_texts(result.pdf_path).values())
    # the Devanagari font is embedded and its text extracts as the original words
    assert "अनुवाद" in text
    import pikepdf

    with pikepdf.open(result.pdf_path) as pdf:
        fonts_used = {
            str(font.get("/BaseFont"))
            for page in pdf.pages
            for font in (page.Resources.get("/Font") or {}).values()
        }
    assert any("NotoSansDevanagari" in name for name in fonts_used)


def test_cancel_during_rendering_leaves_nothing(tmp_path):
    import pytest

    from forensics.errors import OperationCancelled
    from forensics.progress import CancelToken

    token = CancelToken()
    seen = []

    def progress(update):
        seen.append(update.message)
        if update.message == "rendering the PDF":
            token.cancel()

    with pytest.raises(OperationCancelled):
        build_bundle(small_input("IN-EVIDENCE"), tmp_path / "out", progress=progress, cancel=token)
    assert "rendering the PDF" in seen
    assert list(tmp_path.iterdir()) == []
