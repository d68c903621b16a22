"""The embedded engine: Whoosh for words, SQLite (R*Tree + SQL filters) for place and filters."""
from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, delete, insert, select

from assets_hub.db import db
from assets_hub.directory.models import Organization, Service, ServiceAtLocation
from assets_hub.geo import nearby
from assets_hub.geo.areas import areas_covering
from search import engine_whoosh
from search.filters import empty_facets, facet_counts
from search.results import EngineResult, Hit

_temp = MetaData()
CANDIDATES = Table("search_candidate", _temp, Column("id", String(36), primary_key=True), prefixes=["TEMPORARY"])
HITS = Table("search_hit", _temp, Column("id", String(36), primary_key=True), prefixes=["TEMPORARY"])


def _fill(table: Table, ids) -> None:
    session = db.session
    conn = session.connection()
    table.create(conn, checkfirst=True)
    session.execute(delete(table))
    if ids:
        session.execute(insert(table), [{"id": i} for i in ids])


def search(q, place, groups, mode, conditions, category_code) -> EngineResult:
    session = db.session
    engine_whoosh.ensure_current()
    near: dict[str, float] = {}
    cover = {}
    candidates: set[str] | None = None
    if place is not None:
        by_location = {n.location_id: n.distance_m for n in nearby(place.latitude, place.longitude,
                                                                   radius_m=q.radius_km * 1000)}
        if by_location:
            _fill(CANDIDATES, by_location)
            for sid, lid in session.execute(select(ServiceAtLocation.service_id, ServiceAtLocation.location_id)
                                            .where(ServiceAtLocation.location_id.in_(select(CANDIDATES.c.id)))):
                d = by_location[lid]
                if d < near.get(sid, float("inf")):
                    near[sid] = d
        cover = areas_covering(place)
        candidates = set(near) | {sid for sid, c in cover.items() if not (q.local_only and c.national_only)}
    scores: dict[str, float] = {}
    if groups:
        scores = engine_whoosh.text_scores(groups, mode)
        candidates = set(scores) if candidates is None else candidates & set(scores)
    stmt = (select(Service.id, Service.name, Organization.name, Service.last_reviewed_at, Service.deprioritised_at)
            .join(Organization, Organization.id == Service.organization_id).where(*conditions))
    if candidates is not None:
        if not candidates:  # never hand an empty set on: an empty filter would mean "no filter"
            return EngineResult([], 0, empty_facets())
        _fill(CANDIDATES, candidates)
        stmt = stmt.where(Service.id.in_(select(CANDIDATES.c.id)))
    rows = session.execute(stmt).all()
    top = max(scores.values(), default=0) or 1.0
    radius = q.radius_km * 1000
    ranked = []
    for sid, name, org, reviewed, demoted in rows:
        d = near.get(sid)
        c = cover.get(sid)
        if place is None:
            tier = None
        elif d is not None and c is not None:
            tier = 1
        elif d is not None:
            tier = 2
        else:
            tier = 3 if not c.national_only else 4
        relevance = scores[sid] / top if groups else 1.0
        proximity = 0.5 if d is None else 1 - min(d, radius) / radius
        score = relevance * (0.5 + 0.5 * proximity)
        hit = Hit(sid, name, org, d, tier, round(score, 4), c.name if c else None)
        ranked.append((hit, reviewed, demoted is not None))
    key = {
        "nearest": lambda t: (t[2], t[0].distance_m is None, t[0].distance_m or 0, t[0].tier or 0, t[0].name.lower(),
                              t[0].service_id),
        "az": lambda t: (t[0].name.lower(), t[0].service_id),
        "reviewed": lambda t: (t[2], t[1] is None, -(t[1].timestamp() if t[1] else 0), t[0].name.lower(),
                               t[0].service_id),
    }.get(q.sort, lambda t: (t[2], t[0].tier or 0, -t[0].score, t[0].name.lower(), t[0].service_id))
    ranked.sort(key=key)
    _fill(HITS, [t[0].service_id for t in ranked])
    facets = facet_counts(select(HITS.c.id).subquery(), category_code)
    start = (q.page - 1) * q.per_page
    return EngineResult([t[0] for t in ranked[start:start + q.per_page]], len(ranked), facets)


def suggest(words):
    return engine_whoosh.suggest(words)
