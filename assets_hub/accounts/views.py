from __future__ import annotations

from urllib.parse import urlsplit

import flask
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from assets_hub import csrf, mail
from assets_hub.accounts import second_factor, services, tokens
from assets_hub.accounts.models import User
from assets_hub.accounts.schemas import LoginSchema, UserCreateSchema
from assets_hub.db import db
from assets_hub.errors import AppError, Invalid
from assets_hub.forms import errors_from, form_data, load_or_errors, shows_errors_on
from assets_hub.roles import LEAST_PRIVILEGE, ROLE_LABELS, ROLES, require_role

bp = flask.Blueprint("accounts", __name__)


@bp.get("/api/session")
def session_info():
    """The CSRF token a JSON client sends back in X-CSRF-Token, and who is signed in."""
    user = None
    if current_user.is_authenticated:
        user = {"id": current_user.id, "email": current_user.email, "role": current_user.role}
    return {"csrf_token": csrf.token(), "user": user}


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an absolute URL in ?next= would make us an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return flask.url_for("directory.home")


def _reset_link(token: str) -> str:
    return flask.url_for("accounts.reset_password", token=token, _external=True)


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors: dict = {}
    values = {"next": flask.request.args.get("next", "")}
    status = 200
    if flask.request.method == "POST":
        values = form_data()
        data, errors = load_or_errors(LoginSchema(), values)
        if data:
            try:
                user = services.authenticate(data["email"], data["password"], flask.request.remote_addr or "")
            except services.TooManyAttempts as exc:
                response = flask.make_response(flask.render_template(
                    "accounts/login.html", errors={"_throttle": [exc.message]}, values=values), 429)
                response.headers["Retry-After"] = str(exc.retry_after)
                return response
            except AppError as exc:
                errors = errors_from(exc)
            else:
                # A fresh session on sign-in (no fixation), keeping only what other packages ask to
                # carry over (SESSION_CARRY_ON_SIGN_IN: a list saved before signing in, say), for
                # their own sign-in handlers to use.
                carried = {k: flask.session[k] for k in flask.current_app.config.get("SESSION_CARRY_ON_SIGN_IN", ())
                           if k in flask.session}
                flask.session.clear()
                flask.session.update(carried)
                login_user(user)
                flask.flash(f"Signed in as {user.display_name}.")
                return flask.redirect(_safe_next(data.get("next")))
        status = 422
    return flask.render_template("accounts/login.html", errors=errors, values=values), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        services.sign_out(db.session.get(User, current_user.id))
    logout_user()
    flask.session.clear()
    flask.flash("You have signed out.")
    return flask.redirect(flask.url_for("directory.home"))


def _account_page(errors=None, status=200, new_token=None):
    return flask.render_template("accounts/account.html", errors=errors or {}, new_token=new_token,
                                 tokens=tokens.tokens_of(current_user)), status


@bp.route("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = flask.request.form
    try:
        user = services.change_password(current_user, form.get("current_password", ""),
                                        form.get("new_password", ""), form.get("repeat_password", ""))
    except Invalid as exc:
        return _account_page(errors_from(exc), exc.status)
    login_user(user)  # this session carries on under the new session version; every other one ended
    flask.flash("Your password has been changed. You have been signed out everywhere else.")
    return flask.redirect(flask.url_for("accounts.account"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Enter a code from the authenticator app (or a recovery code); the first time, set the app up."""
    user = db.session.get(User, current_user.id)
    next_page = _safe_next(flask.request.values.get("next"))
    errors: dict = {}
    setup = user.totp_confirmed_at is None
    if flask.request.method == "POST":
        try:
            if setup:
                codes = second_factor.confirm_setup(user, flask.request.form.get("code", ""))
                return flask.render_template("accounts/recovery_codes.html", codes=codes, next=next_page)
            second_factor.verify(user, flask.request.form.get("code", ""))
        except AppError as exc:
            errors = errors_from(exc)
        else:
            return flask.redirect(next_page)
    secret = flask.session.get("totp_pending") if setup else None
    if setup and not secret:
        secret = second_factor.start_setup(user)
    return flask.render_template("accounts/two_factor.html", setup=setup, secret=secret, errors=errors,
                                 uri=second_factor.provisioning_uri(user, secret) if secret else None,
                                 next=next_page, left=None if setup else second_factor.recovery_codes_left(user)), \
        (422 if errors else 200)


@bp.post("/account/tokens")
@login_required
@shows_errors_on(lambda **_: _account_page())
def create_token():
    if not second_factor.passed(current_user):  # a token must not be a way round the second factor
        return flask.redirect(flask.url_for("accounts.two_factor", next=flask.url_for("accounts.account")))
    _, token = tokens.create_token(current_user, db.session.get(User, current_user.id),
                                   flask.request.form.get("token_name", ""))
    return _account_page(new_token=token)  # shown once, on this page, never stored in the session


@bp.post("/account/tokens/<token_id>/revoke")
@login_required
@shows_errors_on(lambda **_: _account_page())
def revoke_token(token_id):
    record = tokens.revoke_token(current_user, token_id)
    flask.flash(f"The token “{record.name}” is revoked: it no longer works.")
    return flask.redirect(flask.url_for("accounts.account"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    errors: dict = {}
    values: dict = {}
    if flask.request.method == "POST":
        values = form_data()
        email = (values.get("email") or "").strip()
        if "@" not in email or len(email) > 254:
            errors = {"email": ["Enter the email address you sign in with."]}
        else:
            services.request_password_reset(email, _reset_link)
            # The same words whether or not there is an account with this address.
            flask.flash("If there is an account with that address, we have emailed it a link to choose a new "
                        "password. The link works once, within an hour.")
            return flask.redirect(flask.url_for("accounts.login"))
    return flask.render_template("accounts/forgot.html", errors=errors, values=values), (422 if errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    errors: dict = {}
    try:
        services.reset_for_token(token)
    except AppError as exc:
        return flask.render_template("accounts/reset.html", expired=exc.message, errors={}), 410
    if flask.request.method == "POST":
        form = flask.request.form
        try:
            services.reset_password(token, form.get("new_password", ""), form.get("repeat_password", ""))
        except AppError as exc:
            errors = errors_from(exc)
        else:
            logout_user()
            flask.session.clear()
            flask.flash("Your password has been changed. Sign in with the new one.")
            return flask.redirect(flask.url_for("accounts.login"))
    return flask.render_template("accounts/reset.html", expired=None, errors=errors), (422 if errors else 200)


# ------------------------------------------------------------------ admins

def _users_page(errors=None, values=None, status=200):
    all_users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return flask.render_template("accounts/users.html", users=all_users, errors=errors or {},
                                 values=values or {"role": LEAST_PRIVILEGE}, roles=ROLES,
                                 role_labels=ROLE_LABELS, events=services.events(),
                                 names={u.id: u.display_name for u in all_users}), status


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    require_role(current_user, "admin", action="manage accounts")
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
        return _users_page(errors, values, 422)
    return _users_page()


@bp.post("/admin/users/<user_id>/role")
@login_required
@shows_errors_on(lambda **_: _users_page())
def change_role(user_id):
    user = services.change_role(current_user, user_id, flask.request.form.get("role", ""))
    flask.flash(f"{user.display_name} is now {user.role_label}.")
    return flask.redirect(flask.url_for("accounts.users"))


@bp.post("/admin/users/<user_id>/active")
@login_required
@shows_errors_on(lambda **_: _users_page())
def set_active(user_id):
    active = flask.request.form.get("active") == "yes"
    user = services.set_active(current_user, user_id, active)
    flask.flash(f"{user.display_name}'s account is {'enabled' if active else 'disabled; their sessions ended'}.")
    return flask.redirect(flask.url_for("accounts.users"))


@bp.post("/admin/users/<user_id>/reset")
@login_required
@shows_errors_on(lambda **_: _users_page())
def send_reset(user_id):
    user = services.send_password_reset(current_user, user_id, _reset_link)
    flask.flash(f"Emailed {user.display_name} a link to choose a new password.")
    return flask.redirect(flask.url_for("accounts.users"))


# ------------------------------------------------------------------ mail that did not go

@bp.get("/admin/mail")
@login_required
def mail_problems():
    require_role(current_user, "admin", action="see the mail queue")
    return flask.render_template("accounts/mail.html", counts=mail.counts(), problems=mail.problems())


@bp.post("/admin/mail/<message_id>/retry")
@login_required
@shows_errors_on(lambda **_: mail_problems())
def retry_mail(message_id):
    mail.retry(current_user, message_id)
    flask.flash("The message will be sent again now.")
    return flask.redirect(flask.url_for("accounts.mail_problems"))
