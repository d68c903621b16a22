"""Accounts: creating users, signing in (throttled), sessions, roles, passwords and their resets.

Every change to an account is recorded (``AccountEvent``) with who did it and when."""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

import flask
from limits import parse, storage, strategies
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from assets_hub import mail
from assets_hub.accounts.models import AccountEvent, PasswordReset, User
from assets_hub.db import aware, db, utcnow
from assets_hub.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from assets_hub.ids import is_uuid
from assets_hub.roles import ROLE_LABELS, ROLES, SYSTEM, actor_label, require_role

# A hash to compare against when the email is unknown, so a wrong email costs as long as a
# wrong password and response times do not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")

RESET_LIFETIME = timedelta(hours=1)
MIN_PASSWORD = 12


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def who(actor) -> str:
    """An actor as account events name it: a name and a role, never an email address."""
    if actor is None or actor is SYSTEM:
        return "system"
    return actor_label(actor, ROLE_LABELS)


def _record(user: User, action: str, actor, detail: str = "") -> None:
    db.session.add(AccountEvent(user_id=user.id, action=action, actor=who(actor), detail=detail))


def events(user_ids: list[str] | None = None, limit: int = 200) -> list[AccountEvent]:
    stmt = select(AccountEvent).order_by(AccountEvent.created_at.desc(), AccountEvent.id).limit(limit)
    if user_ids is not None:
        stmt = stmt.where(AccountEvent.user_id.in_(user_ids))
    return list(db.session.scalars(stmt))


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
                display_name=display_name, session_version=0)
    session.add(user)
    session.flush()
    _record(user, "created", actor, f"as {ROLE_LABELS[role]}")
    return user


# ------------------------------------------------------------------ signing in, throttled

class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int):
        minutes = max(1, -(-retry_after // 60))
        super().__init__(f"Too many attempts to sign in. Wait {minutes} minute{'s' if minutes > 1 else ''} "
                         "and try again, or reset your password.", {"email": ["Too many attempts."]})
        self.retry_after = retry_after


class SignInThrottle:
    """Failed sign-ins counted in a moving window, per account and per address (the ``limits``
    package Flask-Limiter is built on, in the same storage as the API's rate limit). Only failures
    count; a success clears its account's count. Ten failures lock an account for at most
    15 minutes: long enough to stop guessing, short for a person who mistyped."""

    PER_ACCOUNT = parse("10 per 15 minutes")
    PER_ADDRESS = parse("50 per 15 minutes")

    def __init__(self, uri: str = "memory://"):
        self.storage = storage.storage_from_string(uri)
        self.window = strategies.MovingWindowRateLimiter(self.storage)

    def _keys(self, email: str, address: str):
        return ((self.PER_ACCOUNT, "sign-in-account", email), (self.PER_ADDRESS, "sign-in-address", address))

    def check(self, email: str, address: str) -> None:
        for limit, scope, key in self._keys(email, address):
            if not self.window.test(limit, scope, key):
                reset = self.window.get_window_stats(limit, scope, key).reset_time
                raise TooManyAttempts(max(1, int(reset - time.time()) + 1))

    def failed(self, email: str, address: str) -> None:
        for limit, scope, key in self._keys(email, address):
            self.window.hit(limit, scope, key)

    def succeeded(self, email: str) -> None:
        self.window.clear(self.PER_ACCOUNT, "sign-in-account", email)

    def reset(self) -> None:
        self.storage.reset()


def throttle() -> SignInThrottle:
    app = flask.current_app
    if "sign_in_throttle" not in app.extensions:
        app.extensions["sign_in_throttle"] = SignInThrottle(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    return app.extensions["sign_in_throttle"]


def authenticate(email: str, password: str, address: str = "") -> User:
    """The active user with this email and password. Raises Invalid without saying which was wrong,
    and TooManyAttempts (429) after too many failures for this account or from this address."""
    email = email.strip().lower()
    guard = throttle()
    guard.check(email, address)
    user = db.session.scalar(select(User).where(User.email == email))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        guard.failed(email, address)
        message = "The email address or password is not right."
        raise Invalid(message, {"email": [message]})
    guard.succeeded(email)
    user.last_login_at = utcnow()
    return user


def load_session_user(session_id: str) -> User | None:
    """The user a session cookie names, if that session has not been ended since."""
    user_id, _, version = (session_id or "").partition(":")
    user = db.session.get(User, user_id) if is_uuid(user_id) else None
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session this account has signed in (each cookie names the old version)."""
    user.session_version = (user.session_version or 0) + 1


def sign_out(user: User) -> None:
    """Signing out ends the account's sessions everywhere: a copied cookie opens nothing after."""
    end_sessions(user)
    db.session.flush()


# ------------------------------------------------------------------ admins run accounts

def _account(user_id: str) -> User:
    user = db.session.get(User, user_id) if is_uuid(user_id) else None
    if user is None:
        raise NotFound("There is no such account.")
    return user


def _not_yourself(actor, user: User, what: str) -> None:
    if getattr(actor, "id", None) == user.id:
        raise Forbidden(f"You cannot {what} your own account: ask another administrator.")


def change_role(actor, user_id: str, role: str) -> User:
    """An admin gives an account another role. Raises Forbidden (not an admin, or their own), Invalid."""
    require_role(actor, "admin", action="change roles")
    user = _account(user_id)
    if role not in ROLES:
        raise Invalid("Choose a role from the list.", {"role": ["Choose a role from the list."]})
    _not_yourself(actor, user, "change the role of")
    if role != user.role:
        before = user.role
        user.role = role
        end_sessions(user)  # what they may do changed: sign in again
        _record(user, "role_changed", actor, f"from {ROLE_LABELS[before]} to {ROLE_LABELS[role]}")
        db.session.flush()
    return user


def set_active(actor, user_id: str, active: bool) -> User:
    """An admin disables (ending its sessions) or re-enables an account."""
    require_role(actor, "admin", action="disable or enable accounts")
    user = _account(user_id)
    _not_yourself(actor, user, "disable or enable")
    if bool(user.active) != active:
        user.active = active
        if not active:
            end_sessions(user)
        _record(user, "enabled" if active else "disabled", actor)
        db.session.flush()
    return user


# ------------------------------------------------------------------ passwords

def check_new_password(password: str, field: str = "password") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise Invalid(f"Use at least {MIN_PASSWORD} characters.", {field: [f"Use at least {MIN_PASSWORD} characters."]})
    if len(password) > 200:
        raise Invalid("Use at most 200 characters.", {field: ["Use at most 200 characters."]})


def change_password(actor, current: str, new: str, repeat: str) -> User:
    """A signed-in person changes their own password. Every other session of theirs ends."""
    require_role(actor, *ROLES, action="change your password")
    user = _account(actor.id)
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid("Your current password is not right.", {"current_password": ["Your current password is not right."]})
    check_new_password(new, "new_password")
    if new != repeat:
        raise Invalid("The two new passwords are not the same.", {"repeat_password": ["The two new passwords are not the same."]})
    user.password_hash = generate_password_hash(new)
    end_sessions(user)
    _record(user, "password_changed", actor)
    db.session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_reset(user: User, actor, link_for) -> None:
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordReset(user_id=user.id, token_hash=_token_hash(token),
                                 expires_at=utcnow() + RESET_LIFETIME))
    _record(user, "password_reset_sent", actor)
    db.session.flush()
    site = flask.current_app.config.get("SITE_NAME", "Assets Hub")
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    mail.send(user.email, f"Reset your {site} password",
              f"Someone asked to reset the password of your {site} account.\n\n"
              f"To choose a new password, open this link within {minutes} minutes. It works once:\n"
              f"{link_for(token)}\n\n"
              "If you did not ask, you can ignore this email: your password has not changed.")


def request_password_reset(email: str, link_for) -> None:
    """Someone who forgot their password asks for a link. An email goes only to an active
    account's address; the caller says the same thing either way, so nobody learns who has one."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is not None and user.active:
        _send_reset(user, None, link_for)


def send_password_reset(actor, user_id: str, link_for) -> User:
    """An admin sends an account holder a reset link (the admin never sees or sets the password)."""
    require_role(actor, "admin", action="send password resets")
    user = _account(user_id)
    if not user.active:
        raise Conflict("This account is disabled: enable it first.")
    _send_reset(user, actor, link_for)
    return user


def reset_for_token(token: str) -> PasswordReset:
    """The unused, unexpired reset a link's token names. Raises Invalid otherwise."""
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token or "")))
    now = utcnow()
    if reset is None or reset.used_at is not None or aware(reset.expires_at) <= now:
        raise Invalid("This link has expired or was used already. Ask for a new one.",
                      {"_link": ["Ask for a new link."]})
    return reset


def reset_password(token: str, new: str, repeat: str) -> User:
    """Set a new password from a reset link; the link is used up and every session ends."""
    reset = reset_for_token(token)
    check_new_password(new, "new_password")
    if new != repeat:
        raise Invalid("The two new passwords are not the same.", {"repeat_password": ["The two new passwords are not the same."]})
    user = _account(reset.user_id)
    user.password_hash = generate_password_hash(new)
    reset.used_at = utcnow()
    end_sessions(user)
    _record(user, "password_reset_used", None, "by the emailed link")
    db.session.flush()
    return user
