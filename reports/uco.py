"""Optional CASE/UCO (JSON-LD) export of the bundle's exhibits, hashes and custody events."""

from __future__ import annotations

import json

from reports.custody_chain import events_only
from reports.custody_view import view
from reports.model import BundleInput, normalise_algorithm
from reports.timefmt import utc_iso

CONTEXT = {
    "kb": "http://example.org/kb/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_HASH_METHOD = {"SHA-256": "SHA256", "SHA-1": "SHA1", "MD5": "MD5", "SHA-512": "SHA512"}


def _node_id(kind: str, key: str) -> str:
    return "kb:" + kind + "-" + "".join(c if c.isalnum() or c in "-." else "_" for c in key)


def _utc_or_raw(value: object) -> str:
    try:
        return utc_iso(str(value))
    except ValueError:
        return str(value)  # a draft may carry a time without zone; pre-flight reports it


def case_uco_jsonld(inp: BundleInput) -> bytes:
    """Deterministic JSON-LD bytes for the bundle's case data."""
    case = inp.case_data
    acquisitions = {a.exhibit_id: a for a in case.acquisitions}
    graph: list[dict] = [
        {
            "@id": _node_id("investigation", case.case.bundle_id),
            "@type": "case-investigation:Investigation",
            "uco-core:name": case.case.reference,
            "uco-core:description": case.case.title,
            "uco-core:object": [{"@id": _node_id("exhibit", e.id)} for e in case.exhibits],
        }
    ]
    for exhibit in case.exhibits:
        acq = acquisitions.get(exhibit.id)
        hashes = (
            []
            if acq is None
            else [
                {
                    "@id": _node_id("hash", f"{exhibit.id}-{n}"),
                    "@type": "uco-types:Hash",
                    "uco-types:hashMethod": {
                        "@type": "uco-vocabulary:HashNameVocab",
                        "@value": _HASH_METHOD.get(normalise_algorithm(h.algorithm), h.algorithm),
                    },
                    "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": h.value.upper()},
                }
                for n, h in enumerate(acq.hashes)
            ]
        )
        graph.append(
            {
                "@id": _node_id("exhibit", exhibit.id),
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": exhibit.id,
                "uco-core:description": exhibit.description,
                "uco-core:hasFacet": [
                    {
                        "@id": _node_id("device", exhibit.id),
                        "@type": "uco-observable:DeviceFacet",
                        "uco-observable:model": exhibit.device.model,
                        "uco-observable:serialNumber": exhibit.device.serial_number,
                    },
                    {
                        "@id": _node_id("content", exhibit.id),
                        "@type": "uco-observable:ContentDataFacet",
                        "uco-observable:hash": hashes,
                    },
                ],
            }
        )
    for index, raw in enumerate(events_only(case.custody_events)):
        event = view(raw, index)
        graph.append(
            {
                "@id": _node_id("custody", str(event.get("entry_no", ""))),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": str(event.get("action", "")),
                "uco-core:description": str(event.get("purpose", "")),
                "uco-core:object": [{"@id": _node_id("exhibit", str(event.get("exhibit_id", "")))}],
                "uco-core:endTime": {
                    "@type": "xsd:dateTime",
                    "@value": _utc_or_raw(event.get("at")),
                },
            }
        )
    document = {"@context": CONTEXT, "@graph": graph}
    return (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()
