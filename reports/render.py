"""The bundle PDF (reportlab platypus): page template, header, footer, Bates numbers.

``render_pdf`` renders one pass and returns the layout it observed, so the caller can check the
layout is stable before trusting page numbers, index ranges and Bates ranges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    PageTemplate,
)

from reports.escaping import visible_text
from reports.fonts import MONO, SANS, SANS_BOLD, register_fonts
from reports.layout import (
    BODY_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Collector,
    Layout,
    RenderContext,
    lock_down_reportlab,
)
from reports.pdfparts import STYLES, styles
from reports.sections import SectionRenderer


class _BundleDoc(BaseDocTemplate):
    def __init__(
        self, target: Path, ctx: RenderContext, previous: Layout | None, collector: Collector
    ) -> None:
        super().__init__(
            str(target),
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=f"{ctx.bundle_id} MLA evidence bundle",
            author="Sealbag",
            subject=ctx.profile.id,
            creator="Sealbag",
            producer="Sealbag",
            keywords="",
            invariant=1,
            pageCompression=1,
        )
        self.ctx = ctx
        self.previous = previous
        self.collector = collector
        frame = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            BODY_WIDTH,
            PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates(
            [PageTemplate("page", frames=[frame], onPage=self._begin, onPageEnd=self._decorate)]
        )

    def _begin(self, canvas: Any, _doc: Any) -> None:
        canvas._sealbag_collector = self.collector

    def _decorate(self, canvas: Any, _doc: Any) -> None:
        ctx, page = self.ctx, canvas.getPageNumber()
        section = self.collector.layout.page_sections.get(page, self.collector.current_section)
        self.collector.layout.page_sections[page] = section
        self.collector.layout.section_pages.setdefault(section, []).append(page)
        total = self.previous.total_pages if self.previous else 0
        canvas.saveState()
        canvas.setFont(SANS_BOLD, 8)
        canvas.setFillColor(colors.HexColor("#b00020"))
        canvas.drawCentredString(
            PAGE_WIDTH / 2,
            PAGE_HEIGHT - 30,
            visible_text(ctx.request.confidentiality_marking or "[no marking]", limit=120),
        )
        canvas.setFillColor(colors.black)
        canvas.setFont(SANS, 7)
        footer = f"{ctx.bundle_id} | {section} | page {page} of {total or '?'} | {ctx.bates(page)}"
        canvas.drawCentredString(PAGE_WIDTH / 2, 26, footer)
        if section == "S0":
            canvas.setFont(MONO, 6.5)
            canvas.drawCentredString(
                PAGE_WIDTH / 2, 16, f"manifest.json SHA-256 {ctx.manifest_sha256}"
            )
        if ctx.profile.court_seal_boxes:
            # Per-page "initials + seal" strip (court practice for letters of request).
            canvas.setLineWidth(0.4)
            canvas.setFont(SANS, 5.5)
            for x, label in (
                (PAGE_WIDTH - MARGIN_X - 120, "Initials"),
                (PAGE_WIDTH - MARGIN_X - 58, "Seal"),
            ):
                canvas.rect(x, 4, 58, 16)
                canvas.drawString(x + 2, 14.5, label)
        if ctx.draft:
            canvas.setFont(SANS_BOLD, 110)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -30, ctx.boilerplate.get("draft_watermark", "DRAFT"))
        canvas.restoreState()


def render_pdf(
    ctx: RenderContext, target: Path, previous: Layout | None, draw_listing: bool = True
) -> Layout:
    """Render one pass to ``target``; returns the layout this pass produced."""
    register_fonts()
    lock_down_reportlab()
    if not STYLES:
        STYLES.update(styles())
    collector = Collector()
    doc = _BundleDoc(target, ctx, previous, collector)
    story = SectionRenderer(ctx, previous, draw_listing).build()
    doc.build(story)
    layout = collector.layout
    layout.total_pages = max(layout.page_sections) if layout.page_sections else 0
    layout.section_pages = {k: sorted(set(v)) for k, v in layout.section_pages.items()}
    layout.exhibit_pages = {k: [min(v), max(v)] for k, v in layout.exhibit_pages.items()}
    return layout
