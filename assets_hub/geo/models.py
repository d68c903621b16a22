"""The gazetteer: postcode units, sectors and districts, and local authorities."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from assets_hub.db import Base


class Postcode(Base):
    """One row per full postcode ("SK1 3XE"), sector ("SK1 3") or district ("SK1")."""

    __tablename__ = "postcode"
    __table_args__ = (
        CheckConstraint("kind IN ('unit','sector','district')", name="kind_known"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
    )

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    lad_code: Mapped[str | None] = mapped_column(String(9))
    region_code: Mapped[str | None] = mapped_column(String(9))
    country_code: Mapped[str | None] = mapped_column(String(9))
    radius_km: Mapped[float | None] = mapped_column(Float)


class LocalAuthority(Base):
    __tablename__ = "local_authority"

    lad_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region_code: Mapped[str | None] = mapped_column(String(9))
    region_name: Mapped[str | None] = mapped_column(String(60))
    country_code: Mapped[str] = mapped_column(String(9), nullable=False)
    country_name: Mapped[str] = mapped_column(String(60), nullable=False)
