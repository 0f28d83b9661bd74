"""Demo case for bundles: a complete, fictitious request and case that passes pre-flight.

All names, numbers and hashes are invented for demonstration; hashes are SHA-256 of fixed strings.
``sealbag demo`` can call :func:`write_demo_files`; tests and the benchmark use
:func:`demo_bundle_input` directly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import yaml

from reports.custody_chain import chain_events
from reports.demo_custody import DemoSigner, ledger_export
from reports.model import (
    Acquisition,
    Authority,
    BundleInput,
    CaseData,
    CaseInfo,
    CertificateParty,
    CertificatesData,
    Contact,
    Device,
    Examiner,
    Exhibit,
    FileRow,
    HandlingConditions,
    HashValue,
    Identifier,
    LegalBasis,
    Letter,
    Measure,
    Offence,
    Person,
    References,
    RequestData,
    Signatory,
    SupportingDocument,
    Translation,
)
from reports.profiles import load_profile

DEMO_GENERATED_AT = "2026-03-02T09:30:00+00:00"
HINDI_TRANSLATION = (
    "सारांश: शिकायतकर्ता से ऑनलाइन निवेश धोखाधड़ी द्वारा धनराशि ली गई। अनुरोधित देश में स्थित "
    "ई-मेल खाते के ग्राहक विवरण और लॉग की आवश्यकता है। यह अनुवाद केवल प्रदर्शन के लिए है।"
)
FRENCH_TRANSLATION = (
    "Résumé : le plaignant a été victime d'une escroquerie à l'investissement en ligne. "
    "Les informations d'abonné et les journaux de connexion du compte de messagerie sont demandés. "
    "Traduction de démonstration."
)


def _hex(seed: str, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, seed.encode()).hexdigest()


def demo_request(profile_id: str = "IN-MLA") -> RequestData:
    """A complete demo request for ``profile_id`` (request type follows the profile)."""
    profile = load_profile(profile_id)
    india = profile.datetime.label == "IST"
    requesting = Authority(
        organisation="Cyber Crime Police Station, Demo City" if india else "Demo Police Cyber Unit",
        country="IN" if india else "XA",
        person_in_charge="Insp. A. Sharma",
        designation="Inspector of Police",
        address="1 Example Road, Demo City 560001",
        phone="+91 80 0000 0001",
        mobile="+91 90000 00001",
        email="cyps.demo@example.org",
        office_hours="10:00-18:00",
        time_zone="Asia/Kolkata (UTC+05:30)" if india else "UTC",
        preferred_channel="encrypted e-mail",
    )
    requested = Authority(
        organisation="Office of International Affairs, Department of Justice (demo)",
        country="US",
        person_in_charge="Duty officer",
        designation="Central Authority",
        address="950 Example Avenue, Washington DC",
        email="oia.demo@example.org",
        time_zone="America/New_York",
    )
    identifiers = (
        Identifier(
            kind="e-mail",
            value="suspect.demo@example.com",
            provider="Example Mail Inc.",
            provider_address="1 Example Way, Mountain View CA",
            range_start="2026-01-01T00:00:00+05:30",
            range_end="2026-02-15T23:59:59+05:30",
            basis="victim received the fraudulent offer from this address",
            preservation_reference="PRES-2026-0042",
        ),
        Identifier(
            kind="ip",
            value="203.0.113.45",
            port="51234",
            observed_at="2026-01-14T21:07:33+05:30",
            provider="Example Mail Inc.",
            basis="login to the account recorded by the victim's bank",
        ),
    )
    return RequestData(
        request_type=profile.request_type,
        language="en",
        confidentiality_marking="CONFIDENTIAL - LAW ENFORCEMENT SENSITIVE",
        requesting_authority=requesting,
        requested_authority=requested,
        contact=Contact(
            name="SI R. Verma",
            title="Sub-Inspector",
            function="Investigating officer",
            phone="+91 80 0000 0002",
            email="verma.demo@example.org",
            time_zone="Asia/Kolkata",
        ),
        investigating_authority=Authority(
            organisation="Cyber Crime Police Station, Demo City", person_in_charge="SI R. Verma"
        ),
        prosecutor_court=Authority(
            organisation="Court of the Chief Judicial Magistrate, Demo City",
            case_numbers="CC 101/2026",
            decisions="Order issuing the letter of request dated 20/02/2026",
        ),
        central_authority_route="Ministry of Home Affairs, IS-II Division (Legal Cell)",
        return_authority="Cyber Crime Police Station, Demo City",
        references=References(
            our_reference="CYPS/DEMO/2026/17",
            fir_number="FIR 17/2026",
            court_case_number="CC 101/2026",
            status="new",
            urgent=True,
            urgency_reason="risk of deletion of account data",
            deadline="2026-04-30T17:00:00+05:30",
        ),
        legal_basis=LegalBasis(
            instrument="Treaty between India and the United States on Mutual Legal Assistance in "
            "Criminal Matters (2001)",
            instrument_article="Article 4",
            domestic_basis="BNSS 2023 s.112 (demo order)",
            reciprocity_undertaking="Demo: the requesting State will execute a similar request "
            "from the requested State.",
            specialty_undertaking="Demo: evidence will be used only for the investigation and "
            "prosecution described in this request.",
        ),
        facts="Demo facts: between 2 and 14 January 2026 the complainant transferred INR 4,50,000 "
        "after an online investment offer sent from an e-mail account hosted abroad.",
        timeline=(),
        nexus_statement="Demo nexus: the offer and the payment instructions came from the e-mail "
        "account named in S7; its subscriber and login records identify the sender.",
        offences=(
            Offence(
                name="Cheating",
                statute_reference="BNS 2023 s.318(4)",
                statute_text="[Demo] Text of the provision as annexed to the request.",
                max_penalty="Imprisonment up to 7 years and fine",
                stage="investigation",
            ),
        ),
        persons=(
            Person(
                role="suspect",
                name="Unknown user of suspect.demo@example.com",
                nationality="unknown",
                identifiers=identifiers,
            ),
            Person(role="victim", name="Complainant (name withheld)", nationality="Indian"),
        ),
        measures=(
            Measure(
                id="M1",
                type="subscriber information",
                data_categories=("subscriber information", "login IP addresses"),
                records_wanted="Subscriber details and login IP logs with ports",
                time_range_start="2026-01-01T00:00:00+05:30",
                time_range_end="2026-02-15T23:59:59+05:30",
                identifiers=("suspect.demo@example.com", "203.0.113.45"),
                procedure="Certificate of authenticity of business records with the "
                "SHA-256 of each produced file; native format plus PDF.",
                questionnaire=(
                    "Who is the registered user of the account?",
                    "Which IP addresses and ports were used to log in?",
                ),
            ),
        ),
        handling=HandlingConditions(
            confidentiality="Do not notify the account holder.",
            urgency="Data may be deleted by the user.",
            time_limits="Before 30/04/2026",
            transmission_channel="Encrypted e-mail to the contact in S3",
            data_protection="Personal data will be processed lawfully "
            "and fairly for this case only.",
            cost_undertaking="Extraordinary costs to be discussed.",
        ),
        letter=Letter(
            addressee_title="The Central Authority",
            addressee_authority=requested.organisation,
            addressee_address=requested.address,
            salutation="Sir / Madam,",
            summary="Demo summary: assistance is requested to obtain subscriber and login "
            "records of an e-mail account used in an online investment fraud.",
            enclosures=("Copy of FIR 17/2026", "Text of BNS s.318"),
            signatory=Signatory(
                role="Requesting authority",
                name="Insp. A. Sharma",
                designation="Inspector of Police",
                authority=requesting.organisation,
                place="Demo City",
                date="2026-03-01",
            ),
        ),
        supporting_documents=(
            SupportingDocument(
                id="D1", title="Copy of FIR 17/2026", kind="FIR", sha256=_hex("demo FIR"), pages=3
            ),
        ),
        translations=(
            Translation(
                language="hi",
                translator_name="Demo Translator",
                translator_qualification="Registered translator No. 000 (demo)",
                date="2026-03-01",
                text=HINDI_TRANSLATION,
            ),
            Translation(
                language="fr",
                translator_name="Demo Traducteur",
                translator_qualification="Traducteur assermenté (demo)",
                date="2026-03-01",
                text=FRENCH_TRANSLATION,
            ),
        ),
        signatories=tuple(
            Signatory(
                role=role,
                name=f"Demo signatory {n}",
                designation="Officer",
                place="Demo City",
                date="2026-03-01",
            )
            for n, role in enumerate(profile.signatories, 1)
        ),
    )


def demo_file_rows(exhibit_id: str, count: int, hostile: bool = False) -> Iterator[FileRow]:
    """``count`` deterministic listing rows (cheap to generate, for tests and the benchmark)."""
    hostile_names = [
        "<img src=http://x>",
        "invoice\u202etxt.exe",
        "nul\x00byte",
        "tab\there",
        "Résumé – naïve ünïcödé",
        "line\nbreak",
    ]
    for number in range(count):
        name = f"/Users/demo/Documents/folder{number // 1000:03d}/file{number:06d}.docx"
        if hostile and number < len(hostile_names):
            name = f"/hostile/{hostile_names[number]}"
        yield FileRow(
            exhibit_id=exhibit_id,
            path=name,
            size=1000 + number * 7,
            modified="2026-01-10T08:15:30+00:00",
            accessed="2026-01-12T10:00:00+00:00",
            changed="2026-01-10T08:15:30+00:00",
            created="2025-12-31T23:59:59+00:00",
            sha256=_hex(f"{exhibit_id}:{number}"),
        )


def demo_case_data(
    files_per_exhibit: int = 40,
    exhibits: int = 2,
    hostile: bool = False,
    custody_format: str = "ledger",
) -> CaseData:
    """Demo case: one seized laptop disk per exhibit, imaged with a write blocker.

    Args:
        custody_format: ``"ledger"`` (signed export of the custody ledger, the default) or
            ``"simple"`` (the single hash chain of spec B8.2).
    """
    exhibit_list, acquisitions, raw_events = [], [], []
    examiner = Examiner(
        name="Dr. P. Nair",
        designation="Scientific Officer (Cyber Forensics)",
        lab="State Forensic Science Laboratory, Demo City",
        accreditation="ISO/IEC 17025 (demo certificate 0000)",
        qualifications="M.Tech (Forensic Science); 8 years of disk forensics",
    )
    for index in range(1, exhibits + 1):
        ex_id = f"EX-{index:03d}"
        image = _hex(f"image {ex_id}")
        description = f"Laptop hard disk {index} (demo)"
        if hostile and index == 1:
            description = "Disk <img src=http://x> \u202eevil\u202c nul\x00 " + "A" * 200
        exhibit_list.append(
            Exhibit(
                id=ex_id,
                description=description,
                type="device",
                seal_numbers=(f"SEAL-{index:04d}",),
                seized_by="SI R. Verma (ID 4411)",
                seized_at=f"2026-01-20T1{index}:00:00+05:30",
                seizure_location="Suspect premises, Demo City",
                witnesses="Two independent witnesses (names in seizure memo)",
                legal_authority="Search under BNSS s.185, seizure memo 17/2026",
                device=Device(
                    source_type="Computer / Storage Media",
                    make="DemoDisk",
                    model=f"DD-{index}TB",
                    colour="black",
                    serial_number=f"SN{index:08d}",
                    other_ids="",
                    capacity="1,000,204,886,016 bytes",
                    condition="good, no visible damage",
                    photographs=f"P-{index:03d}-01..04",
                ),
                certificates=("IN-BSA63-A", "IN-BSA63-B", "GEN-ISO27037"),
            )
        )
        acquisitions.append(
            Acquisition(
                exhibit_id=ex_id,
                method="physical",
                tool="Sealbag",
                tool_version="0.1.0",
                write_blocker="Tableau T35u (demo serial TB-0001)",
                started_at="2026-01-21T10:00:00+05:30",
                finished_at="2026-01-21T12:30:00+05:30",
                output_format="E01",
                size_bytes=1_000_204_886_016,
                segments=(f"{ex_id}.E01", f"{ex_id}.E02"),
                device_clock="device clock 2 min 10 s behind reference (NTP)",
                hashes=(
                    HashValue("SHA-256", _hex(f"image {ex_id}"), "source"),
                    HashValue("SHA-256", image, "image"),
                    HashValue("MD5", _hex(f"image {ex_id}", "md5"), "image"),
                    HashValue("SHA-256", image, "verification"),
                ),
                verification_result="match",
                verification_note="re-read of the image after acquisition",
                examiner=examiner,
            )
        )
        raw_events += [
            {
                "entry_no": f"C-{ex_id}-01",
                "exhibit_id": ex_id,
                "at": f"2026-01-20T1{index}:00:00+05:30",
                "action": "seized",
                "released_by": "",
                "received_by": "SI R. Verma",
                "purpose": "seizure under search",
                "location_from": "suspect premises",
                "location_to": "police station",
                "seal_checked": f"SEAL-{index:04d}",
                "seal_intact": "Y",
                "remarks": "",
            },
            {
                "entry_no": f"C-{ex_id}-02",
                "exhibit_id": ex_id,
                "at": "2026-01-20T18:00:00+05:30",
                "action": "transferred",
                "released_by": "SI R. Verma",
                "received_by": "Dr. P. Nair",
                "purpose": "forensic imaging",
                "location_from": "police station",
                "location_to": "SFSL evidence room",
                "storage_ref": "LOCKER 7",
                "seal_checked": f"SEAL-{index:04d}",
                "seal_intact": "Y",
                "remarks": "",
            },
            {
                "entry_no": f"C-{ex_id}-03",
                "exhibit_id": ex_id,
                "at": "2026-01-21T12:30:00+05:30",
                "action": "imaged",
                "released_by": "Dr. P. Nair",
                "received_by": "Dr. P. Nair",
                "purpose": "acquisition",
                "location_from": "SFSL",
                "location_to": "SFSL",
                "seal_checked": f"SEAL-{index:04d}",
                "seal_intact": "Y",
                "new_seal": f"SEAL-{index:04d}-R",
                "hash_verified": f"SHA-256 {image}",
                "hash_match": "Y",
                "remarks": "",
            },
            {
                "entry_no": f"C-{ex_id}-04",
                "exhibit_id": ex_id,
                "at": "2026-01-22T11:00:00+05:30",
                "action": "returned",
                "released_by": "Dr. P. Nair",
                "received_by": "SI R. Verma",
                "purpose": "return after imaging",
                "location_from": "SFSL",
                "location_to": "police station",
                "seal_checked": f"SEAL-{index:04d}-R",
                "seal_intact": "Y",
                "remarks": "",
            },
        ]
    count = files_per_exhibit

    def rows() -> Iterator[FileRow]:
        for exhibit in exhibit_list:
            yield from demo_file_rows(exhibit.id, count, hostile and exhibit.id == "EX-001")

    party = CertificateParty(
        name="Insp. A. Sharma",
        relation="son of Demo Parent",
        address="Cyber Crime Police Station, Demo City",
        designation="Inspector of Police",
        organisation="Demo City Police",
        relationship_to_source="Managed",
        place="Demo City",
        date="2026-03-01",
    )
    expert = CertificateParty(
        name=examiner.name,
        relation="daughter of Demo Parent",
        address=examiner.lab,
        designation=examiner.designation,
        organisation=examiner.lab,
        qualifications=examiner.qualifications,
        place="Demo City",
        date="2026-03-01",
    )
    custodian = CertificateParty(
        name="Demo Custodian",
        designation="Custodian of records",
        organisation="Example Mail Inc. (demo)",
        place="Demo City, India",
        date="2026-03-01",
    )
    return CaseData(
        case=CaseInfo(
            reference="CYPS-17-2026",
            title="Demo online investment fraud",
            country="IN",
            agency_code="CYPS",
            year=2026,
            serial=123,
            bundle_version=1,
        ),
        exhibits=tuple(exhibit_list),
        acquisitions=tuple(acquisitions),
        custody_events=tuple(
            chain_events(raw_events)
            if custody_format == "simple"
            else _ledger_events(exhibit_list, acquisitions)
        ),
        certificates=CertificatesData(
            party=party, expert=expert, custodian=custodian, records_pages="see the exhibit list"
        ),
        file_rows=rows if count else None,
    )


def _ledger_events(exhibits: list[Exhibit], acquisitions: list[Acquisition]) -> list[dict]:
    """Signed ledger-format custody export for the demo exhibits (seizure to check-in)."""
    officer = DemoSigner(1, "SI R. Verma", "Sub-Inspector", "4411")
    examiner = DemoSigner(2, "Dr. P. Nair", "Scientific Officer (Cyber Forensics)", "SFSL-7")
    zone = "Asia/Kolkata"
    chains = {}
    for exhibit, acq in zip(exhibits, acquisitions, strict=True):
        seal = exhibit.seal_numbers[0]
        chains[exhibit.id] = [
            {
                "signer": officer,
                "action": "seized",
                "at": exhibit.seized_at,
                "tz": zone,
                "received_by": officer.person,
                "purpose": "seizure under search",
                "location_from": "suspect premises",
                "location_to": "police station",
                "seal_number": seal,
                "seal_intact": True,
            },
            {
                "signer": examiner,
                "action": "checked-out",
                "at": "2026-01-20T18:00:00+05:30",
                "tz": zone,
                "released_by": officer.person,
                "received_by": examiner.person,
                "purpose": "forensic imaging",
                "location_from": "police station",
                "location_to": "SFSL evidence room",
                "storage_ref": "LOCKER 7",
                "seal_number": seal,
                "seal_intact": True,
            },
            {
                "signer": examiner,
                "action": "imaged",
                "at": acq.finished_at,
                "tz": zone,
                "purpose": "acquisition",
                "location_from": "SFSL",
                "location_to": "SFSL",
                "seal_number": seal,
                "new_seal_number": f"{seal}-R",
                "hash_algorithm": "sha256",  # the ledger's algorithm names (docs/custody.md)
                "hash_value": acq.hash("SHA-256", "image"),
                "hash_match": True,
            },
            {
                "signer": officer,
                "action": "checked-in",
                "at": "2026-01-22T11:00:00+05:30",
                "tz": zone,
                "released_by": examiner.person,
                "received_by": officer.person,
                "purpose": "return after imaging",
                "location_from": "SFSL",
                "location_to": "police station",
                "seal_number": f"{seal}-R",
                "seal_intact": True,
            },
        ]
    return ledger_export("CYPS-17-2026", chains, "2026-03-02T09:00:00+00:00")


def demo_bundle_input(
    profile_id: str = "IN-MLA",
    *,
    files_per_exhibit: int = 40,
    exhibits: int = 2,
    hostile: bool = False,
    draft: bool = False,
    generated_at: str = DEMO_GENERATED_AT,
    custody_format: str = "ledger",
) -> BundleInput:
    """A ready bundle input for any profile."""
    return BundleInput(
        request=demo_request(profile_id),
        case_data=demo_case_data(files_per_exhibit, exhibits, hostile, custody_format),
        profile_id=profile_id,
        generated_at=generated_at,
        draft=draft,
    )


def case_data_to_dict(case: CaseData) -> dict:
    """Plain form of case data (the format ``--case-data`` reads)."""
    return {
        "case": dataclasses.asdict(case.case),
        "exhibits": [dataclasses.asdict(e) for e in case.exhibits],
        "acquisitions": [dataclasses.asdict(a) for a in case.acquisitions],
        "custody_events": [dict(e) for e in case.custody_events],
        "certificates": dataclasses.asdict(case.certificates),
        "file_rows": [dataclasses.asdict(r) for r in case.iter_file_rows()],
    }


def write_demo_files(
    folder: Path, profile_id: str = "IN-MLA", files_per_exhibit: int = 40
) -> tuple[Path, Path]:
    """Write ``request.yaml`` and ``case-data.json`` for the demo case; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    request_path = folder / "request.yaml"
    case_path = folder / "case-data.json"
    request_path.write_text(
        yaml.safe_dump(
            _plain(dataclasses.asdict(demo_request(profile_id))),
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    case_path.write_text(
        json.dumps(
            case_data_to_dict(demo_case_data(files_per_exhibit)), ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )
    return request_path, case_path


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def build_demo_bundle(out_dir: Path, profile_id: str = "IN-MLA", files_per_exhibit: int = 40):
    """Build the demo bundle into ``out_dir`` (must not exist); returns the BuildResult."""
    from reports.package import build_bundle

    return build_bundle(demo_bundle_input(profile_id, files_per_exhibit=files_per_exhibit), out_dir)


def demo_database_request(case_reference: str, profile_id: str = "IN-MLA") -> dict:
    """The demo request adapted to a case in the database, as a storable request document.

    Adds the certificate declarants' place and date and per-exhibit notes the case database
    does not hold (see ``reports.bundle_store.parse_request_document``).
    """
    request = demo_request(profile_id)
    request = dataclasses.replace(
        request,
        references=dataclasses.replace(
            request.references, our_reference=case_reference, fir_number=case_reference
        ),
    )
    document = _plain(dataclasses.asdict(request))
    assert isinstance(document, dict)
    document["certificates"] = {
        "party": {"place": "Bengaluru (demo)", "date": "2026-11-23"},
        "expert": {"place": "Bengaluru (demo)", "date": "2026-11-23"},
        "custodian": {
            "name": "Meena Iyer",
            "designation": "Head Constable (malkhana)",
            "organisation": "Cyber Crime PS (demo)",
            "place": "Bengaluru (demo)",
            "date": "2026-11-23",
        },
    }
    document["exhibit_notes"] = {
        "EX-001": {
            "witnesses": "Two independent witnesses (names in the seizure memo, demo)",
            "device_clock": "no clock (USB flash drive)",
        },
        "EX-002": {
            "witnesses": "Two independent witnesses (names in the seizure memo, demo)",
            "device_clock": "phone powered off at seizure; clock not read",
        },
    }
    return document


def demo_bundle_from_database(
    database_url: str, case_reference: str, profile_id: str = "IN-MLA", *, progress=None
) -> dict:
    """Store the demo request for a case and build its bundle from the database.

    A final bundle when pre-flight passes, else a DRAFT (watermarked, problems on the cover).

    Returns:
        The ``sealbag demo`` step summary: status, folder, bundle ID, draft flag, problems.
    """
    from forensics.database import open_database
    from reports.bundle_store import build_bundle_from_database, store_request
    from reports.package import PreflightError

    options = {"progress": progress} if progress is not None else {}
    with open_database(database_url) as db:
        with db.session() as session:
            store_request(
                session, case_reference, profile_id, demo_database_request(case_reference)
            )
        try:
            outcome = build_bundle_from_database(db, case_reference, profile_id, **options)
        except PreflightError:
            outcome = build_bundle_from_database(
                db, case_reference, profile_id, draft=True, **options
            )
    result = outcome.result
    summary = {
        "status": "draft" if result.draft else "done",
        "bundle": str(result.folder),
        "bundle_id": result.bundle_id,
        "pages": result.pages,
        "pdf_sha256": result.pdf_sha256,
        "preflight_problems": len(result.problems),
    }
    if outcome.record_error:
        summary["record_error"] = outcome.record_error
    return summary
