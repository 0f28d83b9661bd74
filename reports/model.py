"""Input of the MLA evidence bundle, as plain frozen dataclasses.

The request part (spec B3 S0-S9) is what a case officer types into the YAML/JSON request file.
The case part (case, exhibits, acquisitions, custody, certificates, file listings) comes from the
case database or, for tests and demos, from a case-data file. Every time value is an ISO 8601
string that must carry a UTC offset; rendering and pre-flight checks deal with missing zones.

Missing values stay empty strings: the renderer prints them as visible blanks and the pre-flight
check blocks a final bundle when the profile requires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def _to_dict(value: Any) -> dict[str, Any]:
    return asdict(value)


@dataclass(frozen=True)
class Authority:
    """An authority in S3 (requesting, requested, investigating, court, central authority)."""

    organisation: str = ""
    country: str = ""  # ISO 3166 alpha-2
    person_in_charge: str = ""
    designation: str = ""
    address: str = ""
    phone: str = ""
    mobile: str = ""
    email: str = ""
    office_hours: str = ""
    time_zone: str = ""
    preferred_channel: str = ""
    case_numbers: str = ""
    decisions: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class Contact:
    """Contact person for confirmation (T-CY(2018)10 §6)."""

    name: str = ""
    title: str = ""
    function: str = ""
    phone: str = ""
    email: str = ""
    time_zone: str = ""


@dataclass(frozen=True)
class References:
    """Case references, request status and urgency (S0)."""

    our_reference: str = ""
    fir_number: str = ""
    court_case_number: str = ""
    their_reference: str = ""
    status: str = "new"  # new / follow-up / extension
    urgent: bool = False
    urgency_reason: str = ""
    deadline: str = ""


@dataclass(frozen=True)
class LegalBasis:
    """S4: treaty, convention or reciprocity, plus the domestic basis."""

    instrument: str = ""
    instrument_article: str = ""
    domestic_basis: str = ""
    reciprocity_undertaking: str = ""
    dual_criminality: str = ""
    specialty_undertaking: str = ""


@dataclass(frozen=True)
class TimelineEvent:
    at: str = ""
    event: str = ""


@dataclass(frozen=True)
class Offence:
    """S6: one offence with its statute text and maximum penalty."""

    name: str = ""
    statute_reference: str = ""
    statute_text: str = ""
    max_penalty: str = ""
    stage: str = ""


@dataclass(frozen=True)
class Identifier:
    """An account or technical identifier (S7); IP addresses carry port, time and zone."""

    kind: str = ""  # e-mail, username, phone, imei, ip, url, wallet ...
    value: str = ""
    port: str = ""
    observed_at: str = ""
    provider: str = ""
    provider_address: str = ""
    range_start: str = ""
    range_end: str = ""
    basis: str = ""
    preservation_reference: str = ""


@dataclass(frozen=True)
class Person:
    role: str = ""  # suspect / victim / witness / account holder
    name: str = ""
    aliases: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    address: str = ""
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True)
class Measure:
    """S8: one measure of assistance, numbered M1, M2 ..."""

    id: str = ""
    type: str = ""
    data_categories: tuple[str, ...] = ()
    records_wanted: str = ""
    time_range_start: str = ""
    time_range_end: str = ""
    identifiers: tuple[str, ...] = ()  # values of identifiers listed in S7
    procedure: str = ""
    questionnaire: tuple[str, ...] = ()
    presence_requested: str = ""
    non_disclosure: str = ""
    elastic_clause: str = ""

    @property
    def is_data_measure(self) -> bool:
        return self.type in DATA_MEASURE_TYPES


DATA_MEASURE_TYPES = frozenset(
    {"preservation", "subscriber information", "traffic data", "content", "search and seizure"}
)


@dataclass(frozen=True)
class HandlingConditions:
    """S9."""

    confidentiality: str = ""
    urgency: str = ""
    time_limits: str = ""
    transmission_channel: str = ""
    data_protection: str = ""
    cost_undertaking: str = ""


@dataclass(frozen=True)
class Signatory:
    role: str = ""
    name: str = ""
    designation: str = ""
    authority: str = ""
    place: str = ""
    date: str = ""


@dataclass(frozen=True)
class Letter:
    """S2: covering letter / letter of request."""

    addressee_title: str = ""
    addressee_authority: str = ""
    addressee_address: str = ""
    salutation: str = ""
    summary: str = ""
    enclosures: tuple[str, ...] = ()
    signatory: Signatory = field(default_factory=Signatory)


@dataclass(frozen=True)
class SupportingDocument:
    """S16: FIR copy, court order, warrant, text of provisions ..."""

    id: str = ""
    title: str = ""
    kind: str = ""
    sha256: str = ""
    pages: int = 0


@dataclass(frozen=True)
class Translation:
    """S17: a translation of S2-S9 with its translator's certificate."""

    language: str = ""  # BCP 47, e.g. "hi"
    source_language: str = "en"
    translator_name: str = ""
    translator_qualification: str = ""
    date: str = ""
    text: str = ""


@dataclass(frozen=True)
class RequestData:
    """Everything the case officer enters for one outgoing request (S0-S9, S16-S18)."""

    request_type: str = "mla"  # mla / letter-of-request / preservation / production
    language: str = "en"
    confidentiality_marking: str = ""
    requesting_authority: Authority = field(default_factory=Authority)
    requested_authority: Authority = field(default_factory=Authority)
    contact: Contact = field(default_factory=Contact)
    investigating_authority: Authority = field(default_factory=Authority)
    prosecutor_court: Authority = field(default_factory=Authority)
    central_authority_route: str = ""
    return_authority: str = ""
    references: References = field(default_factory=References)
    legal_basis: LegalBasis = field(default_factory=LegalBasis)
    facts: str = ""
    timeline: tuple[TimelineEvent, ...] = ()
    nexus_statement: str = ""
    offences: tuple[Offence, ...] = ()
    persons: tuple[Person, ...] = ()
    measures: tuple[Measure, ...] = ()
    handling: HandlingConditions = field(default_factory=HandlingConditions)
    letter: Letter = field(default_factory=Letter)
    supporting_documents: tuple[SupportingDocument, ...] = ()
    translations: tuple[Translation, ...] = ()
    signatories: tuple[Signatory, ...] = ()
    apostille_required: bool = False

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


# --- case part -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseInfo:
    """The case and the bundle identity (B2: ``<CC>-<agency>-<year>-<serial>``)."""

    reference: str = ""
    title: str = ""
    country: str = ""
    agency_code: str = ""
    year: int = 0
    serial: int = 0
    bundle_version: int = 1

    @property
    def bundle_id(self) -> str:
        return f"{self.country}-{self.agency_code}-{self.year:04d}-{self.serial:06d}"


@dataclass(frozen=True)
class HashValue:
    """One hash; the algorithm name is printed beside every value."""

    algorithm: str = ""  # "SHA-256", "MD5", "SHA-1"
    value: str = ""
    scope: str = ""  # source / image / file / verification


@dataclass(frozen=True)
class Device:
    source_type: str = ""  # BSA tick list
    make: str = ""
    model: str = ""
    colour: str = ""
    serial_number: str = ""
    imei: str = ""
    other_ids: str = ""
    capacity: str = ""
    condition: str = ""
    photographs: str = ""


@dataclass(frozen=True)
class Exhibit:
    """S10 row and the S11 header of a digital exhibit."""

    id: str = ""
    parent: str = ""
    description: str = ""
    type: str = ""  # device / forensic image / exported record / document / report
    seal_numbers: tuple[str, ...] = ()
    seized_by: str = ""
    seized_at: str = ""
    seizure_location: str = ""
    witnesses: str = ""
    legal_authority: str = ""
    device: Device = field(default_factory=Device)
    certificates: tuple[str, ...] = ()
    digital: bool = True


@dataclass(frozen=True)
class Examiner:
    name: str = ""
    designation: str = ""
    lab: str = ""
    accreditation: str = ""
    qualifications: str = ""


@dataclass(frozen=True)
class Acquisition:
    """S11: the imaging record of one exhibit."""

    exhibit_id: str = ""
    method: str = ""  # physical / logical / file-system / cloud export / live / memory
    tool: str = ""
    tool_version: str = ""
    write_blocker: str = ""
    started_at: str = ""
    finished_at: str = ""
    output_format: str = ""
    size_bytes: int = 0  # bytes acquired (the size the image hashes cover)
    segments: tuple[str, ...] = ()
    device_clock: str = ""
    hashes: tuple[HashValue, ...] = ()
    verification_result: str = ""  # match / no match / not possible
    verification_note: str = ""
    errors: str = ""
    unavoidable_changes: str = ""
    examiner: Examiner = field(default_factory=Examiner)

    def hash(self, algorithm: str, scope: str | None = None) -> str:
        """Value of the first hash with this algorithm (and scope), or ''."""
        for item in self.hashes:
            if normalise_algorithm(item.algorithm) == normalise_algorithm(algorithm) and (
                scope is None or item.scope == scope
            ):
                return item.value
        return ""


@dataclass(frozen=True)
class CertificateParty:
    """Declarant of a certificate (BSA Part A party, Part B expert, 3505 custodian ...)."""

    name: str = ""
    relation: str = ""  # son/daughter/spouse of
    address: str = ""
    designation: str = ""
    organisation: str = ""
    qualifications: str = ""
    relationship_to_source: str = ""  # owned / maintained / managed / operated
    place: str = ""
    date: str = ""


@dataclass(frozen=True)
class CertificatesData:
    party: CertificateParty = field(default_factory=CertificateParty)
    expert: CertificateParty = field(default_factory=CertificateParty)
    custodian: CertificateParty = field(default_factory=CertificateParty)
    records_pages: str = ""


@dataclass(frozen=True)
class FileRow:
    """One row of the S15 file-listing annex."""

    exhibit_id: str
    path: str
    size: int
    modified: str = ""
    accessed: str = ""
    changed: str = ""
    created: str = ""
    sha256: str = ""


FileRowSource = Callable[[], Iterable[FileRow]]


@dataclass(frozen=True)
class CaseData:
    """The case part of a bundle: what the database query layer provides."""

    case: CaseInfo = field(default_factory=CaseInfo)
    exhibits: tuple[Exhibit, ...] = ()
    acquisitions: tuple[Acquisition, ...] = ()
    custody_events: tuple[Mapping[str, Any], ...] = ()
    certificates: CertificatesData = field(default_factory=CertificatesData)
    file_rows: FileRowSource | None = None  # called once; rows are streamed, never held
    # extra S15 lines per exhibit listing: catalog run, hash sets cited ...
    listing_details: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def iter_file_rows(self) -> Iterator[FileRow]:
        if self.file_rows is None:
            return iter(())
        return iter(self.file_rows())


@dataclass(frozen=True)
class BundleInput:
    request: RequestData
    case_data: CaseData
    profile_id: str
    generated_at: str  # UTC ISO 8601 with offset
    draft: bool = False


def normalise_algorithm(name: str) -> str:
    """'sha256', 'SHA-256', 'sha_256' -> 'SHA-256'; unknown names upper-cased."""
    key = name.replace("-", "").replace("_", "").replace(" ", "").lower()
    return {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5", "sha512": "SHA-512"}.get(
        key, name.strip().upper()
    )
