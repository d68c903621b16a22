"""The app factory: the top layer, which puts every domain's blueprints, hooks and helpers together."""
from __future__ import annotations

from urllib.parse import urlsplit

import flask

from assets_hub import mail  # noqa: F401  (its outbox sends after each commit: registered on import)
from assets_hub import csrf
from assets_hub.accounts import auth
from assets_hub.accounts.views import bp as accounts_bp
from assets_hub.config import PROJECT_ROOT, load_config, secret_key
from assets_hub.db import db
from assets_hub.directory import presenters
from assets_hub.directory.views import bp as directory_bp
from assets_hub.errors import Invalid, register_errorhandlers
from assets_hub.geo.api import bp as geo_api_bp
from assets_hub.lists.views import bp as lists_bp
from assets_hub.openreferral.api import init_app as init_openreferral
from assets_hub.referrals.api import bp as referrals_api_bp
from assets_hub.referrals.views import bp as referrals_bp
from assets_hub.timebank.api import bp as timebank_api_bp
from assets_hub.timebank.views import bp as timebank_bp
from curation.api import bp as listings_api_bp
from curation.views import bp as curation_bp
from search.views import bp as search_bp


def create_app(overrides: dict | None = None) -> flask.Flask:
    app = flask.Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"), static_folder="static")
    app.config.update(load_config())
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key()

    db.init_app(app)
    if app.config.get("SECOND_FACTOR") == "off" and db.state(app).engine.dialect.name != "sqlite":
        raise RuntimeError("SECOND_FACTOR=off is for the embedded demo only: staff reading personal data "
                           "on a PostgreSQL installation sign in with a second factor.")

    register_input_guard(app)  # first, so no other hook sees a NUL character
    auth.init_app(app)
    csrf.init_app(app)
    register_blueprints(app)
    init_openreferral(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    return app


def register_input_guard(app: flask.Flask) -> None:
    """NUL characters are never meaningful in this app's input and PostgreSQL text cannot hold them:
    refuse them up front, naming the field, instead of failing deep inside a query."""

    @app.before_request
    def _refuse_nul():
        req = flask.request
        for source in (req.args, req.form):
            for key, value in source.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    err = Invalid(f"“{key.replace(chr(0), '')}” contains a character that is not allowed.",
                                  {key.replace("\x00", ""): ["Contains a character that is not allowed."]})
                    if req.path.startswith("/api/v3/"):  # the Open Referral API answers 400 to any bad query
                        err.status, err.code = 400, "bad_query"
                    raise err
        if req.is_json and b"\\u0000" in (req.get_data(cache=True) or b""):
            raise Invalid("The JSON contains a character that is not allowed (\\u0000).",
                          {"_body": ["Contains a NUL character."]})


def register_blueprints(app: flask.Flask) -> None:

    for bp in (directory_bp, accounts_bp, listings_api_bp, geo_api_bp, search_bp, curation_bp, referrals_bp,
               referrals_api_bp, timebank_bp, timebank_api_bp, lists_bp):
        app.register_blueprint(bp)


def register_template_helpers(app: flask.Flask) -> None:

    app.jinja_env.globals.update(site_name=app.config["SITE_NAME"])
    app.jinja_env.filters.update(presenters.FILTERS)


def tile_origin(url: str) -> str:
    """Where the map's tiles come from, for the Content-Security-Policy: "https://*.tile.example"
    for "https://{s}.tile.example/{z}/{x}/{y}.png"; 'self' for tiles served by this site."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "'self'"
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def register_security_headers(app: flask.Flask) -> None:
    tiles = tile_origin(app.config["MAP_TILE_URL"])

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                f"default-src 'self'; img-src 'self' data: {tiles}; "
                "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        return response
