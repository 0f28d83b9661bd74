"""Embedded fonts from the Debian font packages (never downloaded at run time)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from forensics.errors import UserInputError

SANS = "SealbagSans"
SANS_BOLD = "SealbagSans-Bold"
MONO = "SealbagMono"
DEVANAGARI = "SealbagDevanagari"

# name -> (absolute path, Debian package that ships it)
FONT_FILES = {
    SANS: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core"),
    SANS_BOLD: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    MONO: ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "fonts-dejavu-core"),
    DEVANAGARI: (
        "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
        "fonts-noto-core",
    ),
}

_registered = False


def register_fonts() -> None:
    """Register the bundle fonts with reportlab once.

    Raises:
        UserInputError: a font file is missing; the message names the package to install.
    """
    global _registered
    if _registered:
        return
    for name, (path, package) in FONT_FILES.items():
        if not Path(path).is_file():
            raise UserInputError(
                f"font file {path} is missing: install the Debian package {package}"
            )
        pdfmetrics.registerFont(TTFont(name, path))
    addMapping(SANS, 0, 0, SANS)
    addMapping(SANS, 1, 0, SANS_BOLD)
    addMapping(SANS, 0, 1, SANS)
    addMapping(SANS, 1, 1, SANS_BOLD)
    _registered = True


def shaping_available() -> bool:
    """True when reportlab can shape complex scripts (it needs uharfbuzz)."""
    from reportlab.pdfbase import ttfonts

    return getattr(ttfonts, "uharfbuzz", None) is not None
