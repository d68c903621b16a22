from __future__ import annotations

import flask
from flask_login import LoginManager

from assets_hub.accounts.services import load_session_user
from assets_hub.accounts.tokens import user_for_token

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(session_id: str):
    return load_session_user(session_id)


def _load_from_token():
    """A client that sends ``Authorization: Bearer TOKEN`` acts as the token's owner, for this
    request only, whatever session cookie it also sends (none is made). A token that is wrong or
    revoked: nobody (401). Set before Flask-Login looks at the session, which it then never does."""
    header = flask.request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        user = user_for_token(header[7:].strip())
        flask.g._login_user = user or login_manager.anonymous_user()
        flask.g.token_user = user is not None


def init_app(app: flask.Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_load_from_token)
