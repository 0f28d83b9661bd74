"""Layout of a bundle PDF: render context, observed page layout and the zero-size markers.

Rendering runs in passes: a layout pass learns the page of every section and exhibit (and the
total page count); the final pass prints "page N of M", index page ranges and Bates ranges from
that layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.platypus.flowables import Flowable

from forensics.progress import NEVER_CANCELLED, CancelToken
from reports.custody_chain import ChainResult
from reports.listing import ListingSpool
from reports.model import (
    CaseData,
    RequestData,
)
from reports.profiles import Profile
from reports.timefmt import render_time

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 40
MARGIN_TOP = 52
MARGIN_BOTTOM = 48
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN_X


def lock_down_reportlab() -> None:
    """Deterministic output (fixed dates and IDs) and no remote fetches from markup."""
    rl_config.invariant = 1
    rl_config.trustedHosts = ["invalid.invalid"]
    rl_config.trustedSchemes = []


@dataclass(frozen=True)
class PackageFile:
    """A file of the package as listed in S14 and ``manifest.json``."""

    path: str
    size: int
    sha256: str
    role: str


@dataclass
class Layout:
    """What a pass observed: pages of sections and exhibits, and the total."""

    total_pages: int = 0
    section_pages: dict[str, list[int]] = field(default_factory=dict)
    exhibit_pages: dict[str, list[int]] = field(default_factory=dict)
    page_sections: dict[int, str] = field(default_factory=dict)

    def key(self) -> tuple:
        return (
            self.total_pages,
            sorted(self.section_pages.items()),
            sorted(self.exhibit_pages.items()),
        )

    def range_of(self, pages: Sequence[int] | None) -> tuple[int, int] | None:
        return (min(pages), max(pages)) if pages else None


@dataclass(frozen=True)
class RenderContext:
    """Everything the renderer needs besides the layout of the previous pass."""

    bundle_id: str
    profile: Profile
    boilerplate: Mapping[str, Any]
    certificate_templates: Mapping[str, Mapping[str, Any]]
    request: RequestData
    case_data: CaseData
    custody_events: Sequence[Mapping[str, Any]]
    custody: ChainResult
    generated_at: str
    draft: bool
    draft_problems: Sequence[str]
    manifest_sha256: str
    package_files: Sequence[PackageFile]
    listings: Mapping[str, ListingSpool]
    listing_files: Mapping[str, PackageFile]
    cancel: CancelToken = NEVER_CANCELLED

    def bates(self, page: int) -> str:
        return f"{self.bundle_id}-{page:06d}"

    def heading(self, section: str) -> str:
        return self.profile.headings.get(section) or self.boilerplate["section_headings"][section]

    def time(self, text: str) -> str:
        return render_time(text, self.profile.datetime)


# --- page furniture and markers -----------------------------------------------------------------


class Collector:
    def __init__(self) -> None:
        self.layout = Layout()
        self.current_section = "S0"


class SectionMark(Flowable):
    """Zero-size marker: the section starts on the page where it is drawn."""

    def __init__(self, section: str) -> None:
        super().__init__()
        self.section = section
        self.width = self.height = 0

    def wrap(self, *_: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        collector: Collector = self.canv._sealbag_collector  # type: ignore[attr-defined]
        collector.current_section = self.section
        collector.layout.page_sections[self.canv.getPageNumber()] = self.section


class ExhibitMark(SectionMark):
    """Zero-size marker at the start and end of an exhibit's acquisition record."""

    def __init__(self, exhibit_id: str) -> None:
        super().__init__("")
        self.exhibit_id = exhibit_id

    def draw(self) -> None:
        collector: Collector = self.canv._sealbag_collector  # type: ignore[attr-defined]
        collector.layout.exhibit_pages.setdefault(self.exhibit_id, []).append(
            self.canv.getPageNumber()
        )


class CertificateMark(ExhibitMark):
    """Marker of a certificate page (kept for the index and pre-flight checks)."""

    def draw(self) -> None:
        collector: Collector = self.canv._sealbag_collector  # type: ignore[attr-defined]
        collector.layout.section_pages.setdefault("cert:" + self.exhibit_id, []).append(
            self.canv.getPageNumber()
        )
