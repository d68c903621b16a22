"""Review cadence: each listing is due for review a set time after its last review; reminders
escalate (first, reminder, urgent) by email; if nobody confirms it after the urgent one, the
listing is deprioritised in search until someone does. ``send_due`` is the cron entry point and is
safe to run twice: each stage is recorded once per review cycle (a unique key), and only sent
stages are recorded."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import flask
from sqlalchemy import select

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import aware, db, utcnow
from assets_hub.directory.models import Service
from assets_hub.directory.services import VISIBLE_STATUSES, get_service
from assets_hub.roles import CURATORS, require_role
from curation import history, scope
from curation.models import Claim, ReviewReminder
from curation.scope import listing_areas

STAGES = ("first", "reminder", "urgent")
STAGE_WORDS = {"first": "due for review soon", "reminder": "due for review now", "urgent": "overdue for review (urgent)"}


def due_date(last_reviewed: datetime) -> datetime:
    return aware(last_reviewed) + timedelta(days=flask.current_app.config["REVIEW_INTERVAL_DAYS"])


def stage_at(due: datetime, now: datetime) -> str | None:
    """The highest reminder stage reached at ``now`` for a listing due at ``due``."""
    offsets = flask.current_app.config["REVIEW_REMINDER_DAYS"]
    reached = None
    for stage, days in zip(STAGES, offsets):
        if now >= due + timedelta(days=days):
            reached = stage
    return reached


@dataclass
class Run:
    sent: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # stage -> [(service id, name)]
    deprioritised: list[tuple[str, str]] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.sent.values())


def _curators() -> list[tuple[str, set[str] | None]]:
    """(email, the local authorities they look after or None for everywhere) for each active curator."""
    users = db.session.scalars(select(User).where(User.role.in_(CURATORS), User.active.is_(True))
                               .order_by(User.email)).all()
    return [(u.email, scope.areas_of(u)) for u in users]


def send_due(now: datetime | None = None) -> Run:
    """Send every reminder that is due at ``now`` (default: the current time) and deprioritise
    listings whose urgent reminder went unanswered for the grace period. One digest email to the
    curators per run; nothing is recorded for a stage unless its email went out."""
    now = aware(now or utcnow())
    cfg = flask.current_app.config
    interval = timedelta(days=cfg["REVIEW_INTERVAL_DAYS"])
    earliest = min(cfg["REVIEW_REMINDER_DAYS"])
    session = db.session
    cutoff = now - interval - timedelta(days=earliest)  # reviewed before this: at least the first stage
    rows = session.execute(select(Service.id, Service.name, Service.last_reviewed_at, Service.deprioritised_at)
                           .where(Service.status.in_(VISIBLE_STATUSES), Service.last_reviewed_at.is_not(None),
                                  Service.last_reviewed_at <= cutoff).order_by(Service.name)).all()
    run = Run()
    if not rows:
        return run
    sent = {(sid, aware(due), stage): aware(at) for sid, due, stage, at in session.execute(
        select(ReviewReminder.service_id, ReviewReminder.due_on, ReviewReminder.stage, ReviewReminder.sent_at)
        .where(ReviewReminder.service_id.in_([r.id for r in rows])))}
    pending: list[tuple[str, str, datetime, str]] = []
    for sid, name, reviewed, deprioritised in rows:
        due = due_date(reviewed)
        stage = stage_at(due, now)
        if stage and (sid, due, stage) not in sent:
            pending.append((sid, name, due, stage))
        urgent_at = sent.get((sid, due, "urgent"))
        if deprioritised is None and urgent_at and now >= urgent_at + timedelta(days=cfg["REVIEW_GRACE_DAYS"]):
            run.deprioritised.append((sid, name))
    curators = _curators()
    run.recipients = [email for email, _ in curators]
    where = {}
    if any(areas is not None for _, areas in curators):
        where = {sid: listing_areas(sid) for sid in {p[0] for p in pending} | {d[0] for d in run.deprioritised}}
    for email, areas in curators:  # each curator hears about the listings they look after
        mine = pending if areas is None else [p for p in pending if where[p[0]] & areas]
        gone = run.deprioritised if areas is None else [d for d in run.deprioritised if where[d[0]] & areas]
        if mine:
            mail.send(email, _subject(mine), _body(mine, gone))
        elif gone:
            mail.send(email, f"{len(gone)} listing(s) moved down in search", _body([], gone))
    recipients = run.recipients
    claimants = _claimants([p[0] for p in pending])
    for sid, name, due, stage in pending:  # the people who look after a listing hear about their own
        if claimants.get(sid):
            mail.send(claimants[sid], f"Please check your listing: {name}",
                      f"“{name}” is {STAGE_WORDS[stage]} (due {due.date().isoformat()}).\n\nPlease open it, check "
                      "it is still right and suggest any changes; a curator will confirm it.")
    who = ", ".join(recipients)
    for sid, name, due, stage in pending:
        session.add(ReviewReminder(service_id=sid, due_on=due, stage=stage, sent_at=now, recipients=who))
        run.sent.setdefault(stage, []).append((sid, name))
    for sid, _ in run.deprioritised:
        session.get(Service, sid).deprioritised_at = now
    session.flush()
    return run


def _claimants(service_ids: list[str]) -> dict[str, list[str]]:
    """{service id: emails of its confirmed claimants (of the service or its organisation)}."""
    if not service_ids:
        return {}
    session = db.session
    out: dict[str, list[str]] = {}
    rows = session.execute(select(Service.id, User.email).join(Claim, (Claim.service_id == Service.id) |
                                                               (Claim.organization_id == Service.organization_id))
                           .join(User, User.id == Claim.user_id)
                           .where(Service.id.in_(service_ids), Claim.status == "confirmed"))
    for sid, email in rows:
        out.setdefault(sid, []).append(email)
    return out


def _subject(pending) -> str:
    urgent = sum(1 for p in pending if p[3] == "urgent")
    return f"Review reminders: {len(pending)} listing(s)" + (f", {urgent} urgent" if urgent else "")


def _body(pending, deprioritised) -> str:
    base = flask.current_app.config.get("PUBLIC_URL", "").rstrip("/")
    lines = ["These listings need someone to check they are still right.", ""]
    for stage in reversed(STAGES):
        items = [p for p in pending if p[3] == stage]
        if items:
            lines.append(f"{STAGE_WORDS[stage].capitalize()}:")
            lines += [f"  - {name} (due {due.date().isoformat()}) {base}/services/{sid}" for sid, name, due, _ in items]
            lines.append("")
    if deprioritised:
        lines.append("Moved down in search results until someone confirms them:")
        lines += [f"  - {name} {base}/services/{sid}" for sid, name in deprioritised]
        lines.append("")
    lines.append("Open a listing and choose “Still correct”, or edit it. Either counts as a review.")
    return "\n".join(lines)


def confirm_still_correct(actor, service_id: str) -> Service:
    """One click: the listing was checked and is right. Starts a new review cycle and lifts any
    deprioritisation. Curators and admins."""
    require_role(actor, *CURATORS, action="confirm listings")
    scope.require_covers(actor, service_id)
    before = history.current_state(service_id)
    svc = get_service(service_id)
    svc.last_reviewed_at = utcnow()
    svc.deprioritised_at = None
    db.session.flush()
    history.record(actor, service_id, before, "review", "Confirmed still correct")
    return get_service(service_id)
