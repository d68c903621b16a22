"""The ``assets-hub search`` commands: the embedded index and PostgreSQL's search table."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from assets_hub.db import db
from search import engine_pg, engine_whoosh


def register(main: click.Group) -> None:
    main.add_command(search_group)


@click.group("search", cls=AppGroup)
def search_group():
    """The search index (embedded mode) and synonyms."""


@search_group.command("reindex")
def search_reindex():
    """Rebuild the embedded (Whoosh) index from the database. PostgreSQL needs none: it searches in SQL."""
    if db.is_postgres:
        click.echo("PostgreSQL searches in the database: no index to rebuild.")
        return

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

    click.echo(f"Re-indexed {engine_whoosh.apply_changes():,} services.")
