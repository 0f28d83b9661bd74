"""The one thin Qt job runner: core functions run on a worker thread.

A job is any callable from ``forensics``/``reports`` taking ``progress`` and
``cancel`` keyword arguments. Progress arrives on the GUI thread as queued,
throttled signals; the result or the error arrives through ``finished`` or
``failed``. Widgets are never touched from the worker.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from forensics.progress import CancelToken, ProgressUpdate

_MIN_INTERVAL = 0.1  # seconds between progress signals


class JobSignals(QObject):
    progress = Signal(object)  # ProgressUpdate
    finished = Signal(object)  # the job's return value
    failed = Signal(object, str)  # exception, formatted traceback


class Job(QRunnable):
    """Runs ``func(*args, progress=..., cancel=..., **kwargs)`` on the thread pool."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.func, self.args, self.kwargs = func, args, kwargs
        self.cancel_token = CancelToken()
        self.signals = JobSignals()
        self._last = 0.0

    def _progress(self, update: ProgressUpdate) -> None:
        now = time.monotonic()
        done = update.total is not None and update.done >= update.total
        if done or now - self._last >= _MIN_INTERVAL:
            self._last = now
            self.signals.progress.emit(update)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def run(self) -> None:
        try:
            result = self.func(
                *self.args, progress=self._progress, cancel=self.cancel_token, **self.kwargs
            )
        except BaseException as exc:  # every failure goes to one reporting path
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.finished.emit(result)


class JobRunner(QObject):
    """Starts jobs on a pool and keeps them alive until they finish."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._jobs: set[Job] = set()

    def start(self, job: Job) -> Job:
        self._jobs.add(job)
        job.signals.finished.connect(lambda _result, j=job: self._jobs.discard(j))
        job.signals.failed.connect(lambda _exc, _tb, j=job: self._jobs.discard(j))
        self.pool.start(job)
        return job

    def active(self) -> int:
        return len(self._jobs)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        for job in list(self._jobs):
            job.cancel()
        return self.pool.waitForDone(timeout_ms)
