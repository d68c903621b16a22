"""Time bank ledger benchmark on PostGIS.

    make bench-ledger
    DATABASE_URL=postgresql://.../postgres .venv/bin/python bench/ledger.py [--keep] [--reuse URL]

- A member with 10,000 confirmed entries (written through the ledger itself): their bank page
  (balance, statement of every entry) and the JSON statement, through the whole Flask app; median,
  p95 and p99 in ms (target: the page p95 under 100 ms).
- Confirmed exchanges per second through gunicorn on loopback (2 workers x 4 threads): 8 client
  threads, each a coordinator's token, recording exchanges between 40 members with idempotency
  keys for a fixed time; then ``reconcile`` must be clean.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = str(ROOT / "bench")
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in (BENCH, "")] + [BENCH]

from sqlalchemy import select  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.accounts.models import User  # noqa: E402
from assets_hub.accounts.services import create_user  # noqa: E402
from assets_hub.accounts.tokens import create_token  # noqa: E402
from assets_hub.db import create_scratch_database, db, drop_database  # noqa: E402
from assets_hub.migrate import upgrade_database  # noqa: E402
from assets_hub.roles import SYSTEM  # noqa: E402
from assets_hub.timebank import ledger  # noqa: E402
from api import report, timed  # noqa: E402
from load import free_port  # noqa: E402

sys.path[:] = [p for p in sys.path if p != BENCH] + [BENCH]
PASSWORD = "bench password 1"


def load(entries: int) -> dict:
    create_user(SYSTEM, "coord@bench.test", PASSWORD, "timebank_coordinator", "Bench Coordinator")
    for i in range(40):
        create_user(SYSTEM, f"m{i}@bench.test", PASSWORD, "member", f"Member {i}")
    bank = ledger.create_bank(SYSTEM, "Bench Time Bank", "coord@bench.test", -100000, 100000)
    accounts = [ledger.add_member(SYSTEM, bank.id, f"m{i}@bench.test").id for i in range(40)]
    db.session.commit()
    coordinator = db.session.scalar(select(User).where(User.email == "coord@bench.test"))
    rng = random.Random(16)
    today = date.today()
    for i in range(entries):  # the busy member (m0) gives or receives in every one
        other = rng.choice(accounts[1:])
        giver, receiver = (accounts[0], other) if i % 2 else (other, accounts[0])
        ledger.record(coordinator, bank.id, {"giver": giver, "receiver": receiver, "minutes": rng.choice([30, 60, 90]),
                                             "date": today, "description": "Bench help"}, f"load-{i}")
        if i % 500 == 499:
            db.session.commit()
    db.session.commit()
    return {"bank": bank.id, "accounts": accounts}


def pages(app, data, n):
    client = app.test_client()
    token = client.get("/api/session").json["csrf_token"]
    assert client.post("/login", data={"email": "m0@bench.test", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    page = [timed(client, f"/timebank/banks/{data['bank']}") for _ in range(n)]
    api = [timed(client, f"/api/timebank/banks/{data['bank']}/statement?account={data['accounts'][0]}")
           for _ in range(n)]
    report("bank page, 10,000 entries (member)", page)
    report("JSON statement, 10,000 entries", api)


def exchanges(url, data, seconds, clients_n=8):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coord@bench.test"))
        tokens = [create_token(SYSTEM, coordinator, f"client {i}")[1] for i in range(clients_n)]
        db.session.commit()
    db.state(app).engine.dispose()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", MAIL_SERVER="", ASSETS_HUB_INSTANCE="/tmp/bench-ledger")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "--threads", "4",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "assets_hub:create_app()"],
                              env=env, cwd=ROOT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/referrals/needs", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(n):
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            giver, receiver = rng.sample(data["accounts"], 2)
            body = json.dumps({"giver": giver, "receiver": receiver, "minutes": 30, "date": date.today().isoformat(),
                               "description": "bench"})
            t0 = time.perf_counter()
            conn.request("POST", f"/api/timebank/banks/{data['bank']}/exchanges", body,
                         {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[n]}",
                          "Idempotency-Key": str(uuid.uuid4())})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - t0) * 1000)
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    confirmed = statuses.get(201, 0)
    print(f"exchanges: {confirmed} confirmed in {elapsed:.1f} s with {clients_n} clients = "
          f"{confirmed / elapsed:.0f} a second; answers {statuses}", flush=True)
    report(f"POST exchanges (gunicorn 2x4, {clients_n} clients)", latencies)
    with app.app_context():
        problems = ledger.reconcile()
    db.state(app).engine.dispose()
    print("reconcile:", "clean" if not problems else problems[:5], flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--reuse")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make bench-ledger starts one).")
    url = args.reuse or create_scratch_database(server, "bench_ledger")
    try:
        if not args.reuse:
            upgrade_database(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SEND_AFTER_COMMIT": False})
        with app.app_context():
            if args.reuse:
                bank = db.session.scalar(select(ledger.Bank).where(ledger.Bank.name == "Bench Time Bank"))
                busy = ledger.my_account(db.session.scalar(select(User).where(User.email == "m0@bench.test")), bank.id)
                others = [a.id for a, _ in ledger.members(SYSTEM, bank.id) if a.kind == "member" and a.id != busy.id]
                data = {"bank": bank.id, "accounts": [busy.id] + others}  # the busy member first
            else:
                t0 = time.perf_counter()
                data = load(args.entries)
                print(f"loaded {args.entries} exchanges in {time.perf_counter() - t0:.0f} s", flush=True)
        pages(app, data, args.requests)
        db.state(app).engine.dispose()
        exchanges(url, data, args.seconds)
    finally:
        if args.keep or args.reuse:
            print(f"database kept: {url}")
        else:
            drop_database(url)


if __name__ == "__main__":
    main()
