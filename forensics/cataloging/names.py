"""Display forms of file names read from evidence.

Names on media are bytes. The catalog keeps those bytes exactly (``path_raw``)
and derives a display form that is safe to show people, with the project-wide
rules of :mod:`forensics.textsafe`: undecodable bytes become ``⟨0xFF⟩``, control,
bidi and other invisible formatting characters (which can disguise an
extension, CVE-2021-42574) become ``⟨U+202E⟩``.
"""

from __future__ import annotations

import re

from forensics.textsafe import escape_for_display

_PLAIN_ASCII = re.compile(rb"[\x20-\x7e]*")


def display_name(raw: bytes) -> str:
    """Human-safe text for a name stored on media as (ideally UTF-8) bytes.

    Args:
        raw: the exact name bytes (The Sleuth Kit hands every file system's
            names over as UTF-8; ext and other Unix file systems may hold any bytes).

    Returns:
        The decoded name, with anything that is not a plain printable character
        shown as a visible escape.
    """
    if _PLAIN_ASCII.fullmatch(raw):
        return raw.decode("ascii")
    text = raw.decode("utf-8", "surrogateescape")
    if text.isprintable():  # no control, format, surrogate, private or unassigned character
        return text
    return escape_for_display(text)


def is_lossless(raw: bytes) -> bool:
    """True when ``raw`` is valid UTF-8 and its display form is exactly the decoded text."""
    if _PLAIN_ASCII.fullmatch(raw):
        return True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return escape_for_display(text) == text
