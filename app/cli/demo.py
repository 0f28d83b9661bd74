"""``sealbag demo``: the whole pipeline, headless, on generated evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from app.cli.common import echo_json, json_option, progress_bar
from forensics.demo import run_demo


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo database, evidence store and outputs (reset on each run).",
)
@json_option
def demo(out_dir: Path, as_json: bool) -> None:
    """Run case, imaging, catalog, custody and bundle steps on a generated image."""
    with progress_bar("demo") as (progress, cancel):
        summary = run_demo(out_dir, progress=progress, cancel=cancel)
        cancel.raise_if_cancelled()
        summary.steps.append(_step_bundle(summary.database_url, summary.case_reference))
    if as_json:
        echo_json(summary.to_dict())
        return
    click.echo(f"database:        {summary.database_url}")
    click.echo(f"case:            {summary.case_reference}")
    click.echo(f"evidence folder: {summary.store_path}")
    for step in summary.steps:
        extras = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("step", "status"))
        click.echo(f"  {step['step']:<10} {step['status']:<8} {extras}")
    click.echo(f"try: sealbag case show {summary.case_reference!r} --db {summary.database_url}")
    bundle = next((s for s in summary.steps if s["step"] == "bundle"), None)
    if bundle is not None:
        kind = "DRAFT bundle" if bundle["status"] == "draft" else "bundle"
        click.echo(f"{kind + ':':<17}{bundle['bundle']}")
        if bundle["status"] == "draft":
            click.echo(
                f"  {bundle['preflight_problems']} pre-flight problem(s) are listed on its cover "
                "(steps still to run before a final bundle)"
            )
        click.echo(f"try: sealbag bundle verify {bundle['bundle']!r}")


def _step_bundle(database_url: str, case_reference: str) -> dict[str, Any]:
    """Last demo step: the MLA bundle of the demo case, built from the database.

    It lives here, not in ``forensics.demo``, because ``forensics`` never imports ``reports``.
    """
    from reports.demo import demo_bundle_from_database

    return {"step": "bundle", **demo_bundle_from_database(database_url, case_reference)}


def register(group: click.Group) -> None:
    group.add_command(demo)
