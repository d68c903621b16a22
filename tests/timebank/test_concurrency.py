"""Many people recording at once against a real server: 20 threads make 50 exchanges each between
a few accounts kept near their limits, and some requests are sent twice with the same key (a
retried request). Afterwards no balance is past a limit, every bank sums to zero, reconcile is
clean and each key was recorded once. PostgreSQL (row locks); SQLite has one writer anyway."""
from __future__ import annotations

import random
import threading
import uuid
from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from assets_hub import create_app
from assets_hub.accounts.services import create_user
from assets_hub.accounts.tokens import create_token
from assets_hub.db import db
from assets_hub.migrate import upgrade_database
from assets_hub.roles import SYSTEM
from assets_hub.timebank import ledger
from assets_hub.timebank.models import Account, Exchange
from tests.conftest import create_database
from tests.live import at_once, serve

THREADS, EACH = 20, 50


@pytest.mark.pg_only
def test_twenty_threads_never_pass_a_limit_nor_record_a_retry_twice(tmp_path_factory):
    url = create_database(tmp_path_factory.mktemp("tb"), "tb_concurrency")
    upgrade_database(url)  # (no directory data needed: a bank, its people and a server)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "tb", "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("i"))})
    with app.app_context():
        create_user(SYSTEM, "coord@tb.test", "coordinator password 1", "timebank_coordinator", "Coordinator")
        for i in range(4):
            create_user(SYSTEM, f"m{i}@tb.test", "member password 1", "member", f"Member {i}")
        bank = ledger.create_bank(SYSTEM, "Busy Bank", "coord@tb.test", min_hours=-1, max_hours=1)
        accounts = [ledger.add_member(SYSTEM, bank.id, f"m{i}@tb.test").id for i in range(4)]
        from assets_hub.accounts.models import User
        coordinator = db.session.scalar(select(User).where(User.email == "coord@tb.test"))
        tokens = [create_token(SYSTEM, coordinator, f"client {i}")[1] for i in range(THREADS)]
        bank_id = bank.id
        db.session.commit()
    statuses: dict[int, int] = {}
    retried: list[str] = []
    lock = threading.Lock()

    with serve(app) as base:
        def client(n):
            rng = random.Random(n)
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {tokens[n]}"
            for i in range(EACH):
                giver, receiver = rng.sample(accounts, 2)
                key = f"{n}-{i}-{uuid.uuid4()}"
                body = {"giver": giver, "receiver": receiver, "minutes": rng.choice([15, 30, 45, 60]),
                        "date": date.today().isoformat(), "description": "busy"}
                for _ in range(2 if i % 5 == 0 else 1):  # one in five sent twice: a retry
                    r = http.post(f"{base}/api/timebank/banks/{bank_id}/exchanges", json=body,
                                  headers={"Idempotency-Key": key}, timeout=60)
                    with lock:
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if i % 5 == 0:
                    with lock:
                        retried.append(key)
            return True

        assert at_once([lambda n=n: client(n) for n in range(THREADS)]) == [True] * THREADS

    assert set(statuses) <= {200, 201, 409}, statuses  # recorded, a retry answered, or a limit: nothing else
    assert statuses.get(201, 0) > 0 and statuses.get(409, 0) > 0  # the limits were reached and held
    with app.app_context():
        rows = db.session.scalars(select(Account).where(Account.bank_id == bank_id)).all()
        assert sum(a.balance_minutes for a in rows) == 0
        assert all(-60 <= a.balance_minutes <= 60 for a in rows if a.kind == "member")
        assert ledger.reconcile() == []
        recorded = dict(db.session.execute(select(Exchange.idempotency_key, func.count()).where(
            Exchange.bank_id == bank_id).group_by(Exchange.idempotency_key)).all())
        assert all(recorded.get(key, 0) <= 1 for key in retried)
        assert max(recorded.values()) == 1
    db.state(app).engine.dispose()
