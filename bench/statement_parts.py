"""Where one place search's statement spends its time: the statement and parts of it, timed alternately.

    .venv/bin/python bench/statement_parts.py postgresql://.../bench_search_xxx ["SE10 9"] [--runs 300]

Captures the statement `search.run_search` sends for a search of the place (no words, 5 km), then
times, prepared and with the generic plan as search uses it, the whole statement and variants
that leave parts out: the page alone, the page without its names, the matches counted, the
matches counted without being materialised, and the candidates alone (the bitmap scan). Each
variant's median less the next smaller one's is what that part costs. Prints medians and p90 (ms).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.db import db  # noqa: E402
from search import engine_pg, run_search  # noqa: E402
from search.query import SearchQuery  # noqa: E402


def capture(url: str, where: str) -> tuple[str, dict]:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SEARCH_INDEX_DIR": tempfile.mkdtemp()})
    seen = []
    generic = engine_pg._generic
    engine_pg._generic = lambda sql, params: (seen.append((engine_pg._driver_statement(sql), params)),
                                              generic(sql, params))[1]
    try:
        with app.app_context():
            run_search(SearchQuery(what="", where=where, radius_km=5))
            db.session.commit()
    finally:
        engine_pg._generic = generic
        db.state(app).engine.dispose()
    return seen[-1]


def variants(sql: str) -> dict[str, str]:
    parts = sql.split("\nUNION ALL ")
    ctes = sql.split(",\nscored AS")[0]  # drawn and matched
    count = "\nSELECT count(*) FROM matched"
    point = "(SELECT ST_SetSRID(ST_MakePoint(%(plon)s, %(plat)s), 4326)::geography)"
    return {
        "whole statement": sql,
        "page alone": parts[0],
        "page without names": parts[0].split("\nSELECT 'hit'")[0] + "\nSELECT p.id, p.pos FROM page p",
        "matches counted": ctes + count,
        "not materialised": ctes.replace("matched AS MATERIALIZED", "matched AS NOT MATERIALIZED") + count,
        "candidates alone": (f"SELECT count(*) FROM service_search s WHERE s.geom && _ST_Expand({point}, %(radius_m)s)"
                             " OR s.area_codes && %(codes)s"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("where", nargs="?", default="SE10 9")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    sql, params = capture(args.url, args.where)
    conn = psycopg.connect(args.url.replace("postgresql+psycopg://", "postgresql://"), prepare_threshold=0,
                           options="-c jit=off -c random_page_cost=1.1 -c work_mem=32MB")
    conn.execute("SET plan_cache_mode = force_generic_plan")
    todo = variants(sql)
    for q in todo.values():
        for _ in range(10):
            conn.execute(q, params).fetchall()
    timings = {name: [] for name in todo}
    names = list(todo)
    for i in range(args.runs):
        for name in names if i % 2 else names[::-1]:
            t0 = time.perf_counter()
            conn.execute(todo[name], params).fetchall()
            timings[name].append((time.perf_counter() - t0) * 1000)
    print(f"{args.where}, 5 km, {args.runs} runs each (ms, with one round trip):")
    for name, t in timings.items():
        t.sort()
        print(f"  {name:<20} median {statistics.median(t):.3f}  p90 {t[int(len(t) * 0.9)]:.3f}")
    conn.close()


if __name__ == "__main__":
    main()
