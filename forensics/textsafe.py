"""Showing untrusted text to people without letting it mislead them.

Names from seized media may contain control characters or Unicode bidi
overrides (``invoice\\u202efdp.exe`` displays as ``invoiceexe.pdf``). Every
table, terminal line and PDF shows them as visible escapes instead.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def needs_escape(ch: str) -> bool:
    """True for characters that must not reach a display raw."""
    if ch in BIDI_CONTROLS:
        return True
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cs", "Co", "Cn") or (cat == "Cf" and ch not in "\u200d")


def escape_for_display(text: str) -> str:
    """``text`` with control, bidi, surrogate and unassigned characters as ``⟨U+XXXX⟩``.

    Undecodable bytes kept as surrogate escapes (``\\udcXX``) show as ``⟨0xXX⟩``.
    """
    out = []
    for ch in text:
        if not needs_escape(ch):
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"⟨0x{ord(ch) - 0xDC00:02X}⟩")
        else:
            out.append(f"⟨U+{ord(ch):04X}⟩")
    return "".join(out)
