"""What a request pays before its own queries: round trips to PostgreSQL through the app's engine.

    DATABASE_URL=postgresql://.../db .venv/bin/python bench/roundtrip.py [--runs 2000]

Prints median and p95 (µs) of: one statement in an open transaction (``SELECT 1``; what
``SET LOCAL`` alone cost before it was pipelined with the search statement), and a request's
fixed cost: take a connection from the pool (the checkout hook in ``assets_hub.db``), begin,
``SELECT 1``, commit.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.db import db  # noqa: E402


def timed(fn, runs: int) -> str:
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e6)
    ts.sort()
    return f"median {statistics.median(ts):6.0f} µs  p95 {ts[int(len(ts) * 0.95)]:6.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SEARCH_INDEX_DIR": tempfile.mkdtemp()})
    one = text("SELECT 1")
    with app.app_context():
        db.session.execute(one)
        print("one statement in a transaction: ", timed(lambda: db.session.execute(one).all(), args.runs))
        db.session.commit()

        def request():
            db.session.execute(one).all()
            db.session.commit()
        print("checkout, begin, statement, commit:", timed(request, args.runs))
    db.state(app).engine.dispose()


if __name__ == "__main__":
    main()
