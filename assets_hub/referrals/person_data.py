"""What a person is given and what they may ask for: the "what we agreed" summary (printed or
emailed to them), subject access (everything held about them), erasure on request, and the
retention rule that erases closed cases after a configurable period. Erasure deletes the person
and everything said about them, and leaves each of their referrals anonymous in place (team,
source, GP practice, age band, local authority, needs, services and their answers, outcome scores,
dates moved to the first of the month they arrived), so reports still count them."""
from __future__ import annotations

from datetime import datetime, timedelta

import flask
from sqlalchemy import delete, select, update

from assets_hub import mail
from assets_hub.db import db, utcnow
from assets_hub.directory.presenters import opening_times
from assets_hub.directory.services import get_service
from assets_hub.errors import AppError, Invalid
from assets_hub.referrals import access
from assets_hub.referrals.models import (ContactLog, Goal, Need, OnwardReferral, Outcome, Person, Referral,
                                         ReferralEvent)
from assets_hub.referrals.services import _event, _working, note_what_was_found
from assets_hub.referrals.vocab import NEEDS
from assets_hub.roles import SYSTEM, require_role


def agreed(actor, referral_id: str, action: str = "print") -> dict:
    """The summary for the person: what matters, goals, and each service found for them (signposted
    or referred) with how to reach it and when it is open."""
    referral = _working(actor, referral_id, "what we agreed")
    access.audit(actor, action, "what we agreed", person_id=referral.person_id, referral_id=referral.id)
    services = []
    for item in db.session.scalars(select(OnwardReferral).where(OnwardReferral.referral_id == referral.id)
                                   .where(OnwardReferral.status.not_in(("declined", "expired")))
                                   .order_by(OnwardReferral.sent_at)):
        try:
            service = get_service(item.service_id, visible_only=True)
        except AppError:
            continue  # no longer listed: nothing to tell the person about it
        times = opening_times([s for sal in service.service_at_locations for s in sal.schedules]
                              + list(service.schedules))
        services.append({"item": item, "service": service, "times": times})
    goals = list(db.session.scalars(select(Goal).where(Goal.referral_id == referral.id).order_by(Goal.created_at)))
    return {"referral": referral, "person": referral.person, "services": services, "goals": goals}


def email_agreed(actor, referral_id: str) -> None:
    """Email the summary's services to the person, when they have an address and may be contacted.
    Only the services and their details: nothing about the person's health or circumstances."""
    summary = agreed(actor, referral_id, action="export")
    person = summary["person"]
    if person.do_not_contact:
        raise Invalid("This person asked not to be contacted: give them the printed summary instead.",
                      {"email": ["Do not contact."]})
    if not person.email:
        raise Invalid("There is no email address for this person.", {"email": ["No email address."]})
    if not summary["services"]:
        raise Invalid("No services have been found yet.", {"email": ["Nothing to send."]})
    lines = ["Here are the services you talked about with your link worker.", ""]
    for entry in summary["services"]:
        service = entry["service"]
        lines.append(service.name)
        for phone in service.phones:
            lines.append(f"  Phone: {phone.number}")
        if service.email:
            lines.append(f"  Email: {service.email}")
        if service.url:
            lines.append(f"  Website: {service.url}")
        for day, hours in entry["times"]:
            lines.append(f"  {day + ': ' if day else ''}{hours}")
        lines.append("")
    mail.send(person.email, "The services you talked about with your link worker", "\n".join(lines))
    _event(summary["referral"], actor, "summary_sent", "What we agreed: emailed to the person.")
    db.session.flush()


# ------------------------------------------------------------------ subject access and erasure

def _iso(value):
    return value.isoformat() if value is not None else None


def everything_about(actor, referral_id: str) -> dict:
    """Subject access: everything held about the person of this referral, across their referrals."""
    referral = _working(actor, referral_id, "subject access export")
    require_role(actor, "link_worker", action="export a person's data")
    person = referral.person
    access.audit(actor, "export", "subject access", person_id=person.id, referral_id=referral.id)
    out = {"person": {k: _iso(getattr(person, k)) if k in ("date_of_birth", "created_at") else getattr(person, k)
                      for k in ("id", "given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "phone",
                                "email", "preferred_contact", "what_matters", "do_not_contact", "sensitive",
                                "created_at")},
           "referrals": []}
    for r in db.session.scalars(select(Referral).where(Referral.person_id == person.id).order_by(Referral.received_at)):
        rid = r.id
        out["referrals"].append({
            "id": rid, "status": r.status, "closed_reason": r.closed_reason, "source": r.source,
            "received_at": _iso(r.received_at), "first_contact_at": _iso(r.first_contact_at),
            "closed_at": _iso(r.closed_at), "gp_practice": {"ods_code": r.gp_ods_code, "name": r.gp_name},
            "reason": r.reason, "known_risks": r.known_risks, "risk_details": r.risk_details,
            "information_sharing": r.information_sharing, "consent_reason": r.consent_reason,
            "needs": [{"code": n.code, "label": NEEDS[n.code][0], "note": n.note} for n in r.needs],
            "contacts": [{"on": _iso(c.on), "method": c.method, "outcome": c.outcome, "minutes": c.minutes,
                          "note": c.note, "by": c.by}
                         for c in db.session.scalars(select(ContactLog).where(ContactLog.referral_id == rid))],
            "goals": [{"text": g.text, "importance": g.importance, "confidence": g.confidence}
                      for g in db.session.scalars(select(Goal).where(Goal.referral_id == rid))],
            "services": [{"service_name": o.service_name, "kind": o.kind, "status": o.status, "shared": o.shared_fields,
                          "sent_at": _iso(o.sent_at)}
                         for o in db.session.scalars(select(OnwardReferral).where(OnwardReferral.referral_id == rid))],
            "history": [{"at": _iso(e.at), "action": e.action, "detail": e.detail, "by": e.actor}
                        for e in db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == rid)
                                                    .order_by(ReferralEvent.at))],
        })
    return out


def _erase_person(person: Person) -> int:
    """Delete a person and everything said about them; their referrals stay, anonymous, for reports."""
    referrals = list(db.session.scalars(select(Referral).where(Referral.person_id == person.id)))
    now = utcnow()
    for r in referrals:
        rid = r.id
        for table in (ContactLog, Goal, ReferralEvent):
            db.session.execute(delete(table).where(table.referral_id == rid))
        # The day something happened could point to a person: every date moves back by the same
        # whole number of days, the referral's to the first of its month, so waiting times in
        # days stay true.
        received = r.received_at
        shift = timedelta(days=received.day - 1)
        for o in db.session.scalars(select(OnwardReferral).where(OnwardReferral.referral_id == rid)):
            o.message, o.shared, o.decline_reason, o.note_back = "", "", None, None
            o.sent_at = o.sent_at - shift
            o.expires_at = o.expires_at - shift if o.expires_at else None
            o.answered_at = o.answered_at - shift if o.answered_at else None
            o.reminded_at = None
            if o.status == "sent":  # nobody can answer it now: it counts as unanswered
                o.status, o.answered_at = "expired", now
        r.received_at = (received - shift).replace(hour=0, minute=0, second=0, microsecond=0)
        db.session.execute(update(Outcome).where(Outcome.referral_id == rid).values(received_at=r.received_at))
        db.session.execute(update(Need).where(Need.referral_id == rid).values(note="", received_at=r.received_at))
        r.first_contact_at = r.first_contact_at - shift if r.first_contact_at else None
        r.closed_at = r.closed_at - shift if r.closed_at else None
        r.reason = ""
        r.risk_details = "" if r.known_risks else None
        r.consent_reason = None if r.information_sharing else ""
        r.next_contact_due = None
        r.person = None
        r.person_id = None
        r.erased_at = now
        db.session.flush()
        note_what_was_found(r)
    db.session.flush()
    db.session.delete(person)
    db.session.flush()
    return len(referrals)


def erase(actor, referral_id: str, confirm: str) -> None:
    """Erase a person on their request (a team lead or an admin; the audit log keeps that it happened)."""
    referral = _working(actor, referral_id, "erasure on request")
    if not (actor is SYSTEM or actor.role == "admin" or access.memberships(actor).get(referral.team_id)):
        raise Invalid("Only a team lead or an administrator erases a person's record.", {"confirm": ["Ask a lead."]})
    person = referral.person
    if (confirm or "").strip().lower() != person.family_name.lower():
        raise Invalid("Type the person's last name to confirm erasure.", {"confirm": ["Type their last name."]})
    access.audit(actor, "erase", "erasure on request", person_id=person.id, referral_id=referral.id)
    _erase_person(person)


def apply_retention(now: datetime | None = None) -> int:
    """Erase people whose every referral closed more than RETENTION_DAYS ago. Safe to run twice.
    Returns how many people were erased."""
    now = now or utcnow()
    days = int(flask.current_app.config.get("RETENTION_DAYS", 8 * 365))
    cutoff = now - timedelta(days=days)
    people = db.session.scalars(select(Person).where(
        Person.id.in_(select(Referral.person_id).where(Referral.status == "closed", Referral.closed_at <= cutoff)),
        Person.id.not_in(select(Referral.person_id).where(
            (Referral.status != "closed") | (Referral.closed_at > cutoff))))).all()
    for person in people:
        access.audit(SYSTEM, "erase", f"retention ({days} days after closing)", person_id=person.id)
        _erase_person(person)
    return len(people)


