"""The "open now" and "open on a day" search filters, timed in process on a kept database.

    python bench/open_filters.py postgresql://.../bench_api_xxx [TREE]

TREE (default: this checkout) is the source tree to import, so an older commit checked out in a
git worktree can be timed on the same data: run both, alternating. Each search runs 5 times to
warm up, then 40 times; prints the median and p95 in ms and how many services were found. "Now"
is fixed (Tuesday 8 December 2026, 11:00 in London) so every run asks the same question.
"""
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).resolve().parent.parent))

from assets_hub import create_app  # noqa: E402
from search import run_search  # noqa: E402
from search.query import SearchQuery  # noqa: E402

SEARCHES = (("open now, SK4 2", dict(where="SK4 2", open_now=True)),
            ("open now, words+SK4", dict(what="support", where="SK4", open_now=True)),
            ("open on TU 11:00, SK4 2", dict(where="SK4 2", open_day="TU", open_time="11:00")))


def main() -> None:
    app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "bench"})
    now = datetime(2026, 12, 8, 11, 0, tzinfo=ZoneInfo("Europe/London"))
    with app.app_context():
        for label, kw in SEARCHES:
            for _ in range(5):
                run_search(SearchQuery(**kw), now=now)
            times = []
            for _ in range(40):
                start = time.perf_counter()
                result = run_search(SearchQuery(**kw), now=now)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            print(f"{label}: median {statistics.median(times):.1f} p95 {times[37]:.1f} ms, {result.total} found")


if __name__ == "__main__":
    main()
