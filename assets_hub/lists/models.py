"""A saved list and its services."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets_hub.db import Base, utcnow
from assets_hub.ids import UUID_LEN, id_column


class SavedList(Base):
    __tablename__ = "saved_list"
    __table_args__ = (CheckConstraint("owner_id IS NOT NULL OR edit_key_hash IS NOT NULL", name="has_keeper"),)

    id: Mapped[str] = id_column()
    owner_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                                 index=True)
    edit_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # a browser session's list
    share_token: Mapped[str] = mapped_column(String(43), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    items: Mapped[list["SavedItem"]] = relationship(order_by="SavedItem.position", cascade="all, delete-orphan",
                                                    back_populates="saved_list")


class SavedItem(Base):
    __tablename__ = "saved_item"

    list_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("saved_list.id", ondelete="CASCADE"),
                                         primary_key=True)
    service_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)

    saved_list: Mapped[SavedList] = relationship(back_populates="items")
