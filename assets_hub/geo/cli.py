"""The ``assets-hub postcodes`` commands: the gazetteer."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from assets_hub.db import db
from assets_hub.geo.postcodes import GazetteerFileError, import_postcode_file, load_bundled


def register(main: click.Group) -> None:
    main.add_command(postcodes_group)


@click.group("postcodes", cls=AppGroup)
def postcodes_group():
    """The postcode gazetteer."""


@postcodes_group.command("load")
def postcodes_load():
    """Load the bundled gazetteer: GB districts, sectors, local authorities and place names, and the full postcodes we ship."""
    started = time.monotonic()
    counts = load_bundled()
    db.commit()
    click.echo("Loaded " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
               + f" in {time.monotonic() - started:.1f} s.")


@postcodes_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def postcodes_import(path):
    """Stream a full-postcode CSV into the gazetteer (OS Code-Point Open, or postcode,latitude,longitude,...).

    Reads one row at a time and writes in batches, so the full GB file (1.7 million rows) needs
    little memory. All or nothing: a bad row stops the import and nothing is written.
    """
    started = time.monotonic()
    try:
        count = import_postcode_file(path)
        db.commit()
    except GazetteerFileError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc}. Nothing was imported.", err=True)
        sys.exit(1)
    click.echo(f"Imported {count:,} postcodes from {path.name} in {time.monotonic() - started:.1f} s.")
