"""Tables of the referral domain. Personal data lives in ``person`` and the case tables only;
``audit_entry`` is append-only (the database refuses UPDATE and DELETE: migration 0023)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from assets_hub.db import Base, utcnow
from assets_hub.ids import UUID_LEN, id_column


def _now_precise() -> datetime:
    return datetime.now(timezone.utc)


class Team(Base):
    """A social prescribing team: a PCN's or a council's link-worker service."""

    __tablename__ = "sp_team"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    members: Mapped[list["TeamMember"]] = relationship(back_populates="team", cascade="all, delete-orphan")


class TeamMember(Base):
    __tablename__ = "sp_team_member"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_sp_team_member_team_user"),)

    id: Mapped[str] = id_column()
    team_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_team.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    team: Mapped[Team] = relationship(back_populates="members")


class TeamPractice(Base):
    """A GP practice a team takes referrals from (by its ODS code). A team with a list refuses
    staff and API referrals from practices not on it; a team with none yet takes any."""

    __tablename__ = "sp_team_practice"
    __table_args__ = (UniqueConstraint("team_id", "ods_code", name="uq_sp_team_practice_team_code"),)

    id: Mapped[str] = id_column()
    team_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_team.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    ods_code: Mapped[str] = mapped_column(String(6), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Person(Base):
    """Someone referred to a team. Seen only by that team, the referrer of their referral (its
    status) and providers of services they were referred to (what their consent allows)."""

    __tablename__ = "sp_person"

    id: Mapped[str] = id_column()
    team_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_team.id"), nullable=False, index=True)
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    postcode: Mapped[str] = mapped_column(String(10), nullable=False)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    preferred_contact: Mapped[str | None] = mapped_column(String(20))
    what_matters: Mapped[str] = mapped_column(Text, nullable=False, default="")
    do_not_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Referral(Base):
    """A referral into the link-worker service: one episode of support for a person."""

    __tablename__ = "sp_referral"
    __table_args__ = (
        CheckConstraint("status IN ('received','contacted','first_appointment','supported','closed')",
                        name="status_known"),
        CheckConstraint("source IN ('staff','self','api')", name="source_known"),
        CheckConstraint("known_risks = false OR risk_details IS NOT NULL", name="risks_described"),
        CheckConstraint("information_sharing = true OR consent_reason IS NOT NULL", name="consent_explained"),
        # The caseload: a team's open cases, longest waiting first (most cases are closed).
        Index("ix_sp_referral_open", "team_id", "received_at", postgresql_where=text("status <> 'closed'"),
              sqlite_where=text("status <> 'closed'")),
        # Reports: a team's referrals in a date range, and every team's (a commissioner's).
        Index("ix_sp_referral_team_received", "team_id", "received_at"),
        Index("ix_sp_referral_received_at", "received_at"),
        # Waiting time over any range, every team: the two moments read from the index alone.
        Index("ix_sp_referral_contacted", "received_at", postgresql_include=["first_contact_at"],
              postgresql_where=text("first_contact_at IS NOT NULL"), sqlite_where=text("first_contact_at IS NOT NULL")),
    )

    id: Mapped[str] = id_column()
    # None once the person is erased: the referral stays, anonymous, so reports still count it.
    person_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("sp_person.id", ondelete="CASCADE"),
                                                  index=True)
    team_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_team.id"), nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    # For reports, fixed when the referral arrives: the person's age band then, and the local
    # authority of their postcode (None when the gazetteer does not know it).
    age_band: Mapped[str | None] = mapped_column(String(8))
    lad_code: Mapped[str | None] = mapped_column(String(9))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Once closed: True when nothing was found for the person (no signpost, every referral to a
    # service declined or expired), kept up to date as answers come in; None while open. Unmet
    # needs in reports read it instead of looking through every onward referral.
    nothing_found: Mapped[bool | None] = mapped_column(Boolean)
    referrer_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="SET NULL"),
                                                    index=True)
    link_worker_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id",
                                                                                    ondelete="SET NULL"), index=True)
    gp_ods_code: Mapped[str | None] = mapped_column(String(6))
    gp_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    known_risks: Mapped[bool] = mapped_column(Boolean, nullable=False)
    risk_details: Mapped[str | None] = mapped_column(Text)
    information_sharing: Mapped[bool] = mapped_column(Boolean, nullable=False)
    consent_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received", index=True)
    closed_reason: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_contact_due: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person | None] = relationship(lazy="joined")
    needs: Mapped[list["Need"]] = relationship(cascade="all, delete-orphan", order_by="Need.created_at")
    # Never loaded through here (the history is read by query); declared so that a referral and
    # its first event can go to the database in one flush, the referral first.
    events: WriteOnlyMapped["ReferralEvent"] = relationship(passive_deletes=True)


class Need(Base):
    """A need or concern recorded for a referral, from the published needs list."""

    __tablename__ = "sp_need"
    __table_args__ = (UniqueConstraint("referral_id", "code", name="uq_sp_need_referral_code"),
                      # Reports count needs without reading the referrals: by day, and by team and day.
                      Index("ix_sp_need_received_code", "received_at", "code"),
                      Index("ix_sp_need_team_received", "team_id", "received_at"),
                      # Unmet needs: the few that found no service, by day, with what the report groups by.
                      Index("ix_sp_need_no_service", "received_at", postgresql_include=["team_id", "lad_code", "code"],
                            postgresql_where=text("no_service"), sqlite_where=text("no_service")))

    id: Mapped[str] = id_column()
    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The link worker found no service for this need: a gap in the directory (reports, curators).
    unmet: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The referral's team and the day it arrived, copied for reports (they move with it on erasure).
    team_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The referral's local authority, and whether this need found no service (marked unmet, or its
    # case closed with nothing found), kept for the unmet-needs report (no join to the referrals).
    lad_code: Mapped[str | None] = mapped_column(String(9))
    no_service: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_now_precise)


class ReferralEvent(Base):
    """What happened to a referral, in order: its history (status changes, contacts, onward
    referrals and their answers). Written by the service functions, never edited."""

    __tablename__ = "sp_referral_event"

    id: Mapped[str] = id_column()
    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_now_precise)
    actor: Mapped[str] = mapped_column(String(254), nullable=False)  # a name and role, never an email
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str | None] = mapped_column(String(20))  # the referral's status after this event
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")


class ContactLog(Base):
    __tablename__ = "sp_contact"
    __table_args__ = (CheckConstraint("minutes >= 0 AND minutes <= 1440", name="minutes_range"),)

    id: Mapped[str] = id_column()
    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    by: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_now_precise)


class Goal(Base):
    __tablename__ = "sp_goal"
    __table_args__ = (
        CheckConstraint("importance BETWEEN 1 AND 10", name="importance_range"),
        CheckConstraint("confidence BETWEEN 1 AND 10", name="confidence_range"),
    )

    id: Mapped[str] = id_column()
    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    importance: Mapped[int] = mapped_column(Integer, nullable=False)
    confidence: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_now_precise)


class OnwardReferral(Base):
    """A signpost (recorded, nothing sent) or a referral to a service (its provider receives it)."""

    __tablename__ = "sp_onward"
    __table_args__ = (
        CheckConstraint("kind IN ('signpost','referral')", name="kind_known"),
        CheckConstraint("status IN ('signposted','sent','accepted','declined','expired','attended',"
                        "'did_not_attend')", name="status_known"),
        # The onward-referrals report over any range: what it counts, read from the index alone.
        Index("ix_sp_onward_sent", "sent_at", postgresql_include=["service_id", "kind", "status", "service_name"]),
    )

    id: Mapped[str] = id_column()
    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    # Not a foreign key: the record of where a person was sent outlives a listing's removal.
    service_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False, index=True)
    service_name: Mapped[str] = mapped_column(String(300), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    shared: Mapped[str] = mapped_column(Text, nullable=False, default="")  # comma-separated person fields shared
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")  # from the link worker
    decline_reason: Mapped[str | None] = mapped_column(Text)
    note_back: Mapped[str | None] = mapped_column(Text)  # from the provider
    sent_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    referral: Mapped[Referral] = relationship()

    @property
    def shared_fields(self) -> list[str]:
        return [f for f in self.shared.split(",") if f]


class AuditEntry(Base):
    """Who read or changed which person's record, when, and from where. Never edited or deleted:
    the database refuses both (a trigger on each engine). Not foreign keys: the entry outlives
    the record it is about (erasure) and the account of whoever read it."""

    __tablename__ = "audit_entry"

    id: Mapped[str] = id_column()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_now_precise, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    actor: Mapped[str] = mapped_column(String(254), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # view | change | create | export | print | erase
    what: Mapped[str] = mapped_column(String(200), nullable=False)
    person_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    referral_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")


class Measure(Base):
    """An outcome measure taken with the person: ONS4 (four answers 0-10, never summed) or SWEMWBS
    (seven items 1-5; the raw total and its metric score kept beside them)."""

    __tablename__ = "sp_measure"
    __table_args__ = (
        CheckConstraint("tool IN ('ons4','swemwbs')", name="tool_known"),
        CheckConstraint("stage IN ('start','during','end')", name="stage_known"),
        CheckConstraint("(tool = 'ons4' AND life_satisfaction BETWEEN 0 AND 10 AND worthwhile BETWEEN 0 AND 10 "
                        "AND happy BETWEEN 0 AND 10 AND anxious BETWEEN 0 AND 10) OR "
                        "(tool = 'swemwbs' AND swemwbs_raw BETWEEN 7 AND 35 AND swemwbs_metric IS NOT NULL)",
                        name="scores_in_range"),
    )

    id: Mapped[str] = id_column()
    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    tool: Mapped[str] = mapped_column(String(10), nullable=False)
    stage: Mapped[str] = mapped_column(String(10), nullable=False)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)
    life_satisfaction: Mapped[int | None] = mapped_column(Integer)
    worthwhile: Mapped[int | None] = mapped_column(Integer)
    happy: Mapped[int | None] = mapped_column(Integer)
    anxious: Mapped[int | None] = mapped_column(Integer)
    swemwbs_items: Mapped[str | None] = mapped_column(String(20))  # "4,3,3,4,5,2,3"
    swemwbs_raw: Mapped[int | None] = mapped_column(Integer)
    swemwbs_metric: Mapped[float | None] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_now_precise)


class Outcome(Base):
    """A referral's start and end of one measure, kept as measures are recorded, for the outcome
    report (the first "start" taking and the last "end" taking; the report reads this row alone,
    not every taking). The team and the day the referral arrived are copied here for the same
    reason, and move with the referral when its person is erased."""

    __tablename__ = "sp_outcome"
    __table_args__ = (Index("ix_sp_outcome_received_at", "received_at"),
                      Index("ix_sp_outcome_team_received", "team_id", "received_at"))

    referral_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_referral.id", ondelete="CASCADE"),
                                             primary_key=True)
    tool: Mapped[str] = mapped_column(String(10), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    start_on: Mapped[date | None] = mapped_column(Date)
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_on: Mapped[date | None] = mapped_column(Date)
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    start_life_satisfaction: Mapped[int | None] = mapped_column(Integer)
    start_worthwhile: Mapped[int | None] = mapped_column(Integer)
    start_happy: Mapped[int | None] = mapped_column(Integer)
    start_anxious: Mapped[int | None] = mapped_column(Integer)
    start_swemwbs_metric: Mapped[float | None] = mapped_column(Float)
    end_life_satisfaction: Mapped[int | None] = mapped_column(Integer)
    end_worthwhile: Mapped[int | None] = mapped_column(Integer)
    end_happy: Mapped[int | None] = mapped_column(Integer)
    end_anxious: Mapped[int | None] = mapped_column(Integer)
    end_swemwbs_metric: Mapped[float | None] = mapped_column(Float)


class KeptApart(Base):
    """Two records a link worker decided are different people, though they look alike: the
    duplicate check no longer offers them as one. ``person_a`` < ``person_b``."""

    __tablename__ = "sp_kept_apart"
    __table_args__ = (UniqueConstraint("person_a", "person_b", name="uq_sp_kept_apart_person_a"),)

    id: Mapped[str] = id_column()
    person_a: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_person.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    person_b: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("sp_person.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    decided_by: Mapped[str] = mapped_column(String(254), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
