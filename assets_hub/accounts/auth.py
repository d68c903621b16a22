from __future__ import annotations

import flask
from flask_login import LoginManager

from assets_hub.accounts.services import load_session_user

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(session_id: str):
    return load_session_user(session_id)


def init_app(app: flask.Flask) -> None:
    login_manager.init_app(app)
