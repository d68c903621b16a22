"""The cron and import commands as an operator runs them: real processes, exit codes, messages."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assets_hub.migrate import upgrade_database
from tests.conftest import create_database

CLI = str(Path(sys.executable).with_name("assets-hub"))


@pytest.fixture(scope="module")
def fresh_url(tmp_path_factory):
    url = create_database(tmp_path_factory.mktemp("cli"), "cli")
    upgrade_database(url)
    return url


def run(url, *args, tmp=None):
    env = dict(os.environ, DATABASE_URL=url, ASSETS_HUB_INSTANCE=str(tmp), MAIL_SERVER="")
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def test_reviews_send_due(fresh_url, tmp_path):
    ok = run(fresh_url, "reviews", "send-due", "--now", "2027-01-16T09:00:00Z", tmp=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "Sent reminders for 0 listing(s) to 0 curator(s); deprioritised 0." in ok.stdout
    bad = run(fresh_url, "reviews", "send-due", "--now", "next tuesday", tmp=tmp_path)
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr


def test_import_reports_and_exits_non_zero_on_a_bad_file(fresh_url, tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text(json.dumps({"id": "nope", "name": "X", "status": "active"}) + "\n")
    result = run(fresh_url, "import", "hsds", str(path), "--dry-run", tmp=tmp_path)
    assert result.returncode == 1
    assert "bad.ndjson, row 1, id: must be a UUID" in result.stdout
    assert "Nothing was changed (dry run)." in result.stdout
    export = run(fresh_url, "export", "hsds", str(tmp_path / "out"), tmp=tmp_path)
    assert export.returncode == 0 and "(0 services)" in export.stdout
    assert (tmp_path / "out" / "datapackage.json").exists()


def test_a_large_import_suggests_ordering_the_search_table(tmp_path, monkeypatch):
    """After an import that created many services (10,000; 2 here), PostgreSQL operators are told
    about `assets-hub search optimise`; a dry run, and the embedded mode, are not."""
    import uuid

    from click.testing import CliRunner

    import assets_hub.cli as cli
    import curation.cli
    url = create_database(tmp_path, "optimise_hint")
    upgrade_database(url)
    monkeypatch.setattr(curation.cli, "OPTIMISE_AFTER", 2)
    path = tmp_path / "two.ndjson"
    org = {"id": str(uuid.uuid4()), "name": "Hint Trust"}
    path.write_text("".join(json.dumps({"id": str(uuid.uuid4()), "name": f"Hint service {i}", "status": "active",
                                        "organization": org}) + "\n" for i in range(2)))
    env = {"DATABASE_URL": url, "ASSETS_HUB_INSTANCE": str(tmp_path), "MAIL_SERVER": ""}
    dry = CliRunner().invoke(cli.main, ["import", "hsds", str(path), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "search optimise" not in dry.output
    done = CliRunner().invoke(cli.main, ["import", "hsds", str(path)], env=env)
    assert done.exit_code == 0, done.output
    assert "created 2" in done.output
    assert ("assets-hub search optimise" in done.output) == url.startswith("postgresql")
