"""The evidence store: one folder per case for images, exports, logs and bundles.

Files are recorded in the database (:class:`~forensics.database.models.StoredFile`,
:class:`~forensics.database.models.Attachment`) with their SHA-256, so anything
in the folder can be checked against what Sealbag says it put there.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from forensics.database.session import data_dir
from forensics.errors import NotFoundError, UserInputError

ENV_STORE = "SEALBAG_STORE"
CASE_SUBFOLDERS = ("images", "exports", "logs", "bundles", "records", "attachments")
_CHUNK = 1 << 20


def default_store_root() -> Path:
    """``$SEALBAG_STORE`` if set, else ``evidence/`` in the user data folder."""
    env = os.environ.get(ENV_STORE)
    return Path(env) if env else data_dir() / "evidence"


def safe_folder_name(text: str, limit: int = 60) -> str:
    """A file-system-safe, readable folder name for a case reference."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    norm = re.sub(r"[^A-Za-z0-9._-]+", "-", norm).strip("-._")
    return (norm or "case")[:limit]


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 hex and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class StoredAttachment:
    """A file copied into a case's attachment folder under its SHA-256."""

    sha256: str
    size: int
    relative_path: str
    original_name: str
    created: bool = False


class EvidenceStore:
    """Folders under one root; each case gets ``<root>/<reference>-<id>/``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_store_root()).absolute()

    def create_case_folder(self, reference: str, case_id: int) -> Path:
        """Create a new, empty folder tree for a case and return it."""
        base = f"{safe_folder_name(reference)}-{case_id}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            # never share a folder with a case of another database: take a fresh name
            for attempt in range(1, 1000):
                folder = self.root / (base if attempt == 1 else f"{base}-{attempt}")
                try:
                    folder.mkdir()
                    break
                except FileExistsError:
                    continue
            else:
                raise UserInputError(f"too many folders named {base}* in {self.root}")
            for sub in CASE_SUBFOLDERS:
                (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserInputError(
                f"cannot create the evidence folder {folder}: {exc.strerror}; "
                f"choose another store with --store or ${ENV_STORE}"
            ) from exc
        return folder

    @staticmethod
    def add_attachment(case_folder: Path, source: Path) -> StoredAttachment:
        """Copy ``source`` into ``attachments/`` named by its SHA-256 (idempotent).

        Raises:
            NotFoundError: ``source`` is not a readable file.
        """
        if not source.is_file():
            raise NotFoundError(f"attachment not found: {source}")
        digest, size = sha256_file(source)
        suffix = "".join(source.suffixes[-1:]).lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
            suffix = ""
        rel = Path("attachments") / digest[:2] / f"{digest}{suffix}"
        target = case_folder / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            shutil.copyfile(source, tmp)
            copied, _ = sha256_file(tmp)
            if copied != digest:
                tmp.unlink(missing_ok=True)
                raise UserInputError(f"{source} changed while it was being copied; try again")
            tmp.chmod(0o444)
            os.replace(tmp, target)
            return StoredAttachment(digest, size, rel.as_posix(), source.name, created=True)
        return StoredAttachment(digest, size, rel.as_posix(), source.name)
