"""Time bank tables. ``tb_entry`` is append-only (the database refuses UPDATE and DELETE on both
engines: migration 0024); an account's cached ``balance_minutes`` is written only with the entries
that change it, and ``assets-hub timebank reconcile`` checks it against their sum."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        false, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets_hub.db import Base, utcnow
from assets_hub.ids import UUID_LEN, id_column


def _precise() -> datetime:
    return datetime.now(timezone.utc)


class Bank(Base):
    __tablename__ = "tb_bank"
    __table_args__ = (CheckConstraint("min_minutes <= 0 AND max_minutes >= 0", name="limits_around_zero"),
                      Index("uq_tb_bank_service_id", "service_id", unique=True))

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    min_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=-600)
    max_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=2400)
    requires_dbs: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())
    about: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # The bank's listing in the directory: link workers refer people to it (not a foreign key).
    service_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Coordinator(Base):
    __tablename__ = "tb_coordinator"
    __table_args__ = (UniqueConstraint("bank_id", "user_id", name="uq_tb_coordinator_bank_user"),)

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         nullable=False, index=True)


class Account(Base):
    """A member's account in one bank, or the bank's own (no user: starting credits, the pot)."""

    __tablename__ = "tb_account"
    __table_args__ = (
        UniqueConstraint("bank_id", "user_id", name="uq_tb_account_bank_user"),
        CheckConstraint("kind IN ('member','bank')", name="kind_known"),
        CheckConstraint("(kind = 'bank') = (user_id IS NULL)", name="bank_account_has_no_user"),
        CheckConstraint("status IN ('active','paused','left')", name="status_known"),
    )

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    user_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="member")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    # The sum of this account's entries (confirmed exchanges only), kept with them.
    balance_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    bank: Mapped[Bank] = relationship(lazy="joined")


# The kinds of help a time bank's members give each other: the list time banks commonly use. The
# directory's taxonomy describes services, not a neighbour's hour, so it is not reused here.
CATEGORIES = {
    "company": "Befriending and company", "shopping": "Shopping and errands", "transport": "Lifts and transport",
    "garden": "Gardening", "home": "DIY and home repairs", "digital": "Computers and phones",
    "food": "Cooking and meals", "learning": "Learning and skills", "creative": "Arts, crafts and music",
    "admin": "Forms, letters and admin", "care": "Caring and childminding", "wellbeing": "Health and wellbeing",
    "community": "Community activities", "other": "Something else",
}


class Activity(Base):
    """A group activity: one account gives to many or receives from many, written as one set of
    exchanges (``Exchange.activity_id``) in one transaction. ``rule``: 'each' (every one of the many
    gives or receives ``minutes``) or 'split' (``minutes`` is the total, shared as evenly as whole
    minutes allow)."""

    __tablename__ = "tb_activity"
    __table_args__ = (
        CheckConstraint("direction IN ('gives','receives')", name="direction_known"),
        CheckConstraint("rule IN ('each','split')", name="rule_known"),
        CheckConstraint("minutes > 0 AND people > 0", name="positive"),
        UniqueConstraint("bank_id", "recorded_by", "idempotency_key", name="uq_tb_activity_idempotency"),
    )

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    one_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False, index=True)
    direction: Mapped[str] = mapped_column(String(10), nullable=False)  # what the one does: gives / receives
    rule: Mapped[str] = mapped_column(String(10), nullable=False)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    people: Mapped[int] = mapped_column(Integer, nullable=False)
    on: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str | None] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)


class Exchange(Base):
    """Time given by one account to another. Pending until the other party confirms (or a
    coordinator recorded it); only then are its entries written. A reversal is an exchange of its
    own (``reverses_id``) whose entries are the opposite of the original's."""

    __tablename__ = "tb_exchange"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("giver_id <> receiver_id", name="parties_differ"),
        CheckConstraint("status IN ('pending','confirmed','disputed','rejected')", name="status_known"),
        UniqueConstraint("bank_id", "recorded_by", "idempotency_key", name="uq_tb_exchange_idempotency"),
        Index("ix_tb_exchange_activity_id", "activity_id", postgresql_where=text("activity_id IS NOT NULL"),
              sqlite_where=text("activity_id IS NOT NULL")),
    )

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    giver_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False, index=True)
    receiver_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False,
                                             index=True)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    on: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending", index=True)
    recorded_by: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)  # a user id (who wrote it)
    by_coordinator: Mapped[bool] = mapped_column(default=False, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # the same key, another body: refused
    reverses_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("tb_exchange.id"), unique=True)
    activity_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("tb_activity.id"))  # partial index
    category: Mapped[str | None] = mapped_column(String(40))  # a key of CATEGORIES
    reason: Mapped[str | None] = mapped_column(Text)  # a dispute's or a reversal's
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Entry(Base):
    """One leg of a confirmed exchange: + for the giver, - for the receiver; never changed."""

    __tablename__ = "tb_entry"
    __table_args__ = (CheckConstraint("minutes <> 0", name="minutes_not_zero"),)

    id: Mapped[str] = id_column()
    exchange_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_exchange.id"), nullable=False,
                                             index=True)
    account_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False,
                                            index=True)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)


class Application(Base):
    """A person asks to join a bank; a coordinator approves (their account is opened) or refuses."""

    __tablename__ = "tb_application"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','refused','withdrawn')", name="status_known"),
        Index("uq_tb_application_open", "bank_id", "user_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id"), nullable=False, index=True)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    reason: Mapped[str | None] = mapped_column(Text)  # a refusal's, told to the person
    decided_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


CHECKS = {"references": "References taken", "dbs": "DBS checked"}


class Check(Base):
    """What a coordinator checked about a person (shown as a badge on their profile in that bank)."""

    __tablename__ = "tb_check"
    __table_args__ = (
        CheckConstraint("kind IN ('references','dbs')", name="kind_known"),
        UniqueConstraint("bank_id", "user_id", "kind", name="uq_tb_check_bank_user_kind"),
    )

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)


class Listing(Base):
    """An offer of help or a request for it, with a kind of help and, if given, a place: the centre
    of the postcode, sector or district the member typed (never their address)."""

    __tablename__ = "tb_listing"
    __table_args__ = (
        CheckConstraint("kind IN ('offer','request')", name="kind_known"),
        CheckConstraint("status IN ('open','closed')", name="status_known"),
    )

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    account_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str | None] = mapped_column(String(40))
    place: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)


class Conversation(Base):
    """Between a listing's member and one who answered it; only the two of them read it."""

    __tablename__ = "tb_conversation"
    __table_args__ = (UniqueConstraint("listing_id", "account_id", name="uq_tb_conversation_listing_account"),)

    id: Mapped[str] = id_column()
    listing_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_listing.id"), nullable=False, index=True)
    account_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False,
                                            index=True)  # who answered
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)


class Message(Base):
    __tablename__ = "tb_message"

    id: Mapped[str] = id_column()
    conversation_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_conversation.id"), nullable=False,
                                                 index=True)
    author_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)


class Invitation(Base):
    """An invitation to join a bank, made from an accepted referral to the bank's listing. The
    token is sent (or handed over) once and kept only as its hash. ``share_hours``: the person's
    choice to let their link worker see the hours they give and receive; they can change it."""

    __tablename__ = "tb_invitation"

    id: Mapped[str] = id_column()
    bank_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("tb_bank.id"), nullable=False, index=True)
    onward_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False, index=True)  # sp_onward
    person_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False, index=True)  # sp_person
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_by: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_precise)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("tb_account.id"), index=True)
    share_hours: Mapped[bool] = mapped_column(nullable=False, default=False)
    share_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
