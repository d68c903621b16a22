"""The referral commands as an operator and cron run them: real processes on a database of their
own, each id or token alone on the last line of output."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from assets_hub import create_app
from assets_hub.db import db
from assets_hub.migrate import upgrade_database
from tests.conftest import create_database
from tests.factories import referral_body

CLI = str(Path(sys.executable).with_name("assets-hub"))


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    made = create_database(tmp_path_factory.mktemp("referrals-cli"), "referrals_cli")
    upgrade_database(made)
    return made


def run(url, tmp, *args):
    env = dict(os.environ, DATABASE_URL=url, ASSETS_HUB_INSTANCE=str(tmp), MAIL_SERVER="")
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def last_line(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_teams_tokens_expiry_and_the_audit_list(url, tmp_path):
    team_id = last_line(run(url, tmp_path, "teams", "create", "Stockport Social Prescribing"))
    again = run(url, tmp_path, "teams", "create", "Stockport Social Prescribing")
    assert again.returncode == 1 and "already a team" in again.stderr
    for email, role in (("lw@example.org", "link_worker"), ("gp@example.org", "referrer")):
        assert run(url, tmp_path, "users", "create", email, "--role", role).returncode == 0
    assert run(url, tmp_path, "teams", "add", team_id, "lw@example.org", "--lead").returncode == 0
    refused = run(url, tmp_path, "teams", "add", team_id, "gp@example.org")
    assert refused.returncode == 1 and "only link workers" in refused.stderr
    token = last_line(run(url, tmp_path, "tokens", "create", "gp@example.org", "--name", "Practice system"))
    assert token.startswith("ah_")

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "cli-test", "MAIL_SEND_AFTER_COMMIT": False,
                      "SERVER_NAME": "localhost", "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    client = app.test_client()
    sent = client.post("/api/referrals", json=referral_body(team_id), headers={"Authorization": f"Bearer {token}"})
    assert sent.status_code == 201, sent.json
    referral_id = sent.json["id"]

    # a referral to a service, sent 20 days ago, nobody answered: cron expires it once
    with app.app_context():
        service_id = "8f0c7a1e-1111-4111-8111-111111111111"  # (where it was sent outlives the listing: no key)
        db.session.execute(text(
            "INSERT INTO sp_onward (id, referral_id, service_id, service_name, kind, status, shared, message, "
            "sent_at, expires_at) VALUES ('8f0c7a1e-2222-4222-8222-222222222222', :r, :s, 'Cli Service', "
            "'referral', 'sent', '', '', '2026-11-01T09:00:00+00:00', '2026-11-15T09:00:00+00:00')"),
            {"r": referral_id, "s": service_id})
        db.session.commit()
    first = run(url, tmp_path, "referrals", "expire-due", "--now", "2026-11-21T09:00:00+00:00")
    assert "expired 1" in last_line(first)
    assert "expired 0" in last_line(run(url, tmp_path, "referrals", "expire-due", "--now", "2026-11-22T09:00:00"))
    bad = run(url, tmp_path, "referrals", "expire-due", "--now", "next tuesday")
    assert bad.returncode == 1 and "--now" in bad.stderr

    listing = run(url, tmp_path, "audit", "list", "--since", "2026-01-01T00:00:00")
    assert listing.returncode == 0
    assert "\tcreate\treferral\t" in listing.stdout
    with app.app_context():
        person_id = db.session.execute(text("SELECT person_id FROM sp_referral WHERE id = :r"),
                                       {"r": referral_id}).scalar()
    mine = run(url, tmp_path, "audit", "list", "--person", person_id)
    assert mine.returncode == 0 and person_id in mine.stdout
    db.state(app).engine.dispose()


def test_the_practices_a_team_takes_referrals_from(url, tmp_path):
    team_id = last_line(run(url, tmp_path, "teams", "create", "Reddish Social Prescribing"))
    assert "takes referrals from any" in last_line(run(url, tmp_path, "teams", "practices", team_id))
    assert run(url, tmp_path, "teams", "add-practice", team_id, "p88003", "Reddish Family Practice").returncode == 0
    bad = run(url, tmp_path, "teams", "add-practice", team_id, "P8800", "Somewhere")
    assert bad.returncode != 0 and "five digits" in bad.stderr
    assert last_line(run(url, tmp_path, "teams", "practices", team_id)) == "P88003\tReddish Family Practice"
    assert run(url, tmp_path, "teams", "remove-practice", team_id, "P88003").returncode == 0
    gone = run(url, tmp_path, "teams", "remove-practice", team_id, "P88003")
    assert gone.returncode != 0 and "not on this team's list" in gone.stderr
