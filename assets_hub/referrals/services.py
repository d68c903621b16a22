"""Referrals in, and the link worker's record of a person: one function per thing people do,
each checking who may do it (``access``), writing its history event and its audit entry, and
queueing its notices in the outbox (sent after the commit; no personal details in any email)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import flask
from sqlalchemy import and_, func, literal, or_, select, update

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import aware, db, utcnow
from assets_hub.errors import Invalid
from assets_hub.geo.postcodes import lookup_postcode_or_area
from assets_hub.ids import is_uuid, new_id
from assets_hub.referrals import access
from assets_hub.referrals.models import (ContactLog, Goal, KeptApart, Need, OnwardReferral, Person, Referral,
                                         ReferralEvent, Team, TeamMember)
from assets_hub.referrals.schemas import CloseSchema, ContactSchema, GoalSchema
from assets_hub.referrals.vocab import (CLOSED_REASONS, NEEDS, ONWARD_STATUSES, SNOMED_DECLINED, SNOMED_TOOK_UP,
                                        STATUSES, TRANSITIONS, age_band)
from assets_hub.roles import SYSTEM, actor_label, require_role

# Contact outcomes that mean the person was reached: the first one moves a new referral on.
REACHED = ("spoke", "appointment_made", "met")


def _event(referral: Referral, actor, action: str, detail: str = "") -> None:
    db.session.add(ReferralEvent(referral_id=referral.id, actor=actor_label(actor) if actor else "the person",
                                 action=action, status=referral.status, detail=detail))


def _link(endpoint: str, **values) -> str:
    """A link for an email: to a page behind sign-in, so the email itself carries nothing personal."""
    try:
        return flask.url_for(endpoint, _external=True, **values)
    except RuntimeError:  # a command with no SERVER_NAME configured
        return flask.url_for(endpoint, **values) if flask.has_request_context() else "(sign in to Assets Hub)"


# ------------------------------------------------------------------ referral in

def local_authority_of(postcode: str) -> str | None:
    """The local authority code of a postcode, from the unit, else its sector, else its district."""
    row = lookup_postcode_or_area(postcode)
    return row.lad_code if row is not None else None


def create_referral(actor, data: dict, source: str) -> Referral:
    """A referral arrives: from staff (form), the person themselves (no account) or software
    (``POST /api/referrals``). ``data`` is what ``ReferralInSchema`` loaded."""
    if source == "self":
        actor = None
    else:
        require_role(actor, "referrer", "link_worker", action="send referrals")
    team_id = data["team_id"]
    ods_code = data["gp_practice"].get("ods_code")
    # The team, who to tell and whether it takes referrals from this practice, in one query,
    # before anything is pending (no flush on the way).
    team_name, recipients, practice = (access.team_and_emails(team_id, ods_code) if is_uuid(team_id)
                                       else (None, [], None))
    if team_name is None:
        raise Invalid("There is no such team.", {"team_id": ["Unknown team: choose one of the teams listed."]})
    if practice is False and source != "self":  # (a person referring themselves is never turned away for it)
        raise Invalid(f"{team_name} does not take referrals from practice {ods_code}.",
                      {"gp_practice.ods_code": [f"{team_name} does not take referrals from practice {ods_code}: "
                                                "check the code, or ask the team to add the practice."]})
    # Ids made here, so the rows go to the database in two flushes, not one per row.
    p = data["person"]
    person = Person(id=new_id(), team_id=team_id, given_name=p["given_name"], family_name=p["family_name"],
                    date_of_birth=p["date_of_birth"], postcode=p["postcode"], nhs_number=p["nhs_number"],
                    phone=p["phone"], email=p["email"], preferred_contact=p["preferred_contact"])
    db.session.add(person)
    risks, consent = data["risks"], data["consent"]
    referral = Referral(
        id=new_id(), person_id=person.id, team_id=team_id, source=source,
        referrer_id=getattr(actor, "id", None) if actor is not SYSTEM else None,
        gp_ods_code=ods_code, gp_name=practice or data["gp_practice"]["name"],  # (the list's name, for reports)
        reason=data["referral"]["reason"], known_risks=risks["known_risks"],
        risk_details=(risks.get("details") or "").strip() or None if risks["known_risks"] else None,
        information_sharing=consent["information_sharing"],
        consent_reason=None if consent["information_sharing"] else consent["reason"].strip(),
        status="received", received_at=utcnow(),
        age_band=age_band(p["date_of_birth"], utcnow().date()), lad_code=local_authority_of(p["postcode"]))
    db.session.add(referral)
    for code in dict.fromkeys(data["referral"].get("needs") or []):
        referral.needs.append(Need(referral_id=referral.id, code=code, team_id=team_id, lad_code=referral.lad_code,
                                   received_at=referral.received_at))
    _event(referral, actor, "received", f"Referral received ({source}).")
    access.audit(actor, "create", "referral", person_id=person.id, referral_id=referral.id)
    mail.send(recipients, f"New referral for {team_name}",
              f"A new referral has arrived for {team_name}.\n\nSign in to see it: "
              f"{_link('referrals.caseload', scope='unassigned')}\n")
    db.session.flush()  # every row in one flush (Referral.events orders the history after its referral)
    return referral


def possible_duplicates(person: Person) -> list[Person]:
    """Other people in the same team who may be the same person: the same NHS number, or the same
    date of birth and a close name (same family name, or same first letter and given name).
    Shown to the link worker; never merged without them."""
    close_name = or_(func.lower(Person.family_name) == person.family_name.lower(),
                     and_(func.lower(Person.given_name) == person.given_name.lower(),
                          func.lower(func.substr(Person.family_name, 1, 1)) == person.family_name[:1].lower()))
    same = and_(Person.date_of_birth == person.date_of_birth, close_name)
    if person.nhs_number:
        same = or_(Person.nhs_number == person.nhs_number, same)
    apart = (select(KeptApart.person_b).where(KeptApart.person_a == person.id)
             .union(select(KeptApart.person_a).where(KeptApart.person_b == person.id)))
    return list(db.session.scalars(select(Person).where(Person.team_id == person.team_id, Person.id != person.id,
                                                        same, Person.id.not_in(apart)).limit(10)))


def settle_duplicate(actor, referral_id: str, other_id: str, decision: str) -> Person:
    """The link worker decides about a possible duplicate: "apart" (different people: not offered
    again) or "merge" (one person: the other record's referrals move to this one, its details fill
    any gaps here, and the other record goes). Only people the check offered, in the same team."""
    referral = _working(actor, referral_id, f"possible duplicate: {decision}")
    person = referral.person
    other = next((p for p in possible_duplicates(person) if p.id == other_id), None)
    if other is None:
        raise Invalid("That record is not offered as a possible duplicate of this person.",
                      {"duplicate": ["Not a possible duplicate."]})
    if decision == "apart":
        a, b = sorted((person.id, other.id))
        db.session.add(KeptApart(person_a=a, person_b=b, decided_by=actor_label(actor)))
        _event(referral, actor, "kept_apart", "A similar record was checked: a different person.")
    elif decision == "merge":
        for field in ("nhs_number", "phone", "email", "preferred_contact"):
            if not getattr(person, field) and getattr(other, field):
                setattr(person, field, getattr(other, field))
        if other.what_matters and other.what_matters not in person.what_matters:
            person.what_matters = "\n\n".join(t for t in (person.what_matters, other.what_matters) if t)
        person.do_not_contact = person.do_not_contact or other.do_not_contact
        person.sensitive = person.sensitive or other.sensitive
        for moved in db.session.scalars(select(Referral).where(Referral.person_id == other.id)):
            moved.person_id = person.id
        access.audit(actor, "change", "merged into another record", person_id=other.id)
        db.session.flush()
        db.session.delete(other)
        _event(referral, actor, "merged", "Another record of the same person was merged into this one.")
    else:
        raise Invalid("Choose merge or keep apart.", {"decision": ["Choose merge or keep apart."]})
    db.session.flush()
    return person


# ------------------------------------------------------------------ the caseload

@dataclass
class CaseRow:
    referral: Referral
    link_worker: str | None
    restricted: bool  # sensitive and not this actor's: the name is not shown

    @property
    def waiting_days(self) -> int:
        end = self.referral.first_contact_at or utcnow()
        return max(0, (aware(end) - aware(self.referral.received_at)).days)


SORTS = {"received": Referral.received_at, "next_contact": Referral.next_contact_due, "status": Referral.status}


CASELOAD_PAGE = 50


def caseload(actor, scope: str = "mine", status: str | None = None, sort: str = "received",
             team_id: str | None = None, page: int = 1) -> tuple[list[CaseRow], dict, int]:
    """The referrals a link worker works on. ``scope``: "mine" (assigned to me), "unassigned"
    (my teams' new referrals nobody has taken on) or "team" (everything in my teams). Closed cases
    only when ``status`` asks for them. Returns (this page's rows, {team id: name}, how many in all)."""
    require_role(actor, "link_worker", action="see a caseload")
    teams = access.memberships(actor)
    names = select(Team.id, Team.name).order_by(Team.name)
    if teams or actor.role != "admin":  # an admin in no team sees every team's
        names = names.where(Team.id.in_(list(teams)))
    team_names = dict(db.session.execute(names).tuples().all())
    stmt = select(Referral, User.display_name).outerjoin(User, User.id == Referral.link_worker_id)
    visible = list(team_names)
    if team_id:
        visible = [t for t in visible if t == team_id]
    stmt = stmt.where(Referral.team_id.in_(visible), Referral.person_id.is_not(None))
    if scope == "mine":
        stmt = stmt.where(Referral.link_worker_id == actor.id)
    elif scope == "unassigned":
        stmt = stmt.where(Referral.link_worker_id.is_(None))
    if status in STATUSES:
        stmt = stmt.where(Referral.status == status)
    else:
        stmt = stmt.where(Referral.status != "closed")
    total = db.session.scalar(stmt.with_only_columns(func.count()).order_by(None))
    order = SORTS.get(sort, Referral.received_at)
    stmt = (stmt.order_by(order.asc().nulls_last() if sort == "next_contact" else order.asc(), Referral.id)
            .limit(CASELOAD_PAGE).offset((max(1, page) - 1) * CASELOAD_PAGE))
    rows = []
    for referral, worker in db.session.execute(stmt):
        restricted = not access.can_work_on(actor, referral)
        rows.append(CaseRow(referral, worker, restricted))
    access.audit(actor, "view", f"caseload ({scope})")
    return rows, team_names, total


# ------------------------------------------------------------------ the person's record

def record(actor, referral_id: str) -> dict:
    """Everything the record page shows, audited as one read."""
    referral = access.referral_for(actor, referral_id)
    rid = referral.id
    return {
        "referral": referral,
        "person": referral.person,
        "needs": referral.needs,
        "contacts": list(db.session.scalars(select(ContactLog).where(ContactLog.referral_id == rid)
                                            .order_by(ContactLog.on.desc(), ContactLog.created_at.desc()))),
        "goals": list(db.session.scalars(select(Goal).where(Goal.referral_id == rid).order_by(Goal.created_at))),
        "events": history(rid),
        "onward": onward_for(rid),
        "duplicates": possible_duplicates(referral.person),
        "link_worker": db.session.get(User, referral.link_worker_id) if referral.link_worker_id else None,
        "referrer": db.session.get(User, referral.referrer_id) if referral.referrer_id else None,
    }


def history(referral_id: str) -> list[ReferralEvent]:
    return list(db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
                                   .order_by(ReferralEvent.at, ReferralEvent.id)))


def onward_for(referral_id: str):
    return list(db.session.scalars(select(OnwardReferral).where(OnwardReferral.referral_id == referral_id)
                                   .order_by(OnwardReferral.sent_at.desc())))


def _working(actor, referral_id: str, what: str) -> Referral:
    require_role(actor, "link_worker", action="work on referrals")
    referral = access.referral_for(actor, referral_id, action="change", what=what)
    return referral


def _open(referral: Referral) -> None:
    if referral.status == "closed":
        raise Invalid("This case is closed: reopen it by making a new referral.",
                      {"status": ["The case is closed."]})


def take_on(actor, referral_id: str, link_worker_id: str | None = None) -> Referral:
    """Assign a referral: to oneself, or (a team lead or admin) to another of the team's link workers."""
    referral = _working(actor, referral_id, "assigned link worker")
    _open(referral)
    target = link_worker_id or actor.id
    if target != actor.id:
        if not (actor.role == "admin" or access.memberships(actor).get(referral.team_id)):
            raise Invalid("Only the team's leads assign referrals to someone else.",
                          {"link_worker_id": ["Ask a team lead."]})
        if not db.session.scalar(select(TeamMember.id).where(TeamMember.team_id == referral.team_id,
                                                             TeamMember.user_id == target)):
            raise Invalid("That person is not one of this team's link workers.",
                          {"link_worker_id": ["Not in this team."]})
    referral.link_worker_id = target
    worker = db.session.get(User, target)
    _event(referral, actor, "assigned", f"Link worker: {worker.display_name if worker else 'someone'}.")
    db.session.flush()
    return referral


def move(actor, referral_id: str, to: str, reason: str | None = None) -> Referral:
    """A step of the lifecycle (received -> contacted -> first appointment -> supported -> closed).
    Refuses a step the lifecycle does not allow, saying which steps it does."""
    referral = _working(actor, referral_id, f"status to {to}")
    if to not in STATUSES:
        raise Invalid(f"Unknown status {to!r}.", {"status": [f"Choose one of: {', '.join(STATUSES)}."]})
    allowed = TRANSITIONS[referral.status]
    if to not in allowed:
        if referral.status == "closed":
            msg = "This case is closed; nothing follows closing (make a new referral to start again)."
        else:
            nexts = " or ".join(STATUSES[s].lower() for s in allowed)
            msg = (f"A case that is {STATUSES[referral.status].lower()} cannot become {STATUSES[to].lower()}: "
                   f"it can become {nexts}.")
        raise Invalid(msg, {"status": [msg]})
    detail = ""
    if to == "closed":
        data = CloseSchema().load({"reason": reason} if reason else {})
        referral.closed_reason = data["reason"]
        referral.closed_at = utcnow()
        referral.next_contact_due = None
        detail = CLOSED_REASONS[data["reason"]] + "."
    if to == "contacted" and referral.first_contact_at is None:
        referral.first_contact_at = utcnow()
    referral.status = to
    _event(referral, actor, "status", detail or f"Now: {STATUSES[to]}.")
    db.session.flush()
    note_what_was_found(referral)
    return referral


def note_what_was_found(referral: Referral) -> None:
    """Keep ``nothing_found`` true to the closed case's onward referrals (call after any change
    to them, or to the case's status)."""
    if referral.status != "closed":
        referral.nothing_found = None
    else:
        referral.nothing_found = db.session.scalar(select(OnwardReferral.id).where(
            OnwardReferral.referral_id == referral.id,
            OnwardReferral.status.not_in(("declined", "expired"))).limit(1)) is None
    db.session.flush()
    # each need's "no service" follows: marked unmet, or its case closed with nothing found
    db.session.execute(update(Need).where(Need.referral_id == referral.id)
                       .values(no_service=or_(Need.unmet.is_(True), literal(bool(referral.nothing_found)))))


def log_contact(actor, referral_id: str, values: dict) -> ContactLog:
    """A contact with the person (or an attempt). The first that reaches them marks a new
    referral contacted."""
    data = ContactSchema().load(values)
    referral = _working(actor, referral_id, "contact logged")
    _open(referral)
    contact = ContactLog(referral_id=referral.id, by=actor_label(actor), **data)
    db.session.add(contact)
    if data["outcome"] in REACHED:
        if referral.first_contact_at is None:
            referral.first_contact_at = datetime.combine(data["on"], datetime.min.time(), tzinfo=utcnow().tzinfo)
        if referral.status == "received":
            referral.status = "contacted"
    _event(referral, actor, "contact", f"Contact logged ({data['method']}, {data['outcome']}).")
    db.session.flush()
    return contact


def update_person(actor, referral_id: str, what_matters: str | None = None, do_not_contact: bool | None = None,
                  sensitive: bool | None = None, next_contact_due: date | None | str = "keep") -> Referral:
    referral = _working(actor, referral_id, "record updated")
    person = referral.person
    changed = []
    if what_matters is not None and what_matters.strip() != person.what_matters:
        if len(what_matters) > 4000:
            raise Invalid("Keep what matters to 4000 characters.", {"what_matters": ["Too long."]})
        person.what_matters = what_matters.strip()
        changed.append("what matters to me")
    for flag, value in (("do_not_contact", do_not_contact), ("sensitive", sensitive)):
        if value is not None and bool(value) != getattr(person, flag):
            setattr(person, flag, bool(value))
            changed.append(flag.replace("_", " ") + (" set" if value else " cleared"))
    if next_contact_due != "keep":
        if next_contact_due is not None and referral.status == "closed":
            _open(referral)
        referral.next_contact_due = next_contact_due
        changed.append("next contact due")
    if changed:
        _event(referral, actor, "record", "Updated: " + ", ".join(changed) + ".")
    db.session.flush()
    return referral


def add_need(actor, referral_id: str, code: str, note: str = "") -> Need:
    referral = _working(actor, referral_id, "need recorded")
    if code not in NEEDS:
        raise Invalid("Choose a need from the list.", {"need": ["Choose a need from the list."]})
    if any(n.code == code for n in referral.needs):
        raise Invalid(f"“{NEEDS[code][0]}” is recorded already.", {"need": ["Recorded already."]})
    need = Need(referral_id=referral.id, code=code, note=(note or "").strip()[:2000], team_id=referral.team_id,
                lad_code=referral.lad_code, no_service=bool(referral.nothing_found),
                received_at=referral.received_at)
    referral.needs.append(need)
    _event(referral, actor, "need", f"Need recorded: {NEEDS[code][0]}.")
    db.session.flush()
    return need


def add_goal(actor, referral_id: str, values: dict) -> Goal:
    data = GoalSchema().load(values)
    referral = _working(actor, referral_id, "goal recorded")
    _open(referral)
    goal = Goal(referral_id=referral.id, **data)
    db.session.add(goal)
    _event(referral, actor, "goal", "Goal recorded.")
    db.session.flush()
    return goal


# ------------------------------------------------------------------ what a referrer sees

def status_view(actor, referral_id: str) -> dict:
    """A referral's status and history: for its referrer and the receiving team (GET /api/referrals/{id})."""
    referral = access.referral_for(actor, referral_id, need="status", what="referral status")
    return {
        "id": referral.id,
        "team_id": referral.team_id,
        "status": referral.status,
        "status_label": STATUSES[referral.status],
        "closed_reason": referral.closed_reason,
        "received_at": referral.received_at.isoformat(),
        "first_contact_at": referral.first_contact_at.isoformat() if referral.first_contact_at else None,
        "history": [{"at": e.at.isoformat(), "action": e.action, "status": e.status} for e in history(referral.id)],
        "onward": [{"service_id": o.service_id, "service_name": o.service_name, "kind": o.kind,
                    "status": o.status, "status_label": ONWARD_STATUSES[o.status]}
                   for o in onward_for(referral.id)],
        "outcome": _outcome(referral),
    }


def _outcome(referral: Referral) -> dict | None:
    """What the referrer needs for the GP record once the case is closed (None until then)."""
    if referral.status != "closed":
        return None
    code = gp_code(referral)
    return {"closed_reason": referral.closed_reason, "closed_reason_label": CLOSED_REASONS[referral.closed_reason],
            "closed_at": referral.closed_at.isoformat() if referral.closed_at else None,
            "snomed": {"code": code[0], "term": code[1]} if code else None}


def sent_by(actor) -> list[Referral]:
    """The referrals a referrer sent (the list on their page), newest first."""
    require_role(actor, "referrer", action="see the referrals you sent")
    rows = list(db.session.scalars(select(Referral).where(Referral.referrer_id == actor.id,
                                                              Referral.person_id.is_not(None))
                                   .order_by(Referral.received_at.desc()).limit(200)))
    access.audit(actor, "view", "referrals sent")
    return rows


def took_up(referral: Referral) -> bool:
    """Did the person take up social prescribing: did the case reach a first appointment?"""
    if referral.status in ("first_appointment", "supported"):
        return True
    return db.session.scalar(select(ReferralEvent.id).where(
        ReferralEvent.referral_id == referral.id,
        ReferralEvent.status.in_(("first_appointment", "supported"))).limit(1)) is not None


def gp_code(referral: Referral) -> tuple[str, str] | None:
    """The SNOMED CT code (and its term) for the GP record, once the case is closed: declined, or
    took it up (reached a first appointment). A person never reached, or who moved away before a
    first appointment, has neither."""
    if referral.status != "closed":
        return None
    if referral.closed_reason == "declined":
        return SNOMED_DECLINED
    return SNOMED_TOOK_UP if took_up(referral) else None
