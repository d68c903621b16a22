"""A coordinator's figures for one bank over a date range: the one query layer the report page,
its CSV and ``GET /api/timebank/banks/{id}/report`` all read, so they never disagree.

What counts as time exchanged: confirmed exchanges, less corrections (a reversed exchange and its
reversal both leave the figures) and the balance moved to the bank when someone leaves (a
transfer, not help given)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, exists, extract, func, not_, or_, select
from sqlalchemy.orm import aliased

from assets_hub.db import db
from assets_hub.errors import Forbidden
from assets_hub.periods import months_between, settle_range
from assets_hub.timebank import ledger
from assets_hub.timebank.models import CATEGORIES, Account, Exchange

LEAVING = "leave:%"  # the key of the exchange that moves a leaving member's balance (ledger.leave)


@dataclass
class BankReport:
    bank_id: str
    start: date
    end: date
    months: list[tuple[str, int, int]] = field(default_factory=list)  # ("2026-11", exchanges, minutes)
    categories: list[tuple[str, int, int]] = field(default_factory=list)  # (label, exchanges, minutes)
    new_members: list[tuple[str, int]] = field(default_factory=list)  # ("2026-11", members who joined)
    members: dict[str, int] = field(default_factory=dict)  # active, paused, left; exchanging, not exchanging
    waiting: dict[str, int] = field(default_factory=dict)  # pending, disputed (now, whatever their date)

    @property
    def total_minutes(self) -> int:
        return sum(m for _, _, m in self.months)

    def as_dict(self) -> dict:
        return {"bank_id": self.bank_id, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "total_minutes": self.total_minutes,
                "months": [{"month": k, "exchanges": n, "minutes": m} for k, n, m in self.months],
                "categories": [{"category": k, "exchanges": n, "minutes": m} for k, n, m in self.categories],
                "new_members": [{"month": k, "members": n} for k, n in self.new_members],
                "members": self.members, "waiting": self.waiting}

    def csv_rows(self) -> list[list]:
        """One table, a figure a row: what the page shows."""
        rows = [["figure", "group", "exchanges", "minutes"]]
        rows += [["month", k, n, m] for k, n, m in self.months]
        rows += [["category", k, n, m] for k, n, m in self.categories]
        rows += [["new members", k, n, ""] for k, n in self.new_members]
        rows += [["members", k, n, ""] for k, n in self.members.items()]
        rows += [["waiting", k, n, ""] for k, n in self.waiting.items()]
        return rows


def counted_as_help():
    """The condition for an exchange that counts as time given (see the module)."""
    reversal = aliased(Exchange)
    return and_(Exchange.status == "confirmed", Exchange.reverses_id.is_(None),
                not_(Exchange.idempotency_key.like(LEAVING)), not_(exists().where(reversal.reverses_id == Exchange.id)))


def _help_given(bank_id: str, start: date, end: date):
    """... in one bank over a date range."""
    return and_(Exchange.bank_id == bank_id, Exchange.on >= start, Exchange.on <= end, counted_as_help())


def _month(column) -> list:
    return [extract("year", column), extract("month", column)]


def bank_report(actor, bank_id: str, start: date | None = None, end: date | None = None) -> BankReport:
    bank = ledger.get_bank(actor, bank_id)
    if not ledger.is_coordinator(actor, bank.id):
        raise Forbidden("Only the bank's coordinators see its reports (members see their own statement).")
    start, end = settle_range(start, end)
    report = BankReport(bank.id, start, end)
    given = _help_given(bank.id, start, end)

    year, month = _month(Exchange.on)
    found = {f"{int(y):04d}-{int(m):02d}": (n, int(mins)) for y, m, n, mins in db.session.execute(
        select(year, month, func.count(), func.sum(Exchange.minutes)).where(given).group_by(year, month))}
    report.months = [(k, *found.get(k, (0, 0))) for k in months_between(start, end)]  # a quiet month shows as 0
    by_category = dict(((k or "", (n, int(mins))) for k, n, mins in db.session.execute(
        select(Exchange.category, func.count(), func.sum(Exchange.minutes)).where(given).group_by(Exchange.category))))
    report.categories = sorted(((CATEGORIES.get(k, "Not given"), n, m) for k, (n, m) in by_category.items()),
                               key=lambda row: (-row[2], row[0]))

    year, month = _month(Account.created_at)
    report.new_members = [(f"{int(y):04d}-{int(m):02d}", n) for y, m, n in db.session.execute(
        select(year, month, func.count()).where(
            Account.bank_id == bank.id, Account.kind == "member",
            Account.created_at >= datetime.combine(start, time(), timezone.utc),
            Account.created_at < datetime.combine(end + timedelta(days=1), time(), timezone.utc))
        .group_by(year, month).order_by(year, month))]

    statuses = dict(db.session.execute(select(Account.status, func.count()).where(
        Account.bank_id == bank.id, Account.kind == "member").group_by(Account.status)).all())
    exchanging = db.session.scalar(select(func.count()).select_from(Account).where(
        Account.bank_id == bank.id, Account.kind == "member", Account.status == "active",
        exists().where(given, or_(Exchange.giver_id == Account.id, Exchange.receiver_id == Account.id)))) or 0
    active = statuses.get("active", 0)
    report.members = {"active": active, "paused": statuses.get("paused", 0), "left": statuses.get("left", 0),
                      "exchanged in the period": exchanging, "did not exchange in the period": active - exchanging}
    waiting = dict(db.session.execute(select(Exchange.status, func.count()).where(
        Exchange.bank_id == bank.id, Exchange.status.in_(("pending", "disputed"))).group_by(Exchange.status)).all())
    report.waiting = {"pending": waiting.get("pending", 0), "disputed": waiting.get("disputed", 0)}
    return report
