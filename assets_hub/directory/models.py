"""The directory in the Open Referral HSDS 3.0 shape.

Deviations from HSDS, on purpose:
- taxonomy terms are attached to services/organisations/locations through ``attribute`` rows that
  carry real foreign keys (``service_id`` ...) instead of HSDS's untyped ``link_id``, so the database
  enforces integrity; the HSDS ``link_id``/``link_entity`` pair is derived on export;
- ``service_area`` adds ``area_type`` and ``area_code`` (an ONS code) so a named area (local
  authority, region, country) can be matched against the gazetteer without a polygon.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer,
                        Numeric, String, Text, UniqueConstraint, false, text as sql_text, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets_hub.db import Base, utcnow
from assets_hub.ids import UUID_LEN, id_column

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
AREA_TYPES = ("local_authority", "region", "country", "geojson", "text")


def fk(target: str, nullable: bool = True, ondelete: str = "CASCADE"):
    return mapped_column(String(UUID_LEN), ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


class Stamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                 onupdate=utcnow)


class Organization(Stamped, Base):
    __tablename__ = "organization"
    __table_args__ = (Index("ix_organization_name", "name", "id"),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    legal_status: Mapped[str | None] = mapped_column(String(120))
    parent_organization_id: Mapped[str | None] = fk("organization.id", ondelete="SET NULL")
    last_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    services: Mapped[list["Service"]] = relationship(back_populates="organization", order_by="Service.name")
    locations: Mapped[list["Location"]] = relationship(back_populates="organization")
    phones: Mapped[list["Phone"]] = relationship(foreign_keys="Phone.organization_id")


class Service(Stamped, Base):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("status IN ('active','inactive','defunct','temporarily closed')", name="status_known"),
        CheckConstraint("minimum_age IS NULL OR (minimum_age >= 0 AND minimum_age <= 130)", name="minimum_age_range"),
        CheckConstraint("maximum_age IS NULL OR (maximum_age >= 0 AND maximum_age <= 130)", name="maximum_age_range"),
        CheckConstraint("minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age",
                        name="age_order"),
        # Lists page in name order without a sort; only visible services (see migration 0003).
        Index("ix_service_visible_name", "name", "id",
              postgresql_where=sql_text("status IN ('active', 'temporarily closed')"),
              sqlite_where=sql_text("status IN ('active', 'temporarily closed')")),
    )

    id: Mapped[str] = id_column()
    organization_id: Mapped[str] = fk("organization.id", nullable=False, ondelete="RESTRICT")
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    alert: Mapped[str | None] = mapped_column(Text)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How people get to it and how it is delivered (search filters; not in HSDS, exported as attributes).
    self_referral: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    professional_referral: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                        server_default=false())
    delivered_in_person: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    delivered_online: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    delivered_by_phone: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # Set when a listing misses its review deadline after the last reminder: sorted last in search.
    deprioritised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when a curator merged this listing into another: its page redirects there.
    merged_into_id: Mapped[str | None] = mapped_column(String(UUID_LEN), ForeignKey("service.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship(back_populates="services")
    service_at_locations: Mapped[list["ServiceAtLocation"]] = relationship(
        back_populates="service", cascade="all, delete-orphan")
    service_areas: Mapped[list["ServiceArea"]] = relationship(back_populates="service",
                                                               cascade="all, delete-orphan",
                                                               order_by="ServiceArea.name")
    phones: Mapped[list["Phone"]] = relationship(foreign_keys="Phone.service_id", cascade="all, delete-orphan")
    contacts: Mapped[list["Contact"]] = relationship(foreign_keys="Contact.service_id",
                                                     cascade="all, delete-orphan")
    schedules: Mapped[list["Schedule"]] = relationship(foreign_keys="Schedule.service_id",
                                                       cascade="all, delete-orphan")
    cost_options: Mapped[list["CostOption"]] = relationship(cascade="all, delete-orphan")
    languages: Mapped[list["Language"]] = relationship(foreign_keys="Language.service_id",
                                                       cascade="all, delete-orphan")
    attributes: Mapped[list["Attribute"]] = relationship(foreign_keys="Attribute.service_id",
                                                         cascade="all, delete-orphan")

    @property
    def taxonomy_terms(self) -> list["TaxonomyTerm"]:
        return [a.taxonomy_term for a in self.attributes]

    @property
    def summary(self) -> str:
        return summary_of(self.description)


class ServiceTally(Base):
    """Numbers whose sum is how many services are visible (active or temporarily closed), kept by
    triggers in the listing's own transaction (migration 0025): the API's total_items without
    counting every row. Only the triggers write here."""

    __tablename__ = "service_tally"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False)


def summary_of(description: str | None) -> str:
    """The first sentence of a description (at most 240 characters), for lists of services."""
    text = (description or "").strip()
    cut = text.find(". ")
    first = text[: cut + 1] if 0 < cut < 240 else text[:240]
    return first + ("…" if len(first) < len(text) and not first.endswith(".") else "")


class Location(Stamped, Base):
    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("location_type IN ('physical','postal','virtual')", name="type_known"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="latlon_together"),
    )

    id: Mapped[str] = id_column()
    location_type: Mapped[str] = mapped_column(String(10), nullable=False, default="physical")
    organization_id: Mapped[str | None] = fk("organization.id", ondelete="SET NULL")
    name: Mapped[str | None] = mapped_column(String(255))
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(String(120))
    external_identifier_type: Mapped[str | None] = mapped_column(String(60))
    # PostGIS also has ``geom geography(Point, 4326)``, generated from latitude/longitude with a
    # GiST index, and SQLite an R*Tree kept by triggers: both are made by the migration and used
    # only by assets_hub.geo, so the ORM does not map them (the columns differ per database).

    organization: Mapped[Organization | None] = relationship(back_populates="locations")
    addresses: Mapped[list["Address"]] = relationship(back_populates="location", cascade="all, delete-orphan")
    accessibility: Mapped[list["Accessibility"]] = relationship(cascade="all, delete-orphan")
    phones: Mapped[list["Phone"]] = relationship(foreign_keys="Phone.location_id")
    schedules: Mapped[list["Schedule"]] = relationship(foreign_keys="Schedule.location_id")

    @property
    def postal_code(self) -> str | None:
        return self.addresses[0].postal_code if self.addresses else None


class Address(Base):
    __tablename__ = "address"
    __table_args__ = (CheckConstraint("address_type IN ('physical','postal','virtual')", name="type_known"),)

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = fk("location.id", nullable=False)
    attention: Mapped[str | None] = mapped_column(String(255))
    address_1: Mapped[str] = mapped_column(String(255), nullable=False)
    address_2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(120), nullable=False)
    region: Mapped[str | None] = mapped_column(String(120))
    state_province: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    postal_code: Mapped[str] = mapped_column(String(10), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="GB")
    address_type: Mapped[str] = mapped_column(String(10), nullable=False, default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")

    def lines(self) -> list[str]:
        return [p for p in (self.address_1, self.address_2, self.city, self.state_province, self.postal_code) if p]


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    __table_args__ = (UniqueConstraint("service_id", "location_id", name="uq_service_at_location_pair"),)

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = fk("service.id", nullable=False)
    location_id: Mapped[str] = fk("location.id", nullable=False)
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship()
    schedules: Mapped[list["Schedule"]] = relationship(foreign_keys="Schedule.service_at_location_id",
                                                       cascade="all, delete-orphan")


class Phone(Base):
    __tablename__ = "phone"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id")
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    service_at_location_id: Mapped[str | None] = fk("service_at_location.id")
    contact_id: Mapped[str | None] = fk("contact.id")
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = fk("organization.id")
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    service_at_location_id: Mapped[str | None] = fk("service_at_location.id")
    name: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))


class Schedule(Base):
    """An iCal-style recurrence (HSDS 3.0): weekly or monthly, by day, opens/closes at."""

    __tablename__ = "schedule"
    __table_args__ = (
        CheckConstraint("freq IS NULL OR freq IN ('WEEKLY','MONTHLY')", name="freq_known"),
        CheckConstraint("interval IS NULL OR interval >= 1", name="interval_positive"),
        CheckConstraint("service_id IS NOT NULL OR location_id IS NOT NULL OR service_at_location_id IS NOT NULL",
                        name="attached"),
    )

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    service_at_location_id: Mapped[str | None] = fk("service_at_location.id")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    dtstart: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    freq: Mapped[str | None] = mapped_column(String(10))
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(60))
    bymonthday: Mapped[str | None] = mapped_column(String(60))
    opens_at: Mapped[str | None] = mapped_column(String(8))
    closes_at: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    attending_type: Mapped[str | None] = mapped_column(Text)


class ServiceArea(Base):
    __tablename__ = "service_area"
    __table_args__ = (
        CheckConstraint("area_type IN ('local_authority','region','country','geojson','text')", name="type_known"),
        CheckConstraint("area_type NOT IN ('local_authority','region','country') OR area_code IS NOT NULL",
                        name="named_area_has_code"),
        CheckConstraint("area_type <> 'geojson' OR extent IS NOT NULL", name="geojson_has_extent"),
    )

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = fk("service.id", nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    area_type: Mapped[str] = mapped_column(String(20), nullable=False)
    area_code: Mapped[str | None] = mapped_column(String(9), index=True)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(20))
    uri: Mapped[str | None] = mapped_column(String(500))

    service: Mapped[Service] = relationship(back_populates="service_areas")


class Taxonomy(Base):
    __tablename__ = "taxonomy"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(40))


class TaxonomyTerm(Base):
    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("taxonomy_id", "code", name="uq_taxonomy_term_code"),)

    id: Mapped[str] = id_column()
    taxonomy_id: Mapped[str] = fk("taxonomy.id", nullable=False, ondelete="RESTRICT")
    parent_id: Mapped[str | None] = fk("taxonomy_term.id", ondelete="RESTRICT")
    code: Mapped[str] = mapped_column(String(120), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    term_uri: Mapped[str | None] = mapped_column(String(500))

    parent: Mapped["TaxonomyTerm | None"] = relationship(remote_side="TaxonomyTerm.id", back_populates="children")
    children: Mapped[list["TaxonomyTerm"]] = relationship(back_populates="parent", order_by="TaxonomyTerm.name")
    taxonomy: Mapped[Taxonomy] = relationship()


class Attribute(Base):
    """A taxonomy term attached to a service, organisation or location (HSDS ``attribute``)."""

    __tablename__ = "attribute"
    __table_args__ = (
        CheckConstraint("(CASE WHEN service_id IS NULL THEN 0 ELSE 1 END) + "
                        "(CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) + "
                        "(CASE WHEN location_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_link"),
        UniqueConstraint("service_id", "taxonomy_term_id", name="uq_attribute_service_term"),
    )

    id: Mapped[str] = id_column()
    taxonomy_term_id: Mapped[str] = fk("taxonomy_term.id", nullable=False, ondelete="RESTRICT")
    service_id: Mapped[str | None] = fk("service.id")
    organization_id: Mapped[str | None] = fk("organization.id")
    location_id: Mapped[str | None] = fk("location.id")
    value: Mapped[str | None] = mapped_column(Text)

    taxonomy_term: Mapped[TaxonomyTerm] = relationship()


class CostOption(Base):
    __tablename__ = "cost_option"
    __table_args__ = (CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),)

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = fk("service.id", nullable=False)
    option: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_description: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Language(Base):
    __tablename__ = "language"

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = fk("service.id")
    location_id: Mapped[str | None] = fk("location.id")
    phone_id: Mapped[str | None] = fk("phone.id")
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class Accessibility(Base):
    __tablename__ = "accessibility"

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = fk("location.id", nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
