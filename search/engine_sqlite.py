"""The embedded engine: Whoosh for words, SQLite (R*Tree + SQL filters) for place and filters."""
from __future__ import annotations

import heapq

from sqlalchemy import Column, MetaData, String, Table, insert, select

from assets_hub.db import db
from assets_hub.directory.areas import areas_covering
from assets_hub.directory.models import Attribute, Organization, Service, ServiceAtLocation, TaxonomyTerm
from assets_hub.geo import nearby
from search import engine_whoosh
from search.filters import category_term_ids, conditions as filter_conditions, empty_facets, facet_counts
from search.results import EngineResult, Hit

_temp = MetaData()
FACET_SAMPLE = 2000
CANDIDATES = Table("search_candidate", _temp, Column("id", String(36), primary_key=True), prefixes=["TEMPORARY"])
HITS = Table("search_hit", _temp, Column("id", String(36), primary_key=True), prefixes=["TEMPORARY"])
SAMPLE = Table("search_sample", _temp, Column("id", String(36), primary_key=True), prefixes=["TEMPORARY"])


def _fill(table: Table, ids) -> None:
    """Replace the rows of a per-connection temporary table of ids (the driver's executemany: fast)."""
    conn = db.session.connection()
    # Every time: a rollback drops a temporary table created in that transaction.
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {table.name} (id VARCHAR(36) PRIMARY KEY)")
    conn.exec_driver_sql(f"DELETE FROM {table.name}")
    if ids:
        conn.exec_driver_sql(f"INSERT INTO {table.name} (id) VALUES (?)", [(i,) for i in ids])


def search(q, place, groups, mode, now=None) -> EngineResult:
    session = db.session
    conditions = filter_conditions(q, category_term_ids(q.category), now=now)
    category_code = q.category
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
    if groups and candidates is not None:
        scores = engine_whoosh.text_scores(groups, mode, only=candidates)
        candidates = set(scores)
    elif groups and not q.filters_active() and q.sort in ("best", "nearest"):
        return _words_only(q, groups, mode, conditions, category_code)
    elif groups:
        scores = engine_whoosh.text_scores(groups, mode)
        candidates = set(scores)
    hits_query = select(Service.id).where(*conditions)
    if candidates is not None:
        if not candidates:  # never hand an empty set on: an empty filter would mean "no filter"
            return EngineResult([], 0, empty_facets())
        _fill(CANDIDATES, candidates)
        hits_query = hits_query.where(Service.id.in_(select(CANDIDATES.c.id)))
    # The matched set is built inside SQLite; Python reads back only what ranking needs.
    _fill(HITS, ())
    session.execute(insert(HITS).from_select(["id"], hits_query))
    conn = session.connection()
    base = "SELECT s.id, s.name, s.deprioritised_at IS NOT NULL, s.last_reviewed_at FROM search_hit h " \
           "JOIN service s ON s.id = h.id"
    total = None
    if place is None and not (groups and q.sort in ("best", "nearest")):
        # No distances and no relevance to blend: SQLite orders and pages by itself.
        order = {"az": "lower(s.name), s.id",
                 "reviewed": "s.deprioritised_at IS NOT NULL, s.last_reviewed_at DESC, lower(s.name), s.id"
                 }.get(q.sort, "s.deprioritised_at IS NOT NULL, lower(s.name), s.id")
        total = conn.exec_driver_sql("SELECT count(*) FROM search_hit").scalar()
        rows = conn.exec_driver_sql(f"{base} ORDER BY {order} LIMIT ? OFFSET ?",
                                    (q.per_page, (q.page - 1) * q.per_page)).fetchall()
        offset = 0
    elif place is None:
        # Words only: the page can only come from the best text scores, so read back just those
        # (a common word can match most of the directory); fall back to all when filters thinned them.
        total = conn.exec_driver_sql("SELECT count(*) FROM search_hit").scalar()
        need = q.page * q.per_page
        _fill(CANDIDATES, _best(scores, need + 200))
        rows = conn.exec_driver_sql(f"{base} JOIN search_candidate c ON c.id = h.id").fetchall()
        if len(rows) < min(need, total):
            rows = conn.exec_driver_sql(base).fetchall()
        offset = None
    else:
        rows = conn.exec_driver_sql(base).fetchall()
        offset = None
    weak: set[str] = set()
    if place is not None and groups and q.sort == "best":
        # Words found in a listing's name or categories before words only in a description (as
        # PostgreSQL's weights A and B): a library mentioning "mental health" in passing comes
        # after a mental health service further away; tiers order each of the two.
        titles = {sid: name for sid, name, _, _ in rows}
        parent = TaxonomyTerm.__table__.alias("parent")
        for sid, term, parent_name in session.execute(
                select(Attribute.service_id, TaxonomyTerm.name, parent.c.name)
                .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
                .outerjoin(parent, parent.c.id == TaxonomyTerm.parent_id)
                .where(Attribute.service_id.in_(select(HITS.c.id)))):
            titles[sid] = f"{titles.get(sid, '')} {term} {parent_name or ''}"
        weak = set(titles) - engine_whoosh.strong_matches(groups, mode, titles)
    top = max(scores.values(), default=0) or 1.0
    radius = q.radius_km * 1000
    ranked = []
    for sid, name, demoted, reviewed in rows:
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
        relevance = scores.get(sid, 0.0) / top if groups else 1.0
        proximity = 0.5 if d is None else 1 - min(d, radius) / radius
        score = relevance * (0.5 + 0.5 * proximity)
        ranked.append((Hit(sid, name, "", d, tier, round(score, 4), c.name if c else None), reviewed or "",
                       bool(demoted), score))
    if offset == 0:
        pass  # already in order, and already the page
    elif q.sort == "nearest":
        ranked.sort(key=lambda t: (t[2], t[0].distance_m is None, t[0].distance_m or 0, t[0].tier or 0,
                                   t[0].name.lower(), t[0].service_id))
    elif q.sort == "az":
        ranked.sort(key=lambda t: (t[0].name.lower(), t[0].service_id))
    elif q.sort == "reviewed":  # ISO timestamps sort as text; newest first, then by name
        ranked.sort(key=lambda t: (t[0].name.lower(), t[0].service_id))
        ranked.sort(key=lambda t: t[1], reverse=True)
        ranked.sort(key=lambda t: t[2])
    else:
        ranked.sort(key=lambda t: (t[2], t[0].service_id in weak, t[0].tier or 0, -t[3], t[0].name.lower(),
                                   t[0].service_id))
    n_hits = len(ranked) if total is None else total
    if place is None and groups and n_hits > FACET_SAMPLE:
        # A common word can match most of the directory: count facets over the best matches only,
        # and say so (facets["sampled"]), rather than make every such search slow.
        _fill(CANDIDATES, _sample(scores, FACET_SAMPLE))
        facets = facet_counts(select(HITS.c.id).where(HITS.c.id.in_(select(CANDIDATES.c.id))).subquery(),
                              category_code)
        facets["sampled"] = facets["total"]  # how many were counted: the best 2,000
        facets["total"] = n_hits
    else:
        facets = facet_counts(select(HITS.c.id).subquery(), category_code)
    start = (q.page - 1) * q.per_page if offset is None else 0
    page = [t[0] for t in ranked[start:start + q.per_page]]
    if page:
        orgs = dict(session.execute(select(Service.id, Organization.name).join(Organization)
                                    .where(Service.id.in_([h.service_id for h in page]))).all())
        for h in page:
            h.organization = orgs.get(h.service_id, "")
    return EngineResult(page, len(ranked) if total is None else total, facets)


def _cut(scores: dict[str, float], k: int) -> float | None:
    """The k-th best score, or None when there are no more than k."""
    return heapq.nlargest(k, scores.values())[-1] if len(scores) > k else None


def _best(scores: dict[str, float], k: int) -> list[str]:
    """The ids with the k best scores, and every id tied with the k-th (ties are then ordered by
    name, so the cut must not depend on which of them heapq happened to keep)."""
    cut = _cut(scores, k)
    return list(scores) if cut is None else [sid for sid, score in scores.items() if score >= cut]


def _sample(scores: dict[str, float], k: int) -> list[str]:
    """The ids with the k best scores, those tied at the cut taken in order of id."""
    cut = _cut(scores, k)
    if cut is None:
        return list(scores)
    above = [sid for sid, score in scores.items() if score > cut]
    return above + sorted(sid for sid, score in scores.items() if score == cut)[:k - len(above)]


def _words_only(q, groups, mode, conditions, category_code) -> EngineResult:
    """Words alone, no filters: the index knows which matches are visible, so the total and the
    ranking come from it, and SQLite is asked only about the rows that can be on the page (and
    the best 2,000 for facets) instead of every match of a common word."""
    session = db.session
    scores = engine_whoosh.text_scores(groups, mode, visible_only=True)
    if not scores:
        return EngineResult([], 0, empty_facets())
    need = q.page * q.per_page
    ranked_ids = _best(scores, need + 200)
    # Facets count the best 2,000, ties at the cut taken by id, as on PostgreSQL: a common word's
    # matches tie by the thousand (all 5,000 "support" listings have one score), and counting
    # every tied one cost more than ranking them.
    sample = _sample(scores, FACET_SAMPLE)
    _fill(SAMPLE, sample)
    _fill(CANDIDATES, set(ranked_ids).union(sample))
    # The database has the last word on what is visible (the index follows it through the feed).
    _fill(HITS, ())
    session.execute(insert(HITS).from_select(["id"], select(Service.id).where(
        *conditions, Service.id.in_(select(CANDIDATES.c.id)))))
    rows = session.connection().exec_driver_sql(
        "SELECT s.id, s.name, s.deprioritised_at IS NOT NULL FROM search_hit h JOIN service s ON s.id = h.id"
    ).fetchall()
    top = max(scores.values()) or 1.0
    ranked = sorted(((bool(demoted), -scores[sid], name.lower(), sid, name) for sid, name, demoted in rows))
    start = (q.page - 1) * q.per_page
    page = [Hit(sid, name, "", None, None, round(-neg / top, 4), None)
            for _d, neg, _n, sid, name in ranked[start:start + q.per_page]]
    facets = facet_counts(select(HITS.c.id).where(HITS.c.id.in_(select(SAMPLE.c.id))).subquery(), category_code)
    total = len(scores)
    if total > facets["total"]:
        facets["sampled"] = facets["total"]  # how many were counted: the best 2,000 (fewer if some are hidden)
    facets["total"] = total
    if page:
        orgs = dict(session.execute(select(Service.id, Organization.name).join(Organization)
                                    .where(Service.id.in_([h.service_id for h in page]))).all())
        for h in page:
            h.organization = orgs.get(h.service_id, "")
    return EngineResult(page, total, facets)


def suggest(words):
    return engine_whoosh.suggest(words)


def word_counts(words):
    return engine_whoosh.word_counts(words)
