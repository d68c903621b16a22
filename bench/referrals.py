"""Referrals benchmark: 50,000 people and 200,000 referrals on PostGIS.

    make bench-referrals
    DATABASE_URL=postgresql://... .venv/bin/python bench/referrals.py [--people 50000] [--referrals 200000]

Loads a team structure (20 teams of 10 link workers, one lead each), people and referrals (one
in five still open, spread across the lifecycle; each with needs, contacts and history), then:
- through the whole Flask app (test client: routing, the second factor, the audit entry each read
  writes, the template): the caseload page ("mine" for a link worker, "team" for a lead) and a
  person's record, for random link workers and referrals; median, p95 and p99 in ms;
- through gunicorn on loopback (2 workers, 4 threads each): POST /api/referrals from 8 client
  threads with personal tokens for a fixed time; referrals per second and latency percentiles;
- every report page (issue 17), through the whole app: a team lead's (one team, the last twelve
  months), a commissioner's (every team, suppressed, the last twelve months) and a commissioner's
  over every year loaded. The referrals also carry onward referrals (most of them), outcome
  measures (ONS4 start and end on a third, SWEMWBS on a tenth), sources, practices, age bands and
  areas, and one need in twenty is marked unmet.
Targets (issue 15): both pages p95 under 100 ms; intake over 200 referrals a second.
Target (issue 17): every report p95 under 300 ms.
"""
from __future__ import annotations

import argparse
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = str(ROOT / "bench")
# The project first: bench/search.py (on the path as this script's folder) must not hide the
# search package; the other benchmarks' helpers are still found, after it.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in (BENCH, "")] + [BENCH]

from sqlalchemy import insert, select, text  # noqa: E402

from assets_hub import create_app  # noqa: E402
from assets_hub.accounts.models import User  # noqa: E402
from assets_hub.accounts.tokens import create_token  # noqa: E402
from assets_hub.db import create_scratch_database, db, drop_database  # noqa: E402
from assets_hub.migrate import upgrade_database  # noqa: E402
from assets_hub.referrals.models import (ContactLog, Measure, Need, OnwardReferral, Outcome, Person,  # noqa: E402
                                         Referral, ReferralEvent, Team, TeamMember)
from assets_hub.referrals.reports import REPORTS  # noqa: E402
from assets_hub.referrals.vocab import AGE_BANDS, NEEDS, SWEMWBS_METRIC  # noqa: E402
from assets_hub.roles import SYSTEM  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from api import report, timed  # noqa: E402  (the API benchmark's percentiles and timed GET)
from load import free_port  # noqa: E402

sys.path[:] = [p for p in sys.path if p != BENCH] + [BENCH]  # (load.py put it first again)

PASSWORD = "bench password 1"
FIRST = ["Ada", "Grace", "Alan", "Mary", "John", "Aisha", "Mohammed", "Olivia", "Noah", "Priya", "Tom", "Sian",
         "Ewan", "Fatima", "Jack", "Chloe", "Dylan", "Megan", "Rhys", "Zara"]
LAST = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
        "Roberts", "Khan", "Patel", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards"]
POSTCODES = ["SK4 1AA", "SK4 2AA", "SK1 3XE", "M1 1AE", "SK8 1AA"]


def load(people: int, referrals: int, rng: random.Random) -> dict:
    hashed = generate_password_hash(PASSWORD)
    now = datetime.now(timezone.utc)
    teams, workers, leads = [], {}, []
    for t in range(20):
        team_id = str(uuid.uuid4())
        teams.append(team_id)
        db.session.execute(insert(Team).values(id=team_id, name=f"Bench team {t}", created_at=now))
        for w in range(10):
            user_id = str(uuid.uuid4())
            db.session.execute(insert(User).values(id=user_id, email=f"lw{t}-{w}@bench.test",
                                                   display_name=f"Worker {t}-{w}", password_hash=hashed,
                                                   role="link_worker", active=True, created_at=now,
                                                   session_version=0))
            db.session.execute(insert(TeamMember).values(id=str(uuid.uuid4()), team_id=team_id, user_id=user_id,
                                                         lead=w == 0))
            workers.setdefault(team_id, []).append(user_id)
            if w == 0:
                leads.append(user_id)
    db.session.commit()
    person_team = []
    rows = []
    for i in range(people):
        team_id = rng.choice(teams)
        person_team.append((str(uuid.uuid4()), team_id))
        rows.append({"id": person_team[-1][0], "team_id": team_id, "given_name": rng.choice(FIRST),
                     "family_name": rng.choice(LAST), "date_of_birth": date(1930 + rng.randrange(80), 1 + rng.randrange(12),
                                                                            1 + rng.randrange(28)),
                     "postcode": rng.choice(POSTCODES), "nhs_number": None, "phone": "0161 000 0000", "email": None,
                     "preferred_contact": "phone", "what_matters": "Company and the garden.", "do_not_contact": False,
                     "sensitive": False, "created_at": now})
        if len(rows) == 5000:
            db.session.execute(insert(Person), rows)
            rows = []
    if rows:
        db.session.execute(insert(Person), rows)
    db.session.commit()
    statuses = ["received", "contacted", "first_appointment", "supported"]
    batch = {"ref": [], "need": [], "contact": [], "event": [], "onward": [], "measure": [], "outcome": []}
    open_ids = []
    codes = list(NEEDS)
    practices = [(f"P{88000 + i:05d}", f"Bench Practice {i}") for i in range(40)]
    areas = db.session.scalars(text("SELECT lad_code FROM local_authority ORDER BY lad_code LIMIT 30")).all() or [None]
    services = [(str(uuid.uuid4()), f"Bench service {i}") for i in range(300)]
    onward_statuses = ["signposted", "sent", "accepted", "declined", "expired", "attended", "did_not_attend"]

    def flush():
        for model, key in ((Referral, "ref"), (Need, "need"), (ContactLog, "contact"), (ReferralEvent, "event"),
                           (OnwardReferral, "onward"), (Measure, "measure"), (Outcome, "outcome")):
            if batch[key]:
                db.session.execute(insert(model), batch[key])
                batch[key] = []
        db.session.commit()

    for i in range(referrals):
        person_id, team_id = person_team[i % people] if i < people else rng.choice(person_team)
        referral_id = str(uuid.uuid4())
        received = now - timedelta(days=rng.randrange(1, 1500))
        is_open = rng.random() < 0.2
        status = rng.choice(statuses) if is_open else "closed"
        if is_open:
            open_ids.append(referral_id)
        worker = rng.choice(workers[team_id]) if status != "received" or rng.random() < 0.5 else None
        ods, gp = rng.choice(practices)
        batch["ref"].append({
            "id": referral_id, "person_id": person_id, "team_id": team_id,
            "source": rng.choice(("api", "api", "staff", "self")), "referrer_id": None,
            "age_band": rng.choice(AGE_BANDS), "lad_code": rng.choice(areas),
            "link_worker_id": worker, "gp_ods_code": ods, "gp_name": gp, "reason": "Lonely.",
            "known_risks": False, "risk_details": None, "information_sharing": True, "consent_reason": None,
            "status": status, "closed_reason": None if is_open else "discharged", "received_at": received,
            "first_contact_at": received + timedelta(days=5) if status != "received" else None,
            "next_contact_due": (now + timedelta(days=rng.randrange(-5, 30))).date() if is_open else None,
            "closed_at": None if is_open else received + timedelta(days=90)})
        for code in rng.sample(codes, 2):
            batch["need"].append({"id": str(uuid.uuid4()), "referral_id": referral_id, "code": code, "note": "",
                                  "unmet": rng.random() < 0.05, "team_id": team_id, "received_at": received,
                                  "created_at": received})
        found = False
        if status not in ("received", "contacted") and rng.random() < 0.8:
            service_id, service_name = rng.choice(services)
            kind = "signpost" if rng.random() < 0.3 else "referral"
            onward_status = "signposted" if kind == "signpost" else rng.choice(onward_statuses[1:])
            found = onward_status not in ("declined", "expired")
            batch["onward"].append({
                "id": str(uuid.uuid4()), "referral_id": referral_id, "service_id": service_id,
                "service_name": service_name, "kind": kind, "status": onward_status,
                "shared": "", "message": "", "sent_at": received + timedelta(days=10)})
        batch["ref"][-1]["nothing_found"] = None if is_open else not found
        for need in batch["need"][-2:]:  # as the app keeps them (migration 0038)
            need["lad_code"] = batch["ref"][-1]["lad_code"]
            need["no_service"] = need["unmet"] or (not is_open and not found)
        # Outcome measures, and the start-and-end row recording them keeps for the report.
        for tool, share in (("ons4", 0.33), ("swemwbs", 0.1)):
            if is_open or rng.random() >= share:
                continue
            pair = {"referral_id": referral_id, "tool": tool, "team_id": team_id, "received_at": received}
            for stage in ("start", "end"):
                on = (received + timedelta(days=5 if stage == "start" else 85)).date()
                if tool == "ons4":
                    base = rng.randrange(2, 8) + (rng.randrange(-2, 4) if stage == "end" else 0)
                    scores = {"life_satisfaction": min(10, max(0, base)), "worthwhile": min(10, max(0, base)),
                              "happy": min(10, max(0, base + 1)), "anxious": min(10, max(0, 10 - base))}
                else:
                    raw = rng.randrange(10, 33)
                    scores = {"swemwbs_items": "", "swemwbs_raw": raw, "swemwbs_metric": SWEMWBS_METRIC[raw]}
                batch["measure"].append({"id": str(uuid.uuid4()), "referral_id": referral_id, "tool": tool,
                                         "stage": stage, "taken_on": on, "by": "Worker (link worker)",
                                         "created_at": received, **scores})
                pair.update({f"{stage}_on": on, f"{stage}_at": received,
                             **{f"{stage}_{k}": v for k, v in scores.items() if k not in ("swemwbs_items", "swemwbs_raw")}})
            batch["outcome"].append(pair)
        for c in range(3):
            batch["contact"].append({"id": str(uuid.uuid4()), "referral_id": referral_id,
                                     "on": (received + timedelta(days=5 + 7 * c)).date(), "method": "phone",
                                     "outcome": "spoke", "minutes": 20, "note": "", "by": "Worker (link worker)",
                                     "created_at": received})
        for e in range(4):
            batch["event"].append({"id": str(uuid.uuid4()), "referral_id": referral_id,
                                   "at": received + timedelta(days=e), "actor": "Worker (link worker)",
                                   "action": "status", "status": status, "detail": "Step."})
        if len(batch["ref"]) == 2000:
            flush()
    flush()
    db.session.commit()
    # As autovacuum leaves a table some time after a bulk load: statistics and the visibility map
    # (without it every report read the whole heap: by_source over every year 330 ms, 115 after).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return {"teams": teams, "workers": workers, "leads": leads, "open": open_ids}


def signed_in_client(app, user_id):
    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        email = user.email
    token = client.get("/api/session").json["csrf_token"]
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    with client.session_transaction() as session:
        session["second_factor"] = user_id  # as if they typed their code
    return client


def pages(app, data, rng, n):
    with app.app_context():
        open_by_team = dict(db.session.execute(text(
            "SELECT team_id, array_agg(id) FROM (SELECT team_id, id FROM sp_referral WHERE status <> 'closed' "
            "ORDER BY random() LIMIT 5000) s GROUP BY team_id")).all())
    workers = [(t, w) for t, ws in data["workers"].items() for w in ws]
    clients = {}
    mine, team, record = [], [], []
    for i in range(n):
        team_id, worker = rng.choice(workers)
        client = clients.get(worker) or clients.setdefault(worker, signed_in_client(app, worker))
        mine.append(timed(client, "/referrals?scope=mine"))
        record.append(timed(client, f"/referrals/{rng.choice(open_by_team[team_id])}"))
        lead = data["workers"][team_id][0]
        lead_client = clients.get(lead) or clients.setdefault(lead, signed_in_client(app, lead))
        team.append(timed(lead_client, "/referrals?scope=team"))
    report("caseload, my people (link worker)", mine)
    report("caseload, the team's (lead, 50 a page)", team)
    report("a person's record", record)
    return mine, team, record


def report_pages(app, data, rng, n):
    """Every report, as a team lead and as a commissioner sees it, through the whole app."""
    with app.app_context():
        commissioner = db.session.scalar(select(User.id).where(User.email == "commissioner@bench.test"))
        if commissioner is None:
            commissioner = str(uuid.uuid4())
            db.session.execute(insert(User).values(id=commissioner, email="commissioner@bench.test",
                                                   display_name="Bench Commissioner",
                                                   password_hash=generate_password_hash(PASSWORD),
                                                   role="commissioner", active=True,
                                                   created_at=datetime.now(timezone.utc), session_version=0))
            db.session.commit()
    them = signed_in_client(app, commissioner)
    leads = {t: signed_in_client(app, ws[0]) for t, ws in list(data["workers"].items())[:5]}
    start = (datetime.now(timezone.utc) - timedelta(days=1500)).date().isoformat()
    figures = {}
    for name in REPORTS:
        lead, every, years = [], [], []
        for _ in range(n):
            lead.append(timed(rng.choice(list(leads.values())), f"/reports/{name}"))
            every.append(timed(them, f"/reports/{name}"))
            years.append(timed(them, f"/reports/{name}?from={start}"))
        report(f"report {name}: a lead, one team, 12 months", lead)
        report(f"report {name}: commissioner, every team, 12 months", every)
        report(f"report {name}: commissioner, every team, every year", years)
        figures[name] = (lead, every, years)
    return figures


def intake(url, data, seconds, clients_n=8, workers=3, threads=1):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        referrer_id = db.session.scalar(select(User.id).where(User.email == "gp@bench.test")) or str(uuid.uuid4())
        if not db.session.get(User, referrer_id):  # (a reused database has it from the run before)
            db.session.execute(insert(User).values(id=referrer_id, email="gp@bench.test", display_name="Bench GP",
                                                   password_hash="x", role="referrer", active=True,
                                                   created_at=datetime.now(timezone.utc), session_version=0))
        db.session.commit()
        tokens = [create_token(SYSTEM, db.session.get(User, referrer_id), f"client {i}")[1] for i in range(clients_n)]
        db.session.commit()
    db.state(app).engine.dispose()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", MAIL_SERVER="", ASSETS_HUB_INSTANCE="/tmp/bench-ref")
    # With threads, each worker takes at most as many connections as it has threads: otherwise the
    # first worker to wake accepts all eight keep-alive clients and the other core idles (measured:
    # one worker at 97% CPU, 76-88 referrals a second). Sync workers (the default here) take one
    # request at a time, so the kernel's queue shares the clients out.
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "--threads",
                               str(threads), "--worker-connections", str(threads) if threads > 1 else "1000",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "assets_hub:create_app()"],
                              env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/referrals/needs", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    teams = data["teams"]
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(token, seed):
        rng = random.Random(seed)
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            body = {"team_id": rng.choice(teams),
                    "person": {"given_name": rng.choice(FIRST), "family_name": rng.choice(LAST),
                               "date_of_birth": "1950-03-27", "postcode": rng.choice(POSTCODES),
                               "nhs_number": "9434765919"},
                    "gp_practice": {"ods_code": "P88001", "name": "Bench Practice"},
                    "referral": {"reason": "Lonely.", "needs": ["loneliness"]},
                    "risks": {"known_risks": False}, "consent": {"information_sharing": True}}
            t0 = time.perf_counter()
            conn.request("POST", "/api/referrals", json.dumps(body),
                         {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if response.status != 201:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    senders = [threading.Thread(target=client, args=(tokens[i], i)) for i in range(clients_n)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    elapsed = time.perf_counter() - t0
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    print(f"intake: {len(latencies)} referrals in {elapsed:.1f} s with {clients_n} clients = "
          f"{len(latencies) / elapsed:.0f} referrals/s; errors {errors[0]}", flush=True)
    report(f"POST /api/referrals (gunicorn {workers}x{threads}, {clients_n} clients)", latencies)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--referrals", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300, help="page requests of each kind")
    parser.add_argument("--seconds", type=int, default=20, help="how long the intake runs")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers for the intake")
    parser.add_argument("--threads", type=int, default=1, help="threads in each gunicorn worker (1: sync workers)")
    parser.add_argument("--intake-only", action="store_true", help="skip the page measurements")
    parser.add_argument("--reports-only", action="store_true", help="only the report pages")
    parser.add_argument("--report-requests", type=int, default=40, help="requests of each report, each reader")
    parser.add_argument("--reuse", help="a database this script loaded before (with --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make bench-referrals starts one).")
    url = args.reuse or create_scratch_database(server, "bench_referrals")
    rng = random.Random(15)
    try:
        if not args.reuse:
            upgrade_database(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SEND_AFTER_COMMIT": False,
                          "SEARCH_INDEX_DIR": "/tmp/bench-ref-index"})
        with app.app_context():
            if not args.reuse:
                t0 = time.perf_counter()
                data = load(args.people, args.referrals, rng)
                print(f"loaded {args.people} people, {args.referrals} referrals in {time.perf_counter() - t0:.0f} s",
                      flush=True)
            else:
                data = {"teams": [], "workers": {}, "leads": []}
                for team_id, user_id, lead in db.session.execute(text(
                        "SELECT team_id, user_id, lead FROM sp_team_member ORDER BY lead DESC, user_id")):
                    data["workers"].setdefault(team_id, []).append(user_id)
                data["teams"] = list(data["workers"])
        if args.reports_only:
            report_pages(app, data, rng, args.report_requests)
            return
        if not args.intake_only:
            pages(app, data, rng, args.requests)
            report_pages(app, data, rng, args.report_requests)
        db.state(app).engine.dispose()
        intake(url, data, args.seconds, workers=args.workers, threads=args.threads)
    finally:
        if args.keep or args.reuse:
            print(f"database kept: {url}")
        else:
            drop_database(url)


if __name__ == "__main__":
    main()
