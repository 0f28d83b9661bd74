"""Match catalog entries against hash sets: known-bad first (notable), then known."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from forensics.cataloging.engine import CatalogSink, ForwardingSink
from forensics.cataloging.records import EntryRecord
from forensics.hashsets.index import HashSetInfo


class HashSource(Protocol):
    info: HashSetInfo

    def lookup(self, md5: str | None, sha256: str | None) -> str | None: ...


@dataclass(frozen=True, slots=True)
class HashMatch:
    """Which set listed a file, and under what name."""

    set_name: str
    set_version: str
    kind: str
    listed_name: str


class HashMatcher:
    """Looks a file's hashes up in every set; known-bad sets are asked first."""

    def __init__(self, sources: list[HashSource]) -> None:
        order = {"known-bad": 0, "known-good": 1, "known": 2}
        self._sources = sorted(sources, key=lambda s: order.get(s.info.kind, 3))

    def match(self, md5: str | None, sha256: str | None) -> HashMatch | None:
        """The first set listing either hash, or None."""
        if not md5 and not sha256:
            return None
        for src in self._sources:
            listed = src.lookup(md5, sha256)
            if listed is not None:
                return HashMatch(src.info.name, src.info.version, src.info.kind, listed)
        return None

    def flag(self, record: EntryRecord) -> EntryRecord:
        """The record with ``notable``/``known`` and ``hash_set`` set from a match."""
        hit = self.match(record.md5, record.sha256)
        if hit is None:
            return record
        return record._replace(notable=hit.kind == "known-bad",
                               known=hit.kind != "known-bad", hash_set=hit.set_name)


class MatchingSink(ForwardingSink):
    """Flags entries from hash sets, then passes everything on to ``inner``."""

    def __init__(self, inner: CatalogSink, matcher: HashMatcher) -> None:
        super().__init__(inner)
        self._matcher = matcher

    def entry(self, record: EntryRecord) -> None:
        super().entry(self._matcher.flag(record))
