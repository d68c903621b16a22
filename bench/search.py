"""Search benchmark: our pipeline against the naive single SQL statement, per query class.

    make bench-search                          # PostGIS with 100,000 services, then SQLite+Whoosh with 10,000
    DATABASE_URL=postgresql://... .venv/bin/python bench/search.py --services 100000
    .venv/bin/python bench/search.py --sqlite-only --services 10000

Services are synthetic: spread across GB like people (postcode sectors weighted by their number
of postcodes), names and descriptions from a vocabulary of real service words, 80% with a
location and 20% covering their local authority (0.3% national), categories, costs, schedules,
languages (a quarter of services) and accessibility (two in five locations).
500 queries: words + postcode + filters, postcode only, words only (very common words such as
"support" and "group" included). Prints median, p95 and p99 (ms) for each class and engine.
On PostgreSQL our search is measured twice: as generated ("imported": written in batches of 5,000,
as the HSDS importer writes) and after `assets-hub search optimise` ("ours": the search table
ordered by place); the naive statement runs after both.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import insert, select, text  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.migrate import upgrade_database  # noqa: E402
from assets_hub.db import create_scratch_database, db, drop_database, utcnow  # noqa: E402
from assets_hub.directory.models import (Accessibility, Attribute, CostOption, Language, Location,  # noqa: E402
                                         Organization, Schedule, Service, ServiceArea, ServiceAtLocation)
from assets_hub.directory.vocab import ACCESSIBILITY  # noqa: E402
from assets_hub.geo.models import LocalAuthority, Postcode  # noqa: E402
from geo import population_points  # noqa: E402

KINDS = [
    ("befriending", "Befriending", "social-connection/befriending",
     "Volunteers visit or phone people who feel lonely or isolated for a chat and support."),
    ("walking group", "Walking group", "physical-activity/walking-groups",
     "Gentle led walks for all abilities, a friendly group that meets every week."),
    ("food bank", "Food bank", "food/food-banks", "Emergency food parcels and support for people in crisis."),
    ("debt advice", "Debt advice", "money/debt-advice", "Free confidential advice on debt, bills and benefits."),
    ("carers", "Carers support group", "carers/carers-support", "Support, breaks and a group for unpaid carers."),
    ("mens shed", "Men's shed", "social-connection/mens-sheds", "A community workshop group to make and mend things."),
    ("counselling", "Counselling service", "mental-wellbeing/talking-therapies",
     "Short-term counselling and support for low mood and anxiety."),
    ("lunch club", "Lunch club", "older-people/lunch-clubs", "A hot lunch and company for older people, with support."),
    ("art group", "Community art group", "arts-culture/creative-groups", "Painting, craft and music group for all."),
    ("digital skills", "Digital skills drop-in", "learning/digital-skills",
     "Help to get online and use phones, tablets and computers."),
    ("parent toddler", "Parent and toddler group", "families/parent-groups", "Play and support for parents."),
    ("gardening", "Community garden", "physical-activity/gardening", "Grow food and flowers with your neighbours."),
]
PLACES = ["Heaton", "Riverside", "Oakfield", "Hillside", "Parkway", "Millbrook", "Northgate", "Southend", "Westfield",
          "Eastbrook", "Greenhill", "Brookside", "Kingsway", "Queensway", "Fairfield", "Ashford", "Highfield"]


LANGUAGE_CODES = ["en", "en", "en", "en", "cy", "pl", "ur", "pa", "bn", "ar", "so", "ro", "gu", "zh"]


def generate(n: int, seed: int = 3) -> None:
    """Insert n synthetic services (with organisations, locations, areas, categories) into db.session."""
    rng = random.Random(seed)
    session = db.session
    from assets_hub.directory.taxonomy import term_ids_by_code
    terms = term_ids_by_code()
    las = session.execute(select(LocalAuthority.lad_code, LocalAuthority.name)).all()
    points = population_points(n, seed)
    now = utcnow()
    org_ids = [str(uuid.uuid4()) for _ in range(max(1, n // 10))]
    session.execute(insert(Organization), [{"id": i, "name": f"{rng.choice(PLACES)} Community Trust {k}",
                                            "description": "", "created_at": now, "updated_at": now}
                                           for k, i in enumerate(org_ids)])
    batch = 5000
    if db.is_postgres:  # as the importer does: the search table is refreshed once per batch
        session.execute(text("SET LOCAL assets_hub.search_refresh = 'deferred'"))
    for start in range(0, n, batch):
        services, locations, sals, attrs, costs, areas, schedules = [], [], [], [], [], [], []
        languages, features = [], []
        for i in range(start, min(n, start + batch)):
            kind = KINDS[i % len(KINDS)]
            sid, place = str(uuid.uuid4()), rng.choice(PLACES)
            services.append({"id": sid, "organization_id": org_ids[i % len(org_ids)], "status": "active",
                             "name": f"{place} {kind[1]}", "description": f"{kind[3]} Based in {place}.",
                             "created_at": now, "updated_at": now, "last_reviewed_at": now,
                             "self_referral": rng.random() < 0.7, "professional_referral": rng.random() < 0.5,
                             "delivered_in_person": True, "delivered_online": rng.random() < 0.2,
                             "delivered_by_phone": rng.random() < 0.3,
                             "minimum_age": rng.choice([None, None, 18, 50, 60])})
            attrs.append({"id": str(uuid.uuid4()), "service_id": sid, "taxonomy_term_id": terms[kind[2]]})
            if rng.random() < 0.25:  # a quarter of services name a language (English most often)
                languages.append({"id": str(uuid.uuid4()), "service_id": sid, "code": rng.choice(LANGUAGE_CODES)})
            if rng.random() < 0.5:
                costs.append({"id": str(uuid.uuid4()), "service_id": sid, "option": "Free", "amount": 0})
            r = rng.random()
            if r < 0.8:
                lid = str(uuid.uuid4())
                lat, lon = points[i]
                locations.append({"id": lid, "location_type": "physical", "latitude": lat, "longitude": lon,
                                  "created_at": now, "updated_at": now})
                sal = str(uuid.uuid4())
                sals.append({"id": sal, "service_id": sid, "location_id": lid})
                if rng.random() < 0.4:
                    features.extend({"id": str(uuid.uuid4()), "location_id": lid, "details": d}
                                    for d in rng.sample(sorted(ACCESSIBILITY), rng.choice([1, 1, 2])))
                schedules.append({"id": str(uuid.uuid4()), "service_at_location_id": sal, "freq": "WEEKLY",
                                  "byday": rng.choice(["MO,WE,FR", "TU,TH", "SA", "MO,TU,WE,TH,FR"]),
                                  "opens_at": "09:30", "closes_at": "15:00"})
            elif r < 0.997:  # 0.3% national, as in a real directory
                code, name = rng.choice(las)
                areas.append({"id": str(uuid.uuid4()), "service_id": sid, "name": name,
                              "area_type": "local_authority", "area_code": code})
            else:
                areas.append({"id": str(uuid.uuid4()), "service_id": sid, "name": "Great Britain",
                              "area_type": "country", "area_code": "K03000001"})
        # Multi-row INSERTs, not executemany: one statement per 500 rows, so the search triggers
        # (statement-level, like a bulk import's COPY) run once per batch, not once per row.
        for model, rows in ((Service, services), (Location, locations), (ServiceAtLocation, sals),
                            (Attribute, attrs), (CostOption, costs), (ServiceArea, areas), (Schedule, schedules),
                            (Language, languages), (Accessibility, features)):
            for i in range(0, len(rows), 500):
                session.execute(insert(model).values(rows[i:i + 500]))
        if db.is_postgres:
            session.execute(text("SELECT service_search_flush()"))
        session.commit()
        if db.is_postgres and start + batch < n:
            session.execute(text("SET LOCAL assets_hub.search_refresh = 'deferred'"))


WARM_UP_SEED = 6


def make_queries(count: int, seed: int = 5) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    sectors = [p for p in db.session.scalars(select(Postcode.code).where(Postcode.kind == "sector",
                                                                         Postcode.latitude.is_not(None)))]
    centres = population_points(count, seed)  # where people are
    near_sector = {}
    rows = db.session.execute(select(Postcode.code, Postcode.latitude, Postcode.longitude)
                              .where(Postcode.kind == "sector", Postcode.latitude.is_not(None))).all()
    grid: dict[tuple[int, int], list] = {}
    for code, lat, lon in rows:
        grid.setdefault((int(lat * 10), int(lon * 10)), []).append((code, lat, lon))

    def sector_near(lat, lon):
        best = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for code, a, b in grid.get((int(lat * 10) + dx, int(lon * 10) + dy), []):
                    d = (a - lat) ** 2 + (b - lon) ** 2
                    if best is None or d < best[0]:
                        best = (d, code)
        return best[1] if best else rng.choice(sectors)

    words = [k[0] for k in KINDS] + ["support", "group", "community", "lonely", "debt", "advice", "older people"]
    out = []
    for i in range(count):
        lat, lon = centres[i]
        where = sector_near(lat, lon)
        near_sector[i] = where
        c = i % 4
        if c == 0:
            out.append(("words+place+filters", {"what": rng.choice(words), "where": where, "radius_km": 5.0,
                                                "free": rng.random() < 0.5, "age": rng.choice([None, 30, 70])}))
        elif c == 1:
            out.append(("words+place", {"what": rng.choice(words), "where": where, "radius_km": 5.0}))
        elif c == 2:
            out.append(("place only", {"where": where, "radius_km": 5.0}))
        else:
            out.append(("words only", {"what": rng.choice(words)}))
    return out


NAIVE = """
SELECT s.id, ts_rank_cd(s.search_vector, q) / (1 + min(ST_Distance(l.geom, pt)) / 1000.0) AS score
FROM service_search s JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id,
     websearch_to_tsquery('english', :what) q, CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography) pt
WHERE s.search_vector @@ q AND ST_DWithin(l.geom, pt, :r)
GROUP BY s.id, s.search_vector, q ORDER BY score DESC LIMIT 20"""
NAIVE_PLACE = """
SELECT s.id, min(ST_Distance(l.geom, pt)) AS d
FROM service s JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id,
     CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography) pt
WHERE ST_DWithin(l.geom, pt, :r) GROUP BY s.id ORDER BY d LIMIT 20"""
NAIVE_WORDS = """
SELECT s.id, ts_rank_cd(s.search_vector, q) AS score FROM service_search s, websearch_to_tsquery('english', :what) q
WHERE s.search_vector @@ q ORDER BY score DESC LIMIT 20"""


def pct(values, p):
    values = sorted(values)
    return values[max(0, int(math.ceil(p / 100 * len(values))) - 1)]


def report(label: str, timings: dict[str, list[float]]) -> None:
    for cls in sorted(timings):
        t = timings[cls]
        print(f"  {label:<9} {cls:<22} n={len(t):<4} median {statistics.median(t):7.2f}  p95 {pct(t, 95):7.2f}  "
              f"p99 {pct(t, 99):7.2f} ms")


def run_ours(queries) -> dict[str, list[float]]:
    """Each query once, timed. First a warm-up with as many other queries (another seed: the same
    mix, other places and words), so the process and its connection are as a server's are after
    its first few hundred searches: psycopg prepares a statement after its fifth run, and each
    shape of search (with or without words, each set of filters) is a statement of its own."""
    from search import run_search
    from search.query import SearchQuery
    timings: dict[str, list[float]] = {}
    for cls, args in make_queries(len(queries), seed=WARM_UP_SEED):
        run_search(SearchQuery(**{k: v for k, v in args.items() if v is not None}))
        db.session.commit()
    for cls, args in queries:
        q = SearchQuery(**{k: v for k, v in args.items() if v is not None})
        t0 = time.perf_counter()
        run_search(q)
        timings.setdefault(cls, []).append((time.perf_counter() - t0) * 1000)
        db.session.commit()  # as a web request ends (a rollback would also drop psycopg's prepared statements)
    return timings


def run_naive(queries) -> dict[str, list[float]]:
    """The issue's single statement for each query, with the same warm-up as ours."""
    from assets_hub.geo import resolve_place

    def one(args):
        params = {"r": args.get("radius_km", 5) * 1000, "what": args.get("what")}
        if args.get("where"):
            place = resolve_place(args["where"])
            params.update(lat=place.latitude, lon=place.longitude)
        sql = NAIVE if args.get("what") and args.get("where") else NAIVE_PLACE if args.get("where") else NAIVE_WORDS
        db.session.execute(text(sql), params).all()

    for cls, args in make_queries(len(queries), seed=WARM_UP_SEED):
        one(args)
        db.session.commit()
    timings: dict[str, list[float]] = {}
    for cls, args in queries:
        t0 = time.perf_counter()
        one(args)
        timings.setdefault(cls, []).append((time.perf_counter() - t0) * 1000)
        db.session.commit()  # as a web request ends
    return timings


def bench(url: str, services: int, queries: int, naive: bool, index_dir: str, reuse: bool = False) -> None:
    if reuse:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SEARCH_INDEX_DIR": index_dir})
        with app.app_context():
            qs = make_queries(queries)
            report("ours", run_ours(qs))
            if naive:
                report("naive", run_naive(qs))
        return
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SEARCH_INDEX_DIR": index_dir})
    with app.app_context():
        from assets_hub.geo.postcodes import load_bundled
        t0 = time.perf_counter()
        load_bundled()
        db.session.commit()
        generate(services)
        if db.is_postgres:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            from search import engine_whoosh
            engine_whoosh.rebuild()
            db.session.commit()
        print(f"{db.dialect}: {services:,} services generated and indexed in {time.perf_counter() - t0:.0f} s")
        qs = make_queries(queries)
        if db.is_postgres:
            # as a bulk import leaves it, then after `assets-hub search optimise` (the table in place order)
            report("imported", run_ours(qs))
            from search import engine_pg
            print(f"  assets-hub search optimise: {engine_pg.optimise()['seconds']:.1f} s")
            db.session.commit()
        report("ours", run_ours(qs))
        if naive:
            report("naive", run_naive(qs))
    db.state(app).engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=None)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--sqlite-services", type=int, default=10_000)
    parser.add_argument("--reuse", help="a PostgreSQL URL already loaded by an earlier run (BENCH_KEEP_DB=1)")
    args = parser.parse_args()
    if args.reuse:
        bench(args.reuse, 0, args.queries, True, tempfile.mkdtemp(), reuse=True)
        return
    print(f"{os.cpu_count()} cores; {args.queries} queries per engine")
    base = os.environ.get("DATABASE_URL", "")
    if not args.sqlite_only and base.startswith("postgres"):
        url = create_scratch_database(base, "bench_search")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                bench(url, args.services or 100_000, args.queries, True, tmp)
        finally:
            if not os.environ.get("BENCH_KEEP_DB"):
                drop_database(url)
            else:
                print(f"kept database {url}")
    if not args.pg_only:
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{tmp}/bench.db", args.sqlite_services if args.services is None else args.services,
                  args.queries, False, f"{tmp}/index")


if __name__ == "__main__":
    main()
