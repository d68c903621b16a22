"""What a curator sees first: the queue, claims, suggestions, reviews due, recent changes, counts."""
from __future__ import annotations

from datetime import timedelta

import flask
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.directory import records
from assets_hub.directory.models import Address, Organization, Service, ServiceArea, ServiceAtLocation
from assets_hub.directory.services import VISIBLE_STATUSES
from assets_hub.errors import NotFound
from assets_hub.geo.models import LocalAuthority, Postcode
from assets_hub.roles import CURATORS, require_role
from curation import scope
from curation.duplicates import open_flags
from curation.listings import service_form_values
from curation.models import Claim, ListingVersion, PendingChange
from curation.suggestions import KINDS, open_suggestions
from curation.workflow import conflicts, proposed_name, proposed_values


def _placed(visible):
    """(sid, lad) for visible listings: by their addresses' postcodes (the full postcode, else its
    sector) and by the local authorities they serve."""
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
    return by_address.union(by_area).subquery()


def listings_per_authority(visible) -> list[tuple[str, str | None, int]]:
    """(authority's name, its code, visible listings) per local authority, placed by their
    addresses' postcodes or, without an address there, by the authorities they serve."""
    placed = _placed(visible)
    rows = db.session.execute(select(func.coalesce(LocalAuthority.name, "Not placed"), LocalAuthority.lad_code,
                                     func.count(func.distinct(placed.c.sid)))
                              .select_from(placed).outerjoin(LocalAuthority, LocalAuthority.lad_code == placed.c.lad)
                              .group_by(LocalAuthority.name, LocalAuthority.lad_code)
                              .order_by(func.count(func.distinct(placed.c.sid)).desc(), LocalAuthority.name)).all()
    return [(name, code, n) for name, code, n in rows]


def listings_in_authority(actor, lad_code: str) -> tuple[LocalAuthority, list]:
    """The visible listings placed in one local authority (as the dashboard counts them), A to Z,
    with when each was last reviewed: the per-council table's rows, opened."""
    require_role(actor, *CURATORS, action="see listings by local authority")
    authority = db.session.get(LocalAuthority, lad_code or "")
    if authority is None:
        raise NotFound("We do not know that local authority.")
    placed = _placed(Service.status.in_(VISIBLE_STATUSES))
    rows = db.session.execute(
        select(Service.id, Service.name, Organization.name, Service.last_reviewed_at)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id.in_(select(placed.c.sid).where(placed.c.lad == lad_code)))
        .order_by(func.lower(Service.name), Service.id)).all()
    return authority, rows


def listing_names(service_ids=(), organization_ids=(), user_ids=()) -> tuple[dict, dict, dict]:
    """Names for many ids in one query per kind (pages list dozens of items)."""
    session = db.session
    sids, oids, uids = ({i for i in ids if i} for ids in (service_ids, organization_ids, user_ids))
    services = dict(session.execute(select(Service.id, Service.name).where(Service.id.in_(sids))).all()) if sids else {}
    orgs = dict(session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(oids))).all()) \
        if oids else {}
    users = {uid: f"{name} <{email}>" for uid, name, email in session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_(uids)))} if uids else {}
    return services, orgs, users


def data(actor) -> dict:
    require_role(actor, *CURATORS, action="see the curation dashboard")
    session = db.session
    changes = list(session.scalars(select(PendingChange).where(PendingChange.status == "pending")
                                   .order_by(PendingChange.submitted_at)))
    claim_rows = list(session.scalars(select(Claim).where(Claim.status == "requested").order_by(Claim.created_at)))
    open_reports, flags = open_suggestions(), open_flags()
    versions = list(session.scalars(select(ListingVersion).order_by(ListingVersion.created_at.desc()).limit(20)))
    names, orgs, users = listing_names(
        [c.service_id for c in changes + claim_rows] + [s.service_id for s in open_reports]
        + [f.service_id for f in flags] + [f.other_id for f in flags] + [v.service_id for v in versions],
        [c.organization_id for c in claim_rows], [c.submitted_by for c in changes] + [c.user_id for c in claim_rows])
    name_of = lambda sid: names.get(sid, "(removed)")  # noqa: E731

    # the listings that queued edits may conflict with, read together (one statement a table)
    # (and what they say now, shown beside each proposal)
    listings = {s.id: s for s in records.load_services(
        {c.service_id for c in changes if c.kind == "service_update"}, full=True)}
    now_values = {sid: service_form_values(s) for sid, s in listings.items()}
    queue = [{"change": c, "by": users.get(c.submitted_by, "(removed)"),
              "service": name_of(c.service_id) if c.service_id else proposed_name(c),
              "proposed": proposed_values(c), "fields": [f for f in c.fields.split(",") if f],
              "now": now_values.get(c.service_id),
              "conflicts": conflicts(c, listings[c.service_id])
              if c.service_id in listings and c.base_values is not None else {}}
             for c in changes]
    claims = [{"claim": c, "by": users.get(c.user_id, "(removed)"),
               "listing": name_of(c.service_id) if c.service_id else orgs.get(c.organization_id, "(removed)")}
              for c in claim_rows]
    suggestions = [{"s": s, "service": name_of(s.service_id) if s.service_id else None,
                    "kind": KINDS.get(s.kind, "New service")} for s in open_reports]
    dupes = [{"f": f, "a": name_of(f.service_id), "b": name_of(f.other_id)} for f in flags]
    now = utcnow()
    interval = timedelta(days=flask.current_app.config["REVIEW_INTERVAL_DAYS"])
    visible = Service.status.in_(VISIBLE_STATUSES)
    overdue_q = select(Service.id, Service.name, Service.last_reviewed_at).where(
        visible, Service.last_reviewed_at <= now - interval).order_by(Service.last_reviewed_at)
    soon_q = select(Service.id, Service.name, Service.last_reviewed_at).where(
        visible, Service.last_reviewed_at > now - interval,
        Service.last_reviewed_at <= now - interval + timedelta(days=30)).order_by(Service.last_reviewed_at)
    count = lambda q: session.scalar(select(func.count()).select_from(q.subquery()))  # noqa: E731
    recent = [{"v": v, "service": name_of(v.service_id)} for v in versions]
    areas = listings_per_authority(visible)
    scoped = scope.areas_of(actor)
    if scoped is not None:  # a curator of some councils sees what is theirs
        covered = {}

        def mine(sid):
            if sid is None:
                return True
            if sid not in covered:
                covered[sid] = bool(scope.listing_areas(sid) & scoped)
            return covered[sid]
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
