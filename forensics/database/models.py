"""The case database: typed SQLAlchemy 2.0 models.

Times are stored in UTC (:class:`~forensics.database.base.UTCDateTime`); where a
person entered a time, the IANA zone they entered it in is kept beside it
(``*_tz``) so reports can show the local time too.

``FileEntry`` is designed for tens of millions of rows: integer keys, narrow
columns, times as UTC nanoseconds, and only the indexes the catalog queries use.
It is written with Core bulk inserts, never row by row through the ORM.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forensics.database.base import (
    Base,
    BigIntId,
    bigpk,
    intpk,
    md5_hex,
    sha256_hex,
    short_text,
    utc_time,
    utcnow,
    zone_name,
)
from forensics.database.enums import (
    AcquisitionState,
    BundleStatus,
    CaseStage,
    CaseStatus,
    CatalogStatus,
    CustodyAction,
    ExhibitType,
    HashSetKind,
    PersonRole,
    SourceCategory,
    StoredFileKind,
    VerificationResult,
)
from forensics.database.hashkey import hash_key


class Case(Base):
    """An investigation: FIR / crime number, agency, jurisdiction, offences."""

    __tablename__ = "case"

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[short_text]
    agency: Mapped[short_text | None]
    jurisdiction: Mapped[short_text | None]
    country_code: Mapped[str | None] = mapped_column(String(2))
    agency_code: Mapped[str | None] = mapped_column(String(16))
    stage: Mapped[CaseStage] = mapped_column(default=CaseStage.INVESTIGATION)
    status: Mapped[CaseStatus] = mapped_column(default=CaseStatus.OPEN)
    time_zone: Mapped[zone_name] = mapped_column(default="UTC")
    description: Mapped[str | None] = mapped_column(Text)
    store_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)

    offences: Mapped[list[Offence]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Offence.position"
    )
    exhibits: Mapped[list[Exhibit]] = relationship(
        back_populates="case", order_by="Exhibit.exhibit_id"
    )


class Offence(Base):
    """An offence the case is about, with its statutory reference."""

    __tablename__ = "offence"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[short_text]
    statute: Mapped[short_text | None]  # e.g. "BNS s.318(4)", "IT Act s.66D"
    statute_text: Mapped[str | None] = mapped_column(Text)
    max_penalty: Mapped[short_text | None]

    case: Mapped[Case] = relationship(back_populates="offences")


class Person(Base):
    """Someone who handles, examines, owns or is concerned by evidence."""

    __tablename__ = "person"

    id: Mapped[intpk]
    name: Mapped[short_text]
    designation: Mapped[short_text | None]  # rank or job title
    id_number: Mapped[str | None] = mapped_column(String(64), unique=True)  # badge / staff no.
    agency: Mapped[short_text | None]
    role: Mapped[PersonRole] = mapped_column(default=PersonRole.OTHER)
    email: Mapped[short_text | None]
    phone: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)


exhibit_photo = Table(
    "exhibit_photo",
    Base.metadata,
    Column("exhibit_id", ForeignKey("exhibit.id", ondelete="CASCADE"), primary_key=True),
    Column("attachment_id", ForeignKey("attachment.id"), primary_key=True),
)


class Exhibit(Base):
    """A seized item (``EX-001``) or an item derived from one (``EX-001.1``)."""

    __tablename__ = "exhibit"
    __table_args__ = (UniqueConstraint("case_id", "exhibit_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    exhibit_id: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("exhibit.id"), index=True)
    type: Mapped[ExhibitType] = mapped_column(default=ExhibitType.DEVICE)
    source_category: Mapped[SourceCategory | None]
    description: Mapped[str] = mapped_column(Text)
    make: Mapped[short_text | None]
    model: Mapped[short_text | None]
    serial_number: Mapped[short_text | None]
    imei: Mapped[str | None] = mapped_column(String(64))
    uin: Mapped[str | None] = mapped_column(String(64))
    mac_address: Mapped[str | None] = mapped_column(String(64))
    cloud_id: Mapped[short_text | None]
    other_identifiers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    colour: Mapped[str | None] = mapped_column(String(64))
    capacity_bytes: Mapped[int | None] = mapped_column(BigInteger)
    condition: Mapped[str | None] = mapped_column(Text)
    seal_numbers: Mapped[list[str]] = mapped_column(default=list)
    seized_at: Mapped[datetime | None]
    seized_tz: Mapped[str | None] = mapped_column(String(64))
    seized_location: Mapped[str | None] = mapped_column(Text)
    seized_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    legal_authority: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="exhibits")
    parent: Mapped[Exhibit | None] = relationship(remote_side="Exhibit.id")
    seized_by: Mapped[Person | None] = relationship()
    photos: Mapped[list[Attachment]] = relationship(secondary=exhibit_photo)


class Attachment(Base):
    """A file (photo, scan, log) kept in the evidence store by its SHA-256."""

    __tablename__ = "attachment"

    id: Mapped[intpk]
    sha256: Mapped[sha256_hex] = mapped_column(unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(127))
    original_name: Mapped[str | None] = mapped_column(Text)
    stored_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)


class StoredFile(Base):
    """A file the evidence store holds for a case (image, export, log, bundle)."""

    __tablename__ = "stored_file"
    __table_args__ = (UniqueConstraint("case_id", "relative_path"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[StoredFileKind]
    relative_path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[sha256_hex | None] = mapped_column(index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)


class Acquisition(Base):
    """One imaging run (or an imported record of one made by another tool)."""

    __tablename__ = "acquisition"

    id: Mapped[intpk]
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibit.id"), index=True)
    image_exhibit_id: Mapped[int | None] = mapped_column(ForeignKey("exhibit.id"))
    state: Mapped[AcquisitionState] = mapped_column(default=AcquisitionState.RUNNING)
    origin: Mapped[str] = mapped_column(String(32), default="sealbag")  # or guymager, dc3dd...
    format: Mapped[str] = mapped_column(String(16))
    source_path: Mapped[str | None] = mapped_column(Text)
    source_identity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    bytes_read: Mapped[int | None] = mapped_column(BigInteger)
    source_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # algorithm -> hex
    image_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sha256: Mapped[sha256_hex | None] = mapped_column(index=True)
    error_ranges: Mapped[list[Any]] = mapped_column(default=list)
    verification: Mapped[VerificationResult] = mapped_column(default=VerificationResult.NOT_RUN)
    verification_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    image_files: Mapped[list[Any]] = mapped_column(default=list)
    record: Mapped[dict[str, Any]] = mapped_column(default=dict)  # full acquisition record
    record_path: Mapped[str | None] = mapped_column(Text)
    abort_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)

    exhibit: Mapped[Exhibit] = relationship(foreign_keys=[exhibit_id])
    image_exhibit: Mapped[Exhibit | None] = relationship(foreign_keys=[image_exhibit_id])
    examiner: Mapped[Person | None] = relationship()


class CatalogRun(Base):
    """One catalog pass over an image. Only ``complete`` runs are a full listing."""

    __tablename__ = "catalog_run"

    id: Mapped[intpk]
    exhibit_id: Mapped[int | None] = mapped_column(ForeignKey("exhibit.id"), index=True)
    acquisition_id: Mapped[int | None] = mapped_column(ForeignKey("acquisition.id"))
    image_path: Mapped[str] = mapped_column(Text)
    image_sha256: Mapped[sha256_hex | None]
    status: Mapped[CatalogStatus] = mapped_column(default=CatalogStatus.RUNNING)
    started_at: Mapped[utc_time] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    entry_count: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    gaps: Mapped[list[Any]] = mapped_column(default=list)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tool_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Volume(Base):
    """A partition (or the unpartitioned whole) found in an image."""

    __tablename__ = "volume"

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_run.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[str | None] = mapped_column(String(32))
    scheme: Mapped[str | None] = mapped_column(String(32))  # dos, gpt, none
    start_sector: Mapped[int] = mapped_column(BigInteger)
    length_sectors: Mapped[int] = mapped_column(BigInteger)
    sector_size: Mapped[int] = mapped_column(default=512)
    description: Mapped[str | None] = mapped_column(Text)
    allocated: Mapped[bool] = mapped_column(default=True)


class FileSystem(Base):
    """A file system inside a volume, or the reason none could be opened."""

    __tablename__ = "file_system"

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_run.id", ondelete="CASCADE"), index=True
    )
    volume_id: Mapped[int | None] = mapped_column(ForeignKey("volume.id", ondelete="CASCADE"))
    offset_bytes: Mapped[int] = mapped_column(BigInteger)
    fs_type: Mapped[str | None] = mapped_column(String(32))
    block_size: Mapped[int | None]
    block_count: Mapped[int | None] = mapped_column(BigInteger)
    label: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="parsed")  # parsed, unknown, error
    error: Mapped[str | None] = mapped_column(Text)


def _key_of(column: str) -> Any:
    """Column default: the lookup key of the digest inserted in ``column``."""

    def default(context: Any) -> int | None:
        return hash_key(context.get_current_parameters().get(column))

    return default


class FileEntry(Base):
    """One name (allocated or deleted) or named stream found in a file system."""

    __tablename__ = "file_entry"
    __table_args__ = (
        Index("ix_file_entry_run_path", "run_id", "path"),
        Index("ix_file_entry_run_id", "run_id", "id"),  # a run's entries page by page
        Index("ix_file_entry_sha256_key", "sha256_key"),
        Index("ix_file_entry_md5_key", "md5_key"),
        Index("ix_file_entry_run_mime", "run_id", "mime_type"),
        Index("ix_file_entry_run_flags", "run_id", "notable", "known", "extension_mismatch"),
    )

    id: Mapped[bigpk]
    run_id: Mapped[int] = mapped_column(ForeignKey("catalog_run.id", ondelete="CASCADE"))
    file_system_id: Mapped[int | None] = mapped_column(
        ForeignKey("file_system.id", ondelete="CASCADE")
    )
    path: Mapped[str] = mapped_column(Text)  # display form, escaped where undecodable
    path_raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # exact bytes when not UTF-8
    name: Mapped[str] = mapped_column(Text)
    meta_addr: Mapped[int | None] = mapped_column(BigInteger)
    meta_seq: Mapped[int | None]
    stream: Mapped[str | None] = mapped_column(Text)  # NTFS named data stream
    entry_type: Mapped[str] = mapped_column(String(8))  # r, d, l, v, ...
    size: Mapped[int | None] = mapped_column(BigInteger)
    allocated: Mapped[bool] = mapped_column(Boolean)
    orphan: Mapped[bool] = mapped_column(Boolean, default=False)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    atime_ns: Mapped[int | None] = mapped_column(BigInteger)
    ctime_ns: Mapped[int | None] = mapped_column(BigInteger)
    crtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    mode: Mapped[int | None]
    uid: Mapped[int | None] = mapped_column(BigInteger)
    gid: Mapped[int | None] = mapped_column(BigInteger)
    md5: Mapped[md5_hex | None]
    sha256: Mapped[sha256_hex | None]
    # lookups go through these (see forensics.database.hashkey), then compare the digest
    md5_key: Mapped[int | None] = mapped_column(BigInteger, default=_key_of("md5"))
    sha256_key: Mapped[int | None] = mapped_column(BigInteger, default=_key_of("sha256"))
    mime_type: Mapped[str | None] = mapped_column(String(127))
    mime_description: Mapped[str | None] = mapped_column(Text)
    extension_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    known: Mapped[bool] = mapped_column(Boolean, default=False)
    notable: Mapped[bool] = mapped_column(Boolean, default=False)
    hash_set_id: Mapped[int | None] = mapped_column(ForeignKey("hash_set.id"))
    error: Mapped[str | None] = mapped_column(Text)


class HashSet(Base):
    """A known-file hash set (NSRL RDSv3 opened in place, or an imported list)."""

    __tablename__ = "hash_set"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[intpk]
    name: Mapped[short_text]
    version: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[HashSetKind]
    format: Mapped[str] = mapped_column(String(32))  # nsrl-rdsv3, hashdeep, md5sum, sha256sum, csv
    source_path: Mapped[str | None] = mapped_column(Text)
    source_sha256: Mapped[sha256_hex | None]
    index_path: Mapped[str | None] = mapped_column(Text)
    algorithms: Mapped[list[str]] = mapped_column(default=list)
    entry_count: Mapped[int] = mapped_column(BigInteger, default=0)
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[utc_time] = mapped_column(default=utcnow)


class SigningKey(Base):
    """A person's Ed25519 signing key; the private half stays passphrase-encrypted."""

    __tablename__ = "signing_key"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="ed25519")
    public_key: Mapped[str] = mapped_column(String(128))  # hex of the raw public key
    fingerprint: Mapped[sha256_hex] = mapped_column(unique=True)
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)  # PKCS#8 PEM, encrypted
    created_at: Mapped[utc_time] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()


class CustodyEvent(Base):
    """One entry of an exhibit's custody chain. Append-only: never updated or deleted.

    ``canonical`` holds the exact canonical JSON that was hashed and signed; the
    other columns are a queryable copy of the same facts.
    """

    __tablename__ = "custody_event"
    __table_args__ = (
        UniqueConstraint("exhibit_id", "sequence"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibit.id"), index=True)
    sequence: Mapped[int]
    action: Mapped[CustodyAction]
    occurred_at: Mapped[utc_time]
    occurred_tz: Mapped[zone_name]
    recorded_at: Mapped[utc_time] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    purpose: Mapped[str | None] = mapped_column(Text)
    location_from: Mapped[str | None] = mapped_column(Text)
    location_to: Mapped[str | None] = mapped_column(Text)
    storage_ref: Mapped[str | None] = mapped_column(Text)
    seal_number: Mapped[str | None] = mapped_column(String(64))
    seal_intact: Mapped[bool | None]
    new_seal_number: Mapped[str | None] = mapped_column(String(64))
    hash_algorithm: Mapped[str | None] = mapped_column(String(16))
    hash_value: Mapped[str | None] = mapped_column(String(128))
    hash_match: Mapped[bool | None]
    remarks: Mapped[str | None] = mapped_column(Text)
    corrects_event_id: Mapped[int | None] = mapped_column(ForeignKey("custody_event.id"))
    exception_flag: Mapped[bool] = mapped_column(default=False)
    exception_justification: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[str]] = mapped_column(default=list)  # SHA-256 of attachments
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    canonical: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[sha256_hex]
    entry_hash: Mapped[sha256_hex] = mapped_column(unique=True)
    key_fingerprint: Mapped[sha256_hex | None]
    signature: Mapped[str | None] = mapped_column(String(128))  # hex Ed25519 signature


class MlaRequest(Base):
    """The request data of an MLA submission (edited as YAML/JSON)."""

    __tablename__ = "mla_request"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    profile: Mapped[str] = mapped_column(String(32))
    reference: Mapped[short_text | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[utc_time] = mapped_column(default=utcnow, onupdate=utcnow)


class Bundle(Base):
    """A generated evidence bundle and the hashes that identify it."""

    __tablename__ = "bundle"
    __table_args__ = (UniqueConstraint("bundle_id", "version"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("mla_request.id"))
    bundle_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    profile: Mapped[str] = mapped_column(String(32))
    status: Mapped[BundleStatus]
    generated_at: Mapped[utc_time]
    out_path: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[sha256_hex]
    pdf_sha256: Mapped[sha256_hex]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class AuditEntry(Base):
    """Who did what, when, from which workstation (every write through Sealbag)."""

    __tablename__ = "audit_entry"

    id: Mapped[bigpk]
    at: Mapped[utc_time] = mapped_column(default=utcnow, index=True)
    os_user: Mapped[str | None] = mapped_column(String(64))
    workstation: Mapped[short_text | None]
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(128))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


__all__ = [
    "Acquisition",
    "Attachment",
    "AuditEntry",
    "Base",
    "BigIntId",
    "Bundle",
    "Case",
    "CatalogRun",
    "CustodyEvent",
    "Exhibit",
    "FileEntry",
    "FileSystem",
    "HashSet",
    "MlaRequest",
    "Offence",
    "Person",
    "SigningKey",
    "StoredFile",
    "Volume",
    "exhibit_photo",
]
