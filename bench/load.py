"""Requests per second through gunicorn (2 workers) on loopback, measured with wrk.

    make bench-load                     # throwaway PostGIS with 100,000 generated services
    DATABASE_URL=postgresql://.../db .venv/bin/python bench/load.py --existing   # a database already loaded

Starts gunicorn on 127.0.0.1, sends a fixed mix of search URLs (words + postcode, postcode only,
words only, filters; HTML and JSON) for a bounded time with wrk, prints requests per second and
latency percentiles (p50, p95, p99), then stops gunicorn.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%.2f rps=%%.1f p50=%%.2f p95=%%.2f p99=%%.2f errors=%%d\\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def paths(n: int = 200) -> list[str]:
    rng = random.Random(9)
    sectors = ["SK4 2", "SK1 3", "M1 1", "B1 1", "LS1 1", "EH1 2", "G1 1", "CF10 1", "NE1 1", "BS1 4", "L1 8",
               "N1 9", "SE1 7", "E1 6", "NG1 5", "S1 2", "OX1 3", "CB2 1", "PL1 2", "AB10 1"]
    words = ["befriending", "walking group", "food bank", "debt advice", "support", "group", "lunch club", "carers"]
    out = []
    for i in range(n):
        where = rng.choice(sectors).replace(" ", "+")
        what = rng.choice(words).replace(" ", "+")
        out.append(rng.choice([f"/api/search?what={what}&where={where}", f"/search?what={what}&where={where}",
                               f"/api/search?where={where}", f"/api/search?what={what}",
                               f"/search?what={what}&where={where}&free=1&sort=nearest"]))
    return out


def prepare(url: str, services: int) -> str:
    import importlib.util

    from sqlalchemy import text

    from assets_hub.db import create_scratch_database
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    bs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bs)
    target = create_scratch_database(url, "bench_load")
    from assets_hub import create_app
    from assets_hub.migrate import upgrade_database
    from assets_hub.db import db
    from assets_hub.geo.postcodes import load_bundled
    upgrade_database(target)
    app = create_app({"DATABASE_URL": target, "SECRET_KEY": "bench"})
    with app.app_context():
        load_bundled()
        db.session.commit()
        bs.generate(services)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    db.state(app).engine.dispose()
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", action="store_true", help="DATABASE_URL is already loaded")
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if not args.existing:
        t0 = time.time()
        url = prepare(url, args.services)
        print(f"generated {args.services:,} services in {time.time() - t0:.0f} s")
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench")
    gunicorn = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                 "--log-level", "warning", "assets_hub:create_app()"], env=env, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?where=SK4", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA % ", ".join(f'"{p}"' for p in paths()))
            script = fh.name
        # Warm up both workers, then measure.
        subprocess.run(["wrk", "-t1", "-c2", "-d5s", "-s", script, f"http://127.0.0.1:{port}"], check=True,
                       capture_output=True)
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "5s",
                              "-s", script, f"http://127.0.0.1:{port}"], check=True, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            if line.startswith("RESULT"):
                print(f"gunicorn 2 workers, wrk {args.connections} connections {args.seconds}s: {line[7:]} (ms)")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)


if __name__ == "__main__":
    main()
