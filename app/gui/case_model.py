"""Qt table models over frozen case and exhibit views."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from forensics.casework.views import CaseView, ExhibitView
from forensics.textsafe import escape_for_display

Index = QModelIndex | QPersistentModelIndex


class RowTableModel(QAbstractTableModel):
    """A read-only table of rows; ``columns`` maps headings to row accessors."""

    columns: tuple[tuple[str, Any], ...] = ()

    def __init__(self, rows: list[Any] | None = None) -> None:
        super().__init__()
        self._rows = list(rows or [])

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        value = self.columns[index.column()][1](self._rows[index.row()])
        return "" if value is None else escape_for_display(str(value))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None


class CaseTableModel(RowTableModel):
    columns = (
        ("Reference", lambda c: c.reference),
        ("Title", lambda c: c.title),
        ("Stage", lambda c: c.stage),
        ("Exhibits", lambda c: c.exhibit_count),
    )

    def case_at(self, row: int) -> CaseView:
        return self.row_at(row)


class ExhibitTableModel(RowTableModel):
    columns = (
        ("Exhibit", lambda e: e.exhibit_id),
        ("Type", lambda e: e.type),
        ("Description", lambda e: e.description),
        ("Make / model", lambda e: " ".join(x for x in (e.make, e.model) if x)),
        ("Serial", lambda e: e.serial_number),
        ("Seals", lambda e: ", ".join(e.seal_numbers)),
    )

    def exhibit_at(self, row: int) -> ExhibitView:
        return self.row_at(row)
