"""The desktop app: pytest-qt on the offscreen platform, and the real app under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

from app.gui.jobs import Job, JobRunner  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from forensics.database import open_database  # noqa: E402
from forensics.demo import DEMO_REFERENCE, ensure_demo_case  # noqa: E402
from forensics.errors import UserInputError  # noqa: E402
from forensics.store import EvidenceStore  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_db(tmp_path):
    db = open_database(str(tmp_path / "gui.db"))
    assert ensure_demo_case(db, EvidenceStore(tmp_path / "store"))
    assert not ensure_demo_case(db, EvidenceStore(tmp_path / "store"))  # only once
    yield db
    db.close()


def test_window_lists_cases_and_exhibits(qtbot, demo_db):
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.case_model.rowCount() == 1, timeout=5000)
    assert window.case_model.case_at(0).reference == DEMO_REFERENCE
    qtbot.waitUntil(lambda: window.exhibit_model.rowCount() == 2, timeout=5000)
    ids = [window.exhibit_model.exhibit_at(r).exhibit_id for r in range(2)]
    assert ids == ["EX-001", "EX-002"]
    assert DEMO_REFERENCE in window.case_title.text()
    window.close()
    qtbot.waitUntil(lambda: window.jobs.active() == 0, timeout=5000)


def test_job_runner_reports_result_progress_and_failure(qtbot):
    from forensics.progress import ProgressUpdate

    runner = JobRunner()

    def work(n, *, progress, cancel):
        for i in range(n):
            cancel.raise_if_cancelled()
            progress(ProgressUpdate("count", i + 1, n, "items"))
        return n * 2

    job = Job(work, 5)
    seen: list[ProgressUpdate] = []
    job.signals.progress.connect(seen.append)
    with qtbot.waitSignal(job.signals.finished, timeout=5000) as blocker:
        runner.start(job)
    assert blocker.args == [10]
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].done == 5, timeout=5000)

    def broken(*, progress, cancel):
        raise UserInputError("bad input")

    bad = Job(broken)
    with qtbot.waitSignal(bad.signals.failed, timeout=5000) as blocker:
        runner.start(bad)
    assert isinstance(blocker.args[0], UserInputError)
    assert runner.shutdown(5000)


def test_real_app_under_xvfb_saves_a_screenshot(tmp_path):
    """Start the installed entry point on a virtual X screen and keep the screenshot."""
    if not shutil.which("xvfb-run"):
        pytest.skip("xvfb-run not installed (apt-get install xvfb)")
    artifacts = Path(os.environ.get("SEALBAG_ARTIFACTS", REPO / "artifacts"))
    shot = artifacts / "screenshots" / "main-window.png"
    shot.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(SEALBAG_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            sys.executable,
            "-m",
            "app.gui.main",
            "--demo-if-empty",
            "--screenshot",
            str(shot),
            "--quit-after",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 5000
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
