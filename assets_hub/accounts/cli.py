"""The ``assets-hub users`` commands: accounts."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from assets_hub.accounts.schemas import UserCreateSchema
from assets_hub.accounts.services import create_user, generate_password
from assets_hub.commands import fail
from assets_hub.db import db
from assets_hub.errors import AppError, Invalid
from assets_hub.roles import SYSTEM


def register(main: click.Group) -> None:
    main.add_command(users_group)


@click.group("users", cls=AppGroup)
def users_group():
    """Accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin, curator, provider, link_worker, referrer, timebank_coordinator, member or commissioner")
@click.option("--name", "display_name", default=None, help="Display name (default: the part before @)")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one")
def users_create(email, role, display_name, password_stdin):
    """Create an account; prints a generated password once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    try:
        data = UserCreateSchema().load({"email": email, "role": role, "password": password,
                                        "display_name": display_name or email.split("@")[0]})
        user = create_user(SYSTEM, **data)
        db.commit()
    except ValidationError as err:
        fail(Invalid.from_validation(err))
    except AppError as exc:
        fail(exc)
    click.echo(f"Created {user.email} ({user.role}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")
