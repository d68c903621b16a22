"""A live server on loopback with its own database, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from assets_hub import create_app
from assets_hub.db import db
from tests.conftest import create_database, load_demo_database

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    url = create_database(tmp_path_factory.mktemp("e2e"), "e2e")
    index = tmp_path_factory.mktemp("e2e-index")
    load_demo_database(url, index)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "e2e", "SEARCH_INDEX_DIR": str(index),
                      "MAIL_SERVER": "", "MAIL_OUTBOX": str(tmp_path_factory.mktemp("outbox"))})
    with app.app_context():
        from assets_hub.accounts.permissions import SYSTEM
        from assets_hub.accounts.services import create_user

        create_user(SYSTEM, "curator@e2e.test", "curator password 1", "curator", "E2E Curator")
        create_user(SYSTEM, "provider@e2e.test", "provider password 1", "provider", "E2E Provider")
        create_user(SYSTEM, "admin@e2e.test", "admin password 1", "admin", "E2E Admin")
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    db.state(app).engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: make test installs it with apt-get when run as root")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False)  # the pages must work without JavaScript
    page = context.new_page()
    yield page
    context.close()
