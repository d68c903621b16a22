"""The ledger: every way time moves, each in the caller's transaction (the request's or the
command's), with the eight invariants of DOMAIN.md section 5:

1. an exchange's entries sum to zero (giver +m, receiver -m), so a bank's balances sum to zero;
2. entries are never changed (the database refuses); a mistake is reversed by opposite entries;
3. an account's cached balance is written only with its entries (``reconcile`` checks);
4. limits are checked with both accounts locked, in the transaction that writes the entries;
5. pending and disputed exchanges have no entries, so they do not count;
6. the parties differ and are in the same bank; minutes are positive whole numbers;
7. the same idempotency key records once (and the same key with another body is refused);
8. leaving moves the balance to the bank's account and keeps every entry.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.directory.services import get_service
from assets_hub.errors import Conflict, Forbidden, Invalid, NotFound
from assets_hub.ids import is_uuid, new_id
from assets_hub.roles import SYSTEM, require_role
from assets_hub.timebank.models import Account, Activity, Bank, Coordinator, Entry, Exchange

NOT_FOUND = "There is no such time bank, account or exchange, or it is not yours to see."


def hours(minutes: int) -> str:
    """90 -> "1 h 30 min"; -30 -> "-30 min"."""
    sign, minutes = ("-" if minutes < 0 else ""), abs(int(minutes))
    h, m = divmod(minutes, 60)
    parts = ([f"{h} h"] if h else []) + ([f"{m} min"] if m or not h else [])
    return sign + " ".join(parts)


# ------------------------------------------------------------------ who may

def _user_id(actor) -> str | None:
    return None if actor is SYSTEM else getattr(actor, "id", None)


def is_coordinator(actor, bank_id: str) -> bool:
    if actor is SYSTEM or getattr(actor, "role", None) == "admin":
        return True
    return bool(_user_id(actor)) and db.session.scalar(
        select(Coordinator.id).where(Coordinator.bank_id == bank_id, Coordinator.user_id == actor.id)) is not None


def get_bank(actor, bank_id: str) -> Bank:
    """A bank the actor coordinates or has an account in; anyone else: NotFound."""
    require_role(actor, "member", "timebank_coordinator", action="use a time bank")
    bank = db.session.get(Bank, bank_id) if is_uuid(bank_id or "") else None
    if bank is None or not (is_coordinator(actor, bank.id) or my_account(actor, bank.id) is not None):
        raise NotFound(NOT_FOUND)
    return bank


def my_account(actor, bank_id: str) -> Account | None:
    uid = _user_id(actor)
    if not uid:
        return None
    return db.session.scalar(select(Account).where(Account.bank_id == bank_id, Account.user_id == uid))


def my_banks(actor) -> list[tuple[Bank, Account | None, bool]]:
    """(bank, my account or None, do I coordinate it) for every bank I am in or coordinate."""
    require_role(actor, "member", "timebank_coordinator", action="use a time bank")
    uid = _user_id(actor)
    coordinated = set(db.session.scalars(select(Coordinator.bank_id).where(Coordinator.user_id == uid)))
    accounts = {a.bank_id: a for a in db.session.scalars(select(Account).where(Account.user_id == uid))}
    ids = coordinated | set(accounts)
    banks = db.session.scalars(select(Bank).where(Bank.id.in_(ids)).order_by(Bank.name)) if ids else []
    return [(b, accounts.get(b.id), b.id in coordinated) for b in banks]


def get_account(actor, bank_id: str, account_id: str) -> Account:
    """Your own account, or any account of a bank you coordinate."""
    bank = get_bank(actor, bank_id)
    account = db.session.get(Account, account_id) if is_uuid(account_id or "") else None
    if account is None or account.bank_id != bank.id:
        raise NotFound(NOT_FOUND)
    if not is_coordinator(actor, bank.id) and account.user_id != _user_id(actor):
        raise NotFound(NOT_FOUND)
    return account


# ------------------------------------------------------------------ banks and members

def create_bank(actor, name: str, coordinator_email: str, min_hours: float = -10, max_hours: float = 40,
                requires_dbs: bool = False, about: str = "", service_id: str | None = None) -> Bank:
    require_role(actor, "admin", action="create time banks")
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise Invalid("Enter the bank's name.", {"name": ["Enter the bank's name."]})
    if db.session.scalar(select(Bank.id).where(Bank.name == name)):
        raise Conflict(f"There is already a time bank called {name}.", {"name": ["That name is taken."]})
    if not (min_hours <= 0 <= max_hours):
        raise Invalid("The lowest balance must be zero or less and the highest zero or more.",
                      {"min_hours": ["Zero or less."], "max_hours": ["Zero or more."]})
    coordinator = db.session.scalar(select(User).where(User.email == (coordinator_email or "").strip().lower()))
    if coordinator is None or coordinator.role not in ("timebank_coordinator", "admin"):
        raise Invalid("The coordinator must have a time bank coordinator's account.",
                      {"coordinator": ["No time bank coordinator has this address."]})
    if service_id:
        get_service(service_id, not_found="There is no service with that id in the directory.")
        if db.session.scalar(select(Bank.id).where(Bank.service_id == service_id)):
            raise Conflict("Another time bank has that listing.", {"service": ["Another bank's listing."]})
    bank = Bank(id=new_id(), name=name, min_minutes=round(min_hours * 60), max_minutes=round(max_hours * 60),
                requires_dbs=bool(requires_dbs), about=(about or "").strip()[:2000], service_id=service_id or None)
    db.session.add(bank)
    db.session.flush()
    db.session.add(Account(bank_id=bank.id, user_id=None, kind="bank"))
    db.session.add(Coordinator(bank_id=bank.id, user_id=coordinator.id))
    db.session.flush()
    return bank


def add_member(actor, bank_id: str, email: str) -> Account:
    """An approved member: the coordinator (or an admin) adds them; their account starts at zero."""
    bank = db.session.get(Bank, bank_id) if is_uuid(bank_id or "") else None
    if bank is None or not is_coordinator(actor, bank.id):
        raise NotFound(NOT_FOUND)
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.active:
        raise Invalid(f"There is no account for {email}.", {"email": ["No account has this address."]})
    existing = my_account(user, bank.id)
    if existing is not None:
        if existing.status == "left":
            existing.status = "active"  # back again: the same account and history
            db.session.flush()
            return existing
        raise Conflict(f"{user.display_name} is a member already.", {"email": ["A member already."]})
    account = Account(bank_id=bank.id, user_id=user.id, kind="member")
    db.session.add(account)
    db.session.flush()
    return account


def bank_account(bank_id: str) -> Account:
    return db.session.scalar(select(Account).where(Account.bank_id == bank_id, Account.kind == "bank"))


# ------------------------------------------------------------------ recording and posting

class LimitPassed(Conflict):
    """A limit would be passed; ``account_id``: whose."""

    def __init__(self, message: str, fields: dict, account_id: str):
        super().__init__(message, fields)
        self.account_id = account_id


@dataclass
class Recorded:
    exchange: Exchange
    replay: bool  # the same key again: nothing new was recorded


def _request_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _account_in(bank_id: str, account_id: str, field: str) -> Account:
    account = db.session.get(Account, account_id) if is_uuid(account_id or "") else None
    if account is None or account.bank_id != bank_id:
        raise Invalid("That account is not in this time bank.", {field: ["Not an account in this bank."]})
    if account.status != "active":
        raise Invalid("That account is not active (paused or left).", {field: ["Not active."]})
    return account


def record(actor, bank_id: str, data: dict, key: str) -> Recorded:
    """Record an exchange (``data`` from ExchangeSchema: giver, receiver, minutes, date, description).
    A member records one they are a party to, and the other party confirms it; a coordinator's is
    confirmed at once. ``key``: the same key again returns the first exchange and records nothing."""
    bank = get_bank(actor, bank_id)
    key = (key or "").strip()
    if not key or len(key) > 100:
        raise Invalid("Send an idempotency key (1-100 characters) with every exchange.",
                      {"idempotency_key": ["Missing or too long."]})
    digest = _request_hash(data)
    previous = _by_key(bank.id, actor, key, digest)
    if previous is not None:
        return Recorded(previous, True)
    coordinator = is_coordinator(actor, bank.id)
    giver = _account_in(bank.id, data["giver"], "giver")
    receiver = _account_in(bank.id, data["receiver"], "receiver")
    if giver.id == receiver.id:
        raise Invalid("The giver and the receiver must be different accounts.", {"receiver": ["The same as the giver."]})
    if not coordinator and _user_id(actor) not in (giver.user_id, receiver.user_id):
        raise Forbidden("Record only exchanges you gave or received (a coordinator records for others).")
    exchange = Exchange(id=new_id(), bank_id=bank.id, giver_id=giver.id, receiver_id=receiver.id,
                        minutes=data["minutes"], on=data["date"], description=data.get("description") or "",
                        category=data.get("category"), recorded_by=_user_id(actor) or "system",
                        by_coordinator=coordinator,
                        idempotency_key=key, request_hash=digest, status="pending")
    try:
        with db.session.begin_nested():  # two requests with one key at once: the second finds the first's
            db.session.add(exchange)
            db.session.flush()
    except IntegrityError:
        previous = _by_key(bank.id, actor, key, digest)
        if previous is None:
            raise
        return Recorded(previous, True)
    if coordinator:
        _post(exchange)
    return Recorded(exchange, False)


def shares(minutes: int, people: int, rule: str) -> list[int]:
    """Each person's minutes: 'each' gives everyone ``minutes``; 'split' shares ``minutes`` out in
    whole minutes, the first ``minutes % people`` one more, so the shares add up to it exactly."""
    if rule == "each":
        return [minutes] * people
    base, extra = divmod(minutes, people)
    return [base + (1 if i < extra else 0) for i in range(people)]


def record_group(actor, bank_id: str, data: dict, key: str) -> tuple[Activity, bool]:
    """A coordinator records a group activity (``data`` from GroupSchema): one exchange between the
    one and each of the many, all confirmed, with every limit checked, in one savepoint: all of it
    is written or none. The same key again returns the first (True: a replay)."""
    bank = get_bank(actor, bank_id)
    if not is_coordinator(actor, bank.id):
        raise Forbidden("A coordinator records group activities (members record their own exchanges).")
    key = (key or "").strip()
    if not key or len(key) > 90:
        raise Invalid("Send an idempotency key (1-90 characters) with every activity.",
                      {"idempotency_key": ["Missing or too long."]})
    digest = _request_hash(data)
    recorder = _user_id(actor) or "system"
    previous = db.session.scalar(select(Activity).where(Activity.bank_id == bank.id, Activity.recorded_by == recorder,
                                                        Activity.idempotency_key == key))
    if previous is not None:
        return previous, previous.request_hash == digest or _different_body()
    one = _account_in(bank.id, data["one"], "one")
    many = [_account_in(bank.id, account_id, "many") for account_id in data["many"]]
    if one.id in {a.id for a in many}:
        raise Invalid("The one who gives (or receives) cannot also be one of the group.",
                      {"many": ["Includes the other side."]})
    minutes, rule = data["minutes"], data["rule"]
    if rule == "split" and minutes < len(many):
        raise Invalid(f"Shared out, {len(many)} people need at least {len(many)} minutes.",
                      {"minutes": [f"At least {len(many)} minutes."]})
    activity = Activity(id=new_id(), bank_id=bank.id, one_id=one.id, direction=data["direction"], rule=rule,
                        minutes=minutes, people=len(many), on=data["date"], description=data.get("description") or "",
                        category=data.get("category"), recorded_by=recorder, idempotency_key=key,
                        request_hash=digest)
    try:
        # One savepoint for all of it: a limit refused for one person leaves nothing of the activity,
        # and the same key at the same moment (a unique violation) finds the first's.
        with db.session.begin_nested():
            db.session.add(activity)
            db.session.flush()
            _lock([one.id] + [a.id for a in many])  # all of them, in id order, before any is changed
            for i, (other, share) in enumerate(zip(many, shares(minutes, len(many), rule))):
                giver, receiver = (one, other) if data["direction"] == "gives" else (other, one)
                exchange = Exchange(id=new_id(), bank_id=bank.id, giver_id=giver.id, receiver_id=receiver.id,
                                    minutes=share, on=data["date"], description=activity.description,
                                    category=activity.category, recorded_by=recorder, by_coordinator=True,
                                    idempotency_key=f"group:{key}:{i}", request_hash=digest,
                                    activity_id=activity.id, status="pending")
                db.session.add(exchange)
                db.session.flush()
                try:
                    _post(exchange)
                except LimitPassed as exc:  # say whose limit: the group has many people
                    name = db.session.scalar(select(User.display_name).join(Account, Account.user_id == User.id)
                                             .where(Account.id == exc.account_id))
                    raise Conflict(f"Nothing was recorded. For {name or 'the bank'}: {exc.message}",
                                   {"one" if exc.account_id == one.id else "many": [exc.message]}) from None
    except IntegrityError:
        previous = db.session.scalar(select(Activity).where(
            Activity.bank_id == bank.id, Activity.recorded_by == recorder, Activity.idempotency_key == key))
        if previous is None:
            raise
        return previous, previous.request_hash == digest or _different_body()
    return activity, False


def activity_exchanges(activity: Activity) -> list[Exchange]:
    return list(db.session.scalars(select(Exchange).where(Exchange.activity_id == activity.id)
                                   .order_by(Exchange.created_at, Exchange.id)))


def _different_body():
    raise Conflict("This idempotency key was used for a different activity: use a new key for a new one.",
                   {"idempotency_key": ["Used for a different activity."]})


def _by_key(bank_id: str, actor, key: str, digest: str) -> Exchange | None:
    previous = db.session.scalar(select(Exchange).where(
        Exchange.bank_id == bank_id, Exchange.recorded_by == (_user_id(actor) or "system"),
        Exchange.idempotency_key == key).execution_options(populate_existing=True))
    if previous is not None and previous.request_hash != digest:
        raise Conflict("This idempotency key was used for a different exchange: use a new key for a new one.",
                       {"idempotency_key": ["Used for a different exchange."]})
    return previous


def _lock(account_ids: list[str]) -> dict[str, Account]:
    """Both accounts locked (PostgreSQL: row locks, in id order so two exchanges cannot deadlock;
    SQLite: the transaction holds the single write lock already) and read afresh."""
    stmt = (select(Account).where(Account.id.in_(account_ids)).order_by(Account.id)
            .options(lazyload(Account.bank)).execution_options(populate_existing=True))
    if db.is_postgres:
        # FOR NO KEY UPDATE, of the accounts only: it does not conflict with the KEY SHARE locks that
        # inserting an exchange or entry takes on the accounts it refers to (plain FOR UPDATE does,
        # and two exchanges between overlapping accounts then deadlocked), nor locks their bank.
        stmt = stmt.with_for_update(of=Account, key_share=True)
    return {a.id: a for a in db.session.scalars(stmt)}


def _post(exchange: Exchange, enforce_limits: bool = True) -> None:
    """Write an exchange's entries and move the cached balances, with the limits checked on the
    locked accounts. Raises LimitPassed (naming how much is possible) when a limit would be passed."""
    accounts = _lock([exchange.giver_id, exchange.receiver_id])
    giver, receiver = accounts[exchange.giver_id], accounts[exchange.receiver_id]
    bank = db.session.get(Bank, exchange.bank_id)
    m = exchange.minutes
    if enforce_limits:
        if giver.kind == "member" and giver.balance_minutes + m > bank.max_minutes:
            room = max(0, bank.max_minutes - giver.balance_minutes)
            raise LimitPassed(f"This would take the giver's balance over the bank's limit of "
                              f"{hours(bank.max_minutes)}: they can give at most {hours(room)} more.",
                              {"minutes": [f"At most {hours(room)}."]}, giver.id)
        if receiver.kind == "member" and receiver.balance_minutes - m < bank.min_minutes:
            room = max(0, receiver.balance_minutes - bank.min_minutes)
            raise LimitPassed(f"This would take the receiver's balance under the bank's limit of "
                              f"{hours(bank.min_minutes)}: they can receive at most {hours(room)} more.",
                              {"minutes": [f"At most {hours(room)}."]}, receiver.id)
    db.session.add_all([Entry(exchange_id=exchange.id, account_id=giver.id, minutes=m),
                        Entry(exchange_id=exchange.id, account_id=receiver.id, minutes=-m)])
    giver.balance_minutes += m
    receiver.balance_minutes -= m
    exchange.status = "confirmed"
    exchange.confirmed_at = utcnow()
    db.session.flush()


def _exchange(actor, exchange_id: str) -> Exchange:
    exchange = db.session.get(Exchange, exchange_id) if is_uuid(exchange_id or "") else None
    if exchange is None:
        raise NotFound(NOT_FOUND)
    get_bank(actor, exchange.bank_id)
    return exchange


def _other_party(actor, exchange: Exchange) -> bool:
    """Is the actor the party who did not record it?"""
    uid = _user_id(actor)
    parties = db.session.scalars(select(Account.user_id).where(
        Account.id.in_([exchange.giver_id, exchange.receiver_id]))).all()
    return uid in parties and uid != exchange.recorded_by


def confirm(actor, exchange_id: str) -> Exchange:
    """The other party confirms (or a coordinator settles a disputed one): its entries are written."""
    exchange = _exchange(actor, exchange_id)
    coordinator = is_coordinator(actor, exchange.bank_id)
    if exchange.status == "confirmed":
        return exchange  # confirming twice changes nothing
    if exchange.status == "pending" and not (_other_party(actor, exchange) or coordinator):
        raise Forbidden("The other party confirms an exchange (or a coordinator).")
    if exchange.status == "disputed" and not coordinator:
        raise Forbidden("A disputed exchange is settled by a coordinator.")
    if exchange.status == "rejected":
        raise Invalid("This exchange was rejected: record it again if it happened.", {"status": ["Rejected."]})
    _post(exchange)
    return exchange


def dispute(actor, exchange_id: str, reason: str) -> Exchange:
    exchange = _exchange(actor, exchange_id)
    if not _other_party(actor, exchange):
        raise Forbidden("Only the other party disputes an exchange.")
    if exchange.status != "pending":
        raise Invalid("Only a pending exchange can be disputed.", {"status": [f"It is {exchange.status}."]})
    if not (reason or "").strip():
        raise Invalid("Say what is wrong, so the coordinator can settle it.", {"reason": ["Give a reason."]})
    exchange.status, exchange.reason = "disputed", reason.strip()[:2000]
    db.session.flush()
    return exchange


def reject(actor, exchange_id: str, reason: str) -> Exchange:
    """A coordinator rejects a disputed or pending exchange: nothing is written to the ledger."""
    exchange = _exchange(actor, exchange_id)
    if not is_coordinator(actor, exchange.bank_id):
        raise Forbidden("A coordinator settles disputes.")
    if exchange.status not in ("pending", "disputed"):
        raise Invalid("Only a pending or disputed exchange can be rejected (reverse a confirmed one).",
                      {"status": [f"It is {exchange.status}."]})
    exchange.status, exchange.reason = "rejected", (reason or "").strip()[:2000] or exchange.reason
    db.session.flush()
    return exchange


def reverse(actor, exchange_id: str, reason: str, key: str) -> Exchange:
    """A coordinator corrects a confirmed exchange: the opposite entries, linked to it. Once."""
    original = _exchange(actor, exchange_id)
    if not is_coordinator(actor, original.bank_id):
        raise Forbidden("A coordinator reverses exchanges.")
    if original.status != "confirmed":
        raise Invalid("Only a confirmed exchange is reversed (a pending one is rejected).",
                      {"status": [f"It is {original.status}."]})
    if original.reverses_id is not None:
        raise Invalid("This is a reversal itself: record a new exchange instead.", {"status": ["A reversal."]})
    if not (reason or "").strip():
        raise Invalid("Say why it is reversed.", {"reason": ["Give a reason."]})
    done = db.session.scalar(select(Exchange).where(Exchange.reverses_id == original.id))
    if done is not None:
        return done  # reversed already: the same answer again
    reversal = Exchange(id=new_id(), bank_id=original.bank_id, giver_id=original.receiver_id,
                        receiver_id=original.giver_id, minutes=original.minutes, on=date.today(),
                        description=f"Reversal: {original.description}"[:2000], recorded_by=_user_id(actor) or "system",
                        by_coordinator=True, idempotency_key=(key or f"reverse:{original.id}")[:100],
                        request_hash=_request_hash({"reverse": original.id}), reverses_id=original.id,
                        reason=reason.strip()[:2000], status="pending")
    try:
        with db.session.begin_nested():
            db.session.add(reversal)
            db.session.flush()
    except IntegrityError:  # reversed at the same moment by another request
        return db.session.scalar(select(Exchange).where(Exchange.reverses_id == original.id)
                                 .execution_options(populate_existing=True))
    _post(reversal, enforce_limits=False)  # a correction is never refused for a limit
    return reversal


def leave(actor, bank_id: str, account_id: str | None = None) -> Account:
    """A member leaves (or a coordinator removes them): their balance moves to the bank's account in
    one exchange; their history stays."""
    bank = get_bank(actor, bank_id)
    account = get_account(actor, bank.id, account_id) if account_id else my_account(actor, bank.id)
    if account is None or account.kind != "member":
        raise NotFound(NOT_FOUND)
    if account.status == "left":
        return account
    pot = bank_account(bank.id)
    locked = _lock([account.id, pot.id])
    balance = locked[account.id].balance_minutes
    if balance:
        giver, receiver = (pot, account) if balance > 0 else (account, pot)
        move = Exchange(id=new_id(), bank_id=bank.id, giver_id=giver.id, receiver_id=receiver.id,
                        minutes=abs(balance), on=date.today(), description="Balance moved to the bank on leaving",
                        recorded_by=_user_id(actor) or "system", by_coordinator=True,
                        idempotency_key=f"leave:{account.id}:{utcnow().isoformat()}",
                        request_hash=_request_hash({"leave": account.id}), status="pending")
        db.session.add(move)
        db.session.flush()
        _post(move, enforce_limits=False)
    account.status = "left"
    db.session.flush()
    return account


# ------------------------------------------------------------------ reading

def statement(actor, bank_id: str, account_id: str, start: date | None = None, end: date | None = None,
              limit: int | None = None, offset: int = 0):
    """An account's confirmed entries (newest first) with each exchange, and the pending ones.
    ``limit``/``offset``: one page of them (the page); without, every one (the export)."""
    account = get_account(actor, bank_id, account_id)
    stmt = (select(Entry, Exchange).join(Exchange, Exchange.id == Entry.exchange_id)
            .where(Entry.account_id == account.id)
            .order_by(Exchange.on.desc(), Entry.created_at.desc(), Entry.id))
    if start:
        stmt = stmt.where(Exchange.on >= start)
    if end:
        stmt = stmt.where(Exchange.on <= end)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    rows = db.session.execute(stmt).all()
    pending = list(db.session.scalars(select(Exchange).where(
        Exchange.status.in_(("pending", "disputed")),
        (Exchange.giver_id == account.id) | (Exchange.receiver_id == account.id)).order_by(Exchange.created_at)))
    return account, rows, pending


def pending_minutes(account: Account) -> int:
    """Minutes in this account's pending exchanges (+ to come in, - to go out): shown, never counted."""
    inbound = db.session.scalar(select(func.coalesce(func.sum(Exchange.minutes), 0)).where(
        Exchange.giver_id == account.id, Exchange.status == "pending")) or 0
    outbound = db.session.scalar(select(func.coalesce(func.sum(Exchange.minutes), 0)).where(
        Exchange.receiver_id == account.id, Exchange.status == "pending")) or 0
    return int(inbound) - int(outbound)


def members(actor, bank_id: str) -> list[tuple[Account, str]]:
    """A coordinator's view: every account with its owner's name."""
    bank = get_bank(actor, bank_id)
    if not is_coordinator(actor, bank.id):
        raise Forbidden("Only the bank's coordinators see every account.")
    return [(a, name or "The bank") for a, name in db.session.execute(
        select(Account, User.display_name).outerjoin(User, User.id == Account.user_id)
        .where(Account.bank_id == bank.id).order_by(Account.kind, User.display_name))]


def account_name(account: Account) -> str:
    if account.user_id is None:
        return f"{account.bank.name} (the bank)"
    return db.session.scalar(select(User.display_name).where(User.id == account.user_id)) or "A member"


def reconcile() -> list[str]:
    """Every way the cached figures could disagree with the entries, as sentences; [] when clean."""
    problems = []
    sums = dict(db.session.execute(select(Entry.account_id, func.sum(Entry.minutes)).group_by(Entry.account_id)).all())
    for account in db.session.scalars(select(Account)):
        total = int(sums.get(account.id) or 0)
        if total != account.balance_minutes:
            problems.append(f"account {account.id}: cached {account.balance_minutes} min, entries sum to {total} min")
    for bank_id, total in db.session.execute(select(Account.bank_id, func.sum(Account.balance_minutes))
                                             .group_by(Account.bank_id)):
        if int(total or 0) != 0:
            problems.append(f"bank {bank_id}: balances sum to {total} min, not 0")
    for exchange_id, total in db.session.execute(select(Entry.exchange_id, func.sum(Entry.minutes))
                                                 .group_by(Entry.exchange_id).having(func.sum(Entry.minutes) != 0)):
        problems.append(f"exchange {exchange_id}: entries sum to {total} min, not 0")
    return problems


def directory(actor, bank_id: str) -> list[tuple[str, str]]:
    """(account id, name) of the bank's active members and its own account: who one can exchange
    with. Names only (a public profile), never balances."""
    bank = get_bank(actor, bank_id)
    return [(a_id, name or f"{bank.name} (the bank)") for a_id, name in db.session.execute(
        select(Account.id, User.display_name).outerjoin(User, User.id == Account.user_id)
        .where(Account.bank_id == bank.id, Account.status == "active").order_by(Account.kind.desc(), User.display_name))]


def entry_count(account: Account, start: date | None = None, end: date | None = None) -> int:
    stmt = select(func.count()).select_from(Entry).where(Entry.account_id == account.id)
    if start or end:
        stmt = stmt.join(Exchange, Exchange.id == Entry.exchange_id)
        stmt = stmt.where(Exchange.on >= start) if start else stmt
        stmt = stmt.where(Exchange.on <= end) if end else stmt
    return db.session.scalar(stmt) or 0
