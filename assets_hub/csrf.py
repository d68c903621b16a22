"""CSRF protection for every state-changing request.

HTML forms carry a hidden ``csrf_token``; JSON clients send the same token in ``X-CSRF-Token``
(they get it from any page's ``<meta name="csrf-token">`` or ``GET /api/session``). The token
lives in the signed session cookie, so it is per session.
"""
from __future__ import annotations

import hmac
import secrets

import flask

from assets_hub.errors import AppError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class CSRFError(AppError):
    status = 400
    code = "csrf_failed"


def token() -> str:
    if "csrf" not in flask.session:
        flask.session["csrf"] = secrets.token_urlsafe(32)
    return flask.session["csrf"]


def init_app(app: flask.Flask) -> None:
    app.jinja_env.globals["csrf_token"] = token

    @app.before_request
    def _check_csrf():
        if flask.request.method in SAFE_METHODS or app.config.get("CSRF_DISABLED"):
            return None
        if flask.request.headers.get("Authorization", "")[:7].lower() == "bearer ":
            # A token, not a cookie, says who this is (accounts.auth: the session is ignored), and
            # a browser never sends one by itself: nothing for another site to forge.
            return None
        if flask.request.routing_exception is not None:
            return None  # no such page or method: nothing can change, and the 404 or 405 says so

        expected = flask.session.get("csrf")
        sent = flask.request.headers.get("X-CSRF-Token") or flask.request.form.get("csrf_token")
        if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
            raise CSRFError("This form has expired or did not come from this site. Go back, reload the page "
                            "and try again.")
        return None
