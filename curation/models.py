"""Tables the curation workflow owns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assets_hub.db import Base, utcnow
from assets_hub.ids import UUID_LEN, id_column


class ListingVersion(Base):
    """One published state of a service: the whole HSDS record as it stood, so any version can be
    shown, compared and restored. Written in the same transaction as the change."""

    __tablename__ = "listing_version"
    __table_args__ = (UniqueConstraint("service_id", "number", name="uq_listing_version_number"),)

    id: Mapped[str] = id_column()
    # Not a foreign key: a merged-away service keeps its history.
    service_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # create | update | import | restore | merge ...
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of the HSDS service record


class ListingChange(Base):
    """One changed field (HSDS ``metadata`` shape): who, when, which field, old and new value."""

    __tablename__ = "listing_change"
    __table_args__ = (Index("ix_listing_change_resource", "resource_id", "last_action_date"),)

    id: Mapped[str] = id_column()
    version_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("listing_version.id",
                                                                                 ondelete="CASCADE"), index=True)
    resource_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(40), nullable=False)
    last_action_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_action_type: Mapped[str] = mapped_column(String(20), nullable=False)
    field_name: Mapped[str] = mapped_column(String(80), nullable=False)
    previous_value: Mapped[str] = mapped_column(Text, nullable=False, default="")
    replacement_value: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_by: Mapped[str] = mapped_column(String(254), nullable=False)


class ReviewReminder(Base):
    """One reminder stage sent for one review cycle of one service. The unique key is what makes
    ``assets-hub reviews send-due`` safe to run twice: a stage is sent once per cycle."""

    __tablename__ = "review_reminder"
    __table_args__ = (UniqueConstraint("service_id", "due_on", "stage", name="uq_review_reminder_stage"),)

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    due_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # the cycle's due date
    stage: Mapped[str] = mapped_column(String(20), nullable=False)  # first | reminder | urgent | deprioritised
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recipients: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Claim(Base):
    """A provider's claim to look after an organisation's or a service's listing."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint("(organization_id IS NULL) <> (service_id IS NULL)", name="one_listing"),
        CheckConstraint("status IN ('requested','confirmed','denied','revoked')", name="status_known"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    organization_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("organization.id",
                                                                                     ondelete="CASCADE"), index=True)
    service_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="CASCADE"),
                                                   index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="requested")
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    trusted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    evidence: Mapped[str | None] = mapped_column(Text)  # how a curator can check the connection
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class PendingChange(Base):
    """A change to a listing proposed by a non-curator: waits here, the published listing unchanged,
    until a curator approves it or sends it back with a reason."""

    __tablename__ = "pending_change"
    __table_args__ = (CheckConstraint("status IN ('pending','approved','sent_back','withdrawn')", name="status_known"),)

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # service_update | service_create
    service_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="CASCADE"),
                                                   index=True)
    organization_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("organization.id",
                                                                                     ondelete="CASCADE"))
    # JSON of the proposed values: for a change, only the fields the provider changed (with the
    # fields that travel with them, e.g. a whole address); for a new service, the whole form.
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    fields: Mapped[str] = mapped_column(Text, nullable=False, default="")  # comma-separated, for the queue
    # A change: the listing's version it was made against, and those fields' values as they stood
    # then, so a curator approving it sees which of them someone has changed since (a conflict to
    # settle) instead of overwriting that later change. None on changes proposed before 0022.
    base_version: Mapped[int | None] = mapped_column(Integer)
    base_values: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(254))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Suggestion(Base):
    """A problem reported on a listing, or a new service suggested, by anyone."""

    __tablename__ = "suggestion"
    __table_args__ = (
        CheckConstraint("kind IN ('unclear','contact_wrong','closed','wrong_area','other','new_service')",
                        name="kind_known"),
        CheckConstraint("status IN ('open','resolved')", name="status_known"),
    )

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="SET NULL"),
                                                   index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    user_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class DuplicateFlag(Base):
    """Two listings that look like the same service (similar name close by, same phone, same website)."""

    __tablename__ = "duplicate_flag"
    __table_args__ = (UniqueConstraint("service_id", "other_id", name="uq_duplicate_flag_pair"),
                      CheckConstraint("service_id < other_id", name="ordered_pair"),
                      CheckConstraint("status IN ('open','merged','dismissed')", name="status_known"))

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    other_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    reasons: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class CuratorArea(Base):
    """A local authority a curator looks after. A curator with none looks after everywhere."""

    __tablename__ = "curator_area"

    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True)
    lad_code: Mapped[str] = mapped_column(String(9), ForeignKey("local_authority.lad_code", ondelete="CASCADE"),
                                          primary_key=True)


class HistoryRedaction(Base):
    """A value a curator removed from a listing's history: who, when, why and how many places it
    was in. The value itself is not kept (that is the point)."""

    __tablename__ = "history_redaction"

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    occurrences: Mapped[int] = mapped_column(Integer, nullable=False)
    redacted_by: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
