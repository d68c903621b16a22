"""A time bank and social prescribing. A bank is also a listing in the directory; when a link
worker refers someone to it and whoever answers referrals for that listing accepts (a provider
account: reading a referral needs the second factor), they can invite the person to join. The
person joins with an account of their own and chooses whether their link worker may see the hours
they give and receive: giving, not only receiving, is part of what changes for them. They can
change that choice on the bank's page at any time.

Reading a referral goes through the referrals domain (its permission checks and audit log); the
link worker's view of the hours is checked as the person's record is."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import flask
from sqlalchemy import func, select

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.accounts.services import check_new_password, create_user
from assets_hub.db import aware, db, utcnow
from assets_hub.errors import Conflict, Invalid, NotFound
from assets_hub.referrals import access, onward as referrals_onward
from assets_hub.referrals.models import Referral
from assets_hub.roles import SYSTEM, require_role
from assets_hub.timebank import ledger
from assets_hub.timebank.models import Account, Bank, Exchange, Invitation
from assets_hub.timebank.reports import counted_as_help

INVITATION_DAYS = 28
GONE = "This invitation has been used or has expired: ask the time bank for a new one."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bank_for_service(service_id: str | None) -> Bank | None:
    return db.session.scalar(select(Bank).where(Bank.service_id == service_id)) if service_id else None


def invite(actor, onward_id: str) -> tuple[Invitation, str, bool]:
    """Invite the person of an accepted referral to the time bank it was sent to. Returns the
    invitation, its link (shown once, to hand over) and whether it was emailed to the person (only
    when the link worker shared their email with this referral)."""
    onward = referrals_onward.provider_view(actor, onward_id)  # who may, and the audit entry
    bank = bank_for_service(onward.service_id)
    if bank is None:
        raise Invalid(f"{onward.service_name} is not a time bank on Assets Hub.", {"onward": ["Not a time bank."]})
    if onward.status not in ("accepted", "attended"):
        raise Invalid("Accept the referral first, then invite the person to join.", {"status": ["Not accepted."]})
    token = secrets.token_urlsafe(24)
    now = utcnow()
    referral = onward.referral
    invitation = Invitation(bank_id=bank.id, onward_id=onward.id, person_id=referral.person_id, token_hash=_hash(token),
                            created_by=actor.id, created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS),
                            share_hours=False)
    db.session.add(invitation)
    db.session.flush()
    link = flask.url_for("timebank.join", token=token, _external=True)
    email = referral.person.email if "email" in onward.shared_fields else None
    if email:
        mail.send(email, f"An invitation to join {bank.name}",
                  f"You are invited to join {bank.name}, where neighbours give and receive help an hour for an "
                  f"hour.\n\nTo join, open this link within {INVITATION_DAYS} days: {link}\n")
    access.audit(actor, "change", f"time bank invitation ({'emailed' if email else 'link handed over'})",
                 person_id=referral.person_id, referral_id=referral.id)
    return invitation, link, bool(email)


def open_invitation(token: str) -> tuple[Invitation, Bank]:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token or "")))
    if invitation is None or invitation.used_at is not None or aware(invitation.expires_at) <= utcnow():
        raise NotFound(GONE)
    return invitation, db.session.get(Bank, invitation.bank_id)


def accept(actor, token: str, share_hours: bool, new_account: dict | None = None) -> tuple[Account, User]:
    """Join the bank with the invitation: as the signed-in person, or with a new account made here
    (``new_account``: email, name, password, repeat). One use."""
    invitation, bank = open_invitation(token)
    if getattr(actor, "is_authenticated", False):
        require_role(actor, "member", "timebank_coordinator", action="join a time bank")
        user = actor
    else:
        user = _new_member(new_account or {})
    account = ledger.my_account(user, bank.id)
    if account is None or account.status == "left":
        account = ledger.add_member(SYSTEM, bank.id, user.email)  # the bank invited them: approved
    elif account.status == "paused":
        account.status = "active"
    invitation.used_at, invitation.account_id = utcnow(), account.id
    invitation.share_hours, invitation.share_changed_at = bool(share_hours), utcnow()
    db.session.flush()
    return account, user


def _new_member(values: dict) -> User:
    errors = {}
    email = (values.get("email") or "").strip().lower()
    if "@" not in email or len(email) > 254:
        errors["email"] = ["Enter your email address."]
    name = " ".join((values.get("name") or "").split())
    if not name or len(name) > 100:
        errors["name"] = ["Enter your name as others in the bank will see it."]
    password = values.get("password") or ""
    try:
        check_new_password(password)
    except Invalid as exc:
        errors.update(exc.fields)
    if password != (values.get("repeat") or ""):
        errors["repeat"] = ["The two passwords are not the same."]
    if errors:
        raise Invalid("Please check: " + ", ".join(sorted(errors)) + ".", errors)
    try:
        return create_user(SYSTEM, email, password, "member", name)
    except Conflict:
        raise Conflict("An account has this email address: sign in first, then open the invitation again.",
                       {"email": ["An account has this address: sign in first."]}) from None


def sharing(actor, bank_id: str) -> Invitation | None:
    """The invitation the actor joined with, if any (their sharing choice lives on it)."""
    account = ledger.my_account(actor, bank_id)
    if account is None:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.account_id == account.id)
                             .order_by(Invitation.used_at.desc()).limit(1))


def set_sharing(actor, bank_id: str, share: bool) -> Invitation:
    """The member changes their mind: their link worker sees their hours, or no longer does."""
    ledger.get_bank(actor, bank_id)
    invitation = sharing(actor, bank_id)
    if invitation is None:
        raise NotFound("You did not join this bank through a referral: there is nothing to share.")
    invitation.share_hours, invitation.share_changed_at = bool(share), utcnow()
    db.session.flush()
    return invitation


def hours_for(actor, referral: Referral) -> list[tuple[str, int, int]]:
    """For the person's record: (bank, minutes given, minutes received) in every bank they joined
    through a referral and agreed to share; [] for anyone who may not work on the record."""
    if not access.can_work_on(actor, referral):
        return []
    rows = db.session.execute(select(Bank.name, Invitation.account_id).join(Bank, Bank.id == Invitation.bank_id).where(
        Invitation.person_id == referral.person_id, Invitation.share_hours.is_(True),
        Invitation.account_id.is_not(None))).all()
    out = []
    for name, account_id in sorted(set(rows)):
        given = db.session.scalar(select(func.coalesce(func.sum(Exchange.minutes), 0)).where(
            Exchange.giver_id == account_id, counted_as_help()))
        received = db.session.scalar(select(func.coalesce(func.sum(Exchange.minutes), 0)).where(
            Exchange.receiver_id == account_id, counted_as_help()))
        out.append((name, int(given or 0), int(received or 0)))
    return out
