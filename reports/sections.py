"""Sections S0-S18 of the bundle PDF (S13 lives in :mod:`reports.certificates`)."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    Spacer,
)
from reportlab.platypus.flowables import Flowable

from reports import custody_chain
from reports.certificates import CertificatePages
from reports.custody_view import view
from reports.escaping import markup
from reports.fonts import SANS_BOLD
from reports.layout import BODY_WIDTH, ExhibitMark, SectionMark
from reports.listing import ListingAnnex
from reports.model import (
    Acquisition,
    Exhibit,
    HashValue,
)
from reports.pdfparts import STYLES, is_devanagari, join_parts, rich_text
from reports.timefmt import render_date, utc_iso


class SectionRenderer(CertificatePages):
    """Builds the flowables of every section for one pass."""

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
                        join_parts(
                            req.requesting_authority.country, req.requesting_authority.organisation
                        ),
                    ),
                    (
                        "Requested State and authority",
                        join_parts(
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
                        join_parts(req.legal_basis.instrument, req.legal_basis.instrument_article),
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
                Paragraph(rich_text(offence.name or self.blank), STYLES["h2"]),
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
                Paragraph(f"{rich_text(person.role)}: {rich_text(person.name)}", STYLES["h2"]),
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
                        join_parts(i.provider, i.provider_address),
                        f"{self.time(i.range_start)} – {self.time(i.range_end)}"
                        if i.range_start or i.range_end
                        else "",
                        join_parts(
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
                Paragraph(rich_text(measure.id or "M?"), STYLES["h2"]),
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
                    join_parts(exhibit.seized_by, self.time(exhibit.seized_at), sep="\n"),
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
                Paragraph(f"Acquisition record: {rich_text(exhibit.id)}", STYLES["h2"]),
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
                    ("Make / model", join_parts(d.make, d.model)),
                    ("Colour", d.colour),
                    ("Serial number", d.serial_number),
                    ("IMEI / UIN / UID / MAC / cloud ID", join_parts(d.imei, d.other_ids)),
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
                    ("Tool and version", join_parts(acq.tool, acq.tool_version)),
                    ("Write blocker", acq.write_blocker),
                    ("Started", self.time(acq.started_at)),
                    ("Finished", self.time(acq.finished_at)),
                    ("Device clock vs reference", acq.device_clock),
                    ("Output format", acq.output_format),
                    ("Bytes acquired", f"{acq.size_bytes:,}" if acq.size_bytes else ""),
                    ("Segments", ", ".join(acq.segments)),
                    ("Errors / unreadable sectors", acq.errors or "none recorded"),
                    ("Unavoidable changes", acq.unavoidable_changes or "none recorded"),
                    ("Examiner", join_parts(acq.examiner.name, acq.examiner.designation)),
                    (
                        "Laboratory / accreditation",
                        join_parts(acq.examiner.lab, acq.examiner.accreditation),
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

    def custody_heads(self) -> list[tuple[str, object]]:
        """Head hash rows: one per exhibit chain (ledger export) or one for the whole log."""
        custody = self.ctx.custody

        def cell(value: str) -> Paragraph:
            return Paragraph(
                f'<font name="{SANS_BOLD}">SHA-256</font> {markup(value)}', STYLES["mono"]
            )

        if custody.format == "ledger":
            return [
                (f"Head hash, chain of {exhibit}", cell(head))
                for exhibit, head in sorted(custody.heads.items())
            ]
        return [("Head hash of custody.jsonl", cell(custody.head_hash))]

    def s12(self) -> list[Flowable]:
        ctx = self.ctx
        story = self.section("S12")
        story.append(
            self.fields(
                [
                    ("Case number", ctx.case_data.case.reference),
                    ("Bundle ID", ctx.bundle_id),
                    *self.custody_heads(),
                    ("Entries", str(ctx.custody.count)),
                ]
            )
        )
        gaps = custody_chain.gap_entries(ctx.custody_events)
        by_exhibit: dict[str, list[dict[str, str]]] = {}
        for index, event in enumerate(custody_chain.events_only(ctx.custody_events)):
            row = view(event, index)
            by_exhibit.setdefault(row["exhibit_id"], []).append(row)
        exhibits = {e.id: e for e in ctx.case_data.exhibits}
        for exhibit_id, events in by_exhibit.items():
            exhibit = exhibits.get(exhibit_id)
            story.append(
                Paragraph(
                    f"Exhibit {rich_text(exhibit_id)}: "
                    + rich_text(exhibit.description if exhibit else "")
                    + " · seals "
                    + rich_text(", ".join(exhibit.seal_numbers) if exhibit else ""),
                    STYLES["h2"],
                )
            )
            rows = []
            for event in events:
                remarks = event["remarks"]
                if event["entry_no"] in gaps:
                    remarks = f"{ctx.boilerplate['custody_gap_warning']} {remarks}".strip()
                seal = join_parts(
                    event["seal_checked"],
                    f"intact: {event['seal_intact']}" if event["seal_intact"] else "",
                    f"new: {event['new_seal']}" if event["new_seal"] else "",
                )
                hash_check = join_parts(
                    event["hash_verified"],
                    f"match: {event['hash_match']}" if event["hash_match"] else "",
                )
                location = join_parts(
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

    def s14(self) -> list[Flowable]:
        story = self.section("S14")
        rows = []
        for acq in self.ctx.case_data.acquisitions:
            for item in acq.hashes:
                size = f"{acq.size_bytes:,}" if acq.size_bytes else ""
                rows.append(
                    [
                        acq.exhibit_id,
                        item.scope,
                        size,
                        self.hash_para(item, "mono", show_scope=False),
                    ]
                )
        if rows:
            story += [
                Paragraph("Exhibit hashes", STYLES["h2"]),
                self.grid(
                    ["Exhibit", "Scope", "Bytes", "Algorithm and value"],
                    rows,
                    [45, 50, 75, BODY_WIDTH - 170],
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
                [100, 42, 38, BODY_WIDTH - 180],
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
                Paragraph(f"File listing: {rich_text(exhibit_id)}", STYLES["h2"]),
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
                        *(
                            (label, self.para(value, "small"))
                            for label, value in self.ctx.case_data.listing_details.get(
                                exhibit_id, ()
                            )
                        ),
                    ],
                    label_width=110,
                ),
                Spacer(1, 4),
                ListingAnnex(spool, self.ctx.time, self.draw_listing, cancel=self.ctx.cancel),
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
                    f"Translation: {rich_text(tr.source_language)} → {rich_text(tr.language)}",
                    STYLES["h2"],
                ),
                Paragraph(
                    rich_text(tr.text),
                    STYLES["devanagari"] if is_devanagari(tr.text) else STYLES["body"],
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
