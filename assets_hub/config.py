"""Settings from the environment, with safe defaults for the embedded (SQLite) mode."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The HSDS 3.0 standard as published (schemas, the OpenAPI document, the tabular package descriptor).
HSDS_DIR = PROJECT_ROOT / "assets_hub" / "data" / "hsds"
INSTANCE_DIR = Path(os.environ.get("ASSETS_HUB_INSTANCE", PROJECT_ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/.

    The embedded mode must work with no configuration, but a fixed default key
    would let anyone forge session cookies, so we generate one per install.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config() -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'assets_hub.db'}"
    # postgres:// and postgresql:// are accepted; db.make_engine picks psycopg 3 for both.
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": None,  # resolved lazily in create_app so tests can override it
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        "WEB_DEFAULT_RADIUS_KM": 10.0,
        "API_DEFAULT_RADIUS_KM": 5.0,
        "SITE_NAME": os.environ.get("SITE_NAME", "Assets Hub"),
        # The map's tiles: OpenStreetMap's own tiles by default, which its tile usage policy allows
        # for light use with this attribution; a busy site sets its own tile server here.
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "MAP_ATTRIBUTION": os.environ.get(
            "MAP_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search-index")),
        # Open Referral API (/api/v3): the licence the directory's own data is published under,
        # and how many requests one client may make (Flask-Limiter syntax and storage URI).
        "DATA_LICENCE_NAME": os.environ.get("DATA_LICENCE_NAME", "Open Government Licence v3.0"),
        "DATA_LICENCE_URL": os.environ.get(
            "DATA_LICENCE_URL", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
        "DATA_ATTRIBUTION": os.environ.get("DATA_ATTRIBUTION", "Listings curated by the Assets Hub community."),
        "OPENREFERRAL_PROFILE": os.environ.get("OPENREFERRAL_PROFILE", "https://docs.openreferral.org/en/latest/hsds/"),
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600 per minute"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Email (real SMTP). Without MAIL_SERVER, messages go to instance/outbox as .eml files.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Assets Hub <no-reply@localhost>"),
        # After a commit that queued mail, the sender waits this long so that the next moment's
        # messages go in the same batch (one claim, one SMTP conversation).
        "MAIL_BATCH_SECONDS": float(os.environ.get("MAIL_BATCH_SECONDS", 0.1)),
        # Review cadence: a listing is due this many days after its last review; reminders go out
        # at these offsets (days from the due date): first, reminder, urgent; it is deprioritised
        # in search this many days after the urgent reminder if nobody has confirmed it.
        "REVIEW_INTERVAL_DAYS": int(os.environ.get("REVIEW_INTERVAL_DAYS", 182)),
        "REVIEW_REMINDER_DAYS": tuple(int(x) for x in os.environ.get("REVIEW_REMINDER_DAYS", "-14,0,14").split(",")),
        "REVIEW_GRACE_DAYS": int(os.environ.get("REVIEW_GRACE_DAYS", 14)),
        # Referrals to services: the provider is reminded this many days after one is sent, and it
        # expires (the link worker is told) after this many days without an answer.
        "REFERRAL_REMINDER_DAYS": int(os.environ.get("REFERRAL_REMINDER_DAYS", 10)),
        "REFERRAL_EXPIRY_DAYS": int(os.environ.get("REFERRAL_EXPIRY_DAYS", 14)),
        # Staff who can read personal data pass a second factor before they do. "off" only for the
        # embedded demo: the app refuses to start with it on PostgreSQL.
        "SECOND_FACTOR": os.environ.get("SECOND_FACTOR", "required"),
        # People whose cases all closed this many days ago are erased (apply-retention), leaving counts.
        "RETENTION_DAYS": int(os.environ.get("RETENTION_DAYS", 8 * 365)),
        # Outcome measures link workers record: "ons4", "swemwbs" (needs a free licence from
        # Warwick first), or both, comma-separated.
        "OUTCOME_MEASURES": os.environ.get("OUTCOME_MEASURES", "ons4"),
        # How many self-referrals one address may send (the public form has no account).
        "SELF_REFERRAL_LIMIT": os.environ.get("SELF_REFERRAL_LIMIT", "5 per hour"),
    }


def secret_key() -> str:
    return _secret_key()
