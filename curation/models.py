"""Tables the curation workflow owns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
