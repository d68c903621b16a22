"""Joining a time bank and being in one: applications a coordinator approves or refuses, the
checks a coordinator records (badges on the member's profile), pausing and coming back.
Notices go through the outbox (sent after the commit) and carry a link, nothing else."""
from __future__ import annotations

import flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.errors import Forbidden, Invalid, NotFound
from assets_hub.ids import is_uuid
from assets_hub.roles import require_role
from assets_hub.timebank import ledger
from assets_hub.timebank.models import CHECKS, Account, Application, Bank, Check, Coordinator


def email_link(endpoint: str, **values) -> str:
    """A link for an email: to a page behind sign-in, so the email itself says nothing more."""
    try:
        return flask.url_for(endpoint, _external=True, **values)
    except RuntimeError:  # a command with no SERVER_NAME configured
        return "(sign in to Assets Hub)"


def _coordinated(actor, bank_id: str) -> Bank:
    bank = db.session.get(Bank, bank_id) if is_uuid(bank_id or "") else None
    if bank is None:
        raise NotFound(ledger.NOT_FOUND)
    if not ledger.is_coordinator(actor, bank.id):
        require_role(actor, "member", "timebank_coordinator", action="use a time bank")
        raise Forbidden("Only the bank's coordinators do that.")
    return bank


# ------------------------------------------------------------------ applying

def joinable(actor) -> list[tuple[Bank, Application | None]]:
    """Every bank the actor has no account in and does not coordinate, with their open application."""
    require_role(actor, "member", "timebank_coordinator", action="join a time bank")
    mine = set(db.session.scalars(select(Account.bank_id).where(Account.user_id == actor.id)))
    mine |= set(db.session.scalars(select(Coordinator.bank_id).where(Coordinator.user_id == actor.id)))
    open_ = {a.bank_id: a for a in db.session.scalars(select(Application).where(
        Application.user_id == actor.id, Application.status == "pending"))}
    return [(b, open_.get(b.id)) for b in db.session.scalars(select(Bank).order_by(Bank.name)) if b.id not in mine]


def apply(actor, bank_id: str, message: str) -> Application:
    """Ask to join. Asking again while one is open returns that one."""
    require_role(actor, "member", "timebank_coordinator", action="join a time bank")
    bank = db.session.get(Bank, bank_id) if is_uuid(bank_id or "") else None
    if bank is None:
        raise NotFound(ledger.NOT_FOUND)
    account = ledger.my_account(actor, bank.id)
    if account is not None and account.status != "left":
        raise Invalid(f"You are a member of {bank.name} already.", {"bank": ["A member already."]})
    message = (message or "").strip()
    if len(message) > 2000:
        raise Invalid("Keep the message under 2,000 characters.", {"message": ["Under 2,000 characters."]})
    application = Application(bank_id=bank.id, user_id=actor.id, message=message, status="pending")
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:  # one is open already (the form sent twice, or two tabs)
        return db.session.scalar(select(Application).where(
            Application.bank_id == bank.id, Application.user_id == actor.id, Application.status == "pending"))
    coordinators = db.session.scalars(select(User.email).join(Coordinator, Coordinator.user_id == User.id)
                                      .where(Coordinator.bank_id == bank.id, User.active.is_(True))).all()
    mail.send(list(coordinators), f"Someone asked to join {bank.name}",
              f"Someone asked to join {bank.name}.\n\nSign in to approve or refuse it: "
              f"{email_link('timebank.bank', bank_id=bank.id, _anchor='applications')}\n")
    return application


def withdraw(actor, application_id: str) -> Application:
    application = db.session.get(Application, application_id) if is_uuid(application_id or "") else None
    if application is None or application.user_id != getattr(actor, "id", None):
        raise NotFound(ledger.NOT_FOUND)
    if application.status == "pending":
        application.status, application.decided_at = "withdrawn", utcnow()
        db.session.flush()
    return application


def applications(actor, bank_id: str) -> list[tuple[Application, User, set[str]]]:
    """A coordinator's list of open applications: the person and the checks recorded for them."""
    bank = _coordinated(actor, bank_id)
    rows = db.session.execute(select(Application, User).join(User, User.id == Application.user_id).where(
        Application.bank_id == bank.id, Application.status == "pending").order_by(Application.created_at)).all()
    checks = badges(bank.id, [u.id for _, u in rows])
    return [(a, u, checks.get(u.id, set())) for a, u in rows]


def _pending(actor, application_id: str) -> tuple[Application, Bank]:
    application = db.session.get(Application, application_id) if is_uuid(application_id or "") else None
    if application is None:
        raise NotFound(ledger.NOT_FOUND)
    bank = _coordinated(actor, application.bank_id)
    if application.status != "pending":
        raise Invalid(f"This application was {application.status} already.", {"status": [application.status]})
    return application, bank


def approve(actor, application_id: str) -> Account:
    """Open (or reopen) the person's account. A bank that requires a DBS check approves only once
    a coordinator has recorded one."""
    application, bank = _pending(actor, application_id)
    if bank.requires_dbs and "dbs" not in badges(bank.id, [application.user_id]).get(application.user_id, set()):
        raise Invalid(f"{bank.name} requires a DBS check: record it before approving.",
                      {"dbs": ["Record the DBS check first."]})
    user = db.session.get(User, application.user_id)
    account = ledger.add_member(actor, bank.id, user.email)
    application.status, application.decided_by, application.decided_at = "approved", actor.id, utcnow()
    db.session.flush()
    mail.send(user.email, f"Welcome to {bank.name}",
              f"Your application to join {bank.name} was approved.\n\nSign in to offer and ask for help: "
              f"{email_link('timebank.bank', bank_id=bank.id)}\n")
    return account


def refuse(actor, application_id: str, reason: str) -> Application:
    application, bank = _pending(actor, application_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say why, so the person knows (they are told).", {"reason": ["Give a reason."]})
    application.status, application.reason = "refused", reason[:2000]
    application.decided_by, application.decided_at = actor.id, utcnow()
    db.session.flush()
    user = db.session.get(User, application.user_id)
    mail.send(user.email, f"Your application to {bank.name}",
              f"Your application to join {bank.name} was not approved. Sign in to read why: "
              f"{email_link('timebank.home')}\n")
    return application


def my_applications(actor) -> list[tuple[Application, Bank]]:
    """The actor's own applications, newest first (a refused one says why)."""
    return list(db.session.execute(select(Application, Bank).join(Bank, Bank.id == Application.bank_id).where(
        Application.user_id == getattr(actor, "id", None)).order_by(Application.created_at.desc())).all())


# ------------------------------------------------------------------ checks (badges)

def record_check(actor, bank_id: str, user_id: str, kind: str, note: str = "") -> Check:
    """A coordinator records a check about an applicant or member: once per kind (again: the first)."""
    bank = _coordinated(actor, bank_id)
    if kind not in CHECKS:
        raise Invalid("Choose a check: references or DBS.", {"kind": ["References or DBS."]})
    user = db.session.get(User, user_id) if is_uuid(user_id or "") else None
    known = user is not None and (
        ledger.my_account(user, bank.id) is not None
        or db.session.scalar(select(Application.id).where(Application.bank_id == bank.id,
                                                          Application.user_id == user.id).limit(1)) is not None)
    if not known:
        raise Invalid("Checks are recorded for the bank's applicants and members.",
                      {"user": ["Not an applicant or member of this bank."]})
    existing = db.session.scalar(select(Check).where(Check.bank_id == bank.id, Check.user_id == user_id,
                                                     Check.kind == kind))
    if existing is not None:
        return existing
    check = Check(bank_id=bank.id, user_id=user_id, kind=kind, note=(note or "").strip()[:500],
                  recorded_by=actor.id or "system")
    db.session.add(check)
    db.session.flush()
    return check


def badges(bank_id: str, user_ids: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    if user_ids:
        for user_id, kind in db.session.execute(select(Check.user_id, Check.kind).where(
                Check.bank_id == bank_id, Check.user_id.in_(user_ids))):
            out.setdefault(user_id, set()).add(kind)
    return out


# ------------------------------------------------------------------ pausing

def set_paused(actor, bank_id: str, paused: bool, account_id: str | None = None) -> Account:
    """A member pauses their account (away, unwell, busy: nobody can record time with it and it is
    not offered to others) and comes back; a coordinator can do either for a member."""
    bank = ledger.get_bank(actor, bank_id)
    account = ledger.get_account(actor, bank.id, account_id) if account_id else ledger.my_account(actor, bank.id)
    if account is None or account.kind != "member":
        raise NotFound(ledger.NOT_FOUND)
    if account.status == "left":
        raise Invalid("This account has left the bank: a coordinator adds it again.", {"status": ["Left."]})
    account.status = "paused" if paused else "active"
    db.session.flush()
    return account
