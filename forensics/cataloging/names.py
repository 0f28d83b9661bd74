"""Display forms of file names read from evidence.

Names on media are bytes. The catalog keeps those bytes exactly and derives a
display form that is safe to show people: undecodable bytes become ``\\xNN``,
and control and bidirectional-formatting characters (which can disguise an
extension, CVE-2021-42574) become visible ``⟨U+XXXX⟩`` escapes. A backslash in
the name is doubled so the display form can never be mistaken for an escape.
"""

from __future__ import annotations

import unicodedata

_BIDI_AND_INVISIBLE = frozenset(
    [0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def _escape_char(ch: str) -> str:
    cp = ord(ch)
    if ch == "\\":
        return "\\\\"
    if cp < 0x20 or 0x7F <= cp < 0xA0 or cp in _BIDI_AND_INVISIBLE:
        return f"⟨U+{cp:04X}⟩"
    if 0xDC80 <= cp <= 0xDCFF:  # an undecodable byte carried by surrogateescape
        return f"\\x{cp - 0xDC00:02x}"
    if 0xD800 <= cp <= 0xDFFF or (unicodedata.category(ch) == "Cn" and cp > 0xFFFF):
        return f"⟨U+{cp:04X}⟩"
    return ch


def display_name(raw: bytes) -> str:
    """Human-safe text for a name stored on media as (ideally UTF-8) bytes.

    Args:
        raw: the exact name bytes (The Sleuth Kit hands every file system's
            names over as UTF-8; ext and other Unix file systems may hold any bytes).

    Returns:
        The name with undecodable bytes as ``\\xNN`` and control/bidi characters
        as ``⟨U+XXXX⟩``; identical to the decoded name for ordinary names.
    """
    text = raw.decode("utf-8", "surrogateescape")
    if text.isprintable() and "\\" not in text and not _has_special(text):
        return text
    return "".join(_escape_char(ch) for ch in text)


def _has_special(text: str) -> bool:
    return any(ord(ch) in _BIDI_AND_INVISIBLE for ch in text)


def is_lossless(raw: bytes) -> bool:
    """True when ``raw`` is valid UTF-8 and its display form is the decoded text."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return display_name(raw) == text
