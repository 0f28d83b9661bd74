"""Known-file hash sets: NSRL RDSv3 opened in place, imported lists in their own index."""

from forensics.hashsets.index import HashIndex, HashSetInfo, import_hash_list
from forensics.hashsets.matcher import HashMatch, HashMatcher, MatchingSink
from forensics.hashsets.nsrl import NsrlRds

__all__ = [
    "HashIndex", "HashMatch", "HashMatcher", "HashSetInfo", "MatchingSink", "NsrlRds",
    "import_hash_list",
]
