from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from app.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def sealbag(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path
) -> Callable[..., Result]:
    """Run the CLI in-process against a fresh database (SQLite and PostgreSQL)."""
    store = tmp_path / "store"

    def run(*args: str) -> Result:
        code = main(
            [*args, "--db", database_url, *(["--store", str(store)] if _takes_store(args) else [])]
        )
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    run.store = store  # type: ignore[attr-defined]
    return run


def _takes_store(args: tuple[str, ...]) -> bool:
    return args[:2] in (("case", "new"), ("exhibit", "add"))
