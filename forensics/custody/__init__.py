"""Chain of custody: a signed, hash-chained, append-only ledger per exhibit.

Write with :func:`record_event` (people) or :func:`record_system_event`
(engines); verify with :func:`verify_chain` (database) or :func:`verify_export`
(``custody.jsonl``); export with :func:`export_custody`. The format is
documented in ``docs/custody.md``.
"""

from forensics.custody.canonical import ZERO_HASH, canonical_bytes, entry_hash
from forensics.custody.export import ExportContents, ExportResult, export_custody, read_export
from forensics.custody.keys import (
    ENV_PASSPHRASE,
    UnlockedKey,
    active_key,
    generate_key,
    revoke_key,
    unlock,
    unlock_person_key,
)
from forensics.custody.ledger import (
    CustodyStatus,
    chain_events,
    custody_status,
    exhibit_identity,
    person_record,
    record_event,
    record_system_event,
)
from forensics.custody.verify import (
    BrokenEntry,
    VerifyReport,
    compare_with_export,
    verify_chain,
    verify_export,
)
from forensics.custody.workstation import workstation_signer

__all__ = [
    "ENV_PASSPHRASE",
    "ZERO_HASH",
    "BrokenEntry",
    "CustodyStatus",
    "ExportContents",
    "ExportResult",
    "UnlockedKey",
    "VerifyReport",
    "active_key",
    "canonical_bytes",
    "chain_events",
    "compare_with_export",
    "custody_status",
    "entry_hash",
    "exhibit_identity",
    "export_custody",
    "generate_key",
    "person_record",
    "read_export",
    "record_event",
    "record_system_event",
    "revoke_key",
    "unlock",
    "unlock_person_key",
    "verify_chain",
    "verify_export",
    "workstation_signer",
]
