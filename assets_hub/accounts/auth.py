from __future__ import annotations

import flask
from flask_login import LoginManager

from assets_hub.accounts.models import User
from assets_hub.db import db

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str):
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def init_app(app: flask.Flask) -> None:
    login_manager.init_app(app)
