"""``sealbag catalog`` and ``sealbag export``: list, hash and type every file in an image."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from app.cli.common import (
    EXIT_CANCELLED,
    EXIT_ERROR,
    db_option,
    echo_json,
    progress_bar,
    safe_text,
)
from forensics.cataloging.engine import (
    CatalogOptions,
    CatalogSink,
    ForwardingSink,
    ListSink,
    run_catalog,
)
from forensics.cataloging.records import (
    CatalogSummary,
    EntryRecord,
    RunStatus,
)
from forensics.errors import BackEndError, NotFoundError, UserInputError

EXIT_INCOMPLETE = 3


class _JsonlSink(ForwardingSink):
    """Prints one JSON object per entry as soon as it arrives."""

    def __init__(self, inner: CatalogSink | None, show_known: bool) -> None:
        super().__init__(inner)
        self._show_known = show_known
        self.hidden_known = 0

    def entry(self, record: EntryRecord) -> None:
        super().entry(record)
        if record.known and not self._show_known:
            self.hidden_known += 1
            return
        sys.stdout.write(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")


class _CountSink(ForwardingSink):
    def __init__(self, inner: CatalogSink | None) -> None:
        super().__init__(inner)
        self.notable = 0
        self.mismatch = 0
        self.known = 0
        self.deleted = 0

    def entry(self, record: EntryRecord) -> None:
        self.notable += record.notable
        self.mismatch += record.extension_mismatch
        self.known += record.known
        self.deleted += not record.allocated
        super().entry(record)


def _open_db(db_url: str | None) -> Any:
    from forensics.database import open_database

    db = open_database(db_url)
    if db.backup_path is not None:
        click.echo(f"sealbag: schema upgraded; previous copy kept at {db.backup_path}", err=True)
    return db


def _resolve_exhibit(db: Any, case_ref: str, exhibit_ref: str) -> int:
    from forensics.casework.exhibits import get_exhibit_row

    with db.session() as s:
        return get_exhibit_row(s, case_ref, exhibit_ref).id


def _hash_matching(db: Any | None, use: bool) -> tuple[Any, dict[str, int], list[Any]]:
    if not use or db is None:
        return None, {}, []
    from forensics.hashsets.matcher import HashMatcher
    from forensics.hashsets.registry import open_enabled

    sources, ids = open_enabled(db)
    return (HashMatcher(sources) if sources else None), ids, sources


def _print_summary(summary: CatalogSummary, counts: _CountSink, run_id: int | None) -> None:
    out = click.echo
    out(f"image:        {summary.image_path}")
    out(f"media:        {summary.media_format or '-'}, {summary.media_size} bytes")
    out(f"volumes:      {summary.volume_system or 'none (no partition table)'}")
    for v in summary.volumes:
        out(f"  {v.kind:<12} start {v.start_sector:>12} len {v.length_sectors:>12}  "
            f"{safe_text(v.description)}")
    out("file systems:")
    for f in summary.file_systems:
        what = f.fs_type if f.status == "parsed" else f"{f.status}: {safe_text(f.error)}"
        out(f"  at byte {f.offset_bytes:>12}  {what}")
    out(f"entries:      {summary.entry_count} ({counts.deleted} deleted)")
    out(f"hashed:       {summary.files_hashed} files, {summary.bytes_hashed} bytes")
    out(f"flags:        {counts.notable} notable, {counts.known} known, "
        f"{counts.mismatch} extension mismatch")
    if run_id is not None:
        out(f"stored:       catalog run {run_id}")
    out(f"status:       {summary.status.value.upper()}")
    for g in summary.gaps[:20]:
        out(f"  gap: {safe_text(g.where)}: {safe_text(g.reason)}")
    if len(summary.gaps) > 20:
        out(f"  ... and {len(summary.gaps) - 20} more gaps")


def _finish(summary: CatalogSummary) -> None:
    if summary.status is RunStatus.FAILED:
        raise BackEndError(summary.error or "catalog failed")
    if summary.status is RunStatus.CANCELLED:
        click.echo(f"sealbag: {summary.error or 'cancelled'}; nothing was kept", err=True)
        raise click.exceptions.Exit(EXIT_CANCELLED)
    if summary.status is RunStatus.INCOMPLETE:
        click.echo(f"sealbag: warning: catalog INCOMPLETE: {len(summary.gaps)} part(s) could "
                   "not be read (listed as gaps)", err=True)
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def _options(no_hash: bool, no_types: bool, stall: float, memory_mb: int,
             fmt: str | None) -> CatalogOptions:
    return CatalogOptions(hash_content=not no_hash, detect_types=not no_types,
                          stall_timeout=stall,
                          memory_limit=memory_mb * (1 << 20) if memory_mb else None,
                          media_format=fmt)


_common = [
    click.option("--no-hash", is_flag=True, help="List only; do not read file content."),
    click.option("--no-types", is_flag=True, help="Skip file type detection."),
    click.option("--stall-timeout", type=float, default=120.0, show_default=True,
                 help="Seconds without progress before the worker is stopped."),
    click.option("--memory-limit", "memory_mb", type=int, default=2048, show_default=True,
                 help="Worker address-space limit in MiB (0: none)."),
    click.option("--format", "fmt", type=click.Choice(["raw", "split", "ewf"]),
                 help="Force the image format instead of guessing from the name."),
]


def _with_common(func: Any) -> Any:
    for option in reversed(_common):
        func = option(func)
    return func


@click.command("catalog")
@click.argument("image", required=False, type=click.Path(path_type=Path))
@click.option("--case", "case_ref", help="Store the catalog for this case (reference).")
@click.option("--exhibit", "exhibit_ref", help="Exhibit id (e.g. EX-001) within --case.")
@click.option("--examiner", help="Person running the catalog (ID number, #id or name); "
                                 "signs the custody event when their key is unlocked.")
@click.option("--jsonl", is_flag=True, help="Print one JSON object per entry on stdout.")
@click.option("--show-known", is_flag=True, help="Also print entries matched by known sets.")
@click.option("--no-hashsets", is_flag=True, help="Do not match against registered hash sets.")
@_with_common
@db_option
def catalog_cmd(image: Path | None, case_ref: str | None, exhibit_ref: str | None,
                examiner: str | None, jsonl: bool,
                show_known: bool, no_hashsets: bool, no_hash: bool, no_types: bool,
                stall_timeout: float, memory_mb: int, fmt: str | None,
                db_url: str | None) -> None:
    """List every volume, file system and file (allocated and deleted) in IMAGE,
    with MD5, SHA-256, type and flags. Exit status 3 when the catalog is incomplete.

    With --case/--exhibit and no IMAGE, the exhibit's newest completed or verified
    acquisition in the case's evidence store is catalogued."""
    if bool(case_ref) != bool(exhibit_ref):
        raise UserInputError("give both --case and --exhibit, or neither")
    if image is None and not case_ref:
        raise UserInputError("give an IMAGE path, or --case and --exhibit to catalogue the "
                             "exhibit's stored acquisition")
    if examiner and not case_ref:
        raise UserInputError("--examiner needs --case and --exhibit")
    options = _options(no_hash, no_types, stall_timeout, memory_mb, fmt)
    counts: _CountSink
    run_id: int | None = None
    if case_ref and exhibit_ref:
        summary, counts, run_id = _catalog_case(image, case_ref, exhibit_ref, examiner, jsonl,
                                                show_known, no_hashsets, options, db_url)
    else:
        assert image is not None
        summary, counts = _catalog_image(image, jsonl, show_known, no_hashsets, options,
                                         db_url)
    if jsonl:
        click.echo(json.dumps({"summary": summary.to_dict()}, ensure_ascii=False), err=True)
    elif summary.status is not RunStatus.FAILED:
        _print_summary(summary, counts, run_id)
    _finish(summary)


def _catalog_case(image: Path | None, case_ref: str, exhibit_ref: str, examiner: str | None,
                  jsonl: bool, show_known: bool, no_hashsets: bool, options: CatalogOptions,
                  db_url: str | None) -> tuple[CatalogSummary, _CountSink, int]:
    from forensics.cataloging.casestore import catalog_for_case

    made: list[_CountSink] = []

    def wrap(store: CatalogSink) -> CatalogSink:
        counts = _CountSink(store)
        made.append(counts)
        return _JsonlSink(counts, show_known) if jsonl else counts

    def warn(text: str) -> None:
        click.echo(f"sealbag: warning: {safe_text(text)}", err=True)

    db = _open_db(db_url)
    try:
        with progress_bar("catalog", enabled=not jsonl) as (report, cancel):
            result = catalog_for_case(db, case_ref, exhibit_ref, image, options=options,
                                      examiner=examiner, use_hash_sets=not no_hashsets,
                                      wrap_sink=wrap, on_warning=warn,
                                      progress=report, cancel=cancel)
    finally:
        db.close()
    if image is None and not jsonl:
        click.echo(f"acquisition:  {result.acquisition_id} "
                   f"(image SHA-256 {result.image_sha256 or 'unknown'})")
    return result.summary, made[0], result.run_id


def _catalog_image(image: Path, jsonl: bool, show_known: bool, no_hashsets: bool,
                   options: CatalogOptions,
                   db_url: str | None) -> tuple[CatalogSummary, _CountSink]:
    db = _open_db(db_url) if not no_hashsets else None
    try:
        matcher, _set_ids, sources = _hash_matching(db, not no_hashsets)
        counts = _CountSink(None)
        sink: CatalogSink = _JsonlSink(counts, show_known) if jsonl else counts
        if matcher is not None:
            from forensics.hashsets.matcher import MatchingSink

            sink = MatchingSink(sink, matcher)
        try:
            with progress_bar("catalog", enabled=not jsonl) as (report, cancel):
                summary = run_catalog(image, sink, options=options, progress=report,
                                      cancel=cancel)
        finally:
            for src in sources:
                src.close()
    finally:
        if db is not None:
            db.close()
    return summary, counts


@click.command("export")
@click.argument("image", required=False, type=click.Path(path_type=Path))
@click.option("--case", "case_ref", help="Select from this case's stored catalog of --exhibit "
                                         "(no new catalog run).")
@click.option("--exhibit", "exhibit_ref", help="Exhibit id within --case.")
@click.option("--examiner", help="Person exporting (ID number, #id or name), for the custody "
                                 "event.")
@click.option("--to", "target", required=True, type=click.Path(path_type=Path),
              help="New or empty folder to export into.")
@click.option("--path", "paths", multiple=True,
              help="Path of a file to export, as the catalog lists it (repeatable).")
@click.option("--notable", is_flag=True, help="Export every file flagged notable.")
@click.option("--mismatch", is_flag=True, help="Export every file whose type and extension "
                                               "disagree.")
@click.option("--all-files", is_flag=True, help="Export every file with content.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@_with_common
@db_option
def export_cmd(image: Path | None, case_ref: str | None, exhibit_ref: str | None,
               examiner: str | None, target: Path,
               paths: tuple[str, ...], notable: bool, mismatch: bool,
               all_files: bool, as_json: bool, no_hash: bool, no_types: bool,
               stall_timeout: float, memory_mb: int, fmt: str | None,
               db_url: str | None) -> None:
    """Copy selected files out of IMAGE into a folder, with safe names, each copy
    re-hashed and compared, and a manifest of original -> exported names.

    With --case/--exhibit the selection comes from the exhibit's newest stored
    catalog (IMAGE defaults to the image that catalog was made from) and the
    export is recorded as an 'exported' custody event; otherwise IMAGE is
    catalogued first."""
    from forensics.cataloging.export import export_files

    if not (paths or notable or mismatch or all_files):
        raise UserInputError("choose what to export: --path, --notable, --mismatch or "
                             "--all-files")
    if bool(case_ref) != bool(exhibit_ref):
        raise UserInputError("give both --case and --exhibit, or neither")
    if examiner and not case_ref:
        raise UserInputError("--examiner needs --case and --exhibit")
    options = _options(False, no_types, stall_timeout, memory_mb, fmt)
    run_id: int | None = None
    if case_ref and exhibit_ref:
        run_id, run_image, run_format, items = _stored_selection(
            db_url, case_ref, exhibit_ref, paths, notable, mismatch, all_files)
        if image is None:
            image, fmt = Path(run_image), fmt or run_format
    elif image is None:
        raise UserInputError("give an IMAGE path, or --case and --exhibit to export from the "
                             "exhibit's stored catalog")
    else:
        items = _fresh_selection(image, options, db_url, paths, notable, mismatch, all_files)
    with progress_bar("export") as (report, cancel):
        result = export_files(image, items, target, media_format=fmt,
                              stall_timeout=stall_timeout,
                              memory_limit=options.memory_limit, progress=report, cancel=cancel)
    if as_json:
        echo_json(result.to_dict())
    else:
        for f in result.files:
            mark = "ok      " if f.verified else "FAILED  "
            click.echo(f"{mark}{safe_text(f.exported_as)}  <- {safe_text(f.source_path)}"
                       + (f"  ({safe_text(f.error)})" if f.error else ""))
        click.echo(f"{len(result.files) - len(result.failures)} of {len(result.files)} files "
                   f"exported and verified into {result.target} (manifest.json)")
    if case_ref and exhibit_ref and run_id is not None:
        _record_export(db_url, case_ref, exhibit_ref, examiner, run_id, result)
    if not result.complete:
        click.echo(f"sealbag: error: export incomplete: {result.error or ''} "
                   f"{len(result.failures)} file(s) not verified", err=True)
        raise click.exceptions.Exit(EXIT_ERROR)


def _stored_selection(db_url: str | None, case_ref: str, exhibit_ref: str,
                      paths: tuple[str, ...], notable: bool, mismatch: bool,
                      all_files: bool) -> tuple[int, str, str | None, list[Any]]:
    """Run id, image path, media format and selected items of the newest stored catalog."""
    from forensics.cataloging.query import export_items, latest_listing

    db = _open_db(db_url)
    try:
        exhibit_id = _resolve_exhibit(db, case_ref, exhibit_ref)
        with db.session() as s:
            run = latest_listing(s, exhibit_id)
            items = export_items(s, run.id, paths=paths, notable=notable, mismatch=mismatch,
                                 all_files=all_files)
            return run.id, run.image_path, (run.options or {}).get("media_format"), items
    finally:
        db.close()


def _record_export(db_url: str | None, case_ref: str, exhibit_ref: str, examiner: str | None,
                   run_id: int, result: Any) -> None:
    """Record the export as an ``exported`` custody event (a refusal is a warning)."""
    from forensics.cataloging.casestore import record_export_event

    db = _open_db(db_url)
    try:
        refused = record_export_event(
            db, case_ref, exhibit_ref, target=result.target, catalog_run_id=run_id,
            files=len(result.files), verified=len(result.files) - len(result.failures),
            complete=result.complete, examiner=examiner)
    finally:
        db.close()
    if refused:
        click.echo(f"sealbag: warning: {safe_text(refused)}", err=True)


def _fresh_selection(image: Path, options: CatalogOptions, db_url: str | None,
                     paths: tuple[str, ...], notable: bool, mismatch: bool,
                     all_files: bool) -> list[Any]:
    from forensics.cataloging.export import ExportItem

    db = _open_db(db_url) if notable else None
    try:
        matcher, _ids, sources = _hash_matching(db, notable)
        inner = ListSink()
        sink: CatalogSink = inner
        if matcher is not None:
            from forensics.hashsets.matcher import MatchingSink

            sink = MatchingSink(inner, matcher)
        with progress_bar("catalog") as (report, cancel):
            summary = run_catalog(image, sink, options=options, progress=report, cancel=cancel)
        for src in sources:
            src.close()
    finally:
        if db is not None:
            db.close()
    if summary.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        _finish(summary)
    wanted = set(paths)
    chosen = [e for e in inner.entries
              if e.sha256 is not None and e.meta_addr is not None and (
                  all_files or e.path in wanted or (notable and e.notable)
                  or (mismatch and e.extension_mismatch))]
    missing = wanted - {e.path for e in chosen}
    if missing:
        raise NotFoundError(f"not in the catalog (or no content): {sorted(missing)[0]!r}"
                            + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    return [ExportItem(e.path_raw, e.fs_index, e.partition_offset, int(e.meta_addr or 0),
                       e.stream, e.size, e.sha256, e.md5) for e in chosen]


@click.command("catalog-runs")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--exhibit", "exhibit_ref", required=True, help="Exhibit id within --case.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@db_option
def catalog_runs_cmd(case_ref: str, exhibit_ref: str, as_json: bool, db_url: str | None) -> None:
    """List the catalog runs stored for an exhibit (only complete runs are full listings)."""
    from forensics.cataloging.query import list_runs

    db = _open_db(db_url)
    try:
        exhibit_id = _resolve_exhibit(db, case_ref, exhibit_ref)
        with db.session() as s:
            runs = list_runs(s, exhibit_id)
    finally:
        db.close()
    if as_json:
        echo_json(runs)
        return
    if not runs:
        click.echo("no catalog runs for this exhibit")
    for r in runs:
        click.echo(f"run {r['id']}\t{r['status'].upper()}\t{r['entries']} entries\t"
                   f"{r['gaps']} gaps\t{r['started_at']:%Y-%m-%d %H:%M} UTC\t"
                   f"{safe_text(r['image_path'])}"
                   + (f"\t{safe_text(r['error'])}" if r["error"] else ""))


def register(group: click.Group) -> None:
    """Add ``catalog``, ``catalog-runs`` and ``export`` to the root command group."""
    group.add_command(catalog_cmd)
    group.add_command(catalog_runs_cmd)
    group.add_command(export_cmd)
