"""Who may see which referral, and the audit log of every read and change of personal data.

DOMAIN.md's privacy rules, in one place: a team's link workers see that team's referrals (a record
flagged sensitive: only its own link worker, the team's leads and admins); a referrer sees the
referrals they sent, their status and history, not the record; a provider sees only referrals
sent to services they look after (a confirmed claim), and only the fields the person agreed to
share; admins see everything, and every read is logged as anyone else's. Curators, time bank
roles and members see nothing. A referral someone may not see is "not found" (404), never
"forbidden", so an id reveals nothing."""
from __future__ import annotations

import flask
from sqlalchemy import or_, select

from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.directory.models import Service
from assets_hub.errors import NotFound, Unauthorised
from assets_hub.ids import is_uuid
from assets_hub.referrals.models import AuditEntry, Referral, Team, TeamMember, TeamPractice
from assets_hub.roles import SYSTEM, actor_label, require_role
from curation.models import Claim

NOT_FOUND = "There is no referral at that address, or it is not yours to see."

# Roles that may ever read personal data (each still only what the rules above allow).
PERSONAL_DATA_ROLES = ("admin", "link_worker", "referrer", "provider")


def signed_in(actor) -> bool:
    return actor is SYSTEM or (actor is not None and getattr(actor, "is_authenticated", False))


def require_signed_in(actor, action: str = "see referrals") -> None:
    if not signed_in(actor):
        raise Unauthorised(f"Please sign in to {action}.")


def memberships(actor) -> dict[str, bool]:
    """{team id: is lead} for the actor's teams (link workers; an admin may belong too)."""
    if not signed_in(actor) or actor is SYSTEM or actor.role not in ("link_worker", "admin"):
        return {}
    cache = flask.g.setdefault("sp_memberships", {}) if flask.has_app_context() else {}
    if actor.id not in cache:
        cache[actor.id] = dict(db.session.execute(
            select(TeamMember.team_id, TeamMember.lead).where(TeamMember.user_id == actor.id)).all())
    return cache[actor.id]


def forget_memberships() -> None:
    if flask.has_app_context():
        flask.g.pop("sp_memberships", None)


def provided_service_ids(actor) -> set[str]:
    """The services a provider looks after: confirmed claims on the service or its organisation."""
    if not signed_in(actor) or actor is SYSTEM or actor.role != "provider":
        return set()
    direct = select(Claim.service_id).where(Claim.user_id == actor.id, Claim.status == "confirmed",
                                            Claim.service_id.is_not(None))
    via_org = (select(Service.id).join(Claim, Claim.organization_id == Service.organization_id)
               .where(Claim.user_id == actor.id, Claim.status == "confirmed"))
    return set(db.session.scalars(direct)) | set(db.session.scalars(via_org))


def provider_emails(service_id: str) -> list[str]:
    """Who answers referrals for a service: its confirmed claimants and its organisation's."""
    org_id = select(Service.organization_id).where(Service.id == service_id).scalar_subquery()
    return list(db.session.scalars(
        select(User.email).join(Claim, Claim.user_id == User.id)
        .where(Claim.status == "confirmed", User.active.is_(True),
               or_(Claim.service_id == service_id, Claim.organization_id == org_id))
        .distinct()))


def team_and_emails(team_id: str, ods_code: str | None = None) -> tuple[str | None, list[str], str | bool | None]:
    """A team's name (None: no such team), its active link workers' addresses, and what its list
    of GP practices says of ``ods_code``: the practice's name on the list, False (the team has a
    list and this practice is not on it) or None (no list yet, or no code given). One query: a
    referral arriving is the busiest write there is."""
    listed = (select(TeamPractice.name).where(TeamPractice.team_id == Team.id, TeamPractice.ods_code == ods_code)
              .scalar_subquery())
    has_list = select(TeamPractice.id).where(TeamPractice.team_id == Team.id).exists()
    rows = db.session.execute(
        select(Team.name, User.email, listed, has_list).select_from(Team)
        .outerjoin(TeamMember, TeamMember.team_id == Team.id)
        .outerjoin(User, (User.id == TeamMember.user_id) & User.active.is_(True))
        .where(Team.id == team_id)).all()
    if not rows:
        return None, [], None
    name, _, practice, has_practices = rows[0]
    verdict = (practice if practice is not None else False) if ods_code and has_practices else None
    return name, [email for _, email, _, _ in rows if email], verdict


def team_emails(team_id: str, leads_only: bool = False) -> list[str]:
    stmt = (select(User.email).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team_id, User.active.is_(True)))
    if leads_only:
        stmt = stmt.where(TeamMember.lead.is_(True))
    return list(db.session.scalars(stmt))


def can_work_on(actor, referral: Referral) -> bool:
    """The link worker's whole record: the team's link workers (sensitive: its own link worker and
    the leads) and admins."""
    if actor is SYSTEM:
        return True
    if not signed_in(actor):
        return False
    if actor.role == "admin":
        return True
    teams = memberships(actor)
    if referral.team_id not in teams:
        return False
    if referral.person.sensitive:
        return teams[referral.team_id] or referral.link_worker_id == actor.id
    return True


def level(actor, referral: Referral) -> str | None:
    """"record" (the whole record), "status" (the referrer: status and history) or None."""
    if can_work_on(actor, referral):
        return "record"
    if signed_in(actor) and actor is not SYSTEM and referral.referrer_id == actor.id:
        return "status"
    return None


def load(referral_id: str) -> Referral:
    referral = db.session.get(Referral, referral_id) if is_uuid(referral_id) else None
    if referral is None or referral.person_id is None:  # erased: only anonymous figures are left
        raise NotFound(NOT_FOUND)
    return referral


def referral_for(actor, referral_id: str, need: str = "record", action: str = "view",
                 what: str = "referral record") -> Referral:
    """The referral if the actor may see it at ``need`` ("record" or "status"), audited; else NotFound."""
    require_signed_in(actor)
    referral = load(referral_id)
    got = level(actor, referral)
    if got is None or (need == "record" and got != "record"):
        raise NotFound(NOT_FOUND)
    audit(actor, action, what, person_id=referral.person_id, referral_id=referral.id)
    return referral


def audit(actor, action: str, what: str, person_id: str | None = None, referral_id: str | None = None) -> None:
    """Write one audit entry in the current transaction: a change and its entry commit together,
    and a read is recorded when the page or answer that showed it is."""
    address = ""
    if flask.has_request_context():
        address = (flask.request.remote_addr or "")[:64]
    elif actor is SYSTEM:
        address = "command line"
    db.session.add(AuditEntry(actor_id=getattr(actor, "id", None), actor=actor_label(actor) if actor else "anonymous",
                              action=action, what=what[:200], person_id=person_id, referral_id=referral_id,
                              address=address))


def audit_entries(actor, person_id: str | None = None, since=None, limit: int = 500) -> list[AuditEntry]:
    require_role(actor, "admin", action="read the audit log")
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id).limit(limit)
    if person_id:
        stmt = stmt.where(AuditEntry.person_id == person_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    return list(db.session.scalars(stmt))
