"""Tables the search pipeline owns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets_hub.db import Base, utcnow


class Synonym(Base):
    """What people type -> what the directory calls it. Edited by curators at /manage/synonyms."""

    __tablename__ = "search_synonym"

    term: Mapped[str] = mapped_column(String(80), primary_key=True)
    expansions: Mapped[str] = mapped_column(Text, nullable=False)  # comma-separated
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                 onupdate=utcnow)


class SearchChange(Base):
    """The change feed the embedded (Whoosh) index follows: one row per service whose text changed.

    Written by database triggers (SQLite) in the same transaction as the change, so a rolled-back
    write never appears here; consumed rows are deleted once the index has committed them.
    """

    __tablename__ = "search_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(36), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
