"""Parsing and printing of byte sizes."""

from __future__ import annotations

import re

from forensics.errors import UserInputError

_UNITS = {
    "": 1,
    "B": 1,
    "K": 1024,
    "KB": 1000,
    "KIB": 1024,
    "M": 1024**2,
    "MB": 1000**2,
    "MIB": 1024**2,
    "G": 1024**3,
    "GB": 1000**3,
    "GIB": 1024**3,
    "T": 1024**4,
    "TB": 1000**4,
    "TIB": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str) -> int:
    """Bytes for ``"2G"`` (GiB), ``"2GiB"``, ``"2GB"`` (10^9), ``"512"``.

    Single letters are binary (as dd and ewfacquire read them).

    Raises:
        UserInputError: the text is not a size.
    """
    m = _SIZE_RE.match(text)
    unit = m.group(2).upper() if m else None
    if not m or unit not in _UNITS:
        raise UserInputError(f"cannot read the size {text!r}; write e.g. 2G, 650MiB or 4000000000")
    return int(float(m.group(1)) * _UNITS[unit])


def format_size(n: int) -> str:
    """``1.5 GiB`` style text for a byte count."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover
