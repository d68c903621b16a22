"""Sending email through a real SMTP server (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_FROM). Without MAIL_SERVER, messages are written as .eml files to
instance/outbox so a demo loses nothing and a person can read what would have been sent."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import flask

from assets_hub.config import INSTANCE_DIR


class MailError(Exception):
    pass


def send(to: list[str] | str, subject: str, body: str) -> None:
    """Send one plain-text message. Raises MailError if the server refuses or cannot be reached."""
    recipients = [to] if isinstance(to, str) else list(dict.fromkeys(to))
    if not recipients:
        return
    cfg = flask.current_app.config
    msg = EmailMessage()
    msg["From"] = cfg.get("MAIL_FROM") or "Assets Hub <no-reply@localhost>"
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="assets-hub")
    msg.set_content(body)
    server = cfg.get("MAIL_SERVER")
    if not server:
        outbox = Path(cfg.get("MAIL_OUTBOX") or INSTANCE_DIR / "outbox")
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / (msg["Message-ID"].strip("<>").replace("@", "_") + ".eml")).write_bytes(bytes(msg))
        return
    try:
        with smtplib.SMTP(server, int(cfg.get("MAIL_PORT") or 25), timeout=float(cfg.get("MAIL_TIMEOUT") or 10)) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Could not send email through {server}: {exc}") from exc
