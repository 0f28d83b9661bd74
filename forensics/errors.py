"""Exception hierarchy for the Sealbag core.

Every error the core raises on purpose derives from :class:`ForensicsError`.
Front ends (CLI, GUI) show ``str(error)`` to the user as one line, so messages
must say what went wrong *and* what to do about it. ``ValueError``/``TypeError``
are reserved for programmer mistakes.
"""

from __future__ import annotations


class ForensicsError(Exception):
    """Base class of every expected failure in Sealbag."""


class UserInputError(ForensicsError):
    """The user gave a value that cannot be used (message says what to fix)."""


class NotFoundError(ForensicsError):
    """A case, exhibit, person or file the user named does not exist."""


class ConflictError(ForensicsError):
    """The operation would duplicate or contradict something already recorded."""


class DatabaseError(ForensicsError):
    """The case database cannot be opened, migrated or written."""


class BackEndError(ForensicsError):
    """A parsing back end (pytsk3, libewf, libmagic) failed on the evidence."""


class SourceError(ForensicsError):
    """The evidence source cannot be read, shrank, or vanished."""


class VerificationError(ForensicsError):
    """A recomputed hash or signature does not match the recorded one."""


class IntegrityError(ForensicsError):
    """A tamper-evident record (custody chain, manifest) failed its checks."""


class OperationCancelled(ForensicsError):
    """A long job stopped because its :class:`~forensics.progress.CancelToken` was set."""

    def __init__(self, reason: str = "cancelled by user") -> None:
        super().__init__(reason)
        self.reason = reason
