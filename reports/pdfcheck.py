"""Checks on the rendered PDF text: Bates continuity (B9.10) and hash agreement (B9.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reports.preflight import Problem

if TYPE_CHECKING:
    from reports.layout import Layout, RenderContext

FOOTER = re.compile(r"(\S+) \| (S\d{1,2}) \| page (\d+) of (\d+) \| (\S+)")


def page_texts(pdf_path: Path, pages: Iterable[int] | None = None) -> dict[int, str]:
    """Extracted text of 1-based ``pages`` (all when None)."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf_path))
    wanted = range(1, len(reader.pages) + 1) if pages is None else sorted(set(pages))
    return {
        n: reader.pages[n - 1].extract_text() or "" for n in wanted if 1 <= n <= len(reader.pages)
    }


def page_count(pdf_path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf_path)).pages)


def _footer(text: str) -> re.Match[str] | None:
    """The page footer: the last footer-shaped line (it is drawn after the page content, so a
    field that merely looks like a footer cannot take its place)."""
    matches = list(FOOTER.finditer(text))
    return matches[-1] if matches else None


def footer_sections(texts: Mapping[int, str]) -> dict[int, str]:
    """Section of each page as printed in its footer."""
    result = {}
    for page, text in texts.items():
        match = _footer(text)
        if match:
            result[page] = match.group(2)
    return result


def check_footers(texts: Mapping[int, str], bundle_id: str, total: int) -> list[Problem]:
    """B9.10: every checked page has the footer with its own page number and Bates number."""
    problems = []
    for page, text in sorted(texts.items()):
        match = _footer(text)
        expected_bates = f"{bundle_id}-{page:06d}"
        if not match:
            problems.append(Problem("B9.10", f"page {page}", "footer with Bates number missing"))
            continue
        if (match.group(1), int(match.group(3)), int(match.group(4)), match.group(5)) != (
            bundle_id,
            page,
            total,
            expected_bates,
        ):
            problems.append(
                Problem(
                    "B9.10",
                    f"page {page}",
                    f"footer reads {match.group(0)!r}, expected page {page} of "
                    f"{total} and Bates {expected_bates}",
                )
            )
    return problems


def check_hash_agreement(
    texts: Mapping[int, str],
    sections: Mapping[int, str],
    exhibit_hashes: Sequence[tuple[str, str]],
    certificate_ranges: Mapping[str, Sequence[int]],
) -> list[Problem]:
    """B9.3: each exhibit's SHA-256 appears in S10 (short form), S11, every certificate, S14."""

    def joined(section: str) -> str:
        return "\n".join(texts[p] for p, s in sections.items() if s == section)

    squeeze = re.compile(r"\s+")
    present = {s for s in sections.values()}
    s10, s11, s14 = (squeeze.sub("", joined(s)) for s in ("S10", "S11", "S14"))
    problems = []
    for exhibit_id, sha in exhibit_hashes:
        if not sha:
            continue
        if "S10" in present and sha[:16] not in s10:
            problems.append(Problem("B9.3", f"exhibit {exhibit_id}", "SHA-256 missing in S10"))
        if "S11" in present and sha not in s11:
            problems.append(Problem("B9.3", f"exhibit {exhibit_id}", "SHA-256 missing in S11"))
        if "S14" in present and sha not in s14:
            problems.append(Problem("B9.3", f"exhibit {exhibit_id}", "SHA-256 missing in S14"))
        for cert, pages in certificate_ranges.items():
            text = squeeze.sub("", "\n".join(texts.get(p, "") for p in pages))
            if sha not in text:
                problems.append(
                    Problem(
                        "B9.3", f"exhibit {exhibit_id}", f"SHA-256 missing in certificate {cert}"
                    )
                )
    return problems


def certificate_page_ranges(layout: Layout) -> dict[str, list[int]]:
    """Pages of each certificate in S13, from the certificate markers of the layout."""
    starts = sorted(
        (pages[0], key[5:])
        for key, pages in layout.section_pages.items()
        if key.startswith("cert:")
    )
    s13 = layout.section_pages.get("S13", [])
    end = max(s13) if s13 else 0
    ranges = {}
    for index, (first, cert) in enumerate(starts):
        last = starts[index + 1][0] - 1 if index + 1 < len(starts) else end
        ranges[cert] = list(range(first, last + 1))
    return ranges


def check_rendered_pdf(pdf_path: Path, ctx: RenderContext, layout: Layout) -> list[Problem]:
    """Post-render checks of a freshly built PDF (pages inside long listings are skipped)."""
    total = page_count(pdf_path)
    problems = []
    if total != layout.total_pages:
        problems.append(
            Problem("B9.10", "PDF", f"{total} pages rendered, layout said {layout.total_pages}")
        )
    listing_pages = layout.section_pages.get("S15", [])
    skip = set(listing_pages[1:-1])
    texts = page_texts(pdf_path, [p for p in range(1, total + 1) if p not in skip])
    problems += check_footers(texts, ctx.bundle_id, total)
    cover = texts.get(1, "")
    if ctx.manifest_sha256 not in re.sub(r"\s+", "", cover):
        problems.append(Problem("B9.10", "cover", "manifest SHA-256 missing on the cover"))
    acquisitions = {a.exhibit_id: a for a in ctx.case_data.acquisitions}
    exhibit_hashes = [
        (e.id, acquisitions[e.id].hash("SHA-256", "image") or acquisitions[e.id].hash("SHA-256"))
        for e in ctx.case_data.exhibits
        if e.id in acquisitions
    ]
    problems += check_hash_agreement(
        texts, footer_sections(texts), exhibit_hashes, certificate_page_ranges(layout)
    )
    return problems
