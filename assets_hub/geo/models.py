"""The gazetteer: postcode units, sectors and districts, and local authorities."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
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


class PopulatedPlace(Base):
    """A GB city, town, suburb, village or hamlet (OS Open Names), so that people can type
    "Leith" or "Aber-miwl" where a postcode is asked for."""

    __tablename__ = "place"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # the OS Open Names id
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    name_lang: Mapped[str | None] = mapped_column(String(3))
    name_alt: Mapped[str | None] = mapped_column(String(120))  # the other-language name (Welsh, Gaelic)
    name_alt_lang: Mapped[str | None] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # City, Town, Suburban Area, ...
    size_rank: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 city ... 6 other: the largest first
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    extent_m: Mapped[int] = mapped_column(Integer, nullable=False)
    postcode_district: Mapped[str | None] = mapped_column(String(4))
    area: Mapped[str | None] = mapped_column(String(120))  # what a person reads after the name
    areas_key: Mapped[str] = mapped_column(String(400), nullable=False)  # every area it lies in, as keys
    lad_code: Mapped[str | None] = mapped_column(String(9))
    region_code: Mapped[str | None] = mapped_column(String(9))
    country_code: Mapped[str | None] = mapped_column(String(9))


class PlaceName(Base):
    """Each of a place's names as it is looked up: lower case, no accents or punctuation,
    "Saint" read as "St" (see ``geo.places.place_key``)."""

    __tablename__ = "place_name"
    __table_args__ = (  # suggestions as people type: a prefix of the key (LIKE 'hea%' on PostgreSQL too)
        Index("ix_place_name_prefix", "key", postgresql_ops={"key": "varchar_pattern_ops"}),
    )

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    place_id: Mapped[str] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)  # as written, for the label
