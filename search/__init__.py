"""Search: what + where over the directory.

This is the foundation's search: a place (postcode, sector, district, council or coordinates)
finds services with a location within the radius or a service area that covers the place;
words narrow it by name, description, category and organisation. Ranking by tiers, stemming,
synonyms, facets and the Whoosh/PostgreSQL full-text engines are the search issue's work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from assets_hub.db import db
from assets_hub.directory.models import Attribute, Organization, Service, ServiceAtLocation, TaxonomyTerm
from assets_hub.directory.services import VISIBLE_STATUSES
from assets_hub.geo.areas import areas_covering
from assets_hub.errors import Invalid
from assets_hub.geo import Place, nearby, resolve_place

MAX_QUERY = 200
MAX_RADIUS_KM = 200.0


@dataclass
class Result:
    service: Service
    distance_m: float | None
    matched_because: str


@dataclass
class SearchResults:
    results: list[Result]
    total: int
    place: Place | None
    radius_km: float
    words: list[str] = field(default_factory=list)


def parse_radius(value, default_km: float) -> float:
    if value in (None, ""):
        return default_km
    try:
        km = float(value)
    except (TypeError, ValueError):
        raise Invalid("The distance must be a number of kilometres.", {"radius_km": ["Not a number."]})
    if not (0 < km <= MAX_RADIUS_KM):
        raise Invalid(f"The distance must be more than 0 and at most {MAX_RADIUS_KM:.0f} km.",
                      {"radius_km": ["Out of range."]})
    return km


def search_services(what: str | None, where: str | None, radius_km: float, page: int = 1,
                    per_page: int = 20) -> SearchResults:
    """Visible services matching the words and the place, nearest first. Raises Invalid/PlaceNotFound."""
    what = (what or "").strip()
    if len(what) > MAX_QUERY:
        raise Invalid(f"Search for at most {MAX_QUERY} characters.", {"what": ["Too long."]})
    words = [w for w in re.findall(r"[\w']+", what.lower()) if len(w) > 1][:10]
    place = resolve_place(where)
    session = db.session
    stmt = select(Service).where(Service.status.in_(VISIBLE_STATUSES))
    for w in words:
        like = f"%{w}%"
        stmt = stmt.where(or_(
            Service.name.ilike(like), Service.description.ilike(like),
            Service.organization_id.in_(select(Organization.id).where(Organization.name.ilike(like))),
            Service.id.in_(select(Attribute.service_id).join(TaxonomyTerm).where(TaxonomyTerm.name.ilike(like)))))
    distances: dict[str, float] = {}
    covers: dict[str, str] = {}
    if place is not None:
        near = nearby(place.latitude, place.longitude, radius_m=radius_km * 1000)
        by_location = {n.location_id: n.distance_m for n in near}
        for sid, lid in session.execute(select(ServiceAtLocation.service_id, ServiceAtLocation.location_id)
                                        .where(ServiceAtLocation.location_id.in_(list(by_location) or [""]))):
            d = by_location[lid]
            if sid not in distances or d < distances[sid]:
                distances[sid] = d
        covers = areas_covering(place)
        stmt = stmt.where(Service.id.in_(set(distances) | set(covers) or {""}))
    services = session.scalars(stmt.options(selectinload(Service.organization))).all()

    def sort_key(s):
        return (s.id not in distances, distances.get(s.id, 0.0), s.name.lower(), s.id)

    services.sort(key=sort_key)
    results = []
    for s in services:
        if s.id in distances:
            why = f"{distances[s.id] / 1000:.1f} km away"
            if s.id in covers:
                why += f" and covers {covers[s.id]}"
        elif s.id in covers:
            why = f"covers {covers[s.id]}"
        else:
            why = "matches your words"
        results.append(Result(s, distances.get(s.id), why))
    start = (page - 1) * per_page
    return SearchResults(results[start:start + per_page], len(results), place, radius_km, words)
