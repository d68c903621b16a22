"""The eight ledger invariants of DOMAIN.md section 5, each tested, with hypothesis driving random
sequences of exchanges against them; on both engines."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from assets_hub.db import db
from assets_hub.errors import Conflict, Forbidden, Invalid
from assets_hub.timebank import ledger
from assets_hub.timebank.models import Account, Entry, Exchange
from tests.timebank.conftest import make_bank

TODAY = date.today()


def give(actor, tb, giver, receiver, minutes, key=None):
    return ledger.record(actor, tb.id, {"giver": giver.id, "receiver": receiver.id, "minutes": minutes,
                                        "date": TODAY, "description": "Gardening"}, key or str(uuid.uuid4()))


def balances(tb):
    return [db.session.get(Account, a.id, populate_existing=True).balance_minutes for a in tb.accounts + [tb.pot]]


def test_double_entry_a_confirmed_exchange_is_two_legs_that_sum_to_zero(tb):
    a, b = tb.accounts[:2]
    done = give(tb.members[0], tb, a, b, 90)
    assert done.exchange.status == "pending" and balances(tb)[:2] == [0, 0]  # 5: pending does not count
    ledger.confirm(tb.members[1], done.exchange.id)
    legs = db.session.scalars(select(Entry.minutes).where(Entry.exchange_id == done.exchange.id)).all()
    assert sorted(legs) == [-90, 90]
    assert balances(tb)[:2] == [90, -90] and sum(balances(tb)) == 0
    assert ledger.reconcile() == []


def test_entries_cannot_be_changed_or_deleted(tb):
    a, b = tb.accounts[:2]
    done = give(tb.coordinator, tb, a, b, 30)
    entry_id = db.session.scalars(select(Entry.id).where(Entry.exchange_id == done.exchange.id)).first()
    for stmt in (update(Entry).where(Entry.id == entry_id).values(minutes=3000), delete(Entry).where(Entry.id == entry_id)):
        with pytest.raises(DatabaseError) as refused:
            with db.session.begin_nested():
                db.session.execute(stmt)
        assert "never changed or deleted" in str(refused.value)


def test_a_reversal_writes_the_opposite_entries_linked_to_the_original_once(tb):
    a, b = tb.accounts[:2]
    done = give(tb.coordinator, tb, a, b, 45)
    with pytest.raises(Forbidden):
        ledger.reverse(tb.members[0], done.exchange.id, "mistake", "k")
    with pytest.raises(Invalid):
        ledger.reverse(tb.coordinator, done.exchange.id, "", "k")
    reversal = ledger.reverse(tb.coordinator, done.exchange.id, "Recorded twice", "k")
    assert reversal.reverses_id == done.exchange.id and reversal.status == "confirmed"
    assert ledger.reverse(tb.coordinator, done.exchange.id, "again", "k2").id == reversal.id
    assert balances(tb)[:2] == [0, 0]
    assert db.session.scalar(select(Exchange.status).where(Exchange.id == done.exchange.id)) == "confirmed"
    assert len(db.session.scalars(select(Entry).where(Entry.account_id == a.id)).all()) == 2  # nothing deleted


def test_limits_are_explained(ctx):
    tb = make_bank("Tight Bank", min_hours=-1, max_hours=2)
    a, b, c = tb.accounts
    give(tb.coordinator, tb, a, b, 60)
    with pytest.raises(Conflict) as over:
        give(tb.coordinator, tb, a, c, 90)  # a would reach 150 > 120
    assert "can give at most 1 h more" in over.value.message
    with pytest.raises(Conflict) as under:
        give(tb.coordinator, tb, c, b, 30)  # b would reach -90 < -60
    assert "can receive at most 0 min more" in under.value.message
    assert balances(tb)[:3] == [60, -60, 0]
    pending = give(tb.members[2], tb, c, b, 30)  # recording is allowed; confirming is where the limit bites
    with pytest.raises(Conflict):
        ledger.confirm(tb.members[1], pending.exchange.id)
    assert pending.exchange.status == "pending"


def test_parties_differ_and_belong_to_the_same_bank_and_minutes_are_positive(tb, ctx):
    other = make_bank("Other Bank")
    a, b = tb.accounts[:2]
    with pytest.raises(Invalid):
        give(tb.coordinator, tb, a, a, 30)
    with pytest.raises(Invalid) as elsewhere:
        give(tb.coordinator, tb, a, other.accounts[0], 30)
    assert "receiver" in elsewhere.value.fields
    with pytest.raises(Forbidden):  # a member records only what they gave or received
        give(tb.members[2], tb, a, b, 30)
    for bad in (0, -5):
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                db.session.add(Exchange(bank_id=tb.id, giver_id=a.id, receiver_id=b.id, minutes=bad, on=TODAY,
                                        recorded_by="x", idempotency_key=str(bad), request_hash="x"))
                db.session.flush()


def test_the_same_key_records_once_and_another_body_with_it_is_refused(tb):
    a, b = tb.accounts[:2]
    first = give(tb.coordinator, tb, a, b, 30, key="form-123")
    again = give(tb.coordinator, tb, a, b, 30, key="form-123")
    assert again.replay and again.exchange.id == first.exchange.id and balances(tb)[:2] == [30, -30]
    with pytest.raises(Conflict) as refused:
        give(tb.coordinator, tb, a, b, 45, key="form-123")
    assert "idempotency_key" in refused.value.fields


def test_leaving_moves_the_balance_to_the_bank_and_keeps_the_history(tb):
    a, b = tb.accounts[:2]
    give(tb.coordinator, tb, a, b, 120)
    ledger.leave(tb.members[0], tb.id)
    ledger.leave(tb.members[1], tb.id)
    assert balances(tb) == [0, 0, 0, 0]
    assert db.session.get(Account, a.id).status == "left"
    assert len(db.session.scalars(select(Entry).where(Entry.account_id == a.id)).all()) == 2
    assert ledger.reconcile() == []


def test_confirm_and_dispute_are_for_the_other_party(tb):
    a, b, c = tb.accounts
    done = give(tb.members[0], tb, a, b, 60)
    with pytest.raises(Forbidden):
        ledger.confirm(tb.members[0], done.exchange.id)  # not your own
    with pytest.raises(Forbidden):
        ledger.dispute(tb.members[2], done.exchange.id, "not me")  # not a party
    ledger.dispute(tb.members[1], done.exchange.id, "It was 30 minutes")
    with pytest.raises(Forbidden):
        ledger.confirm(tb.members[1], done.exchange.id)  # a dispute is the coordinator's to settle
    ledger.reject(tb.coordinator, done.exchange.id, "Agreed: record 30 instead")
    assert balances(tb) == [0, 0, 0, 0]


def test_reconcile_names_an_account_whose_cache_differs(tb):
    a, b = tb.accounts[:2]
    give(tb.coordinator, tb, a, b, 30)
    with db.session.begin_nested() as inner:
        db.session.execute(update(Account).where(Account.id == a.id).values(balance_minutes=999))
        assert any(a.id in p for p in ledger.reconcile())
        inner.rollback()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 400),
                                st.sampled_from(["coordinator", "member", "retry", "dispute"])),
                      min_size=1, max_size=25))
def test_any_sequence_of_exchanges_keeps_every_invariant(ctx, steps):
    tb = make_bank(f"Property Bank {uuid.uuid4()}", min_hours=-3, max_hours=5)
    accounts = tb.accounts + [tb.pot]
    keys = []
    for giver_i, receiver_i, minutes, how in steps:
        giver, receiver = accounts[giver_i], accounts[receiver_i]
        key = keys[-1] if how == "retry" and keys else str(uuid.uuid4())
        try:
            with db.session.begin_nested():
                if how in ("coordinator", "retry"):
                    done = give(tb.coordinator, tb, giver, receiver, minutes, key)
                    keys.append(key)
                else:
                    member = next((m for m, a in zip(tb.members, tb.accounts) if a.id in (giver.id, receiver.id)), None)
                    if member is None:
                        continue
                    done = give(member, tb, giver, receiver, minutes)
                    other = next((m for m, a in zip(tb.members, tb.accounts)
                                  if a.id in (giver.id, receiver.id) and m is not member), None)
                    if other is not None:
                        (ledger.dispute(other, done.exchange.id, "no") if how == "dispute"
                         else ledger.confirm(other, done.exchange.id))
        except (Invalid, Conflict, Forbidden):
            pass
    bank = tb.bank
    current = {a.id: db.session.get(Account, a.id, populate_existing=True).balance_minutes for a in accounts}
    assert sum(current.values()) == 0
    for account in tb.accounts:
        assert bank.min_minutes <= current[account.id] <= bank.max_minutes
    assert ledger.reconcile() == []
    by_key = db.session.execute(select(Exchange.idempotency_key, Exchange.recorded_by).where(
        Exchange.bank_id == bank.id)).all()
    assert len(by_key) == len(set(by_key))
    unconfirmed = db.session.scalars(select(Exchange.id).where(Exchange.bank_id == bank.id,
                                                               Exchange.status != "confirmed")).all()
    assert not db.session.scalars(select(Entry.id).where(Entry.exchange_id.in_(unconfirmed))).all()


@pytest.mark.pg_only
def test_postgres_refuses_truncating_entries(tb):
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("TRUNCATE tb_entry"))
