"""Email through an outbox: a message is a row written in the same transaction as the change that
caused it, and is sent only after that transaction commits.

So nothing is sent for a change that rolled back, a slow or absent mail server never holds a
database transaction open or fails a person's action, and a refused send is tried again (with
backoff) instead of being lost. ``deliver_due()`` sends what is due: straight after each request
or command that queued mail commits, and from cron (``assets-hub outbox send``). Two senders never
send one message twice: each first claims it (a short lease) in its own committed transaction.
A message still refused after ``MAX_ATTEMPTS`` is marked failed; admins see it at /admin/mail.

SMTP settings: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM.
Without MAIL_SERVER, a message is delivered as an .eml file in instance/outbox (MAIL_OUTBOX), so a
demo loses nothing and a person can read what would have been sent.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path

import flask
from sqlalchemy import DateTime, Integer, String, Text, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from assets_hub.config import INSTANCE_DIR
from assets_hub.db import Base, db, utcnow, writing_by_default
from assets_hub.errors import NotFound
from assets_hub.ids import id_column
from assets_hub.roles import require_role

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... refusal; after the last the message is marked failed.
BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
LEASE = timedelta(minutes=5)  # a sender that claimed a message and died: another may send it after this


_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # (the default for UTF-8 is base64: unreadable in an .eml file)


class MailError(Exception):
    pass


class OutboxMessage(Base):
    """One email to send. Never deleted: a sent message is kept as the record that it went."""

    __tablename__ = "outbox_message"

    id: Mapped[str] = id_column()
    recipients: Mapped[str] = mapped_column(Text, nullable=False)  # comma-separated
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    # To the microsecond: messages go in the order they were queued, many within one second.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 default=lambda: datetime.now(timezone.utc))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def send(to: list[str] | str, subject: str, body: str) -> None:
    """Queue one plain-text message in the current transaction; it is sent after the commit.
    Never raises for the mail server: that is the sender's business, not the caller's."""
    recipients = [to] if isinstance(to, str) else list(dict.fromkeys(to))
    if not recipients:
        return
    db.session.add(OutboxMessage(recipients=", ".join(recipients), subject=subject[:300], body=body,
                                 status="pending", attempts=0, next_attempt_at=utcnow()))
    if flask.has_app_context():
        flask.g.mail_queued = True


class _Transport:
    """Sends a batch of messages: over one SMTP connection (opened at the first message, opened
    again after a message the server refused mid-conversation), or as .eml files without a server."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.server = cfg.get("MAIL_SERVER")
        self.smtp: smtplib.SMTP | None = None
        self.unreachable: MailError | None = None  # no connection at all: the rest of the batch waits

    def _message(self, recipients: str, subject: str, body: str) -> Message:
        """Plain text, UTF-8, quoted-printable (readable as it stands). Built with the classic
        ``Message`` API: ``EmailMessage`` parses every header it is given, which cost more than
        everything else the sender does (measured: 0.64 against 0.12 ms a message)."""
        msg = Message()
        name, address = parseaddr(self.cfg.get("MAIL_FROM") or "Assets Hub <no-reply@localhost>")
        msg["From"] = formataddr((name, address), charset="utf-8")
        msg["To"] = recipients
        msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
        msg["Message-ID"] = make_msgid(domain="assets-hub")
        msg["MIME-Version"] = "1.0"
        msg.set_payload(body, _UTF8)
        return msg

    def send(self, recipients: str, subject: str, body: str) -> None:
        if self.unreachable is not None:
            raise self.unreachable
        cfg, msg = self.cfg, self._message(recipients, subject, body)
        if not self.server:
            outbox = Path(cfg.get("MAIL_OUTBOX") or INSTANCE_DIR / "outbox")
            outbox.mkdir(parents=True, exist_ok=True)
            (outbox / (msg["Message-ID"].strip("<>").replace("@", "_") + ".eml")).write_bytes(bytes(msg))
            return
        try:
            if self.smtp is None:
                smtp = smtplib.SMTP(self.server, int(cfg.get("MAIL_PORT") or 25),
                                    timeout=float(cfg.get("MAIL_TIMEOUT") or 10))
                try:
                    if cfg.get("MAIL_USE_TLS"):
                        smtp.starttls(context=ssl.create_default_context())
                    if cfg.get("MAIL_USERNAME"):
                        smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
                except BaseException:
                    smtp.close()
                    raise
                self.smtp = smtp
            self.smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            error = MailError(f"Could not send email through {self.server}: {type(exc).__name__}: {exc}")
            if self.smtp is None:
                self.unreachable = error  # (not even a conversation: the others would wait as long)
            self.close()  # after a refusal mid-conversation, the next message starts a fresh one
            raise error from exc

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def deliver_due(session: Session | None = None, now: datetime | None = None, limit: int = 200) -> dict:
    """Send the messages that are due. Returns {"sent": n, "retrying": n, "failed": n}.

    With no ``session`` it works on a connection of its own: it claims the due messages (up to
    ``limit``, a short lease) in one committed transaction, so another sender skips them; sends them
    over one SMTP connection with no transaction open; and records the outcomes in one more
    commit. It may run beside other senders. The tests pass their own session, to send what their
    (never committed) transaction queued."""
    cfg = flask.current_app.config
    own = session is None
    undo = writing_by_default() if own else None  # SQLite: each step takes the write lock first
    session = session or Session(db.engine, expire_on_commit=False)
    done = {"sent": 0, "retrying": 0, "failed": 0}
    now = now or utcnow()

    def end_step():
        session.commit() if own else session.flush()

    transport = _Transport(cfg)
    table = OutboxMessage.__table__
    try:
        if not own:
            session.flush()  # (what the caller queued: a Core statement does not flush first)
        # Claimed in the order they were queued (skip_locked: a message another sender is claiming
        # right now is that sender's), then sent in that order. (Core statements on the table: the
        # sender runs after every commit that queued mail, and the ORM's were half its cost.)
        claimed = session.execute(select(
            table.c.id, table.c.recipients, table.c.subject, table.c.body, table.c.attempts).where(
            table.c.status == "pending", table.c.next_attempt_at <= now,
            or_(table.c.claimed_until.is_(None), table.c.claimed_until <= now))
            .order_by(table.c.created_at).limit(limit).with_for_update(skip_locked=True)).all()
        if claimed:
            session.execute(update(table).where(table.c.id.in_([row[0] for row in claimed]))
                            .values(claimed_until=now + LEASE))
        end_step()
        sent: list[str] = []
        for message_id, recipients, subject, body, attempts in claimed:
            try:
                transport.send(recipients, subject, body)
            except MailError as exc:
                attempts += 1
                error = str(exc)[:2000]
                if attempts >= MAX_ATTEMPTS:
                    values = {"status": "failed"}
                    done["failed"] += 1
                else:
                    values = {"next_attempt_at": now + timedelta(minutes=BACKOFF_MINUTES[attempts - 1])}
                    done["retrying"] += 1
                values.update(attempts=attempts, last_error=error, claimed_until=None)
                # (the error names the server, never the recipients: nothing personal in logs)
                log.warning("Mail not sent (attempt %d): %s", attempts, error)
                session.execute(update(table).where(table.c.id == message_id).values(**values))
            else:
                sent.append(message_id)
        if sent:
            session.execute(update(table).where(table.c.id.in_(sent))
                            .values(status="sent", sent_at=utcnow(), claimed_until=None, attempts=table.c.attempts + 1))
            done["sent"] = len(sent)
        end_step()
    finally:
        transport.close()
        if own:
            session.close()
            undo()
    return done


_sender_lock = threading.Lock()


def deliver_soon(app: flask.Flask) -> None:
    """After a commit that queued mail: send it on a thread, so the person's response does not wait
    for the mail server. One sending thread per process at most: a commit while it runs asks it to
    look once more when it finishes (busy servers commit many times a second, and senders started
    side by side only waited on each other's rows). It waits ``MAIL_BATCH_SECONDS`` (0.1) first, so
    that on a busy server one claim and one SMTP conversation carry many messages. Whatever this
    misses, the next run (or cron) sends."""
    if not app.config.get("MAIL_SEND_AFTER_COMMIT", True):
        return
    with _sender_lock:
        sender = app.extensions.setdefault("mail_sender", {"running": False, "again": False})  # one per app
        if sender["running"]:
            sender["again"] = True
            return
        sender["running"], sender["again"] = True, False

    wait = float(app.config.get("MAIL_BATCH_SECONDS", 0.1))

    def run():
        try:
            time.sleep(wait)  # the commits of the next moment join this batch (one claim, one connection)
            while True:
                with app.app_context():
                    try:
                        deliver_due()
                    except Exception:  # never let a mail problem escape a thread unseen
                        log.exception("Sending queued mail failed")
                with _sender_lock:
                    if not sender["again"]:
                        sender["running"] = False
                        return
                    sender["again"] = False
        except BaseException:
            with _sender_lock:
                sender["running"] = False
            raise

    thread = threading.Thread(target=run, name="assets-hub-mail", daemon=True)
    thread.start()
    app.extensions.setdefault("mail_threads", []).append(thread)


def wait_for_senders(app: flask.Flask, timeout: float = 30) -> None:
    """Wait for the sending threads started so far (tests; a command before it exits)."""
    threads = app.extensions.get("mail_threads", [])
    while threads:
        threads.pop().join(timeout)


@db.on_commit
def _after_commit() -> None:
    """What a commit that queued mail does next: a request hands it to a thread; a command (which
    is about to exit) sends it before returning."""
    if not flask.g.pop("mail_queued", False):
        return
    app = flask.current_app._get_current_object()
    if flask.has_request_context():
        deliver_soon(app)
    else:
        deliver_due()


def counts() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def problems(limit: int = 100) -> list[OutboxMessage]:
    """Messages that failed for good, and those waiting to be tried again, newest first."""
    return list(db.session.scalars(select(OutboxMessage).where(
        or_(OutboxMessage.status == "failed", (OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0)))
        .order_by(OutboxMessage.created_at.desc()).limit(limit)))


def retry(actor, message_id: str) -> OutboxMessage:
    """An admin sends a failed message again (it goes back in the queue, due now)."""
    require_role(actor, "admin", action="resend mail")
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("There is no such message.")
    if message.status != "sent":
        message.status, message.attempts, message.next_attempt_at = "pending", 0, utcnow()
        message.claimed_until = None
        db.session.flush()
        flask.g.mail_queued = True
    return message
