"""The time bank commands as an operator runs them: real processes on a database of their own."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from assets_hub import create_app
from assets_hub.db import db
from assets_hub.migrate import upgrade_database
from assets_hub.timebank.models import Account, Bank
from tests.conftest import create_database
from tests.referrals.test_cli import last_line, run


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    made = create_database(tmp_path_factory.mktemp("timebank-cli"), "timebank_cli")
    upgrade_database(made)
    return made


def test_banks_members_and_reconcile(url, tmp_path):
    assert run(url, tmp_path, "users", "create", "coord@example.org", "--role", "timebank_coordinator").returncode == 0
    assert run(url, tmp_path, "users", "create", "sam@example.org", "--role", "member").returncode == 0
    bank_id = last_line(run(url, tmp_path, "timebank", "banks", "create", "Reddish Time Bank",
                            "--coordinator", "coord@example.org", "--min-hours", "-5", "--max-hours", "20"))
    refused = run(url, tmp_path, "timebank", "banks", "create", "Other", "--coordinator", "sam@example.org")
    assert refused.returncode == 1 and "coordinator" in refused.stderr
    account_id = last_line(run(url, tmp_path, "timebank", "members", "add", bank_id, "sam@example.org"))
    twice = run(url, tmp_path, "timebank", "members", "add", bank_id, "sam@example.org")
    assert twice.returncode == 1 and "member already" in twice.stderr
    clean = run(url, tmp_path, "timebank", "reconcile")
    assert clean.returncode == 0 and "sums to zero" in clean.stdout

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "cli", "SEARCH_INDEX_DIR": str(tmp_path / "i")})
    with app.app_context():  # a cached balance that disagrees with its entries (written by hand)
        db.session.execute(update(Account).where(Account.id == account_id).values(balance_minutes=45))
        db.session.commit()
    db.state(app).engine.dispose()
    broken = run(url, tmp_path, "timebank", "reconcile")
    assert broken.returncode == 1 and account_id in broken.stdout and f"bank {bank_id}" in broken.stdout


def test_a_bank_that_requires_a_dbs_check(url, tmp_path):
    assert run(url, tmp_path, "users", "create", "marple@example.org", "--role", "timebank_coordinator").returncode == 0
    bank_id = last_line(run(url, tmp_path, "timebank", "banks", "create", "Marple Time Bank", "--coordinator",
                            "marple@example.org", "--requires-dbs", "--about", "Marple and Compstall"))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "cli", "SEARCH_INDEX_DIR": str(tmp_path / "i")})
    with app.app_context():
        bank = db.session.get(Bank, bank_id)
        assert (bank.requires_dbs, bank.about) == (True, "Marple and Compstall")
    db.state(app).engine.dispose()


def test_a_bank_listed_in_the_directory_names_a_service_that_exists(url, tmp_path):
    assert run(url, tmp_path, "users", "create", "listed@example.org", "--role", "timebank_coordinator").returncode == 0
    refused = run(url, tmp_path, "timebank", "banks", "create", "Listed Time Bank", "--coordinator",
                  "listed@example.org", "--service", "3f1e4c8e-0000-4000-8000-000000000000")
    assert refused.returncode == 1 and "no service" in refused.stderr
