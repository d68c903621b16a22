"""Two versions of the PostgreSQL search engine, query by query, in one process.

    git worktree add /tmp/before <commit>
    .venv/bin/python bench/search_ab.py /tmp/before postgresql://.../bench_search_xxx [--passes 3]

On a database kept by `bench/search.py` (BENCH_KEEP_DB=1), runs bench/search.py's queries with a
place (words only is left out) through `search.run_search`, once with `search/engine_pg.py` from
the other checkout ("before") and once with this checkout's ("after"), alternating which goes
first, and prints median and p95 per class for each. Everything else (place resolution, the
pool, the database) is this checkout's and is shared, so the machine's drifts fall on both
alike: on this noisy machine, separate runs differ by more than most single changes.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import search  # noqa: E402
from assets_hub import create_app  # noqa: E402
from assets_hub.db import db  # noqa: E402
from search.query import SearchQuery  # noqa: E402


def load_engine(checkout: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, checkout / "search" / "engine_pg.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pct(values, p):
    values = sorted(values)
    return values[max(0, int(math.ceil(p / 100 * len(values))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path, help="another checkout of this repository")
    parser.add_argument("url", help="a PostgreSQL database kept by bench/search.py")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    engines = {"before": load_engine(args.before, "engine_pg_before"), "after": load_engine(ROOT, "engine_pg_after")}
    bench = runpy.run_path(str(ROOT / "bench" / "search.py"), run_name="bench_search")
    make_queries, warm_seed = bench["make_queries"], bench["WARM_UP_SEED"]
    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": "bench", "SEARCH_INDEX_DIR": tempfile.mkdtemp()})

    def run(engine, args_):
        search._engine = lambda: engine
        q = SearchQuery(**{k: v for k, v in args_.items() if v is not None})
        t0 = time.perf_counter()
        search.run_search(q)
        elapsed = (time.perf_counter() - t0) * 1000
        db.session.commit()  # as a web request ends
        return elapsed

    with app.app_context():
        for engine in engines.values():  # as in bench/search.py: a server after its first searches
            for _, a in make_queries(500, seed=warm_seed):
                run(engine, a)
        queries = [(c, a) for c, a in make_queries(500) if c != "words only"]
        timings = {name: {} for name in engines}
        for p in range(args.passes):
            for i, (cls, a) in enumerate(queries):
                order = ("before", "after") if (i + p) % 2 == 0 else ("after", "before")
                for name in order:
                    timings[name].setdefault(cls, []).append(run(engines[name], a))
    for name, by_class in timings.items():
        print(f"{name:<7}", "  ".join(f"{c}: median {statistics.median(t):.2f} p95 {pct(t, 95):.2f}"
                                      for c, t in sorted(by_class.items())))
    db.state(app).engine.dispose()


if __name__ == "__main__":
    main()
