"""The mail outbox with real commits and a real SMTP server on loopback: nothing is sent for a
transaction that rolled back, a mail server that is down fails nobody's action and loses nothing,
each message is sent once, and what failed for good is visible to admins."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.header import decode_header, make_header

import flask
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from assets_hub import mail
from assets_hub.db import db
from assets_hub.mail import OutboxMessage, deliver_due
from tests.conftest import Inbox, free_port
from tests.live import Visitor, at_once, demo_app, serve


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    port = free_port()
    app = demo_app(tmp_path_factory, "outbox", users=(
        ("curator@outbox.test", "outbox password 1", "curator", "Outbox Curator"),
        ("provider@outbox.test", "outbox password 1", "provider", "Outbox Provider")),
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)

    @app.post("/test-only/queue-then-fail")
    def _queue_then_fail():  # a request that queues mail and then fails
        mail.send("nobody@example.org", "Should never arrive", "x")
        flask.abort(422)

    @app.post("/test-only/queue-one/<int:n>")
    def _queue_one(n):  # a request that queues one message and succeeds
        mail.send(f"burst{n}@example.org", f"Burst {n}", "x")
        return "", 204

    yield app, port
    db.state(app).engine.dispose()


@pytest.fixture
def inbox(site):
    app, port = site
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


def _outbox(app):
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()
        db.session.expunge_all()  # (kept as read: a rollback would expire them)
        db.session.rollback()
        return rows


def _clear(app):
    with app.app_context():
        for m in db.session.scalars(select(OutboxMessage)):
            db.session.delete(m)
        db.session.commit()


def _queue(app, *messages):
    """Queue these (to, subject, body) and commit, leaving them to the sender the test runs."""
    _clear(app)
    with app.app_context():
        for to, subject, body in messages:
            mail.send(to, subject, body)
            db.session.flush()  # (one at a time: queued in this order)
        flask.g.pop("mail_queued", None)
        db.session.commit()


def test_a_rolled_back_transaction_sends_nothing(site, inbox):
    app, _ = site
    _clear(app)
    with app.app_context():
        mail.send("someone@example.org", "Rolled back", "This change never happened.")
        db.session.rollback()
        assert deliver_due() == {"sent": 0, "retrying": 0, "failed": 0}
    with serve(app) as base:
        r = Visitor(base).post("/test-only/queue-then-fail")
        assert r.status_code == 422
    mail.wait_for_senders(app)
    assert _outbox(app) == [] and inbox.received == []


def test_a_decision_succeeds_while_the_mail_server_is_down_and_its_email_is_sent_once_later(site):
    app, port = site
    _clear(app)
    with app.app_context():
        from curation import workflow
        from assets_hub.accounts.models import User
        from assets_hub.directory.models import Service
        provider = db.session.scalar(select(User).where(User.email == "provider@outbox.test"))
        sid = db.session.scalar(select(Service.id).where(Service.name == "Heatons Befriending Circle"))
        claim = workflow.request_claim(provider, service_id=sid)
        db.commit()
        claim_id = claim.id
    with serve(app) as base:                       # nobody listens on the mail port
        curator = Visitor(base)
        assert curator.sign_in("curator@outbox.test", "outbox password 1").status_code == 302
        r = curator.post(f"/curation/claims/{claim_id}", {"decision": "confirm"})
        assert r.status_code == 302                # (was a 500, and the decision was rolled back)
    mail.wait_for_senders(app)
    [waiting] = _outbox(app)
    assert waiting.status == "pending" and waiting.attempts == 1 and "127.0.0.1" in waiting.last_error
    assert "provider@outbox.test" not in waiting.last_error           # nothing personal in the error
    with app.app_context():
        from curation.models import Claim
        assert db.session.get(Claim, claim_id).status == "confirmed"
        db.session.rollback()
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()                              # the server is back
    try:
        with app.app_context():
            later = datetime.now(timezone.utc) + timedelta(minutes=2)
            assert deliver_due(now=later)["sent"] == 1
            assert deliver_due(now=later + timedelta(hours=1))["sent"] == 0
    finally:
        controller.stop()
    assert [m["X-Envelope-To"] for m in box.received] == ["provider@outbox.test"]
    assert "was confirmed" in box.received[0].get_payload(decode=True).decode()


def test_two_senders_at_once_send_each_message_once(site, inbox):
    app, _ = site
    _queue(app, *[(f"person{i}@example.org", f"Message {i}", "Hello.") for i in range(12)])  # (for the two below)

    def sender():
        with app.app_context():
            return deliver_due()["sent"]
    assert sum(at_once([sender, sender])) == 12
    assert sorted(m["Subject"] for m in inbox.received) == sorted(f"Message {i}" for i in range(12))


def test_a_message_refused_every_time_is_marked_failed_and_an_admin_can_send_it_again(site, inbox, tmp_path):
    app, port = site
    _clear(app)
    with app.app_context():
        mail.send("late@example.org", "Refused", "Hello.")
        flask.g.pop("mail_queued", None)
        db.session.commit()
        app.config["MAIL_PORT"] = free_port()      # refused every time
        try:
            now = datetime.now(timezone.utc)
            for _ in range(mail.MAX_ATTEMPTS):
                deliver_due(now=now)
                now += timedelta(days=1)
        finally:
            app.config["MAIL_PORT"] = port
        [failed] = db.session.scalars(select(OutboxMessage)).all()
        assert failed.status == "failed" and failed.attempts == mail.MAX_ATTEMPTS
        failed_id = failed.id
        db.session.rollback()
        from assets_hub.roles import SYSTEM
        from assets_hub.accounts.services import create_user
        admin_email = f"admin-{free_port()}@outbox.test"
        create_user(SYSTEM, admin_email, "outbox password 1", "admin", "Outbox Admin")
        db.commit()
    with serve(app) as base:
        admin = Visitor(base)
        assert admin.sign_in(admin_email, "outbox password 1").status_code == 302
        page = admin.get("/admin/mail")
        assert page.status_code == 200 and "Refused" in page.text and "Failed: 1" in page.text
        assert admin.post(f"/admin/mail/{failed_id}/retry").status_code == 302
        mail.wait_for_senders(app)
    assert [m["Subject"] for m in inbox.received] == ["Refused"]
    assert _outbox(app)[0].status == "sent"


def test_many_commits_at_once_share_one_sender_and_every_message_goes(site, inbox):
    """A busy server commits many times a second: each commit that queued mail does not start a
    sender of its own (they only waited on each other's rows); one sender per process looks again
    after each burst, and every message arrives once."""
    app, _ = site
    _clear(app)
    before = len(app.extensions.get("mail_threads", []))
    with serve(app) as base:
        visitors = [Visitor(base) for _ in range(12)]
        statuses = at_once([lambda v=v, n=n: v.post(f"/test-only/queue-one/{n}").status_code
                            for n, v in enumerate(visitors)])
        assert statuses == [204] * 12
        started = len(app.extensions.get("mail_threads", [])) - before
        mail.wait_for_senders(app)
    assert 1 <= started < 12
    with app.app_context():  # anything queued after the last look goes with the next commit or cron
        deliver_due()
    got = sorted(m["Subject"] for m in inbox.received if m["Subject"].startswith("Burst"))
    assert got == sorted(f"Burst {n}" for n in range(12))


def test_a_batch_goes_in_one_smtp_conversation_in_the_order_it_was_queued(site, inbox):
    """One claim and one connection for everything due: a busy server's mail does not cost a
    conversation (and two database commits) a message."""
    app, _ = site
    _queue(app, *[(f"person{i}@example.org", f"Batch {i}", "Hello.") for i in range(5)])
    with app.app_context():
        assert deliver_due() == {"sent": 5, "retrying": 0, "failed": 0}
        assert deliver_due()["sent"] == 0
    got = [m for m in inbox.received if m["Subject"].startswith("Batch")]
    assert [m["X-Envelope-To"] for m in got] == [f"person{i}@example.org" for i in range(5)]
    assert len({m["X-Peer"] for m in got}) == 1
    assert all(m.status == "sent" and m.attempts == 1 and m.sent_at for m in _outbox(app))


def test_welsh_and_gaelic_words_arrive_as_written(site, inbox):
    app, _ = site
    _queue(app, ("cor@example.org", "Atgoffa: Côr Meibion Llanelli", "Helô! Fàilte gu Sgìre a' Bhàgh.\n"))
    with app.app_context():
        assert deliver_due()["sent"] == 1
    [msg] = inbox.received
    assert str(make_header(decode_header(msg["Subject"]))) == "Atgoffa: Côr Meibion Llanelli"
    text = msg.get_payload(decode=True).decode(msg.get_content_charset())
    assert text.replace("\r\n", "\n") == "Helô! Fàilte gu Sgìre a' Bhàgh.\n"  # (SMTP sends CRLF)


def test_an_unreachable_server_costs_one_try_for_the_whole_batch(site):
    """Nobody listens: the first message finds out, the rest of the batch waits for its retry
    without each waiting on the network again; every one of them is tried later."""
    app, _ = site
    _queue(app, *[(f"person{i}@example.org", f"Later {i}", "Hello.") for i in range(3)])
    with app.app_context():
        assert deliver_due() == {"sent": 0, "retrying": 3, "failed": 0}
    waiting = _outbox(app)
    assert [m.status for m in waiting] == ["pending"] * 3 and all(m.attempts == 1 for m in waiting)
    assert all("127.0.0.1" in m.last_error for m in waiting)
