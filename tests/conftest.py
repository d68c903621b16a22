"""Fixtures: one migrated database per run (PostgreSQL + PostGIS when TEST_DATABASE_URL names
one, else an SQLite file), loaded once with the gazetteer and the demo data; each test runs in a
transaction that is rolled back (requests inside it commit only savepoints)."""
from __future__ import annotations

import email
import os
import socket
import uuid
from pathlib import Path

import flask
import pytest
from aiosmtpd.controller import Controller

from assets_hub import create_app
from assets_hub.migrate import upgrade_database
from assets_hub.db import create_scratch_database, db

PG = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    if PG:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL + PostGIS (run by make test's PostgreSQL pass)")
    for item in items:
        if "pg_only" in item.keywords:
            item.add_marker(skip)


def create_database(tmp_dir: Path, label: str) -> str:
    """A new empty database: a fresh PostgreSQL database, or an SQLite file in tmp_dir."""
    if PG:
        return create_scratch_database(os.environ["TEST_DATABASE_URL"], f"ah_{label}")
    return f"sqlite:///{tmp_dir / (label + '.db')}"


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("search-index")


def load_demo_database(url: str, index: Path) -> None:
    """Migrate, load the gazetteer and demo data, and (SQLite) build the search index."""
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "setup", "SEARCH_INDEX_DIR": str(index)})
    with app.app_context():
        from assets_hub.directory.demo import load_demo
        from assets_hub.geo.postcodes import load_bundled

        load_bundled()
        load_demo()
        db.commit()
        if not db.is_postgres:
            from search import engine_whoosh
            engine_whoosh.rebuild(index)
            db.commit()
    db.state(app).engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, index_dir):
    url = create_database(tmp_path_factory.mktemp("db"), "main")
    load_demo_database(url, index_dir)
    return url


@pytest.fixture(scope="session")
def app(database_url, index_dir):
    # MAIL_SEND_AFTER_COMMIT off: a test's requests "commit" only savepoints, so a sender thread
    # would find nothing of theirs, yet it would write to the shared database while other tests
    # hold transactions open. These tests read mail through the smtp fixture; tests/test_outbox.py
    # tests the real after-commit sending on an app and database of its own.
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "SERVER_NAME": "localhost", "SEARCH_INDEX_DIR": str(index_dir),
                      "MAIL_SEND_AFTER_COMMIT": False})
    yield app
    db.state(app).engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context whose database work is rolled back after the test."""
    state = db.state(app)
    conn = state.engine.connect()
    outer = conn.begin()
    state.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
    with app.app_context():
        yield app
    outer.rollback()
    from search.text import forget_synonyms
    forget_synonyms()  # a test's synonym edits were rolled back
    conn.close()
    state.sessionmaker.configure(bind=state.engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def client(ctx):
    return ctx.test_client()


def csrf_token(client) -> str:
    return client.get("/api/session").json["csrf_token"]


def next_code(secret: str, last_step: int | None) -> str:
    """The next code the person's app shows that has not been used yet. A code works once and the
    server takes this step or the next, so after two sign-ins within one 30-second step the test
    waits for the next one, as a person would."""
    import time
    import pyotp
    step = max(int(time.time() // 30), (last_step or 0) + 1)
    wait = (step - 1) * 30 - time.time() + 0.5  # until `step` is at most one ahead of the clock
    if wait > 0:
        time.sleep(wait)
    return pyotp.TOTP(secret).at(step * 30)


@pytest.fixture
def make_user(ctx):
    from assets_hub.roles import SYSTEM
    from assets_hub.accounts.services import create_user

    def _make(role: str, email: str | None = None, password: str = "correct horse battery"):
        return create_user(SYSTEM, email or f"{role}-{uuid.uuid4().hex[:6]}@example.org", password, role,
                           f"Test {role}")
    return _make


@pytest.fixture
def login_as(client, make_user):
    """Sign in through the real login form as a new user with this role; returns the user."""
    def _login(role: str):
        user = make_user(role)
        db.session.flush()
        response = client.post("/login", data={"email": user.email, "password": "correct horse battery",
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.text
        return user
    return _login


@pytest.fixture
def fresh_request_globals(ctx):
    """Each request of a test starts as a real one does: in these tests one app context (``ctx``)
    spans every request, so who is signed in (Flask-Login keeps it on ``g``) and per-request caches
    would otherwise carry over from one request, client or token to the next. The referral and
    time bank tests use it for every test (their conftest)."""
    def _clear(sender, **_):
        for name in ("_login_user", "sp_memberships"):
            flask.g.pop(name, None)
    flask.request_started.connect(_clear, ctx)
    yield
    flask.request_started.disconnect(_clear, ctx)


from assets_hub.roles import ROLES  # noqa: E402  (every role, for the tests that try each)


# ------------------------------------------------------------------ mail: a real SMTP server on loopback


class Inbox:
    """What reached the loopback SMTP server. Reading ``messages`` first sends what the test's own
    transaction queued in the outbox (a test never commits, so the after-commit sender cannot see
    it): through the same real SMTP server, by the same code the sender runs."""

    def __init__(self):
        self.received: list[email.message.Message] = []

    @property
    def messages(self) -> list[email.message.Message]:
        import flask

        from assets_hub.mail import deliver_due
        if flask.has_app_context():  # (aiosmtpd looks its handler's attributes over, outside any)
            deliver_due(session=db.session)
        return self.received

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        msg["X-Peer"] = "%s:%s" % tuple(session.peer[:2])  # one SMTP conversation: one client port
        self.received.append(msg)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(ctx):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {k: ctx.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    ctx.config.update(saved)
    controller.stop()


