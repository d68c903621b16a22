"""Assets Hub: a curated directory of community assets.

The package is the core layer (config, db, errors, accounts, geo, the mail outbox) and holds the
directory and the Open Referral API; ``assets_hub.app`` on top puts every domain together.
"""
from __future__ import annotations


def create_app(overrides: dict | None = None):
    """The app factory (``assets_hub.app.create_app``). Imported when called, not here: the factory
    loads every domain, and importing ``assets_hub.db`` must not."""
    from assets_hub.app import create_app as make_app

    return make_app(overrides)
