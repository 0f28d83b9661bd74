"""Enumerations stored in the case database (persisted by value)."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class CaseStage(StrEnum):
    """Stage of proceedings (spec S6)."""

    INVESTIGATION = "investigation"
    CHARGE_SHEET = "charge-sheet-filed"
    TRIAL = "trial"
    APPEAL = "appeal"
    CONCLUDED = "concluded"


class PersonRole(StrEnum):
    EXAMINER = "examiner"
    INVESTIGATING_OFFICER = "investigating-officer"
    SUPERVISING_OFFICER = "supervising-officer"
    CUSTODIAN = "custodian"
    CASE_OFFICER = "case-officer"
    WITNESS = "witness"
    SUSPECT = "suspect"
    VICTIM = "victim"
    OWNER = "owner"
    TRANSLATOR = "translator"
    OTHER = "other"


class ExhibitType(StrEnum):
    DEVICE = "device"
    STORAGE_MEDIA = "storage-media"
    MOBILE = "mobile"
    FORENSIC_IMAGE = "forensic-image"
    EXPORTED_RECORD = "exported-record"
    DOCUMENT = "document"
    CLOUD_ACCOUNT = "cloud-account"
    OTHER = "other"


class SourceCategory(StrEnum):
    """Device / record source tick list of the BSA s.63 certificate."""

    COMPUTER_STORAGE = "computer-storage"
    DVR = "dvr"
    MOBILE = "mobile"
    FLASH_DRIVE = "flash-drive"
    CD_DVD = "cd-dvd"
    SERVER = "server"
    CLOUD = "cloud"
    OTHER = "other"


class StoredFileKind(StrEnum):
    IMAGE = "image"
    EXPORT = "export"
    LOG = "log"
    BUNDLE = "bundle"
    RECORD = "record"
    ATTACHMENT = "attachment"


class AcquisitionState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    IMPORTED = "imported"


class VerificationResult(StrEnum):
    NOT_RUN = "not-run"
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_POSSIBLE = "not-possible"


class CatalogStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    CANCELLED = "cancelled"


class HashSetKind(StrEnum):
    KNOWN_GOOD = "known-good"
    KNOWN_BAD = "known-bad"
    KNOWN = "known"


class CustodyAction(StrEnum):
    SEIZED = "seized"
    SEALED = "sealed"
    TRANSFERRED = "transferred"
    CHECKED_OUT = "checked-out"
    CHECKED_IN = "checked-in"
    SEAL_CHECKED = "seal-checked"
    IMAGED = "imaged"
    VERIFIED = "verified"
    CATALOGUED = "catalogued"
    EXAMINED = "examined"
    EXPORTED = "exported"
    REPORTED = "reported"
    RETURNED = "returned"
    DISPOSED = "disposed"
    NOTE = "note"
    CORRECTION = "correction"


class BundleStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"
