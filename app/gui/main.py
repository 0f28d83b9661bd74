"""``sealbag-gui``: the desktop application."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sealbag-gui", description="Sealbag desktop application")
    parser.add_argument(
        "--db", help="database URL or SQLite file (default: $SEALBAG_DB or per-user)"
    )
    parser.add_argument(
        "--demo-if-empty",
        action="store_true",
        help="create the demonstration case when the database has no case yet",
    )
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window, then quit")
    parser.add_argument(
        "--quit-after", type=float, default=None, help="quit after this many seconds (tests)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the desktop application."""
    args = parse_args(sys.argv[1:] if argv is None else argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.gui.main_window import MainWindow
    from forensics.database import open_database
    from forensics.demo import ensure_demo_case
    from forensics.errors import ForensicsError
    from forensics.store import EvidenceStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Sealbag")
    app.setOrganizationName("Sealbag")
    try:
        db = open_database(args.db)
        # the demo case only ever goes into a local SQLite file, never a lab's server
        if args.demo_if_empty and db.dialect == "sqlite":
            ensure_demo_case(db, EvidenceStore())
    except ForensicsError as exc:
        QMessageBox.critical(None, "Sealbag", str(exc))
        print(f"sealbag-gui: error: {exc}", file=sys.stderr)
        return 1
    window = MainWindow(db)
    window.show()
    if args.screenshot is not None:

        def shoot() -> None:
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(args.screenshot), "PNG")
            app.quit()

        QTimer.singleShot(int((args.quit_after or 1.5) * 1000), shoot)
    elif args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    code = app.exec()
    db.close()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
