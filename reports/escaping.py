"""The one escaping route for untrusted text (file names, user fields) on its way into a PDF."""

from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape as _xml_escape

# Bidi embeddings, overrides and isolates, plus invisible marks that can disguise a name.
_VISIBLE_AS_CODEPOINT = frozenset(
    [
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)

# Longest value printed before the rest is elided with a visible marker (a 1 MB name must not
# turn into hundreds of pages; the full value stays in the machine-readable files).
MAX_PRINTED_CHARS = 4000


def _escape_chars(text: str, keep_newlines: bool) -> str:
    out: list[str] = []
    for char in text:
        code = ord(char)
        if (
            code in _VISIBLE_AS_CODEPOINT
            or char == "⟨"  # escaped too, so a name cannot imitate an escape
            or (
                unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn")
                and not (keep_newlines and char == "\n")
            )
        ):
            out.append(f"⟨U+{code:04X}⟩")
        else:
            out.append(char)
    return "".join(out)


def visible_text(
    value: object, *, limit: int = MAX_PRINTED_CHARS, keep_newlines: bool = True
) -> str:
    """Plain text with control, bidi and invisible characters shown as ``⟨U+XXXX⟩``.

    The mapping is one-to-one: a literal ``⟨`` is shown as ``⟨U+27E8⟩``, so no value can
    print like an escaped one.

    Args:
        value: any value; ``None`` becomes ''.
        limit: longest input shown; the middle of longer values is elided with a visible marker.
        keep_newlines: keep line breaks of free-text fields; names (file paths) escape them.

    Returns:
        Text safe to draw literally (no markup escaping).
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        head = _escape_chars(text[: limit // 2], keep_newlines)
        tail = _escape_chars(text[-(limit // 2) :], keep_newlines)
        return f"{head}⟨… {len(text) - limit} characters elided …⟩{tail}"
    return _escape_chars(text, keep_newlines)


def markup(value: object, *, limit: int = MAX_PRINTED_CHARS) -> str:
    """Escape an untrusted value for a reportlab Paragraph: visible escapes, then XML escaping.

    Newlines become ``<br/>`` so multi-line fields keep their shape.
    """
    escaped = _xml_escape(visible_text(value, limit=limit), {'"': "&quot;", "'": "&#39;"})
    return escaped.replace("\n", "<br/>")
