"""PostgreSQL + PostGIS: words, place, filters, tiers, ranking and facets in one statement.

Words match the weighted ``search_vector`` (GIN), place is ``ST_DWithin`` on the GiST-indexed
point of each service-at-location plus the service areas covering the place (ONS codes, or drawn
areas by ``ST_Covers``); ``ts_rank`` is blended with distance. The page and every facet come back from the
same statement, so the place, the words and the filters are evaluated once.

The statement is SQL text built from a few fixed fragments with bound values. Building the same
thing as a SQLAlchemy expression cost more Python time than the database took to answer (about
3 ms a search to build and key the expression tree); the text is the same for every search of one
shape, so psycopg prepares it once per connection and PostgreSQL plans it once.

It reads ``service_search`` (migration 0012): one narrow row per visible service with the columns
search uses under the service's own names, the weighted ``search_vector``, ``search_terms``
(categories with their ancestors) and ``search_free``, kept by triggers in the listing's
transaction. The page's
descriptions and organisation names come from ``service`` and ``organization`` for its rows only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from assets_hub.db import db
from assets_hub.directory.models import summary_of
from assets_hub.directory.services import get_category
from assets_hub.errors import Invalid, NotFound
from assets_hub.geo.areas import place_codes
from search.filters import LONDON, now_day_time
from search.query import ACCESSIBILITY, SearchQuery
from search.results import EngineResult, Hit

FACET_SAMPLE = 2000

POINT = "ST_SetSRID(ST_MakePoint(:plon, :plat), 4326)::geography"

# Names and ids compare byte by byte ("C"): PostgreSQL's fast path for text, where the database's
# own collation (often C.UTF-8) goes through the C library for every comparison. Python's engine
# orders the same way (by code point).
ORDERS = {
    "best": "demoted, tier, score DESC, lname, id COLLATE \"C\"",
    "nearest": "demoted, distance ASC NULLS LAST, tier, lname, id COLLATE \"C\"",
    "az": "lname, id COLLATE \"C\"",
    "reviewed": "demoted, last_reviewed_at DESC NULLS LAST, lname, id COLLATE \"C\"",
}

# Every part of the UNION ALL has the columns: kind, key, n, counts, then the hit's id, name,
# organisation, distance, tier, area name, score, position and description.
AFTER_NAME = "NULL::text, NULL::float8, NULL::int, NULL::text, NULL::float8, NULL::bigint, NULL::text"
BLANK_HIT = "NULL::text, NULL::text, " + AFTER_NAME
FLAGS = ("search_free", "self_referral", "professional_referral", "delivered_in_person", "delivered_online",
         "delivered_by_phone")


def _tsquery(groups: list[list[str]], mode: str, params: dict) -> str:
    """Each group is a word and its synonyms (any of them will do); groups are joined by AND or OR."""
    parts = []
    for i, group in enumerate(groups):
        alternatives = []
        for j, alt in enumerate(group):
            params[f"w{i}_{j}"] = alt
            alternatives.append(f"plainto_tsquery('english'::regconfig, :w{i}_{j})")
        parts.append("(" + " || ".join(alternatives) + ")")
    return (" && " if mode == "and" else " || ").join(parts)


def _filters(q: SearchQuery, params: dict, category_id: str | None, now: datetime | None) -> list[str]:
    """SQL conditions on the search row ``s`` for everything but words and place (the same filters as
    ``search.filters.conditions``, which the embedded engine uses; the filter tests run on both)."""
    out = []  # (no status condition: only visible listings have a row in service_search)
    if category_id is not None:
        out.append("s.search_terms @> ARRAY[CAST(:category AS text)]")
        params["category"] = category_id
    if q.age is not None:
        out.append("(s.minimum_age IS NULL OR s.minimum_age <= :age)"
                   " AND (s.maximum_age IS NULL OR s.maximum_age >= :age)")
        params["age"] = q.age
    if q.free:
        out.append("s.search_free")
    if q.open_now or q.open_day:
        day, at = now_day_time(now) if q.open_now else (q.open_day, q.open_time)
        when = "sc.freq = 'WEEKLY' AND sc.byday LIKE :day_like"
        params["day_like"] = f"%{day}%"
        if at:
            when += " AND sc.opens_at <= :at AND sc.closes_at > :at"
            params["at"] = at
        if q.open_now:
            # Schedules that repeat every N weeks from dtstart: only in the weeks they come.
            params["today"] = (now or datetime.now(LONDON)).astimezone(LONDON).date()
            when += (" AND (sc.interval IS NULL OR sc.interval <= 1 OR sc.dtstart IS NULL OR"
                     " (CAST(:today AS date) - sc.dtstart >= 0"
                     " AND ((CAST(:today AS date) - sc.dtstart) / 7) % sc.interval = 0))")
        out.append(f"(EXISTS (SELECT 1 FROM schedule sc WHERE sc.service_id = s.id AND {when})"
                   f" OR EXISTS (SELECT 1 FROM schedule sc JOIN service_at_location sl"
                   f" ON sl.id = sc.service_at_location_id WHERE sl.service_id = s.id AND {when}))")
    for i, feature in enumerate(q.accessibility):
        params[f"acc{i}"] = feature
        out.append(f"EXISTS (SELECT 1 FROM service_at_location sl JOIN accessibility a"
                   f" ON a.location_id = sl.location_id WHERE sl.service_id = s.id AND a.details = :acc{i})")
    if q.languages:
        params["langs"] = list(q.languages)
        out.append("EXISTS (SELECT 1 FROM language l WHERE l.service_id = s.id AND l.code = ANY(:langs))")
    if q.access:
        out.append("(" + " OR ".join("s.self_referral" if a == "self" else "s.professional_referral"
                                     for a in q.access) + ")")
    if q.delivery:
        columns = {"in_person": "s.delivered_in_person", "online": "s.delivered_online",
                   "phone": "s.delivered_by_phone"}
        out.append("(" + " OR ".join(columns[d] for d in q.delivery) + ")")
    return out


def _all(conditions: list[str]) -> str:
    return " AND ".join(conditions) or "true"


def _category_id(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return get_category(code).id
    except NotFound:
        raise Invalid("Choose a category from the list.", {"category": ["Unknown category."]})


NARROW = ("s.id, s.name, s.sort_name AS lname, s.organization_id, s.last_reviewed_at,"
          " s.deprioritised_at IS NOT NULL AS demoted")
COLUMNS = NARROW + ", " + ", ".join(f"s.{f}" for f in FLAGS) + ", s.search_terms"
NO_PLACE = "NULL::float8 AS distance, NULL::int AS tier, NULL::text AS area_name"
# ts_rank, not ts_rank_cd: four times cheaper per row, and the weights A-D carry the ranking.
RANK = "ts_rank({vector}, w.q, 32)"


def _near(q: SearchQuery, place, groups, where: list[str], params: dict, ctes: list[str]) -> str:
    """CTEs up to ``matched`` for a search with a place; returns the score expression."""
    params.update(plon=float(place.longitude), plat=float(place.latitude), radius_m=q.radius_km * 1000,
                  codes=place_codes(place))
    ctes.append(
        # service_at_location carries its location's point (migration 0011): one index scan.
        "near AS (SELECT sl.service_id, min(ST_Distance(sl.geom, " + POINT + ", false)) AS distance"
        " FROM service_at_location sl"
        " WHERE ST_DWithin(sl.geom, " + POINT + ", :radius_m, false) GROUP BY sl.service_id)")
    ctes.append(
        "cover AS (SELECT service_id, min(name) FILTER (WHERE area_type <> 'country') AS local_name,"
        " min(name) AS any_name FROM service_area WHERE area_code = ANY(:codes)"
        " OR (area_type = 'geojson' AND ST_Covers(extent_geog, " + POINT + ")) GROUP BY service_id)")
    if q.local_only:
        where.append("(near.service_id IS NOT NULL OR cover.local_name IS NOT NULL)")
    # The place's candidates first (a few thousand at most), services looked up by key, and only
    # then the words: a fence, so a common word never drives a scan of its every match.
    placed = (" near.distance AS distance, CASE WHEN near.service_id IS NOT NULL AND cover.service_id IS NOT NULL"
              " THEN 1 WHEN near.service_id IS NOT NULL THEN 2 WHEN cover.local_name IS NOT NULL THEN 3 ELSE 4"
              " END AS tier, coalesce(cover.local_name, cover.any_name) AS area_name"
              " FROM (SELECT service_id FROM near UNION SELECT service_id FROM cover) c"
              " JOIN service_search s ON s.id = c.service_id"
              " LEFT JOIN near ON near.service_id = s.id LEFT JOIN cover ON cover.service_id = s.id"
              " WHERE " + _all(where))
    proximity = ("(0.5 + 0.5 * CASE WHEN distance IS NULL THEN 0.5"
                 " ELSE 1 - least(distance, :radius_m) / :radius_m END)")
    if not groups:
        ctes.append("matched AS MATERIALIZED (SELECT " + COLUMNS + ", 1.0::float4 AS rank," + placed + ")")
        return proximity
    ctes.append("placed AS MATERIALIZED (SELECT " + COLUMNS + ", s.search_vector AS vector," + placed + ")")
    ctes.append("matched AS MATERIALIZED (SELECT p.*, " + RANK.format(vector="p.vector") + " AS rank"
                " FROM placed p CROSS JOIN w WHERE p.vector @@ w.q)")
    # Relevance is normalised by the best match before it is blended with distance.
    return "coalesce(rank / nullif(max(rank) OVER (), 0), 1) * " + proximity


def search(q: SearchQuery, place, groups: list[list[str]], mode: str, now: datetime | None = None) -> EngineResult:
    params: dict = {}
    category_id = _category_id(q.category)
    where = _filters(q, params, category_id, now)
    ctes = []
    if groups:
        ctes.append(f"w AS MATERIALIZED (SELECT {_tsquery(groups, mode, params)} AS q)")
        where_words = _all([*where, "s.search_vector @@ w.q"])
    order = ORDERS[q.sort]
    need = q.page * q.per_page
    params["keep"] = need
    facet_source, sampled = "matched", None
    if place is not None:
        score = _near(q, place, groups, where, params, ctes)
        ctes.append(f"scored AS (SELECT m.*, {score} AS score FROM matched m)")
    elif groups and q.sort == "best":
        # Words alone, best first. A common word matches half the directory ("support", and 100,000
        # services for "community"): rank every match with only its id, keep the best 2,000 (or as
        # many as the page needs) by relevance - numbers compared, not names, as a common word's
        # matches tie by the thousand - and read the rest of their columns for those alone. The
        # page is ordered within them (ties by name) and facets count them; the total counts all.
        ctes.append("matched AS MATERIALIZED (SELECT s.id, s.deprioritised_at IS NOT NULL AS demoted, "
                    + RANK.format(vector="s.search_vector") + " AS rank FROM service_search s CROSS JOIN w"
                    " WHERE " + where_words + ")")
        params["keep"] = max(need, FACET_SAMPLE)
        ctes.append(f"best AS (SELECT {COLUMNS}, {NO_PLACE}, b.rank FROM (SELECT id, rank FROM matched"
                    f" ORDER BY demoted, rank DESC, id COLLATE \"C\" LIMIT :keep) b"
                    f" JOIN service_search s ON s.id = b.id)")
        ctes.append("scored AS (SELECT b.*, b.rank AS score FROM best b)")
        facet_source, sampled = "best", params["keep"]
    elif groups:
        # Words alone in another order (A to Z, ...): every match is sorted; facets read their
        # columns for the best 2,000 by relevance only.
        ctes.append("matched AS MATERIALIZED (SELECT " + NARROW + ", " + NO_PLACE + ", "
                    + RANK.format(vector="s.search_vector") + " AS rank FROM service_search s CROSS JOIN w"
                    " WHERE " + where_words + ")")
        ctes.append("scored AS (SELECT m.*, rank AS score FROM matched m)")
        ctes.append(f"best AS (SELECT s.id, {', '.join(f's.{f}' for f in FLAGS)}, s.search_terms"
                    f" FROM (SELECT id FROM matched ORDER BY rank DESC, id COLLATE \"C\" LIMIT {FACET_SAMPLE}) b"
                    f" JOIN service_search s ON s.id = b.id)")
        facet_source, sampled = "best", FACET_SAMPLE
    else:  # filters alone
        ctes.append("matched AS MATERIALIZED (SELECT " + COLUMNS + ", " + NO_PLACE + ", 1.0::float4 AS rank"
                    " FROM service_search s WHERE " + _all(where) + ")")
        ctes.append("scored AS (SELECT m.*, rank AS score FROM matched m)")
    ctes.append(f"ranked AS (SELECT * FROM scored ORDER BY {order} LIMIT :keep)")
    ctes.append(f"page AS (SELECT r.*, row_number() OVER (ORDER BY {order}) AS pos FROM ranked r"
                f" ORDER BY {order} OFFSET :offset LIMIT :per_page)")
    params.update(offset=(q.page - 1) * q.per_page, per_page=q.per_page)
    counts = ", ".join(f"count(*) FILTER (WHERE {f})" for f in FLAGS)
    if category_id is not None:
        cat_where = "t.parent_id = :category"  # the chosen category's children
    else:
        cat_where = "t.parent_id IS NULL"
    params["accessibility_all"] = list(ACCESSIBILITY)
    parts = [
        "SELECT 'hit', NULL::text, NULL::bigint, NULL::bigint[], p.id, p.name, o.name, p.distance, p.tier,"
        " p.area_name, p.score, p.pos, left(d.description, 600)"
        " FROM page p JOIN organization o ON o.id = p.organization_id JOIN service d ON d.id = p.id",
        f"SELECT 'total', NULL, count(*), NULL, {BLANK_HIT} FROM matched",
        f"SELECT 'flags', NULL, count(*), ARRAY[{counts}], {BLANK_HIT} FROM {facet_source}",
        f"SELECT 'cat', t.code, count(*), NULL, NULL, t.name, {AFTER_NAME}"
        f" FROM {facet_source} f CROSS JOIN unnest(f.search_terms) AS k(id) JOIN taxonomy_term t ON t.id = k.id"
        f" WHERE {cat_where} GROUP BY t.code, t.name",
        f"SELECT 'lang', l.code, count(DISTINCT l.service_id), NULL, {BLANK_HIT} FROM language l"
        f" WHERE l.service_id IN (SELECT id FROM {facet_source}) AND l.code IS NOT NULL GROUP BY l.code",
        f"SELECT 'acc', a.details, count(DISTINCT sl.service_id), NULL, {BLANK_HIT} FROM accessibility a"
        f" JOIN service_at_location sl ON sl.location_id = a.location_id"
        f" WHERE sl.service_id IN (SELECT id FROM {facet_source}) AND a.details = ANY(:accessibility_all)"
        f" GROUP BY a.details",
    ]
    sql = "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL ".join(parts)
    rows = db.session.execute(text(sql), params).all()
    facets = _read_facets(rows)
    if sampled is not None and facets["total"] > sampled:
        facets["sampled"] = sampled
    hits = [Hit(r[4], r[5], r[6], float(r[7]) if r[7] is not None else None,
                int(r[8]) if place is not None else None, round(float(r[10]), 4), r[9], summary_of(r[12]))
            for r in sorted((r for r in rows if r[0] == "hit"), key=lambda r: r[11])]
    return EngineResult(hits, facets["total"], facets)


def _read_facets(rows) -> dict:
    facets = {"total": 0, "categories": [], "free": 0, "access": {"self": 0, "professional": 0},
              "delivery": {"in_person": 0, "online": 0, "phone": 0}, "languages": {}, "accessibility": {}}
    categories = []
    for r in rows:
        kind, key, n = r[0], r[1], r[2]
        if kind == "total":
            facets["total"] = int(n)
        elif kind == "flags":
            free, self_, professional, in_person, online, phone = (int(v) for v in r[3])
            facets["free"] = free
            facets["access"] = {"self": self_, "professional": professional}
            facets["delivery"] = {"in_person": in_person, "online": online, "phone": phone}
        elif kind == "cat":
            categories.append({"code": key, "name": r[5], "count": int(n)})
        elif kind == "lang":
            facets["languages"][key] = int(n)
        elif kind == "acc":
            facets["accessibility"][key] = int(n)
    facets["categories"] = sorted(categories, key=lambda f: (-f["count"], f["name"]))
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
