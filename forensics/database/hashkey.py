"""Integer keys for looking entries up by MD5 or SHA-256.

A catalog indexes the hashes of millions of files. Indexing the 32- and
64-character hex text costs about 75 bytes per entry and index, and every insert
lands on a random page of a large B-tree. The first 64 bits of a digest, as a
signed BIGINT, are as selective for lookups (a chance collision among ten
million entries is about one in 10^12, and every lookup also compares the whole
digest), a quarter of the size, and much cheaper to keep up while a catalog is
being stored.
"""

from __future__ import annotations

import re

KEY_OFFSET = 1 << 63
_HEX16 = re.compile("[0-9a-fA-F]{16}")
_DIGEST = re.compile("[0-9a-f]{32}|[0-9a-f]{64}")


def parse_digest(text: str) -> str:
    """An MD5 or SHA-256 typed by a person, as lower-case hex (spaces around it dropped).

    Raises:
        ValueError: it is not 32 or 64 hex digits.
    """
    digest = text.strip().lower()
    if not _DIGEST.fullmatch(digest):
        raise ValueError("give an MD5 (32 hex digits) or SHA-256 (64 hex digits)")
    return digest


def hash_key(digest_hex: str | None) -> int | None:
    """The lookup key of a hex digest (its first 16 hex digits as a signed 64-bit integer).

    Raises:
        ValueError: the text does not start with 16 hex digits.
    """
    if digest_hex is None:
        return None
    head = digest_hex[:16]
    if not _HEX16.fullmatch(head):  # int() alone would take "0x", "_", signs and spaces
        raise ValueError("a digest starts with 16 hex digits")
    return int(head, 16) - KEY_OFFSET
