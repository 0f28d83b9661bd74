"""``sealbag acquire`` (image a device or image set) and ``sealbag verify`` (check an image)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import click

from app.cli.common import database, db_option, echo_json, json_option, progress_bar, safe_text
from forensics.errors import UserInputError, VerificationError
from forensics.units import format_size, parse_size


@click.command("acquire")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--case", "case_ref", help="Case reference: store the image in the case's evidence "
              "folder and the acquisition in the database. Without it: triage imaging into --out.")
@click.option("--exhibit", "exhibit_ref", help="Exhibit ID (required with --case), e.g. EX-001.")
@click.option("--format", "fmt", type=click.Choice(["raw", "split", "e01"], case_sensitive=False),
              default="raw", show_default=True, help="Image format.")
@click.option("--segment-size", default="2G", show_default=True,
              help="Segment size for split and e01 (e.g. 2G, 650M).")
@click.option("--hash", "hashes", default="md5,sha1,sha256", show_default=True,
              help="Hash algorithms, comma-separated (sha256 is always computed).")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Re-read the written image and compare every hash.")
@click.option("--verify-source", is_flag=True, help="Also re-read the source and compare.")
@click.option("--examiner", help="Examiner (in case mode: ID number, #id or name of a person).")
@click.option("--description", help="Description (also written into an E01 header).")
@click.option("--notes", help="Notes (also written into an E01 header).")
@click.option("--write-blocker", help="Write blocker used (make, model, serial), for the record.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Destination folder (default in case mode: <case folder>/images/<exhibit>).")
@click.option("--name", help="File name stem (default: the exhibit ID, else the source name).")
@click.option("--on-read-error", "error_policy", type=click.Choice(["zero-fill", "stop"]),
              default="zero-fill", show_default=True,
              help="zero-fill: retry, then zero-fill unreadable sectors and list them; stop: fail.")
@click.option("--retries", type=click.IntRange(0, 20), default=2, show_default=True,
              help="Extra read attempts before a sector counts as unreadable.")
@click.option("--allow-mounted", is_flag=True,
              help="Image a device even though it is mounted read-write (recorded as a warning).")
@click.option("--remove-partial", is_flag=True,
              help="On cancel or failure delete the partial output "
              "instead of keeping NAME.partial/.")
@db_option
@json_option
def acquire_command(
    source: Path, case_ref: str | None, exhibit_ref: str | None, fmt: str, segment_size: str,
    hashes: str, verify: bool, verify_source: bool, examiner: str | None,
    description: str | None, notes: str | None, write_blocker: str | None,
    out_dir: Path | None, name: str | None,
    error_policy: str, retries: int, allow_mounted: bool, remove_partial: bool,
    db_url: str | None, as_json: bool,
) -> None:
    """Image SOURCE (a block device or an image file) to raw, split raw or E01.

    Every selected hash is computed in the same read pass; the acquisition record is
    written beside the image as NAME.acquisition.json.
    """
    from forensics.imaging import acquire_image

    options: dict[str, Any] = {
        "fmt": fmt.lower(),
        "segment_size": parse_size(segment_size),
        "algorithms": [h for h in hashes.split(",") if h.strip()],
        "verify": verify,
        "verify_source": verify_source,
        "description": description,
        "notes": notes,
        "write_blocker": write_blocker,
        "name": name,
        "error_policy": error_policy,
        "retries": retries,
        "keep_partial": not remove_partial,
        "allow_mounted": allow_mounted,
        "command_line": "sealbag " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    }
    if case_ref is None:
        if out_dir is None:
            raise UserInputError(
                "give --out DIR for a triage image, or --case REF --exhibit ID to image into a case"
            )
        record = _run(acquire_image, source, out_dir, options | {
            "exhibit_reference": exhibit_ref, "examiner": examiner,
        }, as_json)
    else:
        if not exhibit_ref:
            raise UserInputError(
                "--case needs --exhibit ID (register it with: sealbag exhibit add)"
            )
        record = _acquire_into_case(source, case_ref, exhibit_ref, examiner, out_dir, options,
                                    db_url, as_json)
    _report(record, as_json)


def _run(acquire_image, source: Path, out_dir: Path, options: dict[str, Any], as_json: bool):
    from forensics.imaging import AcquisitionCancelled, AcquisitionFailed, ImageVerificationFailed

    with progress_bar(f"acquire {source.name}") as (progress, cancel):
        try:
            return acquire_image(source, out_dir, progress=progress, cancel=cancel, **options)
        except (AcquisitionFailed, AcquisitionCancelled, ImageVerificationFailed) as exc:
            if as_json:
                echo_json(exc.record.to_dict())
            raise


def _acquire_into_case(source: Path, case_ref: str, exhibit_ref: str, examiner: str | None,
                       out_dir: Path | None, options: dict[str, Any], db_url: str | None,
                       as_json: bool):
    from forensics.imaging import AcquisitionCancelled, AcquisitionFailed, ImageVerificationFailed
    from forensics.imaging.casestore import acquire_for_case

    with database(db_url) as db, progress_bar(f"acquire {source.name}") as (progress, cancel):
        try:
            return acquire_for_case(
                db, case_ref, exhibit_ref, source, examiner=examiner, out_dir=out_dir,
                progress=progress, cancel=cancel,
                on_warning=lambda text: click.echo(f"sealbag: warning: {text}", err=True),
                **options,
            )
        except (AcquisitionFailed, AcquisitionCancelled, ImageVerificationFailed) as exc:
            if as_json:
                echo_json(exc.record.to_dict())
            raise


def _report(record, as_json: bool) -> None:
    if as_json:
        echo_json(record.to_dict())
        return
    out = Path(record.output_dir)
    click.echo(f"{record.state}: {safe_text(record.image_name)} "
               f"({format_size(record.bytes_total)}) in {safe_text(out)}")
    for seg in record.segments:
        click.echo(f"  {safe_text(seg.path)}  sha256 {seg.sha256}")
    for algo, value in record.source_hashes.items():
        click.echo(f"  source {algo:<6} {value}")
    if record.padding_bytes:
        for algo, value in record.image_hashes.items():
            click.echo(f"  media  {algo:<6} {value} (with {record.padding_bytes} padding bytes)")
    if record.error_ranges:
        click.echo(f"  {len(record.error_ranges)} unreadable range(s), "
                   f"{record.bytes_zero_filled} bytes zero-filled:")
        for e in record.error_ranges[:20]:
            click.echo(f"    offset {e.offset} length {e.length} {safe_text(e.error)}")
    click.echo(f"  verification: {record.verification.result}")
    if record.speed_mb_per_s:
        click.echo(f"  speed: {record.speed_mb_per_s:.0f} MB/s")
    click.echo(f"  record: {safe_text(out / (record.image_name + '.acquisition.json'))}")


@click.command("verify")
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--source", "source", type=click.Path(path_type=Path),
              help="Also re-read this source and compare with the recorded source hashes.")
@click.option("--case", "case_ref",
              help="Record the result as a custody event of the exhibit in this case.")
@click.option("--exhibit", "exhibit_ref", help="Exhibit (default: the one in the record).")
@click.option("--examiner", help="Who verifies (ID number, #id or name), for the custody event.")
@db_option
@json_option
def verify_command(image: Path, source: Path | None, case_ref: str | None,
                   exhibit_ref: str | None, examiner: str | None, db_url: str | None,
                   as_json: bool) -> None:
    """Re-verify IMAGE (any image file, or its NAME.acquisition.json) against its record."""
    from forensics.imaging import open_source, read_record, verify_image

    record_file = _find_record(image)
    try:
        record = read_record(record_file)
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot read the acquisition record {record_file}: {exc}") from exc
    opened = open_source(source) if source else None
    try:
        with progress_bar(f"verify {record.image_name}") as (progress, cancel):
            result = verify_image(record, base_dir=record_file.parent,
                                  source=opened.reader if opened else None,
                                  progress=progress, cancel=cancel)
    finally:
        if opened:
            opened.reader.close()
    if case_ref:
        from forensics.imaging.casestore import record_reverification

        exhibit = exhibit_ref or record.exhibit_reference
        if not exhibit:
            raise UserInputError("the record names no exhibit; pass --exhibit ID")
        with database(db_url) as db, db.session() as session:
            refused = record_reverification(session, case_ref, exhibit, record, result,
                                            examiner=examiner)
        if refused:
            click.echo(f"sealbag: warning: {refused}", err=True)
    if as_json:
        echo_json({"record": str(record_file), "verification": result})
    else:
        click.echo(f"verification of {safe_text(record.image_name)}: {result.result}")
        for check in result.checks:
            mark = "ok " if check.match else "BAD"
            detail = f" ({safe_text(check.detail)})" if check.detail else ""
            click.echo(f"  {mark} {safe_text(check.item)}{detail}")
    if not result.matched:
        bad = ", ".join(result.mismatched_segments) or "see the checks above"
        raise VerificationError(f"{record.image_name} does not match its record: {bad}")


def _find_record(image: Path) -> Path:
    from forensics.imaging.record import RECORD_SUFFIX

    if image.name.endswith(RECORD_SUFFIX):
        candidate = image
    else:
        stem = image.name
        for suffix_len in (4, 5, 6, 7):  # .raw .001 .E01 .0001 ...
            dot = len(stem) - suffix_len
            if dot > 0 and stem[dot] == ".":
                candidate = image.with_name(stem[:dot] + RECORD_SUFFIX)
                if candidate.exists():
                    return candidate
        candidate = image.with_name(image.name + RECORD_SUFFIX)
    if not candidate.exists():
        raise UserInputError(
            f"no acquisition record beside {image.name} ({candidate.name}); "
            "verify needs the record made when the image was written"
        )
    return candidate


@click.command("import-acquisition")
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--case", "case_ref", help="Store the imported record in this case.")
@click.option("--exhibit", "exhibit_ref", help="Exhibit the image belongs to (with --case).")
@db_option
@json_option
def import_acquisition_command(
    log: Path, case_ref: str | None, exhibit_ref: str | None, db_url: str | None, as_json: bool
) -> None:
    """Read a Guymager .info, ewfacquire or dc3dd log into an acquisition record."""
    from forensics.errors import NotFoundError
    from forensics.imaging.importers import import_log

    if not log.is_file():
        raise NotFoundError(f"log not found: {log}")
    record = import_log(log)
    if case_ref:
        if not exhibit_ref:
            raise UserInputError("--case needs --exhibit ID")
        from forensics.imaging.casestore import import_case_acquisition

        with database(db_url) as db, db.session() as session:
            import_case_acquisition(session, case_ref, exhibit_ref, record, log)
    if as_json:
        echo_json(record.to_dict())
        return
    click.echo(f"imported {record.tool.name} {safe_text(record.tool.version)} record: "
               f"{format_size(record.bytes_total)}")
    for algo, value in record.source_hashes.items():
        click.echo(f"  {algo:<6} {value}")
    if record.unconfirmed_fields:
        click.echo("  not stated in the log: " + ", ".join(record.unconfirmed_fields))


def register(group: click.Group) -> None:
    """Add ``acquire``, ``verify`` and ``import-acquisition`` to the root command group."""
    group.add_command(acquire_command)
    group.add_command(verify_command)
    group.add_command(import_acquisition_command)

