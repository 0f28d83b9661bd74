"""Progress reporting and cancellation for long jobs.

Every long job in ``forensics`` and ``reports`` is a plain function that takes
``progress: ProgressFn`` and ``cancel: CancelToken`` keyword arguments. The CLI
renders updates with a progress bar, the GUI turns them into queued Qt
signals, tests collect them in a list.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from forensics.errors import OperationCancelled


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """One progress report.

    Attributes:
        stage: short machine-friendly name of the current step ("read", "verify").
        done: units completed so far in this stage.
        total: units expected in this stage, or None when unknown.
        unit: what is counted ("bytes", "files", "events").
        message: optional human-readable detail.
    """

    stage: str
    done: int
    total: int | None = None
    unit: str = "bytes"
    message: str = ""

    @property
    def fraction(self) -> float | None:
        """Completed fraction in [0, 1], or None when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


ProgressFn = Callable[[ProgressUpdate], None]


def no_progress(update: ProgressUpdate) -> None:
    """Progress callback that ignores every update."""


class CancelToken:
    """Thread-safe cancellation flag checked by long jobs between chunks."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason = "cancelled by user"

    def cancel(self, reason: str = "cancelled by user") -> None:
        """Ask the job to stop at its next check."""
        self._reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    @property
    def reason(self) -> str:
        """Why the job was cancelled."""
        return self._reason

    def raise_if_cancelled(self) -> None:
        """Raise :class:`OperationCancelled` when cancellation was requested."""
        if self._event.is_set():
            raise OperationCancelled(self._reason)


class _NeverCancelled(CancelToken):
    def cancel(self, reason: str = "cancelled by user") -> None:  # pragma: no cover
        raise RuntimeError("NEVER_CANCELLED cannot be cancelled; pass a CancelToken()")


NEVER_CANCELLED: CancelToken = _NeverCancelled()
"""Default token for callers that never cancel."""


class RateMeter:
    """Speed and ETA over a sliding window, for progress displays.

    Args:
        window: seconds of history used for the speed estimate.
        clock: monotonic clock (injectable for tests).
    """

    def __init__(self, window: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._start = clock()

    def update(self, done: int) -> None:
        """Record that ``done`` units are complete now."""
        now = self._clock()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()

    @property
    def rate(self) -> float:
        """Units per second over the window (0.0 until two samples exist)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0

    def eta(self, total: int | None) -> float | None:
        """Seconds left to reach ``total``, or None when it cannot be estimated."""
        if not total or not self._samples or self.rate <= 0:
            return None
        return max(0.0, (total - self._samples[-1][1]) / self.rate)

    @property
    def elapsed(self) -> float:
        """Seconds since the meter was created."""
        return self._clock() - self._start


def scaled(progress: ProgressFn, stage: str) -> ProgressFn:
    """Return a callback that relabels every update with ``stage``."""

    def forward(update: ProgressUpdate) -> None:
        progress(ProgressUpdate(stage, update.done, update.total, update.unit, update.message))

    return forward
