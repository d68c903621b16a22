"""The ``assets-hub demo`` commands: demo listings and one account per role. They seed every
domain, so they sit on top, beside the app factory."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.accounts.services import create_user, generate_password
from assets_hub.db import db
from assets_hub.directory.demo import load_demo
from assets_hub.geo.models import Postcode
from assets_hub.geo.postcodes import load_bundled
from assets_hub.referrals import teams
from assets_hub.referrals.models import Team
from assets_hub.roles import ROLES, SYSTEM
from search import engine_whoosh


def register(main: click.Group) -> None:
    main.add_command(demo_group)


@click.group("demo", cls=AppGroup)
def demo_group():
    """Demo data and accounts."""




@demo_group.command("load")
def demo_load():
    """Load the gazetteer, the categories and the demo listings (safe to run twice)."""
    started = time.monotonic()
    if db.session.query(Postcode.code).limit(1).first() is None:
        counts = load_bundled()
        click.echo("Gazetteer: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()) + ".")
    counts = load_demo()
    db.commit()
    if not db.is_postgres:

        counts["indexed_for_search"] = engine_whoosh.rebuild()
        db.commit()
    click.echo("Listings: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sorted(counts.items()))
               + f" ({time.monotonic() - started:.1f} s).")


DEMO_TEAM = "Demo Social Prescribing Team"


@demo_group.command("users")
def demo_users():
    """One account per role (<role>@demo.assets-hub.test) with passwords printed once; skips existing ones."""
    created = []
    for role in ROLES:
        email = f"{role.replace('_', '-')}@demo.assets-hub.test"
        if db.session.scalar(select(User.id).where(User.email == email)):
            continue
        password = generate_password()
        create_user(SYSTEM, email, password, role, f"Demo {role.replace('_', ' ')}")
        created.append((role, email, password))
    if not db.session.scalar(select(Team.id).where(Team.name == DEMO_TEAM)):
        team = teams.create_team(SYSTEM, DEMO_TEAM)  # so the demo link worker has a caseload to work in
        teams.add_member(SYSTEM, team.id, "link-worker@demo.assets-hub.test", lead=True)
    db.commit()
    if not created:
        click.echo("Demo accounts already exist (their passwords were shown when they were created).")
        return
    click.echo("Demo accounts (passwords are shown once; keep them):")
    for role, email, password in created:
        click.echo(f"  {role:<21} {email:<45} {password}")
