"""The Sealbag main window: cases on the left, the selected case's exhibits on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.case_model import CaseTableModel, ExhibitTableModel
from app.gui.jobs import Job, JobRunner
from forensics.casework.cases import list_cases
from forensics.casework.exhibits import list_exhibits
from forensics.casework.views import CaseView, ExhibitView
from forensics.database.session import Database
from forensics.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress


def load_cases(
    db: Database, *, progress: ProgressFn = no_progress, cancel: CancelToken = NEVER_CANCELLED
) -> list[CaseView]:
    with db.session() as session:
        return list_cases(session)


def load_exhibits(
    db: Database,
    reference: str,
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> list[ExhibitView]:
    with db.session() as session:
        return list_exhibits(session, reference)


def _table() -> QTableView:
    view = QTableView()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class MainWindow(QMainWindow):
    """Top-level window over one open database."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.jobs = JobRunner(self)
        self.setWindowTitle(f"Sealbag — {db.display_url()}")
        self.resize(1200, 720)

        self.case_model = CaseTableModel()
        self.exhibit_model = ExhibitTableModel()
        self.case_view = _table()
        self.case_view.setModel(self.case_model)
        self.case_view.setObjectName("caseTable")
        self.exhibit_view = _table()
        self.exhibit_view.setModel(self.exhibit_model)
        self.exhibit_view.setObjectName("exhibitTable")
        self.case_title = QLabel("Select a case")
        self.case_title.setObjectName("caseTitle")
        self.case_title.setTextFormat(Qt.TextFormat.PlainText)
        self.case_title.setStyleSheet("font-size: 15px; font-weight: 600; padding: 4px;")

        right = QWidget()
        layout = QVBoxLayout(right)
        layout.addWidget(self.case_title)
        layout.addWidget(self.exhibit_view)
        splitter = QSplitter()
        splitter.addWidget(self.case_view)
        splitter.addWidget(right)
        splitter.setSizes([420, 780])
        self.setCentralWidget(splitter)
        self.case_view.selectionModel().selectionChanged.connect(self._case_selected)

        self._build_menus()
        self.statusBar().showMessage(f"Database: {db.display_url()}")
        QTimer.singleShot(0, self.refresh)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.refresh)
        view_menu.addAction(self.refresh_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Sealbag", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def refresh(self) -> None:
        """Reload the case list from the database (F5)."""
        job = Job(load_cases, self.db)
        job.signals.finished.connect(self._cases_loaded)
        job.signals.failed.connect(self._job_failed)
        self.jobs.start(job)

    def _cases_loaded(self, cases: list[CaseView]) -> None:
        self.case_model.set_rows(cases)
        self.statusBar().showMessage(f"{len(cases)} case(s) — database: {self.db.display_url()}")
        if cases:
            self.case_view.selectRow(0)

    def _case_selected(self) -> None:
        rows = self.case_view.selectionModel().selectedRows()
        if not rows:
            return
        case = self.case_model.case_at(rows[0].row())
        self.case_title.setText(f"{case.reference} — {case.title}")
        job = Job(load_exhibits, self.db, case.reference)
        job.signals.finished.connect(self.exhibit_model.set_rows)
        job.signals.failed.connect(self._job_failed)
        self.jobs.start(job)

    def _job_failed(self, exc: BaseException, _traceback: str) -> None:
        self.statusBar().showMessage(f"Error: {exc}")
        QMessageBox.warning(self, "Sealbag", str(exc))

    def _about(self) -> None:
        from forensics import __version__

        QMessageBox.about(
            self,
            "About Sealbag",
            f"Sealbag {__version__}\nEvidence imaging, cataloguing, chain of custody and "
            "MLA evidence bundles.",
        )

    def closeEvent(self, event) -> None:
        self.jobs.shutdown()
        super().closeEvent(event)
