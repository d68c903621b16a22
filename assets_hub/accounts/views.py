from __future__ import annotations

from urllib.parse import urlsplit

import flask
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from assets_hub.accounts import services
from assets_hub.accounts.models import ROLE_LABELS, ROLES, User
from assets_hub.accounts.permissions import require_role
from assets_hub.accounts.schemas import LoginSchema, UserCreateSchema
from assets_hub.db import db
from assets_hub.errors import AppError
from assets_hub.forms import errors_from, form_data, load_or_errors

bp = flask.Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an absolute URL in ?next= would make us an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return flask.url_for("directory.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors: dict = {}
    values = {"next": flask.request.args.get("next", "")}
    if flask.request.method == "POST":
        values = form_data()
        data, errors = load_or_errors(LoginSchema(), values)
        if data:
            try:
                user = services.authenticate(data["email"], data["password"])
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.session.clear()  # a fresh session on sign-in (no fixation)
                login_user(user)
                flask.flash(f"Signed in as {user.display_name}.")
                return flask.redirect(_safe_next(data.get("next")))
    status = 422 if errors else 200
    return flask.render_template("accounts/login.html", errors=errors, values=values), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flask.session.clear()
    flask.flash("You have signed out.")
    return flask.redirect(flask.url_for("directory.home"))


@bp.route("/account")
@login_required
def account():
    return flask.render_template("accounts/account.html")


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    require_role(current_user, "admin", action="manage accounts")
    errors: dict = {}
    values: dict = {}
    status = 200
    if flask.request.method == "POST":
        values = form_data()
        data, errors = load_or_errors(UserCreateSchema(), values)
        if data:
            try:
                user = services.create_user(current_user, **data)
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.flash(f"Account created for {user.email} ({user.role_label}).")
                return flask.redirect(flask.url_for("accounts.users"))
        status = 422
    all_users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return flask.render_template("accounts/users.html", users=all_users, errors=errors, values=values,
                                 roles=ROLES, role_labels=ROLE_LABELS), status
