"""The ``assets-hub`` command. Each command commits once, at its end."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import FlaskGroup, ScriptInfo

from assets_hub import create_app
from assets_hub.config import PROJECT_ROOT
from assets_hub.db import db, writing_by_default
from assets_hub.errors import AppError


def _create_app(*_args, **_kwargs):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
@click.pass_context
def main(ctx):
    """Assets Hub: a community asset directory. DATABASE_URL chooses the database (default: SQLite in instance/)."""
    ctx.call_on_close(lambda: _dispose_engine(ctx))
    ctx.call_on_close(writing_by_default())  # a command's transactions take SQLite's write lock first


def _dispose_engine(ctx) -> None:
    """Close pooled connections when a command ends (a test may run many commands in one process)."""
    info = ctx.find_object(ScriptInfo)
    app = getattr(info, "_loaded_app", None) if info else None
    if app is not None and "db" in app.extensions:
        app.extensions["db"].engine.dispose()


def _fail(exc: AppError) -> None:
    fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
    click.echo(f"Error: {exc.message}" + (f" ({fields})" if fields else ""), err=True)
    sys.exit(1)


# ------------------------------------------------------------------ db

@main.group("db")
def db_group():
    """Database schema."""


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        cfg.attributes["database_url"] = url
    return cfg


def upgrade_database(url: str, revision: str = "head") -> None:
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Migrate the database (PostgreSQL + PostGIS or SQLite) to the latest schema."""
    from flask import current_app

    upgrade_database(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision} ({db.dialect}).")


# ------------------------------------------------------------------ users

@main.group("users")
def users_group():
    """Accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin, curator, provider, link_worker, timebank_coordinator or member")
@click.option("--name", "display_name", default=None, help="Display name (default: the part before @)")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one")
def users_create(email, role, display_name, password_stdin):
    """Create an account; prints a generated password once."""
    from marshmallow import ValidationError

    from assets_hub.accounts.permissions import SYSTEM
    from assets_hub.accounts.schemas import UserCreateSchema
    from assets_hub.accounts.services import create_user, generate_password
    from assets_hub.errors import Invalid

    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    try:
        data = UserCreateSchema().load({"email": email, "role": role, "password": password,
                                        "display_name": display_name or email.split("@")[0]})
        user = create_user(SYSTEM, **data)
        db.commit()
    except ValidationError as err:
        _fail(Invalid.from_validation(err))
    except AppError as exc:
        _fail(exc)
    click.echo(f"Created {user.email} ({user.role}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


# ------------------------------------------------------------------ postcodes

@main.group("postcodes")
def postcodes_group():
    """The postcode gazetteer."""


@postcodes_group.command("load")
def postcodes_load():
    """Load the bundled gazetteer: GB districts, sectors and local authorities, and the full postcodes we ship."""
    from assets_hub.geo.postcodes import load_bundled

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
    from assets_hub.geo.postcodes import GazetteerFileError, import_postcode_file

    started = time.monotonic()
    try:
        count = import_postcode_file(path)
        db.commit()
    except GazetteerFileError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc}. Nothing was imported.", err=True)
        sys.exit(1)
    click.echo(f"Imported {count:,} postcodes from {path.name} in {time.monotonic() - started:.1f} s.")


# ------------------------------------------------------------------ demo

@main.group("demo")
def demo_group():
    """Demo data and accounts."""


DEMO_ROLES = ("admin", "curator", "provider", "link_worker", "timebank_coordinator", "member")


@demo_group.command("load")
def demo_load():
    """Load the gazetteer, the categories and the demo listings (safe to run twice)."""
    from assets_hub.directory.demo import load_demo
    from assets_hub.geo.models import Postcode
    from assets_hub.geo.postcodes import load_bundled

    started = time.monotonic()
    if db.session.query(Postcode.code).limit(1).first() is None:
        counts = load_bundled()
        click.echo("Gazetteer: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()) + ".")
    counts = load_demo()
    db.commit()
    if not db.is_postgres:
        from search import engine_whoosh

        counts["indexed_for_search"] = engine_whoosh.rebuild()
        db.commit()
    click.echo("Listings: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sorted(counts.items()))
               + f" ({time.monotonic() - started:.1f} s).")


@demo_group.command("users")
def demo_users():
    """One account per role (<role>@demo.assets-hub.test) with passwords printed once; skips existing ones."""
    from sqlalchemy import select

    from assets_hub.accounts.models import User
    from assets_hub.accounts.permissions import SYSTEM
    from assets_hub.accounts.services import create_user, generate_password

    created = []
    for role in DEMO_ROLES:
        email = f"{role.replace('_', '-')}@demo.assets-hub.test"
        if db.session.scalar(select(User.id).where(User.email == email)):
            continue
        password = generate_password()
        create_user(SYSTEM, email, password, role, f"Demo {role.replace('_', ' ')}")
        created.append((role, email, password))
    db.commit()
    if not created:
        click.echo("Demo accounts already exist (their passwords were shown when they were created).")
        return
    click.echo("Demo accounts (passwords are shown once; keep them):")
    for role, email, password in created:
        click.echo(f"  {role:<21} {email:<45} {password}")


# ------------------------------------------------------------------ search

@main.group("search")
def search_group():
    """The search index (embedded mode) and synonyms."""


@search_group.command("reindex")
def search_reindex():
    """Rebuild the embedded (Whoosh) index from the database. PostgreSQL needs none: it searches in SQL."""
    if db.is_postgres:
        click.echo("PostgreSQL searches in the database: no index to rebuild.")
        return
    from search import engine_whoosh

    started = time.monotonic()
    count = engine_whoosh.rebuild()
    db.commit()
    click.echo(f"Indexed {count:,} services in {time.monotonic() - started:.1f} s.")


@search_group.command("optimise")
def search_optimise():
    """PostgreSQL, after a large import: add the RUM index if the server has it, order the search table by place."""
    if not db.is_postgres:
        click.echo("The embedded mode keeps its search index in Whoosh: nothing to optimise.")
        return
    from search import engine_pg

    done = engine_pg.optimise()
    db.commit()
    if done["rum"]:
        click.echo("Added the RUM index: words alone are ranked from it once the web workers restart.")
    elif done["rum_refused"]:
        click.echo(f"Could not add the RUM index ({done['rum_refused']}); words alone are ranked from GIN.")
    click.echo(f"Search table ordered by place in {done['seconds']:.1f} s.")


@search_group.command("apply")
def search_apply():
    """Apply committed changes from the change feed to the embedded index (the app also does this itself)."""
    if db.is_postgres:
        click.echo("PostgreSQL searches in the database: nothing to apply.")
        return
    from search import engine_whoosh

    click.echo(f"Re-indexed {engine_whoosh.apply_changes():,} services.")


# ------------------------------------------------------------------ HSDS import and export

@main.group("import")
def import_group():
    """Import listings from other directories."""


OPTIMISE_AFTER = 10_000  # services created by one import


def _run_import(importer, path: Path, dry_run: bool) -> None:
    """Run an importer, print its report, exit 1 if anything was wrong."""
    started = time.monotonic()
    report = importer(path, actor=f"import: {path.name}"[:254], dry_run=dry_run)
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
    from curation.hsds_import import import_path

    _run_import(import_path, path, dry_run)


@main.group("outbox")
def outbox_group():
    """Email waiting to be sent."""


@outbox_group.command("send")
def outbox_send():
    """Send the email that is due (run it from cron every few minutes: messages refused by the mail
    server are tried again with backoff; after the last try they are marked failed for an admin)."""
    from assets_hub.mail import deliver_due
    done = deliver_due()
    click.echo(f"Sent {done['sent']}; {done['retrying']} to try again later; {done['failed']} failed for good.")
    sys.exit(1 if done["failed"] else 0)


@main.group("export")
def export_group():
    """Export the directory."""


@export_group.command("hsds")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_hsds(folder):
    """Write every listing as an HSDS 3.0 tabular data package (CSV files and datapackage.json) in FOLDER."""
    from curation.hsds_export import export_package

    started = time.monotonic()
    counts = export_package(folder)
    click.echo(f"Wrote {sum(counts.values()):,} rows in {len(counts)} files to {folder} "
               f"({counts.get('services.csv', 0):,} services) in {time.monotonic() - started:.1f} s.")


# ------------------------------------------------------------------ review cadence

@main.group("reviews")
def reviews_group():
    """Review reminders."""


@reviews_group.command("send-due")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601), for testing and catch-up.")
def reviews_send_due(now_text):
    """Email the reminders that are due and deprioritise listings nobody confirmed after the urgent
    one. Run it from cron (daily is plenty); running it twice sends nothing twice."""
    from datetime import datetime, timezone

    from curation.reviews import send_due

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


@import_group.command("ohana")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and print the report; change nothing.")
def import_ohana_command(path, dry_run):
    """Import an Ohana API CSV folder (organizations.csv, locations.csv, services.csv, ...).
    Ohana's integer ids become stable UUIDs, so importing the same folder again changes nothing."""
    from curation.ohana import import_ohana

    _run_import(import_ohana, path, dry_run)


@users_group.command("areas")
@click.argument("email")
@click.option("--set", "areas", default=None,
              help="Comma-separated local authority names or ONS codes; empty for everywhere")
def users_areas(email, areas):
    """Show, or with --set limit, the local authorities a curator looks after."""
    from sqlalchemy import select

    from assets_hub.accounts.models import User
    from assets_hub.accounts.permissions import SYSTEM
    from assets_hub.geo.models import LocalAuthority
    from curation import scope

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        click.echo(f"Error: no account {email}.", err=True)
        sys.exit(1)
    if areas is not None:
        try:
            scope.set_areas(SYSTEM, user, areas.split(","))
            db.commit()
        except AppError as exc:
            _fail(exc)
    codes = scope.areas_of(user)
    names = sorted(db.session.scalars(select(LocalAuthority.name).where(LocalAuthority.lad_code.in_(codes)))) if codes else []
    click.echo(f"{user.email} looks after: {', '.join(names) if names else 'everywhere'}.")
