"""Styles and building blocks shared by the section and certificate pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from reports.escaping import markup, visible_text
from reports.fonts import DEVANAGARI, MONO, SANS, SANS_BOLD
from reports.layout import BODY_WIDTH, Layout, RenderContext, SectionMark
from reports.model import (
    HashValue,
    normalise_algorithm,
)
from reports.timefmt import render_date

# --- styles -----------------------------------------------------------------------------------


def styles() -> dict[str, ParagraphStyle]:
    # Shaping (HarfBuzz) only where a complex script needs it: on Latin text it would turn
    # "st" and "fi" into ligatures that text search and extraction then miss.
    base = ParagraphStyle("body", fontName=SANS, fontSize=8.5, leading=11, shaping=0)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.8),
        "label": ParagraphStyle(
            "label", parent=base, fontName=SANS_BOLD, fontSize=7.5, leading=9.5
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=SANS_BOLD, fontSize=16, leading=20, spaceAfter=10
        ),
        "h1": ParagraphStyle(
            "h1", parent=base, fontName=SANS_BOLD, fontSize=13, leading=16, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=SANS_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=7.2, leading=9),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#7a4b00")
        ),
        "blank": ParagraphStyle("blank", parent=base, textColor=colors.HexColor("#b00020")),
        "devanagari": ParagraphStyle(
            "devanagari", parent=base, fontName=DEVANAGARI, fontSize=10, leading=15, shaping=1
        ),
        "shaped": ParagraphStyle("shaped", parent=base, shaping=1),
        "mono_small": ParagraphStyle(
            "mono_small", parent=base, fontName=MONO, fontSize=6.2, leading=7.8
        ),
    }


STYLES: dict[str, ParagraphStyle] = {}


def rich_text(value: object) -> str:
    """Markup for an untrusted value, with Devanagari runs switched to the Devanagari font."""
    escaped = markup(value)
    if not any("\u0900" <= char <= "\u097f" for char in escaped):
        return escaped
    out: list[str] = []
    in_run = False
    for char in escaped:
        is_deva = "\u0900" <= char <= "\u097f"
        if is_deva and not in_run:
            out.append(f'<font name="{DEVANAGARI}">')
            in_run = True
        elif not is_deva and in_run and char not in " ,.-।":
            out.append("</font>")
            in_run = False
        out.append(char)
    if in_run:
        out.append("</font>")
    return "".join(out)


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders of template wording with data (escaped later as a whole)."""
    out = text
    for key, value in values.items():
        out = out.replace("{" + key + "}", value or "[not provided]")
    return out


def join_parts(*parts: str, sep: str = " · ") -> str:
    return sep.join(str(p) for p in parts if p)


def is_devanagari(text: str) -> bool:
    return any("\u0900" <= char <= "\u097f" for char in text)


GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa0a6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f3f4")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
GRID_HEADER = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa0a6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaed")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
)


class Blocks:
    """Paragraphs, field tables, grids and hash cells for one rendering pass."""

    def __init__(self, ctx: RenderContext, previous: Layout | None, draw_listing: bool) -> None:
        self.ctx = ctx
        self.previous = previous
        self.draw_listing = draw_listing
        self.blank = ctx.boilerplate.get("blank", "[not provided]")
        self.acquisitions = {a.exhibit_id: a for a in ctx.case_data.acquisitions}

    # -- small helpers -------------------------------------------------------------------------

    def para(self, value: object, style: str = "body") -> Paragraph:
        if value in ("", None, ()):
            return Paragraph(markup(self.blank), STYLES["blank"])
        if is_devanagari(str(value)):
            shaped = ParagraphStyle(f"{style}-shaped", parent=STYLES[style], shaping=1)
            return Paragraph(rich_text(value), shaped)
        return Paragraph(rich_text(value), STYLES[style])

    def fixed(self, text: str, style: str = "body") -> Paragraph:
        """Wording from the reviewed templates (escaped too: templates are data)."""
        return Paragraph(markup(text), STYLES[style])

    def fields(self, rows: Sequence[tuple[str, object]], label_width: float = 150) -> Table:
        data = [
            [Paragraph(markup(label), STYLES["label"]), self._cell(value)] for label, value in rows
        ]
        table = Table(data, colWidths=[label_width, BODY_WIDTH - label_width], splitInRow=1)
        table.setStyle(GRID)
        return table

    def _cell(self, value: object) -> Flowable:
        if isinstance(value, Flowable):
            return value
        if isinstance(value, list):
            return value  # type: ignore[return-value]
        return self.para(value)

    def grid(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        style: str = "small",
    ) -> Table:
        data: list[list[object]] = [[Paragraph(markup(h), STYLES["label"]) for h in header]]
        for row in rows:
            data.append(
                [
                    c
                    if isinstance(c, Flowable)
                    else self.para(c, style)
                    if c not in ("", None)
                    else Paragraph("-", STYLES[style])
                    for c in row
                ]
            )
        table = Table(data, colWidths=list(widths), repeatRows=1, splitInRow=1)
        table.setStyle(GRID_HEADER)
        return table

    def hash_para(self, item: HashValue, style: str = "mono", show_scope: bool = True) -> Paragraph:
        """Hash value with its algorithm name beside it (never a bare hex string)."""
        algorithm = normalise_algorithm(item.algorithm) if item.algorithm else "⟨algorithm missing⟩"
        scope = f" ({markup(item.scope)})" if item.scope and show_scope else ""
        return Paragraph(
            f'<font name="{SANS_BOLD}">{markup(algorithm)}</font>{scope} {markup(item.value)}',
            STYLES[style],
        )

    def time(self, text: str) -> str:
        return self.ctx.time(visible_text(text)) if text else ""

    def section(self, section: str) -> list[Flowable]:
        return [
            SectionMark(section),
            Paragraph(f"{markup(section)} · {markup(self.ctx.heading(section))}", STYLES["h1"]),
        ]

    def bates_range(self, pages: Sequence[int] | None) -> str:
        if not pages:
            return "-"
        return f"{self.ctx.bates(min(pages))} – {self.ctx.bates(max(pages))}"

    def bates_cell(self, pages: Sequence[int] | None) -> Paragraph:
        if not pages:
            return Paragraph("-", STYLES["mono_small"])
        return Paragraph(
            f"{markup(self.ctx.bates(min(pages)))}<br/>{markup(self.ctx.bates(max(pages)))}",
            STYLES["mono_small"],
        )

    def short_hash_cell(self, sha: str) -> Paragraph:
        if not sha:
            return Paragraph(markup(self.blank), STYLES["blank"])
        return Paragraph(
            f'<font name="{SANS_BOLD}">SHA-256</font><br/>{markup(sha[:16])}…', STYLES["mono_small"]
        )

    def exhibit_sha256(self, exhibit_id: str) -> str:
        acquisition = self.acquisitions.get(exhibit_id)
        return (
            acquisition.hash("SHA-256", "image") or acquisition.hash("SHA-256")
            if acquisition
            else ""
        )

    # -- sections --------------------------------------------------------------------------------

    def signature_block(self, role: str, signatory: Any, seal: bool = False) -> Table:
        rows: list[tuple[str, object]] = [
            ("Role", role),
            ("Name", signatory.name),
            ("Designation", signatory.designation),
            ("Authority", signatory.authority),
            ("Date", render_date(signatory.date, self.ctx.profile.datetime)),
            ("Place", signatory.place),
            ("Signature", Paragraph("<br/><br/><br/>", STYLES["body"])),
        ]
        if seal:
            rows.append(("Seal / stamp", Paragraph("<br/><br/><br/><br/>", STYLES["body"])))
        return KeepTogether([self.fields(rows, label_width=120), Spacer(1, 8)])  # type: ignore[return-value]
