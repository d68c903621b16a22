"""From the record to a service: a signpost (recorded, nothing sent) or a referral its provider
receives, with only the details the person agreed to share; the provider's inbox and answers;
reminders and expiry of referrals nobody answers (``expire_due``, run from cron)."""
from __future__ import annotations

from datetime import datetime, timedelta

import flask
from sqlalchemy import select

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import aware, db, utcnow
from assets_hub.lists import services as lists
from assets_hub.directory.models import Service
from assets_hub.directory.services import VISIBLE_STATUSES, get_service
from assets_hub.errors import Invalid, NotFound
from assets_hub.ids import is_uuid
from assets_hub.referrals import access
from assets_hub.referrals.models import OnwardReferral, Referral
from assets_hub.referrals.schemas import OnwardSchema
from assets_hub.referrals.services import _event, _link, _open, _working, note_what_was_found
from assets_hub.referrals.vocab import NEEDS, ONWARD_STATUSES, PROVIDER_ANSWERS, SHAREABLE
from assets_hub.roles import SYSTEM, require_role

def _days(name: str, default: int) -> int:
    return int(flask.current_app.config.get(name, default))


def send_onward(actor, referral_id: str, values: dict) -> OnwardReferral:
    """Signpost the person to a service, or refer them to it."""
    data = OnwardSchema().load(values)
    referral = _working(actor, referral_id, f"{data['kind']} to a service")
    _open(referral)
    service = get_service(data["service_id"], visible_only=True,
                          not_found="That service is not in the directory (or not open to referrals).")
    onward = OnwardReferral(referral_id=referral.id, service_id=service.id, service_name=service.name[:300],
                            kind=data["kind"], message=data["message"].strip(), sent_by=actor.id,
                            sent_at=utcnow())
    if data["kind"] == "signpost":
        onward.status = "signposted"
        _event(referral, actor, "signposted", f"Signposted to {service.name}.")
    else:
        providers = access.provider_emails(service.id)
        if not providers:
            msg = (f"Nobody answers referrals for {service.name} on Assets Hub yet: signpost the person "
                   "to it instead (its contact details are on its page).")
            raise Invalid(msg, {"kind": [msg]})
        share = list(dict.fromkeys(data["share"]))
        if share and not referral.information_sharing:
            msg = "The person has not consented to their information being shared: share nothing, or signpost."
            raise Invalid(msg, {"share": [msg]})
        onward.status = "sent"
        onward.shared = ",".join(share)
        onward.expires_at = onward.sent_at + timedelta(days=_days("REFERRAL_EXPIRY_DAYS", 14))
        _event(referral, actor, "referred", f"Referred to {service.name}.")
        mail.send(providers, f"New referral to {service.name}",
                  f"{service.name} has a new referral from a social prescribing link worker.\n\n"
                  f"Sign in to accept or decline it: {_link('referrals.inbox')}\n\n"
                  f"It expires if nobody answers within {_days('REFERRAL_EXPIRY_DAYS', 14)} days.\n")
    db.session.add(onward)
    db.session.flush()
    return onward


def signpost_list(actor, referral_id: str, list_id: str) -> tuple[int, list[str]]:
    """Signpost the person to every service on one of the link worker's saved lists, in its order,
    each with the list's note for it. Services the person was signposted or referred to already,
    and any since withdrawn from the directory, are left out (named in what it returns).
    Returns (how many signposts, the names left out). Raises NotFound for another person's list."""
    referral = _working(actor, referral_id, "signpost to a saved list")
    _open(referral)
    saved = lists.get_list(lists.Keeper(user=actor), list_id)
    had = set(db.session.scalars(select(OnwardReferral.service_id).where(OnwardReferral.referral_id == referral.id)))
    made, skipped = 0, []
    items = sorted(saved.items, key=lambda i: i.position)
    services = {s.id: s for s in db.session.scalars(select(Service).where(  # one query, not one per item
        Service.id.in_([i.service_id for i in items])))}
    for item in items:
        service = services.get(item.service_id)
        if service is None or service.status not in VISIBLE_STATUSES or service.id in had:
            skipped.append(service.name if service is not None else "a removed service")
            continue
        db.session.add(OnwardReferral(referral_id=referral.id, service_id=service.id, service_name=service.name[:300],
                                      kind="signpost", message=(item.note or "").strip(), sent_by=actor.id,
                                      sent_at=utcnow(), status="signposted"))
        had.add(service.id)
        made += 1
    if not made:
        msg = "Every service on that list is already in this record (or no longer listed): nothing was added."
        raise Invalid(msg, {"list_id": [msg]})
    _event(referral, actor, "signposted", f"Signposted to {made} service{'s' if made != 1 else ''} "
                                          f"from the list “{saved.name}”.")
    db.session.flush()
    return made, skipped


# ------------------------------------------------------------------ the provider's side

def inbox(actor, status: str | None = None) -> list[OnwardReferral]:
    """Referrals (not signposts) to the services this provider looks after, newest first."""
    require_role(actor, "provider", action="see referrals to your services")
    services = access.provided_service_ids(actor) if actor.role == "provider" else None
    stmt = (select(OnwardReferral).join(Referral, Referral.id == OnwardReferral.referral_id)
            .where(OnwardReferral.kind == "referral", Referral.person_id.is_not(None)))
    if services is not None:
        if not services:
            return []
        stmt = stmt.where(OnwardReferral.service_id.in_(services))
    if status in ONWARD_STATUSES:
        stmt = stmt.where(OnwardReferral.status == status)
    rows = list(db.session.scalars(stmt.order_by(OnwardReferral.sent_at.desc()).limit(500)))
    access.audit(actor, "view", "provider inbox")
    return rows


def _providers(actor, onward_id: str, action: str, what: str) -> OnwardReferral:
    require_role(actor, "provider", action="answer referrals")
    onward = db.session.get(OnwardReferral, onward_id) if is_uuid(onward_id or "") else None
    if (onward is None or onward.kind != "referral" or onward.referral.person_id is None
            or (actor.role == "provider" and onward.service_id not in access.provided_service_ids(actor))):
        raise NotFound(access.NOT_FOUND)
    access.audit(actor, action, what, person_id=onward.referral.person_id, referral_id=onward.referral_id)
    return onward


def shared_details(onward: OnwardReferral) -> dict[str, str]:
    """What the provider sees of the person: only the fields shared with this referral."""
    person = onward.referral.person
    values = {
        "name": person.name, "phone": person.phone or "", "email": person.email or "", "postcode": person.postcode,
        "date_of_birth": person.date_of_birth.isoformat(),
        "needs": ", ".join(NEEDS[n.code][0] for n in onward.referral.needs),
        "what_matters": person.what_matters,
    }
    return {SHAREABLE[f]: values[f] for f in onward.shared_fields if f in values}


def provider_view(actor, onward_id: str) -> OnwardReferral:
    return _providers(actor, onward_id, "view", "referral to a service")


def answer(actor, onward_id: str, to: str, reason: str = "", note: str = "") -> OnwardReferral:
    """The provider's answer: accept or decline (with a reason), then attended or did not attend;
    a note back to the link worker with any of them. The link worker is told (no details)."""
    onward = _providers(actor, onward_id, "change", f"referral answered: {to}")
    allowed = PROVIDER_ANSWERS.get(onward.status, ())
    if to not in allowed:
        if onward.status in ("declined", "expired", "attended", "did_not_attend"):
            msg = f"This referral is {ONWARD_STATUSES[onward.status].lower()} already: it cannot change now."
        else:
            msg = (f"A referral that is {ONWARD_STATUSES[onward.status].lower()} cannot be marked "
                   f"{ONWARD_STATUSES.get(to, to).lower()}.")
        raise Invalid(msg, {"status": [msg]})
    reason, note = (reason or "").strip(), (note or "").strip()
    if to == "declined" and not reason:
        raise Invalid("Say why you are declining, so the link worker can find another service.",
                      {"reason": ["Give a reason."]})
    if len(reason) > 2000 or len(note) > 4000:
        raise Invalid("That is too long.", {"note": ["Keep it under 4000 characters."]})
    onward.status = to
    onward.answered_at = utcnow()
    if reason:
        onward.decline_reason = reason
    if note:
        onward.note_back = note
    referral = onward.referral
    db.session.flush()
    note_what_was_found(referral)
    _event(referral, actor, f"service_{to}", f"{onward.service_name}: {ONWARD_STATUSES[to].lower()}.")
    mail.send(_worker_emails(referral), f"A provider answered a referral ({ONWARD_STATUSES[to]})",
              f"{onward.service_name} has answered a referral you made: {ONWARD_STATUSES[to].lower()}.\n\n"
              f"Sign in to see it: {_link('referrals.record', referral_id=referral.id)}\n")
    db.session.flush()
    return onward


def _worker_emails(referral: Referral) -> list[str]:
    """Whoever should hear about a referral: its link worker, else the team's leads, else the team."""
    if referral.link_worker_id:
        worker = db.session.get(User, referral.link_worker_id)
        if worker is not None and worker.active:
            return [worker.email]
    return access.team_emails(referral.team_id, leads_only=True) or access.team_emails(referral.team_id)


# ------------------------------------------------------------------ reminders and expiry

def expire_due(now: datetime | None = None) -> dict[str, int]:
    """Remind providers of referrals close to expiring, and expire those past it (the link worker
    is told). Safe to run twice and side by side: each row is locked and re-checked, and a
    reminded or expired referral is not picked again. Returns {"reminded": n, "expired": n}."""
    now = now or utcnow()
    remind_after = timedelta(days=_days("REFERRAL_REMINDER_DAYS", 10))
    done = {"reminded": 0, "expired": 0}
    due = db.session.scalars(select(OnwardReferral.id).where(
        OnwardReferral.kind == "referral", OnwardReferral.status == "sent",
        OnwardReferral.sent_at <= now - remind_after).order_by(OnwardReferral.sent_at))
    for onward_id in list(due):
        lock = select(OnwardReferral).where(OnwardReferral.id == onward_id).execution_options(populate_existing=True)
        if db.is_postgres:
            lock = lock.with_for_update(skip_locked=True)
        onward = db.session.scalar(lock)
        if onward is None or onward.status != "sent":
            continue
        referral = onward.referral
        if aware(onward.expires_at) <= now:
            onward.status = "expired"
            onward.answered_at = now
            db.session.flush()
            note_what_was_found(referral)
            _event(referral, SYSTEM, "service_expired",
                   f"{onward.service_name}: no answer, expired.")
            mail.send(_worker_emails(referral), "A referral expired without an answer",
                      f"{onward.service_name} did not answer a referral you made, and it has expired.\n\n"
                      f"Sign in to find another service: {_link('referrals.record', referral_id=referral.id)}\n")
            done["expired"] += 1
        elif onward.reminded_at is None:
            onward.reminded_at = now
            left = max(1, (aware(onward.expires_at) - now).days)
            mail.send(access.provider_emails(onward.service_id), f"Reminder: a referral to {onward.service_name}",
                      f"A referral to {onward.service_name} is waiting for an answer. It expires in {left} "
                      f"day{'s' if left != 1 else ''}.\n\nSign in to answer it: {_link('referrals.inbox')}\n")
            done["reminded"] += 1
        db.session.flush()
    return done
