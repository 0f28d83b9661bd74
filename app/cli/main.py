"""``sealbag`` command line: every GUI action, scriptable and headless."""

from __future__ import annotations

import importlib
import sys

import click

from app.cli.common import run_cli

# Each module defines ``register(group)`` and adds its commands to the root group.
COMMAND_MODULES = (
    "app.cli.cases",
    "app.cli.people",
    "app.cli.exhibits",
    "app.cli.acquire",
    "app.cli.catalog",
    "app.cli.hashsets",
    "app.cli.custody",
    "app.cli.bundle",
    "app.cli.demo",
    "app.cli.dbadmin",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="sealbag", prog_name="sealbag")
def cli() -> None:
    """Sealbag: image, catalogue and hash seized media, keep the chain of custody,
    and build MLA evidence bundles."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
        continue
    _module.register(cli)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sealbag`` console script."""
    return run_cli(cli, argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
