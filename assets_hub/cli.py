"""The ``assets-hub`` command: the entry point, and the loop that registers each domain's commands
(each in its package's ``cli`` module). Each command commits once, at its end."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup, ScriptInfo

from assets_hub import commands, demo
from assets_hub.accounts import cli as accounts_cli
from assets_hub.app import create_app
from assets_hub.db import writing_by_default
from assets_hub.geo import cli as geo_cli
from assets_hub.referrals import cli as referrals_cli
from assets_hub.timebank import cli as timebank_cli
from curation import cli as curation_cli
from search import cli as search_cli


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


# accounts before curation: curation adds ``users areas`` to the accounts' ``users`` group
for domain in (commands, accounts_cli, geo_cli, demo, search_cli, curation_cli, referrals_cli,
               timebank_cli):
    domain.register(main)
