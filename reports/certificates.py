"""S13: certificate pages, one per certificate variant of the profile, from wording templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)
from reportlab.platypus.flowables import Flowable

from reports.escaping import markup
from reports.layout import CertificateMark
from reports.model import (
    Exhibit,
    normalise_algorithm,
)
from reports.pdfparts import STYLES, Blocks, fill_placeholders, join_parts
from reports.timefmt import render_date


class CertificatePages(Blocks):
    """S13 and its certificates."""

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
            story.append(self.para(fill_placeholders(statement, values)))
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
                    join_parts(
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
                    (
                        "Method and tool",
                        join_parts(acq.method, f"{acq.tool} {acq.tool_version}".strip()),
                    )
                )
                rows += [(f"Hash ({h.scope})", self.hash_para(h)) for h in acq.hashes]
                rows.append(
                    ("Verification", join_parts(acq.verification_result, acq.verification_note))
                )
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
            story.append(self.para(fill_placeholders(statement, values)))
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
