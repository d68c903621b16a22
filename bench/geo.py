"""Geo benchmark: 100,000 locations across GB, 200 radius (5 km) and 200 nearest-20 queries per backend.

    make bench-geo                       # starts a throwaway PostGIS, runs both backends
    DATABASE_URL=postgresql://... .venv/bin/python bench/geo.py   # against a PostgreSQL you run
    .venv/bin/python bench/geo.py --sqlite-only

Locations are spread like people: postcode sectors drawn in proportion to their number of
postcodes, jittered within the sector's p90 radius. Query centres are drawn the same way.
Prints median and p95 (ms) for each query class and backend, and the mean number of results.
"""
from __future__ import annotations

import argparse
import csv
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

from sqlalchemy import insert, text  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.migrate import upgrade_database  # noqa: E402
from assets_hub.db import create_scratch_database, db, drop_database  # noqa: E402
from assets_hub.directory.models import Location  # noqa: E402
from assets_hub.geo import nearby  # noqa: E402

SECTORS = Path(__file__).resolve().parent.parent / "assets_hub" / "data" / "postcodes" / "postcode_sectors.csv"


def population_points(n: int, seed: int) -> list[tuple[float, float]]:
    rows = []
    with open(SECTORS, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["latitude"]:
                rows.append((float(r["latitude"]), float(r["longitude"]), float(r["p90_radius_km"] or 1),
                             int(r["postcode_count"])))
    rng = random.Random(seed)
    picks = rng.choices(rows, weights=[r[3] for r in rows], k=n)
    out = []
    for lat, lon, radius_km, _w in picks:
        d = radius_km * 1000 * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        dlat = d * math.cos(bearing) / 111_320
        dlon = d * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
        out.append((round(lat + dlat, 6), round(lon + dlon, 6)))
    return out


def load(url: str, points) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        rows = [{"id": str(uuid.UUID(int=i + 1)), "location_type": "physical", "latitude": lat, "longitude": lon,
                 "created_at": None, "updated_at": None} for i, (lat, lon) in enumerate(points)]
        from assets_hub.db import utcnow
        now = utcnow()
        for r in rows:
            r["created_at"] = r["updated_at"] = now
        for i in range(0, len(rows), 5000):
            db.session.execute(insert(Location), rows[i:i + 5000])
        db.session.commit()
        if db.is_postgres:
            db.session.execute(text("ANALYZE location"))
            db.session.commit()
    db.state(app).engine.dispose()


def run(url: str, centres, label: str) -> dict:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    results = {}
    with app.app_context():
        for name, kwargs in (("radius 5 km", {"radius_m": 5000}), ("nearest 20", {"limit": 20})):
            for lat, lon in centres[:20]:  # warm up
                nearby(lat, lon, **kwargs)
            times, sizes = [], []
            for lat, lon in centres:
                t0 = time.perf_counter()
                found = nearby(lat, lon, **kwargs)
                times.append((time.perf_counter() - t0) * 1000)
                sizes.append(len(found))
            times.sort()
            results[name] = (statistics.median(times), times[int(math.ceil(0.95 * len(times))) - 1],
                             statistics.mean(sizes))
            db.session.rollback()
    db.state(app).engine.dispose()
    for name, (med, p95, size) in results.items():
        print(f"{label:<10} {name:<12} median {med:6.2f} ms   p95 {p95:6.2f} ms   mean results {size:8.1f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    points = population_points(args.locations, seed=1)
    centres = population_points(args.queries, seed=2)
    print(f"{args.locations:,} locations, {args.queries} queries per class, {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(sqlite_url)
        t0 = time.perf_counter()
        load(sqlite_url, points)
        print(f"SQLite loaded in {time.perf_counter() - t0:.1f} s")
        run(sqlite_url, centres, "SQLite")

    base = os.environ.get("DATABASE_URL", "")
    if args.sqlite_only or not base.startswith("postgres"):
        if not args.sqlite_only:
            print("PostGIS skipped: set DATABASE_URL=postgresql://... or run `make bench-geo`.")
        return
    pg_url = create_scratch_database(base, "bench_geo")
    try:
        upgrade_database(pg_url)
        t0 = time.perf_counter()
        load(pg_url, points)
        print(f"PostGIS loaded in {time.perf_counter() - t0:.1f} s")
        run(pg_url, centres, "PostGIS")
    finally:
        drop_database(pg_url)


if __name__ == "__main__":
    main()
