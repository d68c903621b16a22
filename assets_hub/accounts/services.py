"""Accounts: creating users and checking passwords."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from assets_hub.accounts.models import ROLES, User
from assets_hub.accounts.permissions import require_role
from assets_hub.db import db, utcnow
from assets_hub.errors import Conflict, Invalid

# A hash to compare against when the email is unknown, so a wrong email costs as long as a
# wrong password and response times do not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(actor, email: str, password: str, role: str, display_name: str) -> User:
    """Create an account. Only admins (or the CLI) may. Raises Forbidden, Invalid, Conflict."""
    require_role(actor, "admin", action="create accounts")
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}.", {"role": [f"Choose one of: {', '.join(ROLES)}."]})
    email = email.strip().lower()
    session = db.session
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("An account with that email address already exists.",
                       {"email": ["An account with that email address already exists."]})
    user = User(email=email, password_hash=generate_password_hash(password), role=role,
                display_name=display_name)
    session.add(user)
    session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The active user with this email and password. Raises Invalid without saying which was wrong."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        message = "The email address or password is not right."
        raise Invalid(message, {"email": [message]})
    user.last_login_at = utcnow()
    return user
