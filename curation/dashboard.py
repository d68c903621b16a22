"""What a curator sees first: the queue, claims, suggestions, reviews due, recent changes, counts."""
from __future__ import annotations

import json
from datetime import timedelta

import flask
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from assets_hub.accounts.models import User
from assets_hub.accounts.permissions import CURATORS, require_role
from assets_hub.db import db, utcnow
from assets_hub.directory.models import Address, Organization, Service, ServiceArea, ServiceAtLocation
from assets_hub.directory.services import VISIBLE_STATUSES
from assets_hub.geo.models import LocalAuthority, Postcode
from curation.models import Claim, ListingVersion, PendingChange
from curation.suggestions import KINDS, open_suggestions



def listings_per_authority(visible) -> list[tuple[str, int]]:
    """Visible listings per local authority, placed by their addresses' postcodes (the full postcode,
    else its sector) or, without an address there, by the authorities they serve."""
    unit, sector = aliased(Postcode), aliased(Postcode)
    sector_code = func.substr(Address.postal_code, 1, func.length(Address.postal_code) - 2)
    lad = func.coalesce(unit.lad_code, sector.lad_code)
    by_address = (select(Service.id.label("sid"), lad.label("lad"))
                  .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
                  .join(Address, Address.location_id == ServiceAtLocation.location_id)
                  .outerjoin(unit, unit.code == Address.postal_code)
                  .outerjoin(sector, sector.code == sector_code).where(visible))
    by_area = (select(Service.id.label("sid"), ServiceArea.area_code.label("lad"))
               .join(ServiceArea, ServiceArea.service_id == Service.id)
               .where(visible, ServiceArea.area_type == "local_authority"))
    placed = by_address.union(by_area).subquery()
    rows = db.session.execute(select(func.coalesce(LocalAuthority.name, "Not placed"),
                                     func.count(func.distinct(placed.c.sid)))
                              .select_from(placed).outerjoin(LocalAuthority, LocalAuthority.lad_code == placed.c.lad)
                              .group_by(LocalAuthority.name).order_by(func.count(func.distinct(placed.c.sid)).desc(),
                                                                      LocalAuthority.name)).all()
    return [(name, n) for name, n in rows]


def data(actor) -> dict:
    require_role(actor, *CURATORS, action="see the curation dashboard")
    session = db.session
    names = {}

    def name_of(service_id):
        if service_id and service_id not in names:
            names[service_id] = session.scalar(select(Service.name).where(Service.id == service_id)) or "(removed)"
        return names.get(service_id, "")

    users = {}

    def user_of(user_id):
        if user_id and user_id not in users:
            u = session.get(User, user_id)
            users[user_id] = f"{u.display_name} <{u.email}>" if u else "(removed)"
        return users.get(user_id, "")

    from curation.workflow import change_title
    queue = [{"change": c, "service": change_title(c), "by": user_of(c.submitted_by),
              "proposed": json.loads(c.payload), "fields": [f for f in c.fields.split(",") if f]}
             for c in session.scalars(select(PendingChange).where(PendingChange.status == "pending")
                                      .order_by(PendingChange.submitted_at))]
    claims = []
    for c in session.scalars(select(Claim).where(Claim.status == "requested").order_by(Claim.created_at)):
        listing = name_of(c.service_id) if c.service_id else session.scalar(
            select(Organization.name).where(Organization.id == c.organization_id))
        claims.append({"claim": c, "listing": listing, "by": user_of(c.user_id)})
    suggestions = [{"s": s, "service": name_of(s.service_id) if s.service_id else None,
                    "kind": KINDS.get(s.kind, "New service")} for s in open_suggestions()]
    from curation.duplicates import open_flags
    dupes = [{"f": f, "a": name_of(f.service_id), "b": name_of(f.other_id)} for f in open_flags()]
    now = utcnow()
    interval = timedelta(days=flask.current_app.config["REVIEW_INTERVAL_DAYS"])
    visible = Service.status.in_(VISIBLE_STATUSES)
    overdue_q = select(Service.id, Service.name, Service.last_reviewed_at).where(
        visible, Service.last_reviewed_at <= now - interval).order_by(Service.last_reviewed_at)
    soon_q = select(Service.id, Service.name, Service.last_reviewed_at).where(
        visible, Service.last_reviewed_at > now - interval,
        Service.last_reviewed_at <= now - interval + timedelta(days=30)).order_by(Service.last_reviewed_at)
    count = lambda q: session.scalar(select(func.count()).select_from(q.subquery()))  # noqa: E731
    recent = [{"v": v, "service": name_of(v.service_id)} for v in session.scalars(
        select(ListingVersion).order_by(ListingVersion.created_at.desc()).limit(20))]
    areas = listings_per_authority(visible)
    from curation import scope
    scoped = scope.areas_of(actor)
    if scoped is not None:  # a curator of some councils sees what is theirs
        mine = lambda sid: sid is None or scope.covers(actor, sid)  # noqa: E731
        queue = [q for q in queue if mine(q["change"].service_id)]
        claims = [c for c in claims if (mine(c["claim"].service_id) if c["claim"].service_id else True)]
        suggestions = [s for s in suggestions if mine(s["s"].service_id)]
        dupes = [x for x in dupes if mine(x["f"].service_id) or mine(x["f"].other_id)]
    return {"queue": queue, "claims": claims, "suggestions": suggestions, "duplicates": dupes,
            "scoped_to": sorted(db.session.scalars(select(LocalAuthority.name).where(
                LocalAuthority.lad_code.in_(scoped)))) if scoped else None,
            "overdue": session.execute(overdue_q.limit(20)).all(), "overdue_count": count(overdue_q),
            "due_soon": session.execute(soon_q.limit(20)).all(), "due_soon_count": count(soon_q),
            "deprioritised_count": session.scalar(select(func.count()).where(visible, Service.deprioritised_at.is_not(None))),
            "recent": recent, "areas": areas[:60],
            "interval_days": interval.days}
