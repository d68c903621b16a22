"""The ``assets-hub teams``, ``tokens``, ``referrals`` and ``audit`` commands. Each prints an id or
token it makes alone on the last line of its output, for scripts."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import AppGroup
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.accounts.tokens import create_token
from assets_hub.commands import fail
from assets_hub.db import db
from assets_hub.errors import AppError, Invalid
from assets_hub.referrals import access, onward, person_data, teams
from assets_hub.roles import SYSTEM


def register(main: click.Group) -> None:
    for group in (teams_group, tokens_group, referrals_group, audit_group):
        main.add_command(group)


def _when(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(Invalid(f"{option} must be a date and time like 2026-12-07T09:00:00+00:00.", {option: ["Not ISO 8601."]}))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@click.group("teams", cls=AppGroup)
def teams_group():
    """Social prescribing teams."""


@teams_group.command("create")
@click.argument("name")
def teams_create(name):
    """Create a team; prints its id on the last line."""
    try:
        team = teams.create_team(SYSTEM, name)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"Created team {team.name}.")
    click.echo(team.id)


@teams_group.command("add")
@click.argument("team_id")
@click.argument("email")
@click.option("--lead", is_flag=True, help="The person leads the team (sees its whole caseload, assigns work)")
def teams_add(team_id, email, lead):
    """Add a link worker to a team."""
    try:
        teams.add_member(SYSTEM, team_id, email, lead)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"Added {email} to the team{' as a lead' if lead else ''}.")


@teams_group.command("add-practice")
@click.argument("team_id")
@click.argument("ods_code")
@click.argument("name")
def teams_add_practice(team_id, ods_code, name):
    """Add a GP practice the team takes referrals from (by its ODS code)."""
    try:
        practice = teams.add_practice(SYSTEM, team_id, ods_code, name)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"{practice.name} ({practice.ods_code}) can refer to the team.")


@teams_group.command("remove-practice")
@click.argument("team_id")
@click.argument("ods_code")
def teams_remove_practice(team_id, ods_code):
    """Take a practice off the team's list (referrals already received stay)."""
    try:
        teams.remove_practice(SYSTEM, team_id, ods_code)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"{ods_code.upper()} is no longer on the team's list.")


@teams_group.command("practices")
@click.argument("team_id")
def teams_list_practices(team_id):
    """The practices a team takes referrals from: ODS code and name, one a line."""
    try:
        team = teams.get_team(team_id)
    except AppError as exc:
        fail(exc)
    practices = teams.team_practices(team.id)
    if not practices:
        click.echo(f"{team.name} has no list of practices yet: it takes referrals from any.")
    for practice in practices:
        click.echo(f"{practice.ods_code}\t{practice.name}")


@click.group("tokens", cls=AppGroup)
def tokens_group():
    """Personal API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", "label", default="", help="What the token is for (shown in the owner's list)")
def tokens_create(email, label):
    """Make a token for an account; prints it once, alone on the last line."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        fail(Invalid(f"There is no account for {email}.", {"email": ["No account has this address."]}))
    try:
        _, token = create_token(SYSTEM, user, label)
        db.commit()
    except AppError as exc:
        fail(exc)
    click.echo(f"Token for {user.email} (shown once; keep it secret):")
    click.echo(token)


@click.group("referrals", cls=AppGroup)
def referrals_group():
    """Social prescribing referrals."""


@referrals_group.command("expire-due")
@click.option("--now", default=None, help="Act as if it were this time (ISO 8601); default: the clock")
def referrals_expire_due(now):
    """Remind providers of referrals close to expiring and expire those past it (cron; safe to run twice)."""
    done = onward.expire_due(_when(now, "--now"))
    db.commit()
    click.echo(f"Reminded {done['reminded']}; expired {done['expired']}.")


@referrals_group.command("apply-retention")
@click.option("--now", default=None, help="Act as if it were this time (ISO 8601); default: the clock")
def referrals_apply_retention(now):
    """Erase people whose cases all closed longer ago than RETENTION_DAYS (cron; safe to run twice)."""
    erased = person_data.apply_retention(_when(now, "--now"))
    db.commit()
    click.echo(f"Erased {erased} {'person' if erased == 1 else 'people'}; anonymous counts kept.")


@click.group("audit", cls=AppGroup)
def audit_group():
    """The audit log of personal data."""


@audit_group.command("list")
@click.option("--person", default=None, help="Only entries about this person's id")
@click.option("--since", default=None, help="Only entries from this time (ISO 8601)")
def audit_list(person, since):
    """Who read or changed personal data, newest first (tab-separated)."""
    entries = access.audit_entries(SYSTEM, person_id=person, since=_when(since, "--since"), limit=100000)
    access.audit(SYSTEM, "view", "audit log" + (f" of person {person}" if person else ""), person_id=person)
    db.commit()
    for e in entries:
        click.echo("\t".join([e.at.isoformat(), e.actor, e.action, e.what, e.person_id or "-",
                              e.referral_id or "-", e.address]))
