"""Likely duplicates (similar name close by, same phone, same website) and merging them.

Flags are written when a service is created and when an import creates services; curators merge
(keeping both histories; the merged listing's page redirects to the one kept) or dismiss them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import func, or_, select, text

from assets_hub.db import db, one_of, utcnow
from assets_hub.directory.presenters import long_date, opening_times
from assets_hub.directory.models import Attribute, Location, Phone, Service, ServiceArea, ServiceAtLocation
from assets_hub.errors import Conflict, Invalid, NotFound
from assets_hub.geo import nearby
from assets_hub.ids import is_uuid
from assets_hub.roles import CURATORS, actor_label, require_role
from curation import history, scope
from curation.models import Claim, DuplicateFlag, PendingChange

NEAR_M = 250        # "a short distance": the same building or the next street
NAME_SIMILARITY = 0.8
STOP = {"the", "and", "of", "a", "group", "service", "club", "centre", "center"}


def _name_key(name: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", (name or "").lower()) if w not in STOP]
    return " ".join(words)


def similar(a: str, b: str) -> bool:
    ka, kb = _name_key(a), _name_key(b)
    if not ka or not kb:
        return False
    return ka == kb or SequenceMatcher(None, ka, kb).ratio() >= NAME_SIMILARITY


def _digits(number: str) -> str:
    d = re.sub(r"\D", "", number or "")
    return "0" + d[2:] if d.startswith("44") else d


def _site(url: str | None) -> str | None:
    if not url:
        return None
    u = re.sub(r"^https?://(www\.)?", "", url.strip().lower()).rstrip("/")
    return u or None


def find_for(service_ids: list[str]) -> dict[tuple[str, str], set[str]]:
    """{(a, b): reasons} for each listed service and any other live listing that looks the same."""
    session = db.session
    ids = list(service_ids)
    if not ids:
        return {}
    pairs: dict[tuple[str, str], set[str]] = {}

    def add(a, b, reason):
        if a != b:
            pairs.setdefault((min(a, b), max(a, b)), set()).add(reason)

    live = Service.status.in_(("active", "temporarily closed", "inactive"))
    # same phone: compare digits only (0161 496 0000 = +44 161 4960000)
    mine = session.execute(select(Phone.service_id, Phone.number).where(one_of(Phone.service_id, ids))).all()
    wanted = {_digits(n) for _, n in mine if len(_digits(n)) >= 9}
    if wanted:
        squeezed = func.replace(func.replace(Phone.number, " ", ""), "-", "")
        candidates = session.execute(select(Phone.service_id, Phone.number).join(Service, Service.id == Phone.service_id)
                                     .where(live, or_(one_of(squeezed, wanted),
                                                      one_of(Phone.number, [n for _, n in mine]))))
        by_digits: dict[str, set[str]] = {}
        for sid, number in candidates:
            by_digits.setdefault(_digits(number), set()).add(sid)
        for sid, number in mine:
            for other in by_digits.get(_digits(number), ()):
                add(sid, other, "same phone number")
    # same website
    sites = {sid: _site(url)
             for sid, url in session.execute(select(Service.id, Service.url).where(one_of(Service.id, ids)))}
    wanted_sites = {s for s in sites.values() if s}
    if wanted_sites:
        bare = func.lower(Service.url)
        for prefix in ("https://", "http://", "www."):
            bare = func.replace(bare, prefix, "")
        bare = func.rtrim(bare, "/")
        for other, url in session.execute(select(Service.id, Service.url).where(live, one_of(bare, wanted_sites))):
            for sid, site in sites.items():
                if site and _site(url) == site:
                    add(sid, other, "same website")
    # similar name close by
    names = dict(session.execute(select(Service.id, Service.name).where(one_of(Service.id, ids))).all())
    if db.is_postgres:
        rows = session.execute(text(
            "SELECT sa.service_id, sb.service_id, s.name FROM service_at_location sa "
            "JOIN location la ON la.id = sa.location_id "
            "JOIN location lb ON ST_DWithin(lb.geom, la.geom, :m, false) "
            "JOIN service_at_location sb ON sb.location_id = lb.id AND sb.service_id <> sa.service_id "
            "JOIN service s ON s.id = sb.service_id AND s.status IN ('active', 'temporarily closed', 'inactive') "
            "WHERE sa.service_id = ANY(:ids) AND la.geom IS NOT NULL"), {"m": NEAR_M, "ids": ids}).all()
        for sid, other, other_name in rows:
            if similar(names[sid], other_name):
                add(sid, other, "similar name close by")
    else:
        spots = session.execute(select(ServiceAtLocation.service_id, Location.latitude, Location.longitude)
                                .join(Location, Location.id == ServiceAtLocation.location_id)
                                .where(ServiceAtLocation.service_id.in_(ids), Location.latitude.is_not(None))).all()
        for sid, lat, lon in spots:
            near = [n.location_id for n in nearby(lat, lon, NEAR_M)]
            if not near:
                continue
            for other, other_name in session.execute(
                    select(Service.id, Service.name).join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
                    .where(ServiceAtLocation.location_id.in_(near), live)):
                if similar(names[sid], other_name):
                    add(sid, other, "similar name close by")
    return pairs


def flag(service_ids: list[str]) -> int:
    """Record open flags for new likely duplicates of these services; returns how many were new."""
    pairs = find_for(service_ids)
    if not pairs:
        return 0
    session = db.session
    known = {(a, b) for a, b in session.execute(select(DuplicateFlag.service_id, DuplicateFlag.other_id).where(
        or_(one_of(DuplicateFlag.service_id, service_ids), one_of(DuplicateFlag.other_id, service_ids))))}
    new = [DuplicateFlag(service_id=a, other_id=b, reasons=", ".join(sorted(r)))
           for (a, b), r in pairs.items() if (a, b) not in known]
    session.add_all(new)
    session.flush()
    return len(new)


def open_flags(limit: int = 100) -> list[DuplicateFlag]:
    return list(db.session.scalars(select(DuplicateFlag).where(DuplicateFlag.status == "open")
                                   .order_by(DuplicateFlag.created_at).limit(limit)))


def _flag(flag_id: str) -> DuplicateFlag:
    found = db.session.get(DuplicateFlag, flag_id) if is_uuid(flag_id) else None
    if found is None:
        raise NotFound("There is no such duplicate flag.")
    return found


def _require_pair_in_scope(actor, f: DuplicateFlag) -> None:
    scope.require_covers(actor, f.service_id)
    scope.require_covers(actor, f.other_id)


def dismiss(actor, flag_id: str) -> DuplicateFlag:
    """Not the same service after all. Curators and admins."""
    require_role(actor, *CURATORS, action="decide duplicates")
    f = _flag(flag_id)
    _require_pair_in_scope(actor, f)
    if f.status != "open":
        raise Conflict(f"This pair was {f.status} already.")
    f.status, f.decided_by = "dismissed", actor_label(actor)
    db.session.flush()
    return f


def merge(actor, flag_id: str, keep_id: str) -> Service:
    """Merge the pair into ``keep_id``: the other listing's categories, areas and locations are added
    to the kept one, its claims move over, its queued changes are withdrawn, it is marked defunct
    and its page redirects to the kept one. Both histories stay, each with a "merge" version."""
    require_role(actor, *CURATORS, action="merge listings")
    f = _flag(flag_id)
    _require_pair_in_scope(actor, f)
    if f.status != "open":
        raise Conflict(f"This pair was {f.status} already.")
    if keep_id not in (f.service_id, f.other_id):
        raise Invalid("Keep one of the two listings.", {"keep": ["Choose one of the pair."]})
    gone_id = f.other_id if keep_id == f.service_id else f.service_id
    session = db.session
    keep, gone = session.get(Service, keep_id), session.get(Service, gone_id)
    for listing, role in ((keep, "kept"), (gone, "merged away")):
        if listing.merged_into_id:
            raise Conflict(f"“{listing.name}” was merged into another listing already: it cannot be {role}.",
                           {"keep": ["Choose a listing that is still in the directory."]})
    if keep.status == "defunct":
        raise Conflict(f"“{keep.name}” is defunct: keep the listing that still runs.",
                       {"keep": ["Choose a listing that is still in the directory."]})
    before_keep, before_gone = history.current_state(keep_id), history.current_state(gone_id)
    have_terms = {a.taxonomy_term_id for a in keep.attributes}
    for a in gone.attributes:
        if a.taxonomy_term_id not in have_terms:
            keep.attributes.append(Attribute(taxonomy_term_id=a.taxonomy_term_id))
    have_areas = {(a.area_type, a.area_code, a.name) for a in keep.service_areas}
    for a in gone.service_areas:
        if (a.area_type, a.area_code, a.name) not in have_areas:
            keep.service_areas.append(ServiceArea(name=a.name, description=a.description, area_type=a.area_type,
                                                  area_code=a.area_code, extent=a.extent, extent_type=a.extent_type,
                                                  uri=a.uri))
    have_locations = {sal.location_id for sal in keep.service_at_locations}
    for sal in list(gone.service_at_locations):
        if sal.location_id not in have_locations:
            keep.service_at_locations.append(ServiceAtLocation(location_id=sal.location_id, description=sal.description))
    for claim in session.scalars(select(Claim).where(Claim.service_id == gone_id)):
        dup = session.scalar(select(Claim.id).where(Claim.service_id == keep_id, Claim.user_id == claim.user_id))
        if dup is None:
            claim.service_id = keep_id
            claim.is_lead = False
            claim.trusted = False  # trust was given for the other listing, not for this one
    for change in session.scalars(select(PendingChange).where(PendingChange.service_id == gone_id,
                                                              PendingChange.status == "pending")):
        change.status, change.reason = "withdrawn", f"The listing was merged into {keep.name}."
    gone.status, gone.merged_into_id, gone.updated_at = "defunct", keep_id, utcnow()
    keep.updated_at = utcnow()
    f.status, f.decided_by = "merged", actor_label(actor)
    session.flush()
    history.record(actor, keep_id, before_keep, "merge", f"Merged “{gone.name}” ({gone_id}) into this listing")
    history.record(actor, gone_id, before_gone, "merge", f"Merged into “{keep.name}” ({keep_id})")
    return session.get(Service, keep_id)


# ------------------------------------------------------------------ comparing a pair

@dataclass
class Side:
    service: Service
    label: str  # the name, told apart from the other's when both are called the same


@dataclass
class Comparison:
    flag: DuplicateFlag
    a: Side
    b: Side
    rows: list[tuple[str, str, str]]  # (what, the first's, the second's)


def _facts(s: Service) -> dict[str, str]:
    places = []
    for sal in s.service_at_locations:
        loc = sal.location
        lines = [", ".join(x for x in (a.address_1, a.city, a.postal_code) if x) for a in loc.addresses]
        places.append(", ".join(x for x in [loc.name, *lines] if x))
    times = [f"{day}: {t}" if day else t for sal in s.service_at_locations
             for day, t in opening_times(sal.schedules)]
    times += [f"{day}: {t}" if day else t for day, t in opening_times(s.schedules)]
    return {"Organisation": s.organization.name if s.organization else "",
            "Where": "; ".join(places), "Phone": ", ".join(p.number for p in s.phones),
            "Website": s.url or "", "Email": s.email or "", "What it does": s.description or "",
            "Categories": ", ".join(sorted(t.name for t in s.taxonomy_terms)),
            "Opening times": "; ".join(times), "Status": s.status,
            "Last reviewed": long_date(s.last_reviewed_at) if s.last_reviewed_at else "not yet",
            "Added": long_date(s.created_at) if s.created_at else ""}


def compare(actor, flag_id: str) -> Comparison:
    """The two listings of a flag side by side, fact by fact. Curators and admins, in their areas."""
    require_role(actor, *CURATORS, action="compare duplicates")
    f = _flag(flag_id)
    _require_pair_in_scope(actor, f)
    a, b = db.session.get(Service, f.service_id), db.session.get(Service, f.other_id)
    fa, fb = _facts(a), _facts(b)
    label_a, label_b = a.name, b.name
    if _name_key(a.name) == _name_key(b.name) or a.name.strip().lower() == b.name.strip().lower():
        # the same name twice: tell them apart by the first fact that differs
        for what in ("Organisation", "Where", "Phone", "Added"):
            if fa[what] != fb[what] and fa[what] and fb[what]:
                label_a, label_b = f"{a.name} ({fa[what]})", f"{b.name} ({fb[what]})"
                break
        else:
            first = (a.created_at or utcnow()) <= (b.created_at or utcnow())
            label_a = f"{a.name} (listed first)" if first else f"{a.name} (listed second)"
            label_b = f"{b.name} (listed second)" if first else f"{b.name} (listed first)"
    return Comparison(f, Side(a, label_a), Side(b, label_b), [(k, fa[k], fb[k]) for k in fa])
