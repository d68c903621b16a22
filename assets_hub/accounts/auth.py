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


@login_manager.request_loader
def _load_from_token(request):
    """A JSON client that sends ``Authorization: Bearer TOKEN`` acts as the token's owner, for this
    request only (no session cookie is made). A token that is wrong or revoked: nobody (401)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        flask.g.bearer = True
        return user_for_token(header[7:].strip())
    return None


def init_app(app: flask.Flask) -> None:
    login_manager.init_app(app)
