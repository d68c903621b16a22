"""A second factor for staff who can read personal data (link workers, referrers, providers and
admins), as the NHS Data Security and Protection Toolkit expects: a time-based code (TOTP, RFC
6238, through ``pyotp``) from an authenticator app, and ten single-use recovery codes.

A session that signed in with a password only may not open a person's record: the referral pages
send it to set up the app (first time) or to enter a code. ``SECOND_FACTOR=off`` switches this off
for the embedded demo only; the app refuses it with PostgreSQL (``app.create_app``)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import flask
import pyotp
from sqlalchemy import select

from assets_hub.accounts.models import AccountEvent, RecoveryCode, User
from assets_hub.db import db, utcnow
from assets_hub.errors import Invalid
from assets_hub.roles import actor_label

STAFF = ("admin", "link_worker", "referrer", "provider")
ISSUER = "Assets Hub"
SESSION_KEY = "second_factor"  # the user id whose second factor this session passed


def required(user) -> bool:
    return (flask.current_app.config.get("SECOND_FACTOR", "required") != "off"
            and getattr(user, "role", None) in STAFF)


def passed(user) -> bool:
    """Has this request's person passed their second factor (or need not)? A token request has:
    tokens are made by a person who had, or by the operator."""
    if not required(user):
        return True
    if flask.g.get("token_user"):
        return True
    return flask.session.get(SESSION_KEY) == user.id


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def start_setup(user: User) -> str:
    """A new secret for the person's app (until confirmed, the old one, if any, still counts)."""
    secret = pyotp.random_base32()
    flask.session["totp_pending"] = secret
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _check(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step the code matches (this one or one either side, for clock drift), or None;
    never a step already used."""
    code = "".join((code or "").split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), code) and (last_step is None or candidate > last_step):
            return candidate
    return None


def confirm_setup(user: User, code: str) -> list[str]:
    """The person typed a code from their app: the secret is theirs; returns new recovery codes
    (shown once)."""
    secret = flask.session.get("totp_pending")
    if not secret:
        raise Invalid("Start again: the setup expired.", {"code": ["Start again."]})
    step = _check(secret, code, None)
    if step is None:
        raise Invalid("That code is not right: type the six digits your app shows now.",
                      {"code": ["Not the code the app shows."]})
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = secret, utcnow(), step
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = ["-".join(secrets.token_hex(3) for _ in range(2)) for _ in range(10)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    db.session.add(AccountEvent(user_id=user.id, action="second_factor_set", actor=actor_label(user)))
    flask.session.pop("totp_pending", None)
    flask.session[SESSION_KEY] = user.id
    db.session.flush()
    return codes


def verify(user: User, code: str) -> None:
    """A code from the app, or an unused recovery code: this session has passed."""
    code = (code or "").strip().lower()
    step = _check(user.totp_secret, code, user.totp_last_step) if user.totp_secret else None
    if step is not None:
        user.totp_last_step = step
    else:
        recovery = db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.code_hash == _hash(code),
                                                                RecoveryCode.used_at.is_(None)))
        if recovery is None:
            raise Invalid("That code is not right. Type the six digits your app shows now, or a recovery code.",
                          {"code": ["Not a valid code."]})
        recovery.used_at = utcnow()
        db.session.add(AccountEvent(user_id=user.id, action="recovery_code_used", actor=actor_label(user)))
    flask.session[SESSION_KEY] = user.id
    db.session.flush()


def recovery_codes_left(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                 RecoveryCode.used_at.is_(None))).all())
