"""Pre-flight (spec B9) blocks a final bundle and says what to fix; drafts build anyway."""

from __future__ import annotations

import dataclasses

import pytest

from reports.custody_chain import chain_events
from reports.model import HashValue
from reports.package import PreflightError, build_bundle
from reports.pdfcheck import check_footers, page_texts
from reports.preflight import run_preflight
from reports.profiles import load_profile
from tests.reports.conftest import small_input


def _with_case(inp, **changes):
    return dataclasses.replace(inp, case_data=dataclasses.replace(inp.case_data, **changes))


def _with_request(inp, **changes):
    return dataclasses.replace(inp, request=dataclasses.replace(inp.request, **changes))


def _problems(inp):
    return run_preflight(load_profile(inp.profile_id), inp.request, inp.case_data, inp.generated_at)


def _replace_acq(inp, index=0, **changes):
    acqs = list(inp.case_data.acquisitions)
    acqs[index] = dataclasses.replace(acqs[index], **changes)
    return _with_case(inp, acquisitions=tuple(acqs))


def _events(inp):
    return [
        {k: v for k, v in e.items() if k not in ("prev_hash", "entry_hash")}
        for e in inp.case_data.custody_events
    ]


def test_demo_passes():
    for profile in ("IN-MLA", "US-EVIDENCE", "EU-EIO", "COE-ART29"):
        assert _problems(small_input(profile)) == []


def test_b9_1_missing_required_field():
    inp = small_input()
    inp = _with_request(
        inp, legal_basis=dataclasses.replace(inp.request.legal_basis, instrument="")
    )
    texts = [str(p) for p in _problems(inp)]
    assert texts == [
        "[B9.1] request.legal_basis.instrument: required by profile IN-MLA; fill it in"
    ]


def test_b9_1_empty_required_list():
    texts = [str(p) for p in _problems(_with_request(small_input(), offences=()))]
    assert "[B9.1] request.offences: required by profile IN-MLA; fill it in" in texts


def test_b9_2_missing_sha256_and_algorithm():
    inp = small_input()
    acq = inp.case_data.acquisitions[0]
    md5_only = (
        *(h for h in acq.hashes if h.algorithm == "MD5"),
        HashValue("", "ab" * 32, "image"),
    )
    texts = [str(p) for p in _problems(_replace_acq(inp, hashes=md5_only))]
    assert "[B9.2] exhibit EX-001: has no SHA-256; add the SHA-256 of the image" in texts
    assert "[B9.2] exhibit EX-001 hash 2: hash value without algorithm name" in texts


def test_b9_2_malformed_hash():
    inp = small_input()
    hashes = (HashValue("SHA-256", "xyz", "image"),)
    texts = [str(p) for p in _problems(_replace_acq(inp, hashes=hashes))]
    assert "[B9.2] exhibit EX-001 hash 1: SHA-256 must be 64 lower-case hex digits" in texts


def test_b9_3_hash_disagreement():
    inp = small_input()
    acq = inp.case_data.acquisitions[0]
    hashes = tuple(
        dataclasses.replace(h, value="f" * 64) if h.scope == "verification" else h
        for h in acq.hashes
    )
    texts = [str(p) for p in _problems(_replace_acq(inp, hashes=hashes))]
    assert any(t.startswith("[B9.3] exhibit EX-001: verification says match") for t in texts)


def test_b9_4_bsa_parts():
    inp = small_input("IN-EVIDENCE")
    exhibits = list(inp.case_data.exhibits)
    exhibits[1] = dataclasses.replace(exhibits[1], certificates=("IN-BSA63-A",))
    texts = [str(p) for p in _problems(_with_case(inp, exhibits=tuple(exhibits)))]
    assert texts == ["[B9.4] exhibit EX-002: must be covered by both BSA Part A and Part B"]


def test_b9_5_custody_gap():
    inp = small_input(custody_format="simple")
    events = _events(inp)
    events[3]["released_by"] = "Someone Unknown"  # EX-001 return after imaging
    texts = [str(p) for p in _problems(_with_case(inp, custody_events=tuple(chain_events(events))))]
    assert any("C-EX-001-04" in t and "but the previous receiver was" in t for t in texts)


def test_b9_5_custody_order_and_before_seizure():
    inp = small_input(custody_format="simple")
    events = _events(inp)
    events[1]["at"] = "2026-01-19T09:00:00+05:30"
    texts = [str(p) for p in _problems(_with_case(inp, custody_events=tuple(chain_events(events))))]
    assert any("C-EX-001-02" in t and "earlier than the entry before it" in t for t in texts)
    assert any("C-EX-001-02" in t and "precedes the seizure" in t for t in texts)


def test_b9_5_broken_chain():
    inp = small_input(custody_format="simple")
    events = [dict(e) for e in inp.case_data.custody_events]
    events[2]["purpose"] = "edited"
    texts = [str(p) for p in _problems(_with_case(inp, custody_events=tuple(events)))]
    assert "[B9.5] custody log: custody line 3: entry_hash does not match its content" in texts


def test_b9_5_ledger_event_edited():
    inp = small_input()
    records = [dict(r) for r in inp.case_data.custody_events]
    target = next(i for i, r in enumerate(records) if r.get("action") == "checked-out")
    records[target]["purpose"] = "edited after signing"
    texts = [str(p) for p in _problems(_with_case(inp, custody_events=tuple(records)))]
    assert texts == [
        "[B9.5] custody log: custody line 5, exhibit EX-001 event #2: entry_hash does not "
        "match the event's content (the event was altered)"
    ]


def test_b9_5_ledger_flagged_exception_blocks_final():
    from reports.demo_custody import DemoSigner, ledger_export

    inp = small_input()
    a = DemoSigner(1, "A", "Officer", "1")
    b = DemoSigner(2, "B", "Officer", "2")
    c = DemoSigner(3, "C", "Officer", "3")
    chains = {
        ex.id: [
            {
                "signer": a,
                "action": "seized",
                "at": ex.seized_at,
                "tz": "UTC",
                "received_by": a.person,
            },
            {
                "signer": c,
                "action": "transferred",
                "at": "2026-01-25T10:00:00+00:00",
                "tz": "UTC",
                "released_by": b.person,
                "received_by": c.person,
                "exception": True,
                "exception_justification": "handed over by hand, entered late",
                "violations": ["released by B, but the exhibit was held by A"],
            },
        ]
        for ex in inp.case_data.exhibits
    }
    records = ledger_export("CYPS-17-2026", chains, "2026-03-01T00:00:00+00:00")
    texts = [str(p) for p in _problems(_with_case(inp, custody_events=tuple(records)))]
    assert any("C-EX-001-02" in t and "the previous receiver was 'A · Officer" in t for t in texts)
    assert not any("entry_hash" in t for t in texts)  # the signed ledger itself is intact


def test_b9_6_time_without_zone():
    inp = small_input()
    exhibits = list(inp.case_data.exhibits)
    exhibits[0] = dataclasses.replace(exhibits[0], seized_at="2026-01-20T11:00:00")
    texts = [str(p) for p in _problems(_with_case(inp, exhibits=tuple(exhibits)))]
    assert any(
        t.startswith("[B9.6] case.exhibits[0].seized_at: '2026-01-20T11:00:00' needs a UTC")
        for t in texts
    )


def test_b9_7_measure_without_range_or_identifier():
    inp = small_input()
    measure = dataclasses.replace(inp.request.measures[0], time_range_end="", identifiers=())
    texts = [str(p) for p in _problems(_with_request(inp, measures=(measure,)))]
    assert "[B9.7] request.measures[0] (M1): data measure needs a time range start and end" in texts
    assert "[B9.7] request.measures[0] (M1): data measure needs at least one identifier" in texts


def test_b9_7_ip_needs_port():
    inp = small_input()
    person = inp.request.persons[0]
    idents = tuple(
        dataclasses.replace(i, port="") if i.kind == "ip" else i for i in person.identifiers
    )
    persons = (dataclasses.replace(person, identifiers=idents), *inp.request.persons[1:])
    texts = [str(p) for p in _problems(_with_request(inp, persons=persons))]
    assert (
        "[B9.7] request.persons[0].identifiers[1]: "
        "an IP address needs its port and a time with zone" in texts
    )


def test_b9_8_offence_text():
    inp = small_input()
    offence = dataclasses.replace(inp.request.offences[0], statute_text="")
    texts = [str(p) for p in _problems(_with_request(inp, offences=(offence,)))]
    assert (
        "[B9.8] request.offences[0] (BNS 2023 s.318(4)): the full text of the provision is missing"
        in texts
    )


def test_b9_9_translation_required():
    inp = small_input("EU-EIO")
    only_hindi = tuple(t for t in inp.request.translations if t.language == "hi")
    texts = [str(p) for p in _problems(_with_request(inp, translations=only_hindi))]
    assert texts == ["[B9.9] request.translations: translation into 'fr' is required"]


def test_b9_10_bates_gap_detected():
    texts = {
        1: "X-1 | S0 | page 1 of 3 | X-1-000001",
        2: "X-1 | S1 | page 2 of 3 | X-1-000002",
        3: "X-1 | S1 | page 3 of 3 | X-1-000004",
    }
    problems = [str(p) for p in check_footers(texts, "X-1", 3)]
    assert problems == [
        "[B9.10] page 3: footer reads 'X-1 | S1 | page 3 of 3 | X-1-000004', "
        "expected page 3 of 3 and Bates X-1-000003"
    ]


def test_final_is_blocked_with_the_list(tmp_path):
    inp = _with_request(small_input(), facts="")
    with pytest.raises(PreflightError) as caught:
        build_bundle(inp, tmp_path / "out")
    assert "request.facts: required by profile IN-MLA" in str(caught.value)
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # no half-written folder left behind


def test_draft_builds_with_watermark(tmp_path):
    inp = dataclasses.replace(_with_request(small_input(), facts=""), draft=True)
    result = build_bundle(inp, tmp_path / "out")
    assert result.draft and result.problems
    texts = page_texts(result.pdf_path)
    assert all("DRAFT" in text for text in texts.values())
    assert "request.facts: required by profile IN-MLA" in texts[1]
    manifest = (result.folder / "manifest.json").read_text()
    assert '"status": "draft"' in manifest


def test_draft_does_not_verify_as_final(tmp_path):
    from reports.verify import verify_bundle

    inp = dataclasses.replace(_with_request(small_input(), facts=""), draft=True)
    result = build_bundle(inp, tmp_path / "out")
    report = verify_bundle(result.folder)
    failed = [c.name for c in report.checks if not c.ok]
    assert failed == ["bundle is final"]
