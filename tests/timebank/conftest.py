"""A time bank with a coordinator and three members, made through the ledger's own functions and
committed (a savepoint of the test's transaction: requests that fail roll back only their own work)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from assets_hub.db import db
from assets_hub.roles import SYSTEM
from assets_hub.timebank import ledger
from tests.factories import UserFactory


class Bank:
    """The bank and its people. Accounts are kept as their ids (``.id``): a request that fails rolls
    back and closes the session, and rows loaded before would then be detached."""

    def __init__(self, bank, coordinator, members, accounts, pot):
        self.bank, self.coordinator, self.members = bank, coordinator, members
        self.id = bank.id
        self.accounts = [SimpleNamespace(id=a.id) for a in accounts]
        self.pot = SimpleNamespace(id=pot.id)
        self.emails = {"coordinator": coordinator.email, **{f"member{i}": m.email for i, m in enumerate(members)}}


def make_bank(name="Heaton Time Bank", min_hours=-10, max_hours=40, n=3) -> Bank:
    coordinator = UserFactory(role="timebank_coordinator")
    db.session.flush()
    bank = ledger.create_bank(SYSTEM, name, coordinator.email, min_hours, max_hours)
    members = [UserFactory(role="member") for _ in range(n)]
    db.session.flush()
    accounts = [ledger.add_member(SYSTEM, bank.id, m.email) for m in members]
    db.session.commit()
    return Bank(bank, coordinator, members, accounts, ledger.bank_account(bank.id))


@pytest.fixture
def tb(ctx):
    return make_bank()


@pytest.fixture(autouse=True)
def _fresh_requests(fresh_request_globals):
    """Every test here: each request starts afresh (tests/conftest.py)."""
