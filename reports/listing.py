"""S15 file-listing annex, streamed: rows are spooled to disk once and drawn page by page.

The annex never becomes one giant table: :class:`ListingAnnex` splits itself into one
:class:`ListingPage` per page, reading only the rows that fit from the spool file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus.flowables import Flowable

from forensics.progress import NEVER_CANCELLED, CancelToken
from reports.escaping import visible_text
from reports.fonts import MONO
from reports.model import FileRow

FONT_SIZE = 6.5
LEADING = 8.2
ROW_GAP = 2.5

# spool path -> {(offset, number, width, height, at top): (next offset, next number, height)}
_SPLIT_CACHE: dict[str, dict[tuple, tuple[int, int, float]]] = {}


def forget_layout(spools: Iterable[ListingSpool]) -> None:
    """Drop the cached page splits of these spools (call when the build is done)."""
    for spool in spools:
        _SPLIT_CACHE.pop(str(spool.path), None)


@dataclass(frozen=True)
class ListingSpool:
    """Rows of one exhibit spooled as JSON lines (one row per line, newlines escaped)."""

    exhibit_id: str
    path: Path
    rows: int


def spool_rows(rows: Iterable[FileRow], folder: Path) -> dict[str, ListingSpool]:
    """Write each exhibit's rows to ``folder/<n>.jsonl``; returns one spool per exhibit."""
    handles: dict[str, tuple[Path, object, list[int]]] = {}
    try:
        for row in rows:
            entry = handles.get(row.exhibit_id)
            if entry is None:
                path = folder / f"listing-{len(handles):04d}.jsonl"
                entry = (path, open(path, "w", encoding="utf-8"), [0])  # noqa: SIM115
                handles[row.exhibit_id] = entry
            entry[1].write(  # type: ignore[attr-defined]
                json.dumps(
                    [
                        row.path,
                        row.size,
                        row.modified,
                        row.accessed,
                        row.changed,
                        row.created,
                        row.sha256,
                    ],
                    ensure_ascii=True,
                )
                + "\n"
            )
            entry[2][0] += 1
    finally:
        for _, handle, _ in handles.values():
            handle.close()  # type: ignore[attr-defined]
    return {key: ListingSpool(key, path, count[0]) for key, (path, _, count) in handles.items()}


def _wrap(text: str, width_chars: int) -> list[str]:
    lines: list[str] = []
    for part in text.split("\n"):
        while len(part) > width_chars:
            lines.append(part[:width_chars])
            part = part[width_chars:]
        lines.append(part)
    return lines


class ListingPage(Flowable):
    """One page worth of listing rows, drawn straight on the canvas."""

    def __init__(self, lines: list[tuple[str, bool]], height: float, draw_rows: bool) -> None:
        super().__init__()
        self.lines = lines
        self.height = height
        self.draw_rows = draw_rows

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.height

    def draw(self) -> None:
        if not self.draw_rows:
            return
        canvas = self.canv
        y = self.height - FONT_SIZE
        for text, first_of_row in self.lines:
            if first_of_row is None:  # gap between rows
                y -= ROW_GAP
                continue
            canvas.setFont(MONO, FONT_SIZE)
            canvas.drawString(0, y, text)
            y -= LEADING


class ListingAnnex(Flowable):
    """The rest of one exhibit's listing from ``offset``; splits itself page by page.

    Args:
        spool: the spooled rows.
        render_time: converts an ISO time to the profile's display form.
        draw_rows: False in the layout pass (page count only), True in the final pass.
    """

    def __init__(
        self,
        spool: ListingSpool,
        render_time: Callable[[str], str],
        draw_rows: bool,
        offset: int = 0,
        number: int = 0,
        cancel: CancelToken = NEVER_CANCELLED,
    ) -> None:
        super().__init__()
        self.cancel = cancel
        self.spool = spool
        self.render_time = render_time
        self.draw_rows = draw_rows
        self.offset = offset
        self.number = number

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        # Always claim more than the page so the frame asks us to split.
        return available_width, available_height + 1

    def _row_lines(self, record: list, number: int, width_chars: int) -> list[tuple[str, bool]]:
        path, size, modified, accessed, changed, created, sha256 = record
        head = f"{number:>7} "
        lines = [
            (text, i == 0)
            for i, text in enumerate(
                _wrap(head + visible_text(path, keep_newlines=False), width_chars)
            )
        ]
        hash_text = (
            f"SHA-256 {visible_text(sha256, keep_newlines=False)}"
            if sha256
            else "SHA-256 [not computed]"
        )
        lines += [
            (text, False)
            for text in _wrap(f"        {int(size):,} bytes  {hash_text}", width_chars)
        ]
        times = "  ".join(
            f"{label} {self.render_time(visible_text(value)) or '-'}"
            for label, value in (("M", modified), ("A", accessed), ("C", changed), ("B", created))
        )
        lines += [(text, False) for text in _wrap(f"        {times}", width_chars)]
        return lines

    def _continue(self, page: ListingPage, offset: int, number: int) -> list[Flowable]:
        if offset == -1:
            return [page]
        rest = ListingAnnex(
            self.spool, self.render_time, self.draw_rows, offset, number, self.cancel
        )
        return [page, rest]

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        self.cancel.raise_if_cancelled()
        char_width = stringWidth("0", MONO, FONT_SIZE)
        width_chars = max(20, int(available_width / char_width))
        frame = getattr(self, "_frame", None)
        at_top = frame is None or getattr(frame, "_atTop", True)
        key = (self.offset, self.number, width_chars, round(available_height, 3), at_top)
        cache = _SPLIT_CACHE.setdefault(str(self.spool.path), {})
        if not self.draw_rows and key in cache:
            # Later layout passes: same rows, same space, same result; skip the formatting.
            next_offset, next_number, used = cache[key]
            if used == 0:
                return []
            return self._continue(ListingPage([], used, False), next_offset, next_number)
        lines: list[tuple[str, bool | None]] = []
        used = 0.0
        with open(self.spool.path, "rb") as handle:
            handle.seek(self.offset)
            offset = self.offset
            number = self.number
            while True:
                raw = handle.readline()
                if not raw:
                    offset = -1
                    break
                row = self._row_lines(json.loads(raw), number + 1, width_chars)
                height = len(row) * LEADING + ROW_GAP
                if used + height > available_height - 1 and lines:
                    break
                number += 1
                if used + height > available_height - 1:
                    if not at_top:
                        break  # try again at the top of the next page
                    # a single row taller than a whole page: print what fits
                    row = row[: max(1, int((available_height - 1 - ROW_GAP) / LEADING))]
                    height = len(row) * LEADING + ROW_GAP
                lines.extend(row)
                lines.append(("", None))
                used += height
                offset = handle.tell()
        cache[key] = (offset, number, used if lines else 0)
        if not lines:
            return []
        return self._continue(ListingPage(lines, used, self.draw_rows), offset, number)  # type: ignore[arg-type]

    def draw(self) -> None:  # pragma: no cover - always split before drawing
        raise RuntimeError("ListingAnnex must be split before drawing")
