"""PostgreSQL + PostGIS: words, place, filters, tiers and ranking in one statement.

websearch-style matching on the weighted ``service.search_vector`` (GIN), place by ``ST_DWithin``
on the GiST-indexed geography and ``ST_Covers``/ONS codes for service areas, ``ts_rank``
blended with distance; the page and the facets come back from the same statement.
"""
from __future__ import annotations

from geoalchemy2 import Geography
from sqlalchemy import (BigInteger, Float, Integer, String, and_, bindparam, case, cast, exists, func, literal, literal_column, null, or_, select, text,
                        union_all)
from sqlalchemy.dialects.postgresql import array

from assets_hub.db import db
from assets_hub.directory.models import (Accessibility, Attribute, CostOption, Language, Location, Organization,
                                         Service, ServiceArea, ServiceAtLocation, TaxonomyTerm)
from assets_hub.geo.areas import place_codes
from search.query import ACCESSIBILITY
from search.results import EngineResult, Hit

VECTOR = literal_column("service.search_vector")
ENGLISH = literal_column("'english'::regconfig")


def _tsquery(groups: list[list[str]], mode: str):
    parts = []
    for group in groups:
        alternatives = [func.plainto_tsquery(ENGLISH, alt) for alt in group]
        q = alternatives[0]
        for alt in alternatives[1:]:
            q = q.op("||")(alt)
        parts.append(q)
    query = parts[0]
    for part in parts[1:]:
        query = query.op("&&" if mode == "and" else "||")(part)
    return query


def search(q, place, groups, mode, conditions, category_code) -> EngineResult:
    s = Service.__table__
    cols = [s.c.id, s.c.name, s.c.organization_id, s.c.last_reviewed_at, s.c.deprioritised_at, s.c.self_referral,
            s.c.professional_referral, s.c.delivered_in_person, s.c.delivered_online, s.c.delivered_by_phone]
    froms = s
    where = list(conditions)
    distance = null().cast(Float)
    tier = literal(0)
    area_name = null().cast(String)
    if place is not None:
        # Bound, not inlined: the same statement text each time lets psycopg prepare it once.
        pt = cast(func.ST_SetSRID(func.ST_MakePoint(bindparam("plon", float(place.longitude), type_=Float),
                                                    bindparam("plat", float(place.latitude), type_=Float)), 4326),
                  Geography("POINT", 4326))
        geom = literal_column("location.geom")
        sal, loc = ServiceAtLocation.__table__, Location.__table__
        near = (select(sal.c.service_id, func.min(func.ST_Distance(geom, pt, False)).label("distance"))
                .select_from(sal.join(loc, loc.c.id == sal.c.location_id))
                .where(func.ST_DWithin(geom, pt, q.radius_km * 1000, False))
                .group_by(sal.c.service_id).cte("near"))
        area = ServiceArea.__table__
        extent = literal_column("service_area.extent_geog")
        cover = (select(area.c.service_id,
                        func.min(case((area.c.area_type != "country", area.c.name))).label("local_name"),
                        func.min(area.c.name).label("any_name"))
                 .where(or_(area.c.area_code == func.any(array(place_codes(place))),
                            and_(area.c.area_type == "geojson", func.ST_Covers(extent, pt))))
                 .group_by(area.c.service_id).cte("cover"))
        # Start from the place's candidates (a few thousand at most) and look services up by key,
        # rather than test every service's text and then join the place.
        cand = select(near.c.service_id.label("sid")).union(select(cover.c.service_id)).cte("cand")
        froms = (cand.join(s, s.c.id == cand.c.sid).outerjoin(near, near.c.service_id == s.c.id)
                 .outerjoin(cover, cover.c.service_id == s.c.id))
        distance = near.c.distance
        tier = case((and_(near.c.service_id.is_not(None), cover.c.service_id.is_not(None)), 1),
                    (near.c.service_id.is_not(None), 2),
                    (cover.c.local_name.is_not(None), 3), else_=4)
        area_name = func.coalesce(cover.c.local_name, cover.c.any_name)
        if q.local_only:
            where.append(or_(near.c.service_id.is_not(None), cover.c.local_name.is_not(None)))
    rank = literal(1.0)
    if groups:
        tsq = _tsquery(groups, mode)
        where.append(VECTOR.op("@@")(tsq))
        # ts_rank, not ts_rank_cd: four times cheaper per row (measured: 16 ms vs 64 ms over 8,000
        # matches) and the weights A-D carry the ranking we need.
        rank = func.ts_rank(VECTOR, tsq, 32)
    total_of = None
    if place is None and groups and not q.filters_active() and q.sort in ("best", "nearest"):
        # Words alone: rank every match narrowly (id and rank only), keep the best few thousand,
        # and read the wide rows only for those; the total still counts every match.
        narrow = select(s.c.id, rank.label("rank")).where(*where).cte("narrow")
        keep = max(q.page * q.per_page, FACET_SAMPLE)
        best_ids = select(narrow).order_by(narrow.c.rank.desc(), narrow.c.id).limit(keep).cte("best_ids")
        matched = (select(*cols, distance.label("distance"), tier.label("tier"), area_name.label("area_name"),
                          best_ids.c.rank)
                   .select_from(best_ids.join(s, s.c.id == best_ids.c.id)).cte("matched"))
        total_of = narrow
    else:
        matched = (select(*cols, distance.label("distance"), tier.label("tier"), area_name.label("area_name"),
                          rank.label("rank"))
                   .select_from(froms).where(*where).cte("matched"))
    m = matched.c
    # With a place, relevance is normalised by the best match before it is blended with distance.
    # Without one there is nothing to blend: order by the raw rank, which lets PostgreSQL keep only
    # the top rows (a top-N sort) instead of materialising every match of a common word.
    relevance = m.rank / func.nullif(func.max(m.rank).over(), 0) if place is not None else m.rank
    proximity = case((m.distance.is_(None), 0.5), else_=1 - func.least(m.distance, q.radius_km * 1000)
                     / (q.radius_km * 1000))
    score = (func.coalesce(relevance, 1) * (0.5 + 0.5 * proximity)).label("score")
    source = matched
    if place is None and groups and q.sort in ("best", "nearest"):
        # Words alone: only the best-ranked rows can be on this page, so keep just those before
        # joining organisations and numbering rows (a top-N sort instead of sorting every match).
        source = select(matched).order_by(m.rank.desc(), m.id).limit(q.page * q.per_page).cte("top")
    t = source.c
    score = score if source is matched else t.rank.label("score")
    scored = select(t.id, t.name, t.organization_id, t.distance, t.tier, t.area_name, score, t.last_reviewed_at,
                    t.deprioritised_at).cte("scored")
    c = scored.c
    demote = c.deprioritised_at.is_not(None)
    if q.sort == "nearest":
        order = [demote, c.distance.asc().nulls_last(), c.tier, func.lower(c.name)]
    elif q.sort == "az":
        order = [func.lower(c.name)]
    elif q.sort == "reviewed":
        order = [demote, c.last_reviewed_at.desc().nulls_last(), func.lower(c.name)]
    else:
        order = [demote, c.tier, c.score.desc(), func.lower(c.name)]
    position = func.row_number().over(order_by=[*order, c.id]).label("pos")
    ranked = (select(c.id, c.name, c.organization_id, c.distance, c.tier, c.area_name, c.score, position)
              .order_by(*order, c.id).offset((q.page - 1) * q.per_page).limit(q.per_page).subquery("ranked"))
    # Organisation names for the page's rows only, after the limit.
    page = (select(ranked, Organization.name.label("org"))
            .join(Organization, Organization.id == ranked.c.organization_id).subquery("page"))
    if place is None and groups:
        best = select(matched).order_by(m.rank.desc(), m.id).limit(FACET_SAMPLE).cte("best")
        parts = facet_parts(best, category_code, total_of=total_of if total_of is not None else matched)
    else:
        parts = facet_parts(matched, category_code)
    blank = [null().cast(String), null().cast(String), null().cast(String), null().cast(Float),
             null().cast(Integer), null().cast(String), null().cast(Float), null().cast(BigInteger)]
    hit_part = select(literal("hit"), null().cast(String), null().cast(BigInteger), page.c.id, page.c.name,
                      page.c.org, page.c.distance, page.c.tier, page.c.area_name, page.c.score, page.c.pos)
    # One statement: the page and every facet, so the place, the words and the filters are
    # evaluated once (the matched CTE is shared).
    rows = db.session.execute(union_all(hit_part, *[part.add_columns(*blank) for part in parts])).all()
    facets = read_facets([r[:3] for r in rows if r[0] != "hit"])
    if place is None and groups and facets["total"] > FACET_SAMPLE:
        facets["sampled"] = FACET_SAMPLE
    page_rows = sorted((r for r in rows if r[0] == "hit"), key=lambda r: r[10])
    hits = [Hit(r[3], r[4], r[5], float(r[6]) if r[6] is not None else None,
                int(r[7]) if place is not None else None, round(float(r[9]), 4), r[8]) for r in page_rows]
    return EngineResult(hits, facets["total"], facets)


FACET_SAMPLE = 2000


def facet_parts(matched, selected_category: str | None, total_of=None) -> list:
    """Selects of (kind, key, count) for every facet over the matched set; ``total_of`` counts the
    total over another set (facets over the best matches, the total over all)."""
    session = db.session
    sid = select(matched.c.id)
    a, t = Attribute, TaxonomyTerm
    parent = None
    if selected_category:
        parent = session.scalar(select(TaxonomyTerm.id).where(TaxonomyTerm.code == selected_category))
    key = t.id if parent else func.coalesce(t.parent_id, t.id)
    cats = (select(literal("cat").label("kind"), key.label("k"), func.count(func.distinct(a.service_id)).label("n"))
            .select_from(a).join(t, t.id == a.taxonomy_term_id).where(a.service_id.in_(sid)))
    if parent:
        cats = cats.where(t.parent_id == parent)
    cats = cats.group_by(key)
    m = matched.c
    free = exists().where(CostOption.service_id == m.id, CostOption.amount == 0)
    # The counts that are columns of the service come from the matched rows in one pass.
    flags = {"total": None, "access.self": m.self_referral, "access.professional": m.professional_referral,
             "delivery.in_person": m.delivered_in_person, "delivery.online": m.delivered_online,
             "delivery.phone": m.delivered_by_phone, "free": free}
    parts = [
        select(literal(name), null().cast(String),
               func.count() if cond is None else func.count().filter(cond)).select_from(
            total_of if (cond is None and total_of is not None) else matched)
        for name, cond in flags.items()
    ] + [
        cats,
        select(literal("lang"), Language.code, func.count(func.distinct(Language.service_id)))
        .where(Language.service_id.in_(sid), Language.code.is_not(None)).group_by(Language.code),
        select(literal("acc"), Accessibility.details, func.count(func.distinct(ServiceAtLocation.service_id)))
        .join(ServiceAtLocation, ServiceAtLocation.location_id == Accessibility.location_id)
        .where(ServiceAtLocation.service_id.in_(sid), Accessibility.details.in_(list(ACCESSIBILITY)))
        .group_by(Accessibility.details),
    ]
    return parts


def read_facets(rows) -> dict:
    session = db.session
    facets = {"total": 0, "categories": [], "free": 0, "access": {"self": 0, "professional": 0},
              "delivery": {"in_person": 0, "online": 0, "phone": 0}, "languages": {}, "accessibility": {}}
    cat_counts = {}
    for kind, k, n in rows:
        if kind == "total":
            facets["total"] = int(n)
        elif kind == "free":
            facets["free"] = int(n)
        elif kind.startswith(("access.", "delivery.")):
            group, _, name = kind.partition(".")
            facets[group][name] = int(n)
        elif kind == "lang":
            facets["languages"][k] = int(n)
        elif kind == "acc":
            facets["accessibility"][k] = int(n)
        elif kind == "cat":
            cat_counts[k] = int(n)
    if cat_counts:
        terms = {x.id: x for x in session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.id.in_(list(cat_counts))))}
        facets["categories"] = sorted(({"code": terms[i].code, "name": terms[i].name, "count": n}
                                       for i, n in cat_counts.items() if i in terms),
                                      key=lambda f: (-f["count"], f["name"]))
    return facets


def suggest(words: list[str]) -> dict[str, str]:
    """For each word not in the directory's vocabulary, the most similar word that is (pg_trgm)."""
    out = {}
    session = db.session
    for w in words:
        if len(w) < 3 or session.scalar(text("SELECT 1 FROM search_word WHERE word = :w"), {"w": w}):
            continue
        best = session.scalar(text(
            "SELECT word FROM search_word WHERE word % :w ORDER BY similarity(word, :w) DESC, n DESC, word "
            "LIMIT 1"), {"w": w})
        if best:
            out[w] = best
    return out
