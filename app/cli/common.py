"""Shared command-line plumbing: error reporting, JSON output, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from forensics.errors import ForensicsError, OperationCancelled
from forensics.progress import CancelToken, ProgressUpdate, RateMeter

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


def run_cli(group: click.Group, argv: list[str]) -> int:
    """Run the click group, turning expected failures into one-line errors."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            click.echo(
                f"sealbag: error: the argument {shown!r} is not valid UTF-8 text; "
                "retype it (Sealbag stores every text as UTF-8)",
                err=True,
            )
            return EXIT_USAGE
    try:
        result = group.main(args=argv, prog_name="sealbag", standalone_mode=False)
        # with standalone_mode=False, click returns ctx.exit(n)'s code instead of exiting
        if isinstance(result, int) and not isinstance(result, bool):
            return result
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("sealbag: aborted", err=True)
        return EXIT_CANCELLED
    except OperationCancelled as exc:
        click.echo(f"sealbag: cancelled: {exc.reason}", err=True)
        return EXIT_CANCELLED
    except ForensicsError as exc:
        click.echo(f"sealbag: error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("sealbag: interrupted", err=True)
        return EXIT_CANCELLED
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(exc).__name__
        click.echo(
            f"sealbag: error: the database refused the change ({reason}); nothing was written",
            err=True,
        )
        return EXIT_ERROR
    except Exception as exc:  # a bug: keep the traceback, show one line
        try:
            log: Path | str = _write_crash_log()
        except OSError:
            log = "no log: the data folder is not writable"
        click.echo(
            f"sealbag: internal error: {type(exc).__name__}: {exc} "
            f"(details in {log}); please report it",
            err=True,
        )
        return EXIT_ERROR
    return EXIT_OK


def _write_crash_log() -> Path:
    import traceback

    from forensics.database.session import data_dir

    folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "sealbag-cli-errors.log"
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now().astimezone().isoformat()} argv={sys.argv!r}\n")
        fh.write(traceback.format_exc())
    return log


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    """JSON text for ``--json`` output (stable key order, ISO 8601 times)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, indent=2, sort_keys=True)


def echo_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout."""
    click.echo(dumps(value))


@contextmanager
def progress_bar(
    description: str, *, enabled: bool = True
) -> Iterator[tuple[Callable[[ProgressUpdate], None], CancelToken]]:
    """A rich progress bar on stderr (bytes, MB/s, ETA) plus a cancel token.

    Ctrl-C sets the token so the job stops cleanly at its next check.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    token = CancelToken()
    console = Console(stderr=True)
    show = enabled and console.is_terminal
    columns_bytes = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    columns_items = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    tasks: dict[str, int] = {}
    meter = RateMeter()
    with Progress(*columns_bytes, console=console, disable=not show, transient=False) as bar:
        items_bar: Progress | None = None

        def report(update: ProgressUpdate) -> None:
            meter.update(update.done)
            if not show:
                return
            key = update.stage
            target = bar if update.unit == "bytes" else None
            nonlocal items_bar
            if target is None:
                if items_bar is None:
                    items_bar = Progress(*columns_items, console=console)
                    items_bar.start()
                target = items_bar
            if key not in tasks:
                tasks[key] = target.add_task(f"{description}: {key}", total=update.total)
            target.update(tasks[key], completed=update.done, total=update.total)

        try:
            yield report, token
        except KeyboardInterrupt:
            token.cancel("interrupted from the keyboard")
            raise
        finally:
            if items_bar is not None:
                items_bar.stop()
    if sys.stderr.isatty() and enabled and not show:
        click.echo("", err=True)


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--db URL`` (default ``$SEALBAG_DB``, else the per-user SQLite file)."""
    return click.option(
        "--db",
        "db_url",
        envvar="SEALBAG_DB",
        metavar="URL",
        help="Database URL or SQLite file (default: $SEALBAG_DB, else the per-user database).",
    )(func)


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--store DIR`` (default ``$SEALBAG_STORE``, else the per-user evidence folder)."""
    return click.option(
        "--store",
        "store_root",
        envvar="SEALBAG_STORE",
        metavar="DIR",
        type=click.Path(file_okay=False, path_type=Path),
        help="Evidence store folder for new cases (default: $SEALBAG_STORE or per-user).",
    )(func)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--json`` (machine-readable output on stdout)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")(func)


@contextmanager
def database(db_url: str | None, *, create: bool = True) -> Iterator[Any]:
    """Open the case database for one command and close it afterwards.

    ``create=False`` is for commands that only read: a mistyped path then gives
    an error instead of a new, empty database.
    """
    from forensics.database import open_database
    from forensics.errors import UserInputError

    if db_url and db_url.strip().lower() in ("sqlite://", "sqlite:///:memory:", ":memory:"):
        raise UserInputError("an in-memory database keeps nothing; give a file or server URL")
    db = open_database(db_url, create=create)
    try:
        if db.backup_path is not None:
            click.echo(
                f"sealbag: schema upgraded; previous copy kept at {db.backup_path}", err=True
            )
        yield db
    finally:
        db.close()


def print_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    """A plain text table on stdout (``columns`` = (key, heading))."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for _, heading in columns:
        table.add_column(heading, overflow="fold")
    for row in rows:
        # Text(), not str: "[...]" in evidence names or remarks is data, not rich markup.
        table.add_row(*[Text(safe_text(row.get(key))) for key, _ in columns])
    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console = Console(soft_wrap=True, width=200)
    console.print(table)


def safe_text(value: Any) -> str:
    """Text for a terminal: control and bidi characters shown as visible escapes."""
    from forensics.textsafe import escape_for_display

    if value is None:
        return ""
    return escape_for_display(str(value))
