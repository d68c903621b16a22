"""The ``assets-hub timebank`` commands. Each id they make is printed alone on the last line."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from assets_hub.commands import fail
from assets_hub.db import db
from assets_hub.errors import AppError
from assets_hub.roles import SYSTEM
from assets_hub.timebank import ledger


def register(main: click.Group) -> None:
    main.add_command(timebank_group)


@click.group("timebank", cls=AppGroup)
def timebank_group():
    """Time banks and their ledgers."""


@timebank_group.group("banks")
def banks_group():
    """Time banks."""


@banks_group.command("create")
@click.argument("name")
@click.option("--coordinator", required=True, help="The coordinator's email (a timebank_coordinator account)")
@click.option("--min-hours", type=float, default=-10, show_default=True, help="The lowest balance a member may have")
@click.option("--max-hours", type=float, default=40, show_default=True, help="The highest balance a member may have")
@click.option("--requires-dbs", is_flag=True, help="Approve members only once a coordinator has recorded a DBS check")
@click.option("--about", default="", help="A sentence shown to people who may join")
@click.option("--service", default=None, help="The bank's listing in the directory (a service id): referrals to it "
              "can end in an invitation to join")
def banks_create(name, coordinator, min_hours, max_hours, requires_dbs, about, service):
    """Create a time bank with its own account; prints its id on the last line."""
    try:
        bank = ledger.create_bank(SYSTEM, name, coordinator, min_hours, max_hours, requires_dbs, about, service)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"Created time bank {bank.name} (balances from {ledger.hours(bank.min_minutes)} "
               f"to {ledger.hours(bank.max_minutes)}).")
    click.echo(bank.id)


@timebank_group.group("members")
def members_group():
    """Members of a time bank."""


@members_group.command("add")
@click.argument("bank_id")
@click.argument("email")
def members_add(bank_id, email):
    """Add an approved member; prints their account's id on the last line."""
    try:
        account = ledger.add_member(SYSTEM, bank_id, email)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"Added {email}.")
    click.echo(account.id)


@timebank_group.command("reconcile")
def reconcile():
    """Recompute every balance from the entries; exits 1 naming each account that differs."""
    problems = ledger.reconcile()
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("Every balance equals the sum of its entries, and every bank sums to zero.")
