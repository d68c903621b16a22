"""The core's commands (``assets-hub db``, ``assets-hub outbox``), and ``fail``, which every
domain's commands use to report an error. Each domain registers its own commands (its ``cli``
module's ``register``); ``assets_hub.cli`` is the entry point that calls them all."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from assets_hub.db import db
from assets_hub.errors import AppError
from assets_hub.mail import deliver_due
from assets_hub.migrate import upgrade_database


def register(main: click.Group) -> None:
    main.add_command(db_group)
    main.add_command(outbox_group)


def fail(exc: AppError) -> None:
    """Print an error as a person reads it, naming the fields, and exit 1."""
    fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
    click.echo(f"Error: {exc.message}" + (f" ({fields})" if fields else ""), err=True)
    sys.exit(1)


@click.group("db", cls=AppGroup)
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Migrate the database (PostgreSQL + PostGIS or SQLite) to the latest schema."""
    upgrade_database(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision} ({db.dialect}).")


@click.group("outbox", cls=AppGroup)
def outbox_group():
    """Email waiting to be sent."""


@outbox_group.command("send")
def outbox_send():
    """Send the email that is due (run it from cron every few minutes: messages refused by the mail
    server are tried again with backoff; after the last try they are marked failed for an admin)."""
    done = deliver_due()
    click.echo(f"Sent {done['sent']}; {done['retrying']} to try again later; {done['failed']} failed for good.")
    sys.exit(1 if done["failed"] else 0)
