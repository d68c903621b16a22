"""PostgreSQL + PostGIS: words, place, filters, tiers, ranking and facets in one statement.

Words match the weighted ``search_vector`` (GIN), place is ``ST_DWithin`` on the GiST-indexed
points of each service plus the service areas covering the place (ONS codes, or drawn areas by
``ST_Covers``); ``ts_rank`` is blended with distance. The page and every facet come back from the
same statement, so the place, the words and the filters are evaluated once.

The statement is SQL text built from a few fixed fragments with bound values. Building the same
thing as a SQLAlchemy expression cost more Python time than the database took to answer (about
3 ms a search to build and key the expression tree); the text is the same for every search of one
shape, so psycopg prepares it once per connection and PostgreSQL plans it once.

It reads ``service_search`` (migrations 0012-0016): one narrow row per visible service with the
columns search uses under the service's own names, the weighted ``search_vector``,
``search_terms`` (categories with their ancestors), ``search_free``, ``geom`` (the points of its
locations), ``area_codes`` (of its service areas), ``languages`` and ``accessibility``, and each
set the facets count as one text value, kept by triggers in the listing's transaction. A place's
candidates come from one bitmap scan of it. Words alone, best first, are ranked from its RUM
index where the server has the extension (the best 2,000 without reading every match; the total
then stops at "more than 2,000"), from GIN otherwise. The page's descriptions and organisation
names come from ``service`` and ``organization`` for its rows only.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import datetime
from functools import lru_cache

from psycopg import Pipeline
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assets_hub.db import db
from assets_hub.directory.areas import place_codes
from assets_hub.directory.models import summary_of
from assets_hub.directory.services import get_category
from assets_hub.errors import Invalid, NotFound
from assets_hub.directory.schedules import BANK_HOLIDAYS
from search.filters import LONDON, SCOTTISH_PATTERNS, bank_holiday_nations, month_patterns, now_day_time
from search.query import ACCESSIBILITY, SearchQuery
from search.results import EngineResult, Hit

FACET_SAMPLE = 2000
TOTAL_CAP = FACET_SAMPLE  # words alone with the RUM index: "more than 2,000 results"

GENERIC_PLANS = b"SET LOCAL plan_cache_mode = force_generic_plan"
POINT = "(SELECT ST_SetSRID(ST_MakePoint(:plon, :plat), 4326)::geography)"

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


# A search's words found in a listing's name or categories only (weights A and B): each lexeme of
# the query's text gets the :AB label, which @@ tests without building another vector per row
# (ts_filter(vector, '{a,b}') did, and cost 0.45 ms of a 4 ms search). chr(58) is the colon: the
# statement's text cannot hold one before a name (it would read as a parameter).
STRONG = r"""regexp_replace(t.q::text, '''((?:[^'']|'''')+)''', '''\1''' || chr(58) || 'AB', 'g')::tsquery"""


def _tsquery(groups: list[list[str]], mode: str, params: dict) -> str:
    """Each group is a word and its synonyms (any of them will do); groups are joined by AND or OR.

    The words go in as two arrays (each alternative, and the number of its group), so the
    statement's text is the same whatever the words: psycopg prepares a statement once it has run
    five times, and a text per number of words and synonyms was rarely run that often."""
    params["alts"] = [alt for group in groups for alt in group]
    params["alt_groups"] = [i for i, group in enumerate(groups) for _ in group]
    join = "&" if mode == "and" else "|"
    # plainto_tsquery stems each alternative ("talking therapies" -> 'talk' & 'therapi'); its text
    # form is joined and read back as a tsquery (already stemmed, so not stemmed again). An
    # alternative of stop words alone adds nothing, as it did when the tsqueries were joined.
    return ("(SELECT string_agg(g.q, ' " + join + " ' ORDER BY g.grp)::tsquery FROM"
            " (SELECT a.grp, '(' || string_agg('(' || a.q || ')', ' | ' ORDER BY a.n) || ')' AS q FROM"
            " (SELECT u.grp, u.n, plainto_tsquery('english'::regconfig, u.alt)::text AS q"
            " FROM unnest(CAST(:alts AS text[]), CAST(:alt_groups AS int[])) WITH ORDINALITY AS u(alt, grp, n)) a"
            " WHERE a.q <> '' GROUP BY a.grp) g)")


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
        weekly = "sc.freq = 'WEEKLY' AND sc.byday LIKE :day_like"
        monthly = "sc.freq = 'MONTHLY' AND sc.byday LIKE :day_like"  # (some weeks: a day, no date)
        params["day_like"] = f"%{day}%"
        if q.open_now:
            # Schedules that repeat every N weeks from dtstart: only in the weeks they come.
            params["today"] = (now or datetime.now(LONDON)).astimezone(LONDON).date()
            weekly += (" AND (sc.interval IS NULL OR sc.interval <= 1 OR sc.dtstart IS NULL OR"
                       " (CAST(:today AS date) - sc.dtstart >= 0"
                       " AND ((CAST(:today AS date) - sc.dtstart) / 7) % sc.interval = 0))")
            # Monthly: today's place in the month (2TU, -1TU) or its day of the month (15, -17)
            params["month_tokens"], params["month_days"] = month_patterns(params["today"])
            monthly = ("sc.freq = 'MONTHLY' AND ((',' || replace(coalesce(sc.byday, ''), ' ', '') || ',')"
                       " LIKE ANY (CAST(:month_tokens AS text[])) OR (sc.bymonthday IS NOT NULL"
                       " AND (',' || replace(sc.bymonthday, ' ', '') || ',') LIKE ANY (CAST(:month_days AS text[]))"
                       " AND (sc.byday IS NULL OR sc.byday LIKE :day_like)))")
        when = f"(({weekly}) OR ({monthly}))"
        if at:
            when += " AND sc.opens_at <= :at AND sc.closes_at > :at"
            params["at"] = at
        out.append(f"(EXISTS (SELECT 1 FROM schedule sc WHERE sc.service_id = s.id AND {when})"
                   f" OR EXISTS (SELECT 1 FROM schedule sc JOIN service_at_location sl"
                   f" ON sl.id = sc.service_at_location_id WHERE sl.service_id = s.id AND {when}))")
        if q.open_now:
            out.append(_not_closed_today(params))
    if q.accessibility:  # every feature asked for, at one of the service's locations
        params["features"] = list(q.accessibility)
        out.append("s.accessibility @> CAST(:features AS text[])")
    if q.languages:  # any of the languages
        params["langs"] = list(q.languages)
        out.append("s.languages && CAST(:langs AS text[])")
    if q.access:
        out.append("(" + " OR ".join("s.self_referral" if a == "self" else "s.professional_referral"
                                     for a in q.access) + ")")
    if q.delivery:
        columns = {"in_person": "s.delivered_in_person", "online": "s.delivered_online",
                   "phone": "s.delivered_by_phone"}
        out.append("(" + " OR ".join(columns[d] for d in q.delivery) + ")")
    return out


CLOSURE = ("sc.freq IS NULL AND sc.opens_at IS NULL AND sc.closes_at IS NULL"
           " AND lower(sc.description) LIKE :closed_like")


def _not_closed_today(params: dict) -> str:
    """Not closed all of :today (``search.filters.closed_today``, the embedded engine's, in SQL on
    the search row): no dated closure covering it, and not "closed on bank holidays" on a bank
    holiday where the service is (by its address's postcode; England and Wales's without one)."""
    params["closed_like"], params["bt_like"] = "closed%", "BT%"
    dated = f"{CLOSURE} AND sc.valid_from <= CAST(:today AS date) AND coalesce(sc.valid_to, sc.valid_from) >= CAST(:today AS date)"
    closed = [f"EXISTS (SELECT 1 FROM schedule sc WHERE sc.service_id = s.id AND {dated})",
              f"EXISTS (SELECT 1 FROM schedule sc JOIN service_at_location sl ON sl.id = sc.service_at_location_id"
              f" WHERE sl.service_id = s.id AND {dated})"]
    nations = bank_holiday_nations(params["today"])
    if nations:
        params["scottish"] = SCOTTISH_PATTERNS
        code = "upper(a.postal_code)"
        scottish = f"{code} LIKE ANY (CAST(:scottish AS text[]))"
        by_nation = {"NIR": f"{code} LIKE :bt_like", "SCT": scottish,
                     "ENG": f"NOT ({code} LIKE :bt_like) AND NOT ({scottish})"}
        located = ("SELECT 1 FROM service_at_location sl JOIN address a ON a.location_id = sl.location_id"
                   " WHERE sl.service_id = s.id")
        here = f"EXISTS ({located} AND (" + " OR ".join(by_nation[n] for n in sorted(nations)) + "))"
        where = f"({here} OR NOT EXISTS ({located}))" if "ENG" in nations else here
        params["bank_rule"] = BANK_HOLIDAYS.lower()
        closed.append(f"(EXISTS (SELECT 1 FROM schedule sc WHERE sc.service_id = s.id AND {CLOSURE}"
                      f" AND sc.valid_from IS NULL AND lower(sc.description) = :bank_rule) AND {where})")
    return "NOT (" + " OR ".join(closed) + ")"


def _all(conditions: list[str]) -> str:
    return " AND ".join(conditions) or "true"


def _category_id(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return get_category(code).id
    except NotFound:
        raise Invalid("Choose a category from the list.", {"category": ["Unknown category."]})


# What a matching row carries: what orders it and what the facets count. The page's names and
# organisations are read from ``service`` for its rows alone.
NARROW = "s.id, s.sort_name AS lname, s.last_reviewed_at, s.deprioritised_at IS NOT NULL AS demoted"
# What the facets count: the sets of categories, languages and accessibility features, each as
# one text value (NULL when empty; migration 0016): grouping rows by text is half the work of
# grouping them by the arrays.
FACETED = ("terms_set", "languages_set", "accessibility_set")
COLUMNS = NARROW + ", " + ", ".join(f"s.{f}" for f in FLAGS + FACETED)
COLUMN_NAMES = ("id", "lname", "last_reviewed_at", "demoted", *FLAGS, *FACETED)
NO_PLACE = "NULL::float8 AS distance, NULL::int AS tier, NULL::text AS area_name"
# ts_rank, not ts_rank_cd: four times cheaper per row, and the weights A-D carry the ranking.
RANK = "ts_rank({vector}, w.q, 32)"


def _near(q: SearchQuery, place, groups, where: list[str], params: dict, ctes: list[str]) -> str:
    """CTEs up to ``matched`` for a search with a place; returns the score expression.

    Each search row carries its service's points (``geom``) and area codes (migration 0013), so the
    place's candidates, with every column search needs, come from one bitmap scan of
    ``service_search``: in the box around the circle (GiST on the points) OR covering by code (GIN)
    OR a drawn area that covers the place (a few rows of service_area). Each candidate's distance
    is worked out once, in a subquery kept whole (``OFFSET 0``): written inline, PostgreSQL works
    the expression out again wherever it is used (the filter, the distance, the tier), and the
    sphere's distance was most of the cost of a candidate."""
    codes = place_codes(place)
    params.update(plon=float(place.longitude), plat=float(place.latitude), radius_m=q.radius_km * 1000,
                  codes=codes, local_codes=[c for c in codes if c in (place.lad_code, place.region_code)])
    ctes.append("drawn AS (SELECT coalesce(array_agg(service_id), '{}') AS ids FROM service_area"
                " WHERE area_type = 'geojson' AND ST_Covers(extent_geog, " + POINT + "))")
    covers = "s.area_codes && :codes OR s.id = ANY(drawn.ids)"
    local = "s.area_codes && :local_codes OR s.id = ANY(drawn.ids)"
    # The index condition ST_DWithin itself adds (the box of the circle), here by hand so that the
    # exact test is the distance below, not a second sphere computation per candidate.
    box = "s.geom && _ST_Expand(" + POINT + ", :radius_m)"
    serves = "c.d <= :radius_m OR c.covered_locally" if q.local_only else "c.d <= :radius_m OR c.covered"
    vector = ", s.search_vector AS vector" if groups else ""
    candidates = (f"SELECT {COLUMNS}{vector}, ST_Distance(s.geom, {POINT}, false) AS d, {covers} AS covered,"
                  f" {local} AS covered_locally FROM service_search s CROSS JOIN drawn"
                  f" WHERE ({box} OR {local if q.local_only else covers}) AND {_all(where)} OFFSET 0")
    # distance: to the nearest location, when that is within the radius
    placed = (", ".join(f"c.{c}" for c in COLUMN_NAMES) + ", c.covered,"
              " CASE WHEN c.d <= :radius_m THEN c.d END AS distance,"
              " CASE WHEN c.d <= :radius_m THEN CASE WHEN c.covered THEN 1 ELSE 2 END"
              " WHEN c.covered_locally THEN 3 ELSE 4 END AS tier")
    proximity = ("(0.5 + 0.5 * CASE WHEN distance IS NULL THEN 0.5 ELSE 1 - distance / :radius_m END)")
    if not groups:
        ctes.append(f"matched AS MATERIALIZED (SELECT {placed}, 1.0::float4 AS rank FROM ({candidates}) c"
                    f" WHERE {serves})")
        return proximity
    # The words are tested on the place's candidates only (a few thousand at most, outside the
    # subquery): a common word never drives a scan of its every match.
    ctes.append(f"matched AS MATERIALIZED (SELECT {placed}, " + RANK.format(vector="c.vector")
                + " AS rank, NOT (c.vector @@ w.qs) AS weak"
                + f" FROM ({candidates}) c CROSS JOIN w WHERE ({serves}) AND c.vector @@ w.q)")
    # Relevance is normalised by the best match before it is blended with distance.
    return "coalesce(rank / nullif(max(rank) OVER (), 0), 1) * " + proximity


# Why a place matched: the name of an area of the service's that covers it, a local one first.
AREA_NAME = ("CASE WHEN p.covered THEN (SELECT a.name FROM service_area a WHERE a.service_id = p.id"
             " AND (a.area_code = ANY(:codes) OR (a.area_type = 'geojson' AND ST_Covers(a.extent_geog, "
             + POINT + "))) ORDER BY a.area_type = 'country', a.name LIMIT 1) END")


def search(q: SearchQuery, place, groups: list[list[str]], mode: str, now: datetime | None = None) -> EngineResult:
    params: dict = {}
    category_id = _category_id(q.category)
    where = _filters(q, params, category_id, now)
    ctes = []
    # Words alone, best first, no filter, and the RUM index: ranked from the index (below).
    rum = bool(groups) and place is None and q.sort == "best" and not where and has_rum()
    if groups and not rum:  # the words' query, made once (the RUM branch writes it into its ORDER BY)
        ctes.append(f"w AS MATERIALIZED (SELECT t.q, {STRONG} AS qs FROM (SELECT {_tsquery(groups, mode, params)} AS q) t)")
        where_words = _all([*where, "s.search_vector @@ w.q"])
    order = ORDERS[q.sort]
    if place is not None and groups and q.sort == "best":
        # Words found in a listing's name or categories (weights A and B) before words only in a
        # description: a library that mentions "mental health" in passing comes after a mental
        # health service, even one further away; tiers order each of the two.
        order = order.replace("demoted, tier", "demoted, weak, tier")
    need = q.page * q.per_page
    facet_source, sampled = "matched", None
    total = None  # every match is counted with the facets (otherwise an expression for the total)
    if place is not None:
        score = _near(q, place, groups, where, params, ctes)
        ctes.append(f"scored AS (SELECT m.*, {score} AS score FROM matched m)")
    elif rum:
        # Words alone, best first, with the RUM index (migration 0014): the best 2,000 in order of
        # relevance come from the index (each word's positions are kept in it), without reading
        # every match. Listings overdue for review come after every other, so they are looked for
        # apart (there are few). The total is exact up to TOTAL_CAP (2,000), "more than" after that:
        # counting 100,000 matches would take longer than ranking them.
        tsq = _tsquery(groups, mode, params)
        dist = f"s.search_vector <=> {tsq}"
        params["keep"] = max(need, FACET_SAMPLE)
        ctes.append(f"top AS MATERIALIZED ((SELECT {COLUMNS}, {NO_PLACE}, {dist} AS dist FROM service_search s"
                    f" WHERE s.search_vector @@ {tsq} AND s.deprioritised_at IS NULL ORDER BY {dist} LIMIT :keep + 1)"
                    f" UNION ALL (SELECT {COLUMNS}, {NO_PLACE}, {dist} FROM service_search s"
                    f" WHERE s.deprioritised_at IS NOT NULL AND s.search_vector @@ {tsq} ORDER BY {dist} LIMIT :keep))")
        # The window: the best non-demoted listings (one more was asked for, to know whether there
        # are more), then demoted ones if there is room. RUM's distance is 1 / relevance, so
        # 1 / (1 + distance) is relevance / (relevance + 1), between 0 and 1 like ts_rank(..., 32).
        ctes.append("best AS MATERIALIZED ((SELECT t.*, 1 / (1 + t.dist) AS rank FROM top t WHERE NOT demoted"
                    " ORDER BY dist, id COLLATE \"C\" LIMIT :keep)"
                    " UNION ALL (SELECT t.*, 1 / (1 + t.dist) FROM top t WHERE demoted ORDER BY dist, id COLLATE \"C\""
                    " LIMIT greatest(0, :keep - (SELECT count(*) FROM top WHERE NOT demoted))))")
        ctes.append("scored AS (SELECT b.*, b.rank AS score FROM best b)")
        facet_source, sampled = "best", params["keep"]
        # Every match was counted when the index gave no more than the window holds; otherwise (-1)
        # there are more than TOTAL_CAP: counting them all would take longer than ranking them did.
        total = ("(SELECT CASE WHEN count(*) FILTER (WHERE NOT demoted) <= :keep AND count(*) FILTER (WHERE demoted)"
                 " < :keep THEN count(*) ELSE -1 END FROM top)")
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
        ctes.append(f"best AS (SELECT s.id, {', '.join(f's.{f}' for f in FLAGS + FACETED)}"
                    f" FROM (SELECT id FROM matched ORDER BY rank DESC, id COLLATE \"C\" LIMIT {FACET_SAMPLE}) b"
                    f" JOIN service_search s ON s.id = b.id)")
        facet_source, sampled = "best", FACET_SAMPLE
    else:  # filters alone
        ctes.append("matched AS MATERIALIZED (SELECT " + COLUMNS + ", " + NO_PLACE + ", 1.0::float4 AS rank"
                    " FROM service_search s WHERE " + _all(where) + ")")
        ctes.append("scored AS (SELECT m.*, rank AS score FROM matched m)")
    if total is None and facet_source != "matched":
        total = "(SELECT count(*) FROM matched)"
    # The page is cut from every scored row (at most the window, for words alone) with a bounded
    # sort, and its rows numbered after: numbering them all first sorted all 2,000 of a common word.
    # Only what orders the page and what it shows go through the sort (narrow rows sort faster).
    shown = ["id", "lname", "demoted", "distance", "tier", "score", "covered" if place is not None else "area_name"]
    if "weak" in order:
        shown.append("weak")
    if q.sort == "reviewed":
        shown.append("last_reviewed_at")
    ctes.append(f"page AS (SELECT r.*, row_number() OVER (ORDER BY {order}) AS pos FROM (SELECT {', '.join(shown)}"
                f" FROM scored ORDER BY {order} OFFSET :offset LIMIT {int(q.per_page)}) r)")
    # The page's size is written into the statement (1-100, nearly always 20), so that a plan made
    # for every value (place searches, below) knows the page is small and looks its rows' names up
    # by key: not knowing, it guessed 68 rows and read every organisation into a hash table.
    params["offset"] = (q.page - 1) * q.per_page
    counts = ", ".join(f"count(*) FILTER (WHERE {f})" for f in FLAGS)
    if category_id is not None:
        cat_where = "t.parent_id = :category"  # the chosen category's children
    else:
        cat_where = "t.parent_id IS NULL"
    params["accessibility_all"] = list(ACCESSIBILITY)
    parts = [
        "SELECT 'hit', NULL::text, NULL::bigint, NULL::bigint[], p.id, d.name, o.name, p.distance,"
        " p.tier, " + (AREA_NAME if place is not None else "p.area_name") + ", p.score, p.pos,"
        " left(d.description, 600) FROM page p JOIN service d ON d.id = p.id"
        " JOIN organization o ON o.id = d.organization_id",
        *([f"SELECT 'total', NULL, {total}, NULL, {BLANK_HIT}"] if total else []),  # else: the flags' count
        f"SELECT 'flags', NULL, count(*), ARRAY[{counts}], {BLANK_HIT} FROM {facet_source}",
        # Each facet counts the rows with the same set of values together, then unnests the sets: a
        # place has a thousand matching rows but a few dozen sets of categories (unnesting every
        # row's cost a microsecond a row); most rows list no language or accessibility at all.
        f"SELECT 'cat', t.code, sum(g.n)::bigint, NULL, NULL, t.name, {AFTER_NAME}"
        f" FROM ({_sets('terms_set', facet_source)}) g CROSS JOIN unnest(CAST(g.terms_set AS text[])) AS k(id)"
        f" JOIN taxonomy_term t ON t.id = k.id WHERE {cat_where} GROUP BY t.code, t.name",
        f"SELECT 'lang', k.code, sum(g.n)::bigint, NULL, {BLANK_HIT} FROM ({_sets('languages_set', facet_source)}) g"
        f" CROSS JOIN unnest(CAST(g.languages_set AS text[])) AS k(code) GROUP BY k.code",
        f"SELECT 'acc', k.details, sum(g.n)::bigint, NULL, {BLANK_HIT}"
        f" FROM ({_sets('accessibility_set', facet_source)}) g"
        f" CROSS JOIN unnest(CAST(g.accessibility_set AS text[])) AS k(details)"
        f" WHERE k.details = ANY(:accessibility_all) GROUP BY k.details",
    ]
    sql = "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL ".join(parts)
    rows = _generic(sql, params) if place is not None else db.session.execute(_statement(sql), params).all()
    facets = _read_facets(rows)
    if facets["total"] < 0:
        facets["total"], facets["total_capped"] = TOTAL_CAP, True
    if sampled is not None and (facets["total"] > sampled or facets.get("total_capped")):
        facets["sampled"] = sampled
    hits = [Hit(r[4], r[5], r[6], float(r[7]) if r[7] is not None else None,
                int(r[8]) if place is not None else None, round(float(r[10]), 4), r[9], summary_of(r[12]))
            for r in sorted((r for r in rows if r[0] == "hit"), key=lambda r: r[11])]
    return EngineResult(hits, facets["total"], facets)


def _sets(column: str, source: str) -> str:
    """The rows of ``source`` counted by their set in ``column`` (rows with an empty set are not)."""
    return f"SELECT {column}, count(*) AS n FROM {source} WHERE {column} IS NOT NULL GROUP BY {column}"


def _generic(sql: str, params: dict) -> list:
    """Run a search of a place with one plan for every place. The statement is the same text each
    time (psycopg prepares it), and planning it anew for each place's values took 0.4-0.8 ms of a
    3-5 ms search without ever choosing another plan (docs/PERFORMANCE.md). The setting holds
    for this transaction; it goes to the server in one round trip with the statement (psycopg's
    pipeline), as a round trip alone took 0.14 ms here."""
    raw = db.session.connection().connection.driver_connection
    with raw.pipeline() if Pipeline.is_supported() else nullcontext():  # (libpq 14 and later)
        raw.execute(GENERIC_PLANS)
        return raw.execute(_driver_statement(sql), params).fetchall()


@lru_cache(maxsize=256)
def _driver_statement(sql: str) -> str:
    """The statement in the driver's own style of placeholders (``%(name)s``)."""
    return str(_statement(sql).compile(dialect=db.session.get_bind().dialect))


@lru_cache(maxsize=256)
def _statement(sql: str):
    """The text clause for a statement's text, made once: making it scans the text for its bound
    values, a tenth of a millisecond for the search statement."""
    return text(sql)


def _read_facets(rows) -> dict:
    facets = {"total": 0, "categories": [], "free": 0, "access": {"self": 0, "professional": 0},
              "delivery": {"in_person": 0, "online": 0, "phone": 0}, "languages": {}, "accessibility": {}}
    categories, total, counted = [], None, 0
    for r in rows:
        kind, key, n = r[0], r[1], r[2]
        if kind == "total":
            total = int(n)
        elif kind == "flags":
            counted = int(n)  # the rows the facets count: every match, unless a total is given apart
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
    facets["total"] = counted if total is None else total
    return facets


def word_counts(words) -> dict[str, int]:
    """How many listings use each of these words (the directory's vocabulary), for those it has."""
    words = sorted({w for w in words if len(w) >= 3})
    if not words:
        return {}
    rows = db.session.execute(text("SELECT word, n FROM search_word WHERE word = ANY(:ws)"), {"ws": words})
    return {w: n for w, n in rows}


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


RUM_INDEX = "ix_service_search_rum"
# The order `search optimise` writes the search table in: services with locations by geohash (a
# place's are on neighbouring pages), then those with service areas alone grouped by their first
# area code (every search of a place reads its council's, its region's and the national ones).
PLACE_ORDER = ("coalesce(ST_GeoHash(geom::geometry, 7), '~' || coalesce(area_codes[1], '')) COLLATE \"C\"")
CLUSTER_INDEX = "ix_service_search_place_order"
_has_rum: dict[str, bool] = {}  # by database URL: does service_search have the RUM index (migration 0014)?


def has_rum() -> bool:
    key = str(db.session.get_bind().engine.url)
    if key not in _has_rum:
        _has_rum[key] = bool(db.session.scalar(text("SELECT to_regclass(:ix) IS NOT NULL"), {"ix": RUM_INDEX}))
    return _has_rum[key]


def optimise() -> dict:
    """After a large import (``assets-hub search optimise``): add the RUM index if the server has
    the extension and the index is missing (migration 0014 could not), then rewrite
    ``service_search`` in the order of its places (``CLUSTER`` in ``PLACE_ORDER``) and refresh its
    statistics. Returns what it did and the seconds it took.

    In that order a place's candidates are read from a few pages instead of one page each: the
    930 candidates within 5 km of SE10 9 (at 100,000 services) came from 556 pages when the table
    was clustered on its GiST index, whose order scattered the services with areas alone, and
    from 119 now; a place search's p95 fell from 5.5 to 4.4 ms (docs/PERFORMANCE.md). Writes keep
    rows near each other only within one statement (the refresh inserts a batch in geohash
    order), so run it again after large imports, or now and then as listings change. It locks
    the search table while it runs (2-3 s at 100,000 services): searches wait, they do not fail.
    """

    started = time.monotonic()
    session = db.session
    done = {"rum": False, "rum_refused": None}
    _has_rum.clear()  # ask the database, not this process's memory
    if not has_rum() and session.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")):
        try:
            with session.begin_nested():  # a role that may not create extensions carries on without
                session.execute(text("CREATE EXTENSION IF NOT EXISTS rum"))
                session.execute(text(f"CREATE INDEX {RUM_INDEX} ON service_search"
                                     " USING rum (search_vector rum_tsvector_ops)"))
            done["rum"] = True
        except DBAPIError as exc:
            done["rum_refused"] = str(exc.orig).splitlines()[0]
        _has_rum.clear()
    # CLUSTER needs an index to follow: one made for it, and dropped after.
    session.execute(text(f"CREATE INDEX {CLUSTER_INDEX} ON service_search (({PLACE_ORDER}))"))
    session.execute(text(f"CLUSTER service_search USING {CLUSTER_INDEX}"))
    session.execute(text(f"DROP INDEX {CLUSTER_INDEX}"))
    session.execute(text("ANALYZE service_search"))
    done["seconds"] = time.monotonic() - started
    return done
