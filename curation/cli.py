"""Curation's commands: ``assets-hub import``, ``export``, ``reviews`` and ``users areas``."""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.commands import fail
from assets_hub.db import db
from assets_hub.errors import AppError
from assets_hub.geo.models import LocalAuthority
from assets_hub.roles import SYSTEM
from curation import scope
from curation.hsds.export import export_package
from curation.hsds.importer import import_path
from curation.hsds.ohana import import_ohana
from curation.reviews import send_due


def register(main: click.Group) -> None:
    for group in (import_group, export_group, reviews_group):
        main.add_command(group)
    main.commands["users"].add_command(users_areas)  # (accounts registers the group first)


@click.group("import", cls=AppGroup)
def import_group():
    """Import listings from other directories."""


OPTIMISE_AFTER = 10_000  # services created by one import


def _run_import(importer, path: Path, dry_run: bool) -> None:
    """Run an importer, print its report, exit 1 if anything was wrong."""
    started = time.monotonic()
    report = importer(path, actor=f"import: {path.name}"[:254], dry_run=dry_run)
    if report.ok and not dry_run:
        db.commit()  # the import's one commit, at the command's end
        report.committed = True
    for line in report.lines():
        click.echo(line)
    click.echo(f"  ({time.monotonic() - started:.1f} s)")
    if report.ok and not dry_run and db.is_postgres and report.created >= OPTIMISE_AFTER:
        click.echo("  Searches by place are faster once the search table is ordered by place: "
                   "run `assets-hub search optimise` (it locks search for 2-3 s per 100,000 services).")
    sys.exit(0 if report.ok else 1)


@import_group.command("hsds")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and print the report; change nothing.")
def import_hsds(path, dry_run):
    """Import an HSDS 3.0 tabular data package (a folder with datapackage.json and CSVs), a JSON
    file of full service records, or NDJSON (one record a line, as /api/v3/services?format=ndjson&full=true).

    All or nothing; idempotent by id (importing the same data again changes nothing); every created
    or changed service gets a history entry "Imported from PATH".
    """
    _run_import(import_path, path, dry_run)


@import_group.command("ohana")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and print the report; change nothing.")
def import_ohana_command(path, dry_run):
    """Import an Ohana API CSV folder (organizations.csv, locations.csv, services.csv, ...).
    Ohana's integer ids become stable UUIDs, so importing the same folder again changes nothing."""
    _run_import(import_ohana, path, dry_run)


@click.group("export", cls=AppGroup)
def export_group():
    """Export the directory."""


@export_group.command("hsds")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_hsds(folder):
    """Write every listing as an HSDS 3.0 tabular data package (CSV files and datapackage.json) in FOLDER."""
    started = time.monotonic()
    counts = export_package(folder)
    click.echo(f"Wrote {sum(counts.values()):,} rows in {len(counts)} files to {folder} "
               f"({counts.get('services.csv', 0):,} services) in {time.monotonic() - started:.1f} s.")


@click.group("reviews", cls=AppGroup)
def reviews_group():
    """Review reminders."""


@reviews_group.command("send-due")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601), for testing and catch-up.")
def reviews_send_due(now_text):
    """Email the reminders that are due and deprioritise listings nobody confirmed after the urgent
    one. Run it from cron (daily is plenty); running it twice sends nothing twice."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text.replace("Z", "+00:00"))
        except ValueError:
            click.echo("Error: --now must be an ISO 8601 date-time, e.g. 2027-01-31T09:00:00Z.", err=True)
            sys.exit(2)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    run = send_due(now)
    db.commit()  # the reminders and their emails together; the outbox sends them after this
    parts = [f"{len(v)} {stage}" for stage, v in run.sent.items()]
    click.echo(f"Sent reminders for {run.count} listing(s)" + (f" ({', '.join(parts)})" if parts else "")
               + f" to {len(run.recipients)} curator(s); deprioritised {len(run.deprioritised)}.")


@click.command("areas")
@with_appcontext
@click.argument("email")
@click.option("--set", "areas", default=None,
              help="Comma-separated local authority names or ONS codes; empty for everywhere")
def users_areas(email, areas):
    """Show, or with --set limit, the local authorities a curator looks after."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        click.echo(f"Error: no account {email}.", err=True)
        sys.exit(1)
    if areas is not None:
        try:
            scope.set_areas(SYSTEM, user, areas.split(","))
            db.commit()
        except AppError as exc:
            fail(exc)
    codes = scope.areas_of(user)
    names = sorted(db.session.scalars(select(LocalAuthority.name).where(LocalAuthority.lad_code.in_(codes)))) if codes else []
    click.echo(f"{user.email} looks after: {', '.join(names) if names else 'everywhere'}.")
