"""Open Referral API benchmark: 100,000 services on PostGIS, requests through the whole Flask app.

    make bench-api
    DATABASE_URL=postgresql://... .venv/bin/python bench/api.py [--services 100000] [--reuse URL]

Services come from the search benchmark's generator (bench/search.py: spread across GB by
population, with organisations, locations, schedules, areas, categories). Measures, in the app
(Flask test client, so routing, parameter checks, serialisation and JSON are all counted):
- GET /api/v3/services?per_page=50 on random pages (brief and full=true),
- GET /api/v3/services/{id} for random ids,
- GET /api/v3/services?format=ndjson (and full=true): every record streamed, with the process's
  resident memory sampled as the lines go by, to show it stays flat.
Prints median, p95 and p99 in ms.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.migrate import upgrade_database  # noqa: E402
from assets_hub.db import create_scratch_database, db, drop_database  # noqa: E402
from assets_hub.directory.models import Service  # noqa: E402


def _search_bench():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(label, ms):
    print(f"{label:<42} n={len(ms):<5} median {statistics.median(ms):7.2f}  p95 {pct(ms, 95):7.2f}  "
          f"p99 {pct(ms, 99):7.2f} ms")


def timed(client, url) -> float:
    t0 = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return elapsed


def stream(client, url, expected: int) -> None:
    before = rss_mb()
    samples = []
    t0 = time.perf_counter()
    response = client.get(url, buffered=False)
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
        if lines // 10_000 > len(samples):
            samples.append((lines, rss_mb()))
    response.close()
    elapsed = time.perf_counter() - t0
    assert lines == expected, (lines, expected)
    curve = ", ".join(f"{n // 1000}k: {mb:.0f} MB" for n, mb in samples)
    print(f"{url:<42} {lines:,} records in {elapsed:5.1f} s; RSS before {before:.0f} MB, during [{curve}], "
          f"after {rss_mb():.0f} MB")


def run(url: str, rounds: int) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SERVER_NAME": "localhost",
                      "API_RATE_LIMIT": "100000000 per minute"})
    with app.app_context():
        ids = list(db.session.scalars(select(Service.id)))
        db.session.close()
    total = len(ids)
    client = app.test_client()
    rng = random.Random(7)
    pages = max(1, total // 50)
    for _ in range(20):  # warm up connections and caches
        timed(client, f"/api/v3/services?per_page=50&page={rng.randint(1, pages)}")
    report("/services?per_page=50 (random page)",
           [timed(client, f"/api/v3/services?per_page=50&page={rng.randint(1, pages)}") for _ in range(rounds)])
    report("/services?per_page=50 (first page)",
           [timed(client, "/api/v3/services?per_page=50") for _ in range(rounds)])
    report("/services?per_page=50&full=true",
           [timed(client, f"/api/v3/services?per_page=50&full=true&page={rng.randint(1, pages)}")
            for _ in range(rounds // 2)])
    report("/services/{id}", [timed(client, f"/api/v3/services/{rng.choice(ids)}") for _ in range(rounds * 2)])
    report("/service_at_locations?postcode=SK4 2",
           [timed(client, "/api/v3/service_at_locations?postcode=SK4%202&proximity=5000") for _ in range(rounds)])
    stream(client, "/api/v3/services?format=ndjson", total)
    stream(client, "/api/v3/services?format=ndjson&full=true", total)
    db.state(app).engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--reuse", help="a PostgreSQL URL already loaded by an earlier run (BENCH_KEEP_DB=1)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if args.reuse:
        run(args.reuse, args.rounds)
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make bench-api starts one).")
    url = create_scratch_database(base, "bench_api")
    try:
        upgrade_database(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        with app.app_context():
            from assets_hub.geo.postcodes import load_bundled
            t0 = time.perf_counter()
            load_bundled()
            db.session.commit()
            _search_bench().generate(args.services)
            db.session.commit()
            print(f"{args.services:,} services generated in {time.perf_counter() - t0:.0f} s")
        # Measure the steady state, not the minute before autovacuum: straight after a bulk load
        # the visibility map is unset and every count(*) and deep page visits the table's rows
        # too (a first page took 46 ms instead of 25 on the same data, same code).
        t0 = time.perf_counter()
        with db.state(app).engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        print(f"VACUUM (ANALYZE) in {time.perf_counter() - t0:.0f} s")
        db.state(app).engine.dispose()
        run(url, args.rounds)
    finally:
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {url}")
        else:
            drop_database(url)


if __name__ == "__main__":
    main()
