"""A live server on loopback with its own database, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os

import pytest

from assets_hub.db import db
from tests.live import demo_app, serve

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    app = demo_app(tmp_path_factory, "e2e", users=(
        ("curator@e2e.test", "curator password 1", "curator", "E2E Curator"),
        ("provider@e2e.test", "provider password 1", "provider", "E2E Provider"),
        ("admin@e2e.test", "admin password 1", "admin", "E2E Admin")),
        MAIL_SERVER="", MAIL_OUTBOX=str(tmp_path_factory.mktemp("outbox")))
    with serve(app) as base:
        yield base
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
