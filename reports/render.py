"""The bundle PDF (reportlab platypus): sections S0-S18, header, footer, Bates numbers.

Rendering runs in passes: a layout pass learns the page of every section and exhibit (and the
total page count); the final pass prints "page N of M", index page ranges and Bates ranges from
that layout. ``render_pdf`` returns the layout it observed so the caller can check it is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from reports import custody_chain
from reports.custody_view import view
from reports.escaping import markup, visible_text
from reports.fonts import DEVANAGARI, MONO, SANS, SANS_BOLD, register_fonts
from reports.listing import ListingAnnex, ListingSpool
from reports.model import (
    Acquisition,
    CaseData,
    Exhibit,
    HashValue,
    RequestData,
    normalise_algorithm,
)
from reports.profiles import Profile
from reports.timefmt import render_date, render_time, utc_iso

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
    custody_head: str
    generated_at: str
    draft: bool
    draft_problems: Sequence[str]
    manifest_sha256: str
    package_files: Sequence[PackageFile]
    listings: Mapping[str, ListingSpool]
    listing_files: Mapping[str, PackageFile]

    def bates(self, page: int) -> str:
        return f"{self.bundle_id}-{page:06d}"

    def heading(self, section: str) -> str:
        return self.profile.headings.get(section) or self.boilerplate["section_headings"][section]

    def time(self, text: str) -> str:
        return render_time(text, self.profile.datetime)


# --- styles -----------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
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


def _text(value: object) -> str:
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


class SectionRenderer:
    """Builds the flowables of every section for one pass."""

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
        if _is_devanagari(str(value)):
            shaped = ParagraphStyle(f"{style}-shaped", parent=STYLES[style], shaping=1)
            return Paragraph(_text(value), shaped)
        return Paragraph(_text(value), STYLES[style])

    def fixed(self, text: str, style: str = "body") -> Paragraph:
        """Wording from the reviewed templates (escaped too: templates are data)."""
        return Paragraph(markup(text), STYLES[style])

    def fields(self, rows: Sequence[tuple[str, object]], label_width: float = 150) -> Table:
        data = [
            [Paragraph(markup(label), STYLES["label"]), self._cell(value)] for label, value in rows
        ]
        table = Table(data, colWidths=[label_width, BODY_WIDTH - label_width], splitInRow=1)
        table.setStyle(_GRID)
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
        table.setStyle(_GRID_HEADER)
        return table

    def hash_para(self, item: HashValue, style: str = "mono") -> Paragraph:
        algorithm = normalise_algorithm(item.algorithm) if item.algorithm else "⟨algorithm missing⟩"
        scope = f" ({markup(item.scope)})" if item.scope else ""
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

    def build(self) -> list[Flowable]:
        story: list[Flowable] = []
        for section in self.ctx.profile.sections:
            if story:
                story.append(PageBreak())
            story.extend(getattr(self, f"s{section[1:]}")())
        return story

    def s0(self) -> list[Flowable]:
        ctx, req = self.ctx, self.ctx.request
        title = ctx.boilerplate["titles"].get(req.request_type, req.request_type)
        refs = req.references
        story: list[Flowable] = [
            SectionMark("S0"),
            Spacer(1, 30),
            Paragraph(markup(title), STYLES["title"]),
        ]
        if ctx.draft:
            story.append(self.fixed(ctx.boilerplate["draft_notice"], "blank"))
        story.append(Spacer(1, 10))
        story.append(
            self.fields(
                [
                    ("Bundle ID", ctx.bundle_id),
                    ("Version", str(ctx.case_data.case.bundle_version)),
                    (
                        "Generated at",
                        f"{utc_iso(ctx.generated_at)} (UTC) · {ctx.time(ctx.generated_at)}",
                    ),
                    ("Profile", f"{ctx.profile.id}: {ctx.profile.name}"),
                    (
                        "Requesting State and authority",
                        _join(
                            req.requesting_authority.country, req.requesting_authority.organisation
                        ),
                    ),
                    (
                        "Requested State and authority",
                        _join(
                            req.requested_authority.country, req.requested_authority.organisation
                        ),
                    ),
                    ("Our reference", refs.our_reference),
                    ("FIR / crime number", refs.fir_number),
                    ("Court case number", refs.court_case_number),
                    ("Case reference", ctx.case_data.case.reference),
                    ("Their reference", refs.their_reference),
                    ("Request status", refs.status),
                    (
                        "Urgency",
                        ("URGENT: " + refs.urgency_reason) if refs.urgent else "not urgent",
                    ),
                    ("Deadline requested", self.time(refs.deadline)),
                    ("Confidentiality", req.confidentiality_marking),
                ]
            )
        )
        story.append(Spacer(1, 14))
        story.append(
            self.fields(
                [
                    (
                        ctx.boilerplate["manifest_hash_label"],
                        Paragraph(
                            f'<font name="{SANS_BOLD}">SHA-256</font> '
                            f"{markup(ctx.manifest_sha256)}",
                            STYLES["mono"],
                        ),
                    )
                ]
            )
        )
        if ctx.draft and ctx.draft_problems:
            story.append(Spacer(1, 10))
            story.append(
                Paragraph("Pre-flight problems (fix before a final bundle):", STYLES["h2"])
            )
            for problem in list(ctx.draft_problems)[:60]:
                story.append(self.para("• " + problem, "small"))
            if len(ctx.draft_problems) > 60:
                story.append(self.para(f"… and {len(ctx.draft_problems) - 60} more", "small"))
        return story

    def s1(self) -> list[Flowable]:
        layout = self.previous
        rows = []
        for section in self.ctx.profile.sections:
            pages = layout.section_pages.get(section) if layout else None
            page_text = f"{min(pages)}–{max(pages)}" if pages else "-"
            rows.append([section, self.ctx.heading(section), page_text, self.bates_cell(pages)])
        story = self.section("S1")
        story.append(self.grid(["Section", "Title", "Pages", "Bates"], rows, [45, 300, 60, 110]))
        exhibits = self.ctx.case_data.exhibits
        if exhibits:
            story.append(Paragraph("Exhibit index", STYLES["h2"]))
            erows = []
            for exhibit in exhibits:
                pages = layout.exhibit_pages.get(exhibit.id) if layout else None
                sha = self.exhibit_sha256(exhibit.id)
                erows.append(
                    [
                        exhibit.id,
                        self.bates_cell(pages),
                        exhibit.description,
                        self.short_hash_cell(sha),
                    ]
                )
            story.append(
                self.grid(
                    ["Exhibit", "Bates range", "Description", "SHA-256 (short)"],
                    erows,
                    [55, 110, 250, 100],
                )
            )
        enclosures = list(self.ctx.request.letter.enclosures) + [
            f"{d.id} {d.title}" for d in self.ctx.request.supporting_documents
        ]
        if enclosures:
            story.append(Paragraph("Enclosures", STYLES["h2"]))
            story.extend(self.para("• " + item) for item in enclosures)
        return story

    def s2(self) -> list[Flowable]:
        req, letter = self.ctx.request, self.ctx.request.letter
        story = self.section("S2")
        story += [
            self.para(letter.addressee_title),
            self.para(letter.addressee_authority),
            self.para(letter.addressee_address),
            Spacer(1, 8),
            self.para(letter.salutation),
            Spacer(1, 4),
            self.para(letter.summary),
            Spacer(1, 6),
            self.fields(
                [
                    (
                        "Legal basis",
                        _join(req.legal_basis.instrument, req.legal_basis.instrument_article),
                    ),
                    ("Domestic legal basis", req.legal_basis.domestic_basis),
                ]
            ),
        ]
        if letter.enclosures:
            story.append(
                Paragraph(markup(self.ctx.boilerplate["letter_enclosures_heading"]), STYLES["h2"])
            )
            story.extend(self.para(f"{n}. {item}") for n, item in enumerate(letter.enclosures, 1))
        story.append(Spacer(1, 12))
        story.append(
            self.signature_block(letter.signatory.role or "Signatory", letter.signatory, seal=True)
        )
        return story

    def authority_rows(self, authority: Any) -> list[tuple[str, object]]:
        return [
            ("Organisation", authority.organisation),
            ("Country", authority.country),
            ("Person in charge", authority.person_in_charge),
            ("Designation", authority.designation),
            ("Address", authority.address),
            ("Phone", authority.phone),
            ("Mobile", authority.mobile),
            ("E-mail", authority.email),
            ("Office hours", authority.office_hours),
            ("Time zone", authority.time_zone),
            ("Preferred response channel", authority.preferred_channel),
        ]

    def s3(self) -> list[Flowable]:
        req = self.ctx.request
        story = self.section("S3")
        story += [
            Paragraph("Requesting authority", STYLES["h2"]),
            self.fields(self.authority_rows(req.requesting_authority)),
            Paragraph("Contact for confirmation", STYLES["h2"]),
            self.fields(
                [
                    ("Name", req.contact.name),
                    ("Title", req.contact.title),
                    ("Function", req.contact.function),
                    ("Phone", req.contact.phone),
                    ("E-mail", req.contact.email),
                    ("Time zone", req.contact.time_zone),
                ]
            ),
            Paragraph("Requested authority", STYLES["h2"]),
            self.fields(self.authority_rows(req.requested_authority)),
        ]
        if req.investigating_authority.organisation:
            story += [
                Paragraph("Investigating authority", STYLES["h2"]),
                self.fields(self.authority_rows(req.investigating_authority)),
            ]
        if req.prosecutor_court.organisation:
            story += [
                Paragraph("Prosecutor / court in charge", STYLES["h2"]),
                self.fields(
                    [
                        *self.authority_rows(req.prosecutor_court)[:5],
                        ("Case numbers", req.prosecutor_court.case_numbers),
                        ("Decisions", req.prosecutor_court.decisions),
                    ]
                ),
            ]
        story += [
            Spacer(1, 6),
            self.fields(
                [
                    ("Central Authority route", req.central_authority_route),
                    ("Results to be returned to", req.return_authority),
                ]
            ),
        ]
        return story

    def s4(self) -> list[Flowable]:
        basis = self.ctx.request.legal_basis
        rows: list[tuple[str, object]] = [
            ("Instrument", basis.instrument),
            ("Article", basis.instrument_article),
            ("Domestic legal basis", basis.domestic_basis),
            ("Specialty / limitation of use", basis.specialty_undertaking),
        ]
        if basis.reciprocity_undertaking:
            rows.append(
                (self.ctx.boilerplate["reciprocity_heading"], basis.reciprocity_undertaking)
            )
        if basis.dual_criminality:
            rows.append(("Dual criminality", basis.dual_criminality))
        return [*self.section("S4"), self.fields(rows)]

    def s5(self) -> list[Flowable]:
        req = self.ctx.request
        story = [*self.section("S5"), self.para(req.facts)]
        if req.timeline:
            story += [
                Paragraph("Timeline", STYLES["h2"]),
                self.grid(
                    ["Date and time", "Event"],
                    [[self.time(e.at), e.event] for e in req.timeline],
                    [150, BODY_WIDTH - 150],
                ),
            ]
        story += [
            Paragraph("Nexus between the evidence sought and the offence", STYLES["h2"]),
            self.para(req.nexus_statement),
        ]
        return story

    def s6(self) -> list[Flowable]:
        story = self.section("S6")
        if not self.ctx.request.offences:
            story.append(self.para(""))
        for offence in self.ctx.request.offences:
            story += [
                Paragraph(_text(offence.name or self.blank), STYLES["h2"]),
                self.fields(
                    [
                        ("Statutory reference", offence.statute_reference),
                        ("Maximum penalty", offence.max_penalty),
                        ("Stage of proceedings", offence.stage),
                        ("Text of the provision", offence.statute_text),
                    ]
                ),
            ]
        return story

    def s7(self) -> list[Flowable]:
        story = self.section("S7")
        for person in self.ctx.request.persons:
            story += [
                Paragraph(f"{_text(person.role)}: {_text(person.name)}", STYLES["h2"]),
                self.fields(
                    [
                        ("Aliases", person.aliases),
                        ("Date of birth", person.date_of_birth),
                        ("Nationality", person.nationality),
                        ("Address", person.address),
                    ]
                ),
            ]
            if person.identifiers:
                rows = [
                    [
                        i.kind,
                        i.value,
                        i.port,
                        self.time(i.observed_at),
                        _join(i.provider, i.provider_address),
                        f"{self.time(i.range_start)} – {self.time(i.range_end)}"
                        if i.range_start or i.range_end
                        else "",
                        _join(
                            i.basis,
                            i.preservation_reference
                            and f"preservation ref. {i.preservation_reference}",
                        ),
                    ]
                    for i in person.identifiers
                ]
                story.append(
                    self.grid(
                        [
                            "Type",
                            "Value",
                            "Port",
                            "Observed at",
                            "Provider",
                            "Range of interest",
                            "Basis / preservation",
                        ],
                        rows,
                        [45, 95, 30, 75, 90, 90, 90],
                    )
                )
        return story

    def s8(self) -> list[Flowable]:
        story = self.section("S8")
        for measure in self.ctx.request.measures:
            time_range = (
                f"{self.time(measure.time_range_start)} – {self.time(measure.time_range_end)}"
                if measure.time_range_start or measure.time_range_end
                else ""
            )
            rows: list[tuple[str, object]] = [
                ("Measure type", measure.type),
                ("Data categories", ", ".join(measure.data_categories)),
                ("Records wanted", measure.records_wanted),
                ("Time range", time_range),
                ("Identifiers", ", ".join(measure.identifiers)),
                ("Procedure", measure.procedure),
            ]
            if measure.questionnaire:
                rows.append(
                    (
                        "Questionnaire",
                        "\n".join(f"Q{n}. {q}" for n, q in enumerate(measure.questionnaire, 1)),
                    )
                )
            for label, value in (
                ("Presence of requesting officers", measure.presence_requested),
                ("Non-disclosure to the account holder", measure.non_disclosure),
                ("Related follow-up measures", measure.elastic_clause),
            ):
                if value:
                    rows.append((label, value))
            story += [
                CondPageBreak(120),
                Paragraph(_text(measure.id or "M?"), STYLES["h2"]),
                self.fields(rows),
            ]
        return story

    def s9(self) -> list[Flowable]:
        h = self.ctx.request.handling
        return [
            *self.section("S9"),
            self.fields(
                [
                    ("Confidentiality", h.confidentiality),
                    ("Urgency", h.urgency),
                    ("Time limits", h.time_limits),
                    ("Transmission of results", h.transmission_channel),
                    ("Data protection", h.data_protection),
                    ("Costs", h.cost_undertaking),
                ]
            ),
        ]

    def s10(self) -> list[Flowable]:
        rows = []
        for exhibit in self.ctx.case_data.exhibits:
            pages = self.previous.exhibit_pages.get(exhibit.id) if self.previous else None
            sha = self.exhibit_sha256(exhibit.id)
            rows.append(
                [
                    exhibit.id,
                    self.bates_cell(pages),
                    exhibit.description,
                    exhibit.type,
                    "\n".join(exhibit.seal_numbers),
                    _join(exhibit.seized_by, self.time(exhibit.seized_at), sep="\n"),
                    self.short_hash_cell(sha),
                    "\n".join(exhibit.certificates),
                ]
            )
        return [
            *self.section("S10"),
            self.grid(
                [
                    "Exhibit",
                    "Bates range",
                    "Description",
                    "Type",
                    "Seals",
                    "Seized / produced by",
                    "Hash (short)",
                    "Certificates",
                ],
                rows,
                [40, 96, 82, 38, 50, 80, 67, 62],
            ),
        ]

    def s11(self) -> list[Flowable]:
        story = self.section("S11")
        for number, exhibit in enumerate(self.ctx.case_data.exhibits):
            if number:
                story.append(PageBreak())
            story += [
                ExhibitMark(exhibit.id),
                Paragraph(f"Acquisition record: {_text(exhibit.id)}", STYLES["h2"]),
            ]
            story += self.acquisition_record(exhibit, self.acquisitions.get(exhibit.id))
            story.append(ExhibitMark(exhibit.id))
        return story

    def acquisition_record(self, exhibit: Exhibit, acq: Acquisition | None) -> list[Flowable]:
        d = exhibit.device
        story: list[Flowable] = [
            self.fields(
                [
                    ("Exhibit ID", exhibit.id),
                    ("Parent exhibit", exhibit.parent or "-"),
                    ("Description", exhibit.description),
                    ("Legal authority", exhibit.legal_authority),
                    ("Source type", d.source_type),
                    ("Make / model", _join(d.make, d.model)),
                    ("Colour", d.colour),
                    ("Serial number", d.serial_number),
                    ("IMEI / UIN / UID / MAC / cloud ID", _join(d.imei, d.other_ids)),
                    ("Capacity", d.capacity),
                    ("Condition / damage", d.condition),
                    ("Photographs", d.photographs),
                    ("Seized at (place)", exhibit.seizure_location),
                    ("Seized at (time)", self.time(exhibit.seized_at)),
                    ("Seized by", exhibit.seized_by),
                    ("Witnesses", exhibit.witnesses),
                    ("Seal numbers", ", ".join(exhibit.seal_numbers)),
                ]
            )
        ]
        if acq is None:
            return [*story, self.para("No acquisition record.", "blank")]
        story += [
            Paragraph("Acquisition", STYLES["h2"]),
            self.fields(
                [
                    ("Acquisition type", acq.method),
                    ("Tool and version", _join(acq.tool, acq.tool_version)),
                    ("Write blocker", acq.write_blocker),
                    ("Started", self.time(acq.started_at)),
                    ("Finished", self.time(acq.finished_at)),
                    ("Device clock vs reference", acq.device_clock),
                    ("Output format", acq.output_format),
                    ("Segments", ", ".join(acq.segments)),
                    ("Errors / unreadable sectors", acq.errors or "none recorded"),
                    ("Unavoidable changes", acq.unavoidable_changes or "none recorded"),
                    ("Examiner", _join(acq.examiner.name, acq.examiner.designation)),
                    (
                        "Laboratory / accreditation",
                        _join(acq.examiner.lab, acq.examiner.accreditation),
                    ),
                ]
            ),
        ]
        story += [
            Paragraph("Hashes", STYLES["h2"]),
            self.fields(
                [(f"{h.scope or 'hash'}", self.hash_para(h)) for h in acq.hashes]
                or [("Hashes", "")],
                label_width=80,
            ),
            Spacer(1, 4),
            self.fields(
                [
                    ("Verification result", acq.verification_result),
                    ("Verification note", acq.verification_note or "-"),
                ]
            ),
        ]
        return story

    def s12(self) -> list[Flowable]:
        ctx = self.ctx
        story = self.section("S12")
        story.append(
            self.fields(
                [
                    ("Case number", ctx.case_data.case.reference),
                    ("Bundle ID", ctx.bundle_id),
                    (
                        "Head hash of custody.jsonl",
                        Paragraph(
                            f'<font name="{SANS_BOLD}">SHA-256</font> {markup(ctx.custody_head)}',
                            STYLES["mono"],
                        ),
                    ),
                    ("Entries", str(len(ctx.custody_events))),
                ]
            )
        )
        gaps = custody_chain.gap_entries(ctx.custody_events)
        by_exhibit: dict[str, list[dict[str, str]]] = {}
        for index, event in enumerate(ctx.custody_events):
            row = view(event, index)
            by_exhibit.setdefault(row["exhibit_id"], []).append(row)
        exhibits = {e.id: e for e in ctx.case_data.exhibits}
        for exhibit_id, events in by_exhibit.items():
            exhibit = exhibits.get(exhibit_id)
            story.append(
                Paragraph(
                    f"Exhibit {_text(exhibit_id)}: "
                    + _text(exhibit.description if exhibit else "")
                    + " · seals "
                    + _text(", ".join(exhibit.seal_numbers) if exhibit else ""),
                    STYLES["h2"],
                )
            )
            rows = []
            for event in events:
                remarks = event["remarks"]
                if event["entry_no"] in gaps:
                    remarks = f"{ctx.boilerplate['custody_gap_warning']} {remarks}".strip()
                seal = _join(
                    event["seal_checked"],
                    f"intact: {event['seal_intact']}" if event["seal_intact"] else "",
                    f"new: {event['new_seal']}" if event["new_seal"] else "",
                )
                hash_check = _join(
                    event["hash_verified"],
                    f"match: {event['hash_match']}" if event["hash_match"] else "",
                )
                location = _join(
                    event["location_from"], event["location_to"], event["storage_ref"], sep=" → "
                )
                rows.append(
                    [
                        event["entry_no"],
                        self.time(event["at"]),
                        event["action"],
                        event["released_by"],
                        event["received_by"],
                        event["purpose"],
                        location,
                        seal,
                        hash_check,
                        remarks,
                    ]
                )
            story.append(
                self.grid(
                    [
                        "Entry",
                        "Date and time",
                        "Action",
                        "Released by",
                        "Received by",
                        "Purpose",
                        "Location",
                        "Seal",
                        "Hash re-verified",
                        "Remarks",
                    ],
                    rows,
                    [42, 52, 40, 52, 52, 48, 60, 50, 64, 55],
                    style="small",
                )
            )
        return story

    def s13(self) -> list[Flowable]:
        story = self.section("S13")
        if not self.ctx.profile.certificates:
            story.append(self.para("No certificates in this profile."))
        for number, cert_id in enumerate(self.ctx.profile.certificates):
            if number:
                story.append(PageBreak())
            story += self.certificate(cert_id, self.ctx.certificate_templates[cert_id])
        return story

    def certificate(self, cert_id: str, template: Mapping[str, Any]) -> list[Flowable]:
        data = self.ctx.case_data.certificates
        declarant = getattr(data, template.get("declarant", "expert"))
        exhibits = [e for e in self.ctx.case_data.exhibits if e.digital]
        methods = "; ".join(
            f"{a.exhibit_id}: {a.method} with {a.tool} {a.tool_version}".strip()
            for a in self.ctx.case_data.acquisitions
        )
        values = {
            "acquisition_methods": methods,
            "records_pages": data.records_pages,
            "custodian_place": data.custodian.place,
            "expert_place": data.expert.place,
            "expert_date": render_date(data.expert.date, self.ctx.profile.datetime),
            "party_place": data.party.place,
        }
        story: list[Flowable] = [
            CertificateMark(cert_id),
            Paragraph(f"{markup(cert_id)} · {markup(template['title'])}", STYLES["h2"]),
            self.fixed("Source: " + template.get("source", ""), "small"),
        ]
        if template.get("review"):
            story.append(self.fixed("Wording status: " + template["review"], "note"))
        story.append(Spacer(1, 4))
        story.append(
            self.fields(
                [
                    (label, getattr(declarant, key, ""))
                    for label, key in template.get("identity_fields", [])
                ]
            )
        )
        for tick in template.get("tick_lists", []):
            story.append(Spacer(1, 3))
            story.append(self.tick_list(cert_id, tick, exhibits, declarant))
        story.append(Spacer(1, 4))
        for statement in template.get("statements", []):
            story.append(self.para(_fill(statement, values)))
        if template.get("expert_ticks_left_blank"):
            story.append(self.fixed(template["expert_ticks_left_blank"], "note"))
        story.append(Paragraph("Records and exhibits covered", STYLES["h2"]))
        for exhibit in exhibits:
            acq = self.acquisitions.get(exhibit.id)
            d = exhibit.device
            rows: list[tuple[str, object]] = [
                ("Exhibit", f"{exhibit.id}: {exhibit.description}"),
                (
                    "Device particulars",
                    _join(
                        d.source_type,
                        d.make,
                        d.model,
                        d.colour,
                        f"S/N {d.serial_number}" if d.serial_number else "",
                        f"IMEI {d.imei}" if d.imei else "",
                        d.other_ids,
                    ),
                ),
            ]
            if acq:
                rows.append(
                    ("Method and tool", _join(acq.method, f"{acq.tool} {acq.tool_version}".strip()))
                )
                rows += [(f"Hash ({h.scope})", self.hash_para(h)) for h in acq.hashes]
                rows.append(("Verification", _join(acq.verification_result, acq.verification_note)))
            story.append(KeepTogether([self.fields(rows, label_width=110), Spacer(1, 3)]))
        if template.get("hash_algorithms"):
            used = {
                normalise_algorithm(h.algorithm)
                for a in self.ctx.case_data.acquisitions
                for h in a.hashes
            }
            ticks = []
            for option in template["hash_algorithms"]:
                ticked = normalise_algorithm(option) in used and cert_id != "IN-BSA63-B"
                ticks.append(("☒ " if ticked else "☐ ") + option)
            story.append(self.fields([("Hash algorithm", "   ".join(ticks))], label_width=110))
        if template.get("hash_report"):
            story.append(self.fixed(template["hash_report"], "small"))
        if template.get("closing_statements"):
            story.append(Spacer(1, 4))
        for statement in template.get("closing_statements", []):
            story.append(self.para(_fill(statement, values)))
        story.append(Spacer(1, 8))
        story.append(self.execution_block(template.get("execution", []), declarant))
        return story

    def tick_list(
        self, cert_id: str, tick: Mapping[str, Any], exhibits: Sequence[Exhibit], declarant: Any
    ) -> Table:
        chosen: set[str] = set()
        if cert_id != "IN-BSA63-B":  # the expert ticks Part B by hand
            if tick["field"] == "source_type":
                chosen = {e.device.source_type.lower() for e in exhibits}
            else:
                chosen = {str(getattr(declarant, tick["field"], "")).lower()}
        marks = "   ".join(
            ("☒ " if option.lower() in chosen else "☐ ") + option for option in tick["options"]
        )
        return self.fields([(tick["label"], marks)], label_width=110)

    def execution_block(self, labels: Sequence[str], declarant: Any) -> Table:
        style = self.ctx.profile.datetime
        prefill = {
            "name": declarant.name,
            "place": declarant.place,
            "date": render_date(declarant.date, style),
        }
        rows: list[tuple[str, object]] = []
        for label in labels:
            key = label.lower()
            value: object = "\n\n"
            if key.startswith("name") and "signature" not in key:
                value = prefill["name"]
            elif key.startswith("place"):
                value = prefill["place"]
            elif key.startswith("date"):
                value = prefill["date"] or "\n"
            elif "signature" in key:
                value = Paragraph("<br/><br/><br/>", STYLES["body"])  # signed by hand
            rows.append((label, value if value != "" else "\n"))
        return self.fields(rows, label_width=140)

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

    def s14(self) -> list[Flowable]:
        story = self.section("S14")
        rows = []
        for acq in self.ctx.case_data.acquisitions:
            for item in acq.hashes:
                rows.append([acq.exhibit_id, item.scope, "", self.hash_para(item, "mono")])
        if rows:
            story += [
                Paragraph("Exhibit hashes", STYLES["h2"]),
                self.grid(
                    ["Exhibit", "Scope", "Bytes", "Algorithm and value"],
                    rows,
                    [50, 55, 40, BODY_WIDTH - 145],
                ),
            ]
        files = [
            [f.path, f.role, f"{f.size:,}", self.hash_para(HashValue("SHA-256", f.sha256))]
            for f in self.ctx.package_files
        ]
        files.insert(
            0,
            [
                "manifest.json",
                "manifest",
                "-",
                self.hash_para(HashValue("SHA-256", self.ctx.manifest_sha256)),
            ],
        )
        story += [
            Paragraph("Package files", STYLES["h2"]),
            self.grid(
                ["Path", "Role", "Bytes", "Algorithm and value"],
                files,
                [120, 45, 50, BODY_WIDTH - 215],
            ),
        ]
        docs = self.ctx.request.supporting_documents
        if docs:
            story += [
                Paragraph("Supporting documents", STYLES["h2"]),
                self.grid(
                    ["Document", "Title", "Algorithm and value"],
                    [[d.id, d.title, self.hash_para(HashValue("SHA-256", d.sha256))] for d in docs],
                    [50, 140, BODY_WIDTH - 190],
                ),
            ]
        story.append(Paragraph("How to verify", STYLES["h2"]))
        story += [
            self.fixed(f"{n}. {line}")
            for n, line in enumerate(self.ctx.boilerplate["how_to_verify"], 1)
        ]
        story += [Spacer(1, 4), self.fixed(self.ctx.boilerplate["embedded_files_note"], "small")]
        return story

    def s15(self) -> list[Flowable]:
        story = self.section("S15")
        if not self.ctx.listings:
            story.append(self.para("No file listings in this bundle."))
        for exhibit_id, spool in self.ctx.listings.items():
            listing = self.ctx.listing_files.get(exhibit_id)
            story += [
                Paragraph(f"File listing: {_text(exhibit_id)}", STYLES["h2"]),
                self.fields(
                    [
                        ("Files", f"{spool.rows:,}"),
                        ("Listing file", listing.path if listing else "-"),
                        (
                            "Listing file hash",
                            self.hash_para(HashValue("SHA-256", listing.sha256))
                            if listing
                            else "-",
                        ),
                        (
                            "Columns",
                            "number, path; size and hash; M(odified) A(ccessed) C(hanged) "
                            f"B(irth) times in {self.ctx.profile.datetime.label}",
                        ),
                    ],
                    label_width=110,
                ),
                Spacer(1, 4),
                ListingAnnex(spool, lambda text: self.ctx.time(text), self.draw_listing),
            ]
        return story

    def s16(self) -> list[Flowable]:
        docs = self.ctx.request.supporting_documents
        story = self.section("S16")
        if not docs:
            return [*story, self.para("No supporting documents.")]
        return [
            *story,
            self.grid(
                ["Document", "Title", "Kind", "Pages", "SHA-256"],
                [
                    [
                        d.id,
                        d.title,
                        d.kind,
                        str(d.pages or ""),
                        self.hash_para(HashValue("SHA-256", d.sha256)),
                    ]
                    for d in docs
                ],
                [45, 120, 60, 35, BODY_WIDTH - 260],
            ),
        ]

    def s17(self) -> list[Flowable]:
        story = self.section("S17")
        if not self.ctx.request.translations:
            story.append(self.para("No translations."))
        for number, tr in enumerate(self.ctx.request.translations):
            if number:
                story.append(PageBreak())
            story += [
                Paragraph(
                    f"Translation: {_text(tr.source_language)} → {_text(tr.language)}", STYLES["h2"]
                ),
                Paragraph(
                    _text(tr.text),
                    STYLES["devanagari"] if _is_devanagari(tr.text) else STYLES["body"],
                ),
                Spacer(1, 10),
                Paragraph(
                    markup(self.ctx.boilerplate["translator_certificate_heading"]), STYLES["h2"]
                ),
                self.fixed(
                    "Wording status: " + self.ctx.boilerplate["translator_certificate_review"],
                    "note",
                ),
                self.fixed(self.ctx.boilerplate["translation_statement"]),
                self.fields(
                    [
                        ("Translator", tr.translator_name),
                        ("Qualification / registration", tr.translator_qualification),
                        ("Languages", f"{tr.source_language} → {tr.language}"),
                        ("Date", render_date(tr.date, self.ctx.profile.datetime)),
                        ("Signature", Paragraph("<br/><br/>", STYLES["body"])),
                    ]
                ),
            ]
        return story

    def s18(self) -> list[Flowable]:
        story = self.section("S18")
        signatories = {s.role: s for s in self.ctx.request.signatories}
        from reports.model import Signatory

        for role in self.ctx.profile.signatories:
            story.append(
                self.signature_block(
                    role,
                    signatories.get(role, Signatory()),
                    seal=self.ctx.profile.court_seal_boxes or True,
                )
            )
        if self.ctx.request.apostille_required:
            story += [
                Paragraph("Apostille / legalisation", STYLES["h2"]),
                self.fixed(self.ctx.boilerplate["apostille_placeholder"]),
                Spacer(1, 120),
            ]
        return story


def _fill(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders of template wording with data (escaped later as a whole)."""
    out = text
    for key, value in values.items():
        out = out.replace("{" + key + "}", value or "[not provided]")
    return out


def _join(*parts: str, sep: str = " · ") -> str:
    return sep.join(str(p) for p in parts if p)


def _is_devanagari(text: str) -> bool:
    return any("\u0900" <= char <= "\u097f" for char in text)


_GRID = TableStyle(
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
_GRID_HEADER = TableStyle(
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


# --- page furniture and markers -----------------------------------------------------------------


class _Collector:
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
        collector: _Collector = self.canv._sealbag_collector  # type: ignore[attr-defined]
        collector.current_section = self.section
        collector.layout.page_sections[self.canv.getPageNumber()] = self.section


class ExhibitMark(SectionMark):
    """Zero-size marker at the start and end of an exhibit's acquisition record."""

    def __init__(self, exhibit_id: str) -> None:
        super().__init__("")
        self.exhibit_id = exhibit_id

    def draw(self) -> None:
        collector: _Collector = self.canv._sealbag_collector  # type: ignore[attr-defined]
        collector.layout.exhibit_pages.setdefault(self.exhibit_id, []).append(
            self.canv.getPageNumber()
        )


class CertificateMark(ExhibitMark):
    """Marker of a certificate page (kept for the index and pre-flight checks)."""

    def draw(self) -> None:
        collector: _Collector = self.canv._sealbag_collector  # type: ignore[attr-defined]
        collector.layout.section_pages.setdefault("cert:" + self.exhibit_id, []).append(
            self.canv.getPageNumber()
        )


class _BundleDoc(BaseDocTemplate):
    def __init__(
        self, target: Path, ctx: RenderContext, previous: Layout | None, collector: _Collector
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
        STYLES.update(_styles())
    collector = _Collector()
    doc = _BundleDoc(target, ctx, previous, collector)
    story = SectionRenderer(ctx, previous, draw_listing).build()
    doc.build(story)
    layout = collector.layout
    layout.total_pages = max(layout.page_sections) if layout.page_sections else 0
    layout.section_pages = {k: sorted(set(v)) for k, v in layout.section_pages.items()}
    layout.exhibit_pages = {k: [min(v), max(v)] for k, v in layout.exhibit_pages.items()}
    return layout


RenderFn = Callable[[RenderContext, Path, Layout | None], Layout]
