"""The directory's listings: reading them for the public pages, and building or changing the
rows of one from validated data.

The builders here check no permission and write no history: every change to a listing goes through
``curation.listings``, which checks who may make it, calls these, and records the version. Nothing
here commits: the request (or CLI command) does.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assets_hub.db import db, utcnow
from assets_hub.directory import schedules
from assets_hub.directory.areas import validate_geojson_area
from assets_hub.directory.models import (Accessibility, Address, Attribute, CostOption, Language, Location,
                                         Organization, Phone, Schedule, Service, ServiceArea, ServiceAtLocation,
                                         Taxonomy, TaxonomyTerm)
from assets_hub.directory.records import full_service_options
from assets_hub.directory.vocab import ACCESSIBILITY, LANGUAGES
from assets_hub.errors import Invalid, NotFound
from assets_hub.geo.models import LocalAuthority
from assets_hub.geo.postcodes import lookup_postcode, parse_postcode
from assets_hub.ids import is_uuid

VISIBLE_STATUSES = ("active", "temporarily closed")
NATIONAL_AREAS = {"K02000001": "United Kingdom", "K03000001": "Great Britain"}
NATIONAL_NAMES = {"uk": "K02000001", "united kingdom": "K02000001", "great britain": "K03000001",
                  "gb": "K03000001", "national": "K03000001"}

SERVICE_FIELDS = ("name", "description", "status", "url", "email", "application_process", "fees_description",
                  "eligibility_description", "minimum_age", "maximum_age", "self_referral", "professional_referral",
                  "delivered_in_person", "delivered_online", "delivered_by_phone")


# ------------------------------------------------------------------ organisations

def new_organization(data: dict) -> Organization:
    """Add an organisation (and its phone) from validated data."""
    org = Organization(name=data["name"], description=data.get("description") or "", email=data.get("email"),
                       website=data.get("website"), legal_status=data.get("legal_status"),
                       last_reviewed_at=utcnow())
    session = db.session
    session.add(org)
    session.flush()
    if data.get("phone"):
        session.add(Phone(organization_id=org.id, number=data["phone"]))
        session.flush()
    return org


def change_organization(org: Organization, data: dict) -> None:
    """Change the organisation's fields present in ``data`` (validated), and its first phone."""
    for f in ("name", "description", "email", "website", "legal_status"):
        if f in data:
            setattr(org, f, data[f] if f != "description" else (data[f] or ""))
    if "phone" in data and [p.number for p in org.phones][:1] != ([data["phone"]] if data["phone"] else []):
        for phone in list(org.phones):
            db.session.delete(phone)
        if data["phone"]:
            db.session.add(Phone(organization_id=org.id, number=data["phone"]))
    db.session.flush()
    db.session.refresh(org)


def change_location(location: Location, state: dict) -> None:
    """Set a place's own details from ``state`` (text, as its change log keeps them: name, the
    first address's lines and postcode, map position, accessibility codes comma-separated)."""
    location.name = state.get("name")
    lat, lon = state.get("latitude"), state.get("longitude")
    location.latitude = float(lat) if lat not in (None, "") else None
    location.longitude = float(lon) if lon not in (None, "") else None
    lines = {f: state.get(f) or None for f in ("address_1", "address_2", "city", "postal_code")}
    if any(lines.values()):
        address = location.addresses[0] if location.addresses else Address(location_id=location.id, country="GB")
        address.address_1, address.city = lines["address_1"] or "", lines["city"] or ""  # (both required)
        address.address_2, address.postal_code = lines["address_2"], lines["postal_code"]
        if not location.addresses:
            location.addresses.append(address)
    elif location.addresses:  # it had no address then
        location.addresses.remove(location.addresses[0])
    wanted = [code for code in (state.get("accessibility") or "").split(", ") if code]
    if sorted(a.details for a in location.accessibility) != sorted(wanted):
        for item in list(location.accessibility):
            location.accessibility.remove(item)
        for code in dict.fromkeys(wanted):
            location.accessibility.append(Accessibility(details=code, description=ACCESSIBILITY.get(code, code)))
    db.session.flush()


def get_location(location_id: str) -> Location:
    """A place with the services held there. Raises NotFound."""
    location = db.session.get(Location, location_id) if is_uuid(location_id or "") else None
    if location is None:
        raise NotFound("There is no place at that address.")
    return location


def services_at_location(location_id: str) -> list[tuple[str, str]]:
    """(name, id) of the listings held at a place, by name."""
    return [tuple(row) for row in db.session.execute(
        select(Service.name, Service.id).join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .where(ServiceAtLocation.location_id == location_id).order_by(Service.name))]


def get_organization(org_id: str) -> Organization:
    """An organisation with its services. Raises NotFound."""
    if not is_uuid(org_id):
        raise NotFound("There is no organisation at that address.")
    org = db.session.get(Organization, org_id, options=[selectinload(Organization.services),
                                                        selectinload(Organization.phones)])
    if org is None:
        raise NotFound("There is no organisation at that address.")
    return org


def list_organizations() -> list[Organization]:
    return db.session.scalars(select(Organization).order_by(Organization.name)).all()


# ------------------------------------------------------------------ services

def new_service(data: dict) -> Service:
    """Add a service with its location, categories and areas from validated data.
    Raises Invalid (naming the field: unknown organisation, postcode, category or area)."""
    session = db.session
    org = session.get(Organization, data["organization_id"])
    if org is None:
        raise Invalid("Choose an organisation that exists.", {"organization_id": ["Unknown organisation."]})
    service = Service(organization_id=org.id, last_reviewed_at=utcnow(),
                      **{f: data.get(f) for f in SERVICE_FIELDS if f in data})
    service.description = data.get("description") or ""
    session.add(service)
    session.flush()
    _apply_related(service, data)
    session.flush()
    return service


def change_service(service: Service, data: dict) -> None:
    """Change the fields present in ``data`` (validated) on ``service``. Raises Invalid."""
    session = db.session
    if "organization_id" in data and data["organization_id"] != service.organization_id:
        if session.get(Organization, data["organization_id"]) is None:
            raise Invalid("Choose an organisation that exists.", {"organization_id": ["Unknown organisation."]})
        service.organization_id = data["organization_id"]
    for f in SERVICE_FIELDS:
        if f in data:
            setattr(service, f, data[f] if f != "description" else (data[f] or ""))
    _apply_related(service, data)
    service.updated_at = utcnow()
    session.flush()


def _apply_related(service: Service, data: dict) -> None:
    """Replace the parts ``data`` mentions, and only those that really change: rows are not
    re-created for an unchanged value, so the listing's history shows only real changes."""
    session = db.session
    if "phone" in data and [p.number for p in service.phones] != ([data["phone"]] if data["phone"] else []):
        for phone in list(service.phones):
            service.phones.remove(phone)
        if data["phone"]:
            service.phones.append(Phone(number=data["phone"]))
    if "is_free" in data and data["is_free"] is not None:
        free_now = any(c.amount == 0 for c in service.cost_options)
        if bool(data["is_free"]) != free_now or (data["is_free"] and len(service.cost_options) != 1):
            for cost in list(service.cost_options):
                service.cost_options.remove(cost)
            if data["is_free"]:
                service.cost_options.append(CostOption(option="Free", amount=Decimal("0"), currency="GBP"))
    if "categories" in data and data["categories"] is not None:
        wanted = {str(c) for c in data["categories"]}
        terms = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.id.in_(wanted))).all()
        if len(terms) != len(wanted):
            raise Invalid("One of the categories does not exist.", {"categories": ["Unknown category."]})
        if wanted != {a.taxonomy_term_id for a in service.attributes}:
            for attr in list(service.attributes):
                service.attributes.remove(attr)
            session.flush()
            for term in terms:
                service.attributes.append(Attribute(taxonomy_term_id=term.id))
    if "areas" in data:
        areas = resolve_areas(data["areas"] or "")
        named = [a for a in service.service_areas if a.area_type != "geojson"]
        key = lambda a: (a.area_type, a.area_code, a.name)  # noqa: E731
        if sorted(map(key, areas)) != sorted(map(key, named)):
            for area in named:
                service.service_areas.remove(area)
            session.flush()
            for area in areas:
                service.service_areas.append(area)
    if "area_geojson" in data:
        extent = validate_geojson_area(data["area_geojson"]) if data["area_geojson"] else None
        drawn = [a for a in service.service_areas if a.area_type == "geojson"]
        name = data.get("area_name") or "An area drawn on a map"
        if [(a.extent, a.name) for a in drawn] != ([(extent, name)] if extent else []):
            for area in drawn:
                service.service_areas.remove(area)
            session.flush()
            if extent:
                service.service_areas.append(ServiceArea(area_type="geojson", extent=extent, extent_type="geojson",
                                                         name=name))
    if "languages" in data and data["languages"] is not None:
        codes = list(dict.fromkeys(data["languages"]))
        if sorted(codes) != sorted(lang.code for lang in service.languages):
            for language in list(service.languages):
                service.languages.remove(language)
            for code in codes:
                service.languages.append(Language(code=code, name=LANGUAGES[code]))
    if any(data.get(f) is not None for f in ("postcode", "latitude")):
        _set_location(service, data)
    if "accessibility" in data and data["accessibility"] is not None:
        _set_accessibility(service, data["accessibility"])
    if data.get("schedules") is not None:
        _set_schedules(service, data["schedules"])


def _set_schedules(service: Service, rows: list[dict]) -> None:
    """Replace the listing's opening times (its own and those at each of its locations) with
    ``rows`` (values from ``schedules.as_value``), if they differ."""
    owners = {"service": service.schedules, **{sal.id: sal.schedules for sal in service.service_at_locations}}
    for i, row in enumerate(rows):
        if row.get("where", "service") not in owners:
            raise Invalid("Opening times can be given for the service or one of its locations.",
                          {f"schedules.{i}.where": ["Not one of this service's locations."]})
    wanted = sorted((schedules.as_value(row.get("where", "service"), row) for row in rows), key=repr)
    if wanted == sorted(schedules.values_of(service), key=repr):
        return
    for owned in owners.values():
        for s in list(owned):
            owned.remove(s)
    db.session.flush()
    for row in wanted:
        cleaned = schedules.check(row)
        owners[row["where"]].append(Schedule(**cleaned))


def _set_accessibility(service: Service, features: list[str]) -> None:
    """Accessibility belongs to a place: set it on the service's location(s)."""
    session = db.session
    session.flush()
    locations = [sal.location or session.get(Location, sal.location_id) for sal in service.service_at_locations]
    if not locations:
        if features:
            message = "Accessibility describes a building: give the service's address first."
            raise Invalid(message, {"accessibility": [message]})
        return
    for location in locations:
        if sorted(a.details for a in location.accessibility) == sorted(dict.fromkeys(features)):
            continue
        for item in list(location.accessibility):
            location.accessibility.remove(item)
        for feature in dict.fromkeys(features):
            location.accessibility.append(Accessibility(details=feature, description=ACCESSIBILITY[feature]))


def _set_location(service: Service, data: dict) -> None:
    """Place the service's one physical location from its postcode (or coordinates)."""
    lat, lon = data.get("latitude"), data.get("longitude")
    postcode = data.get("postcode")
    canonical = None
    if postcode:
        parsed = parse_postcode(postcode)
        if parsed is None or parsed.kind != "unit":
            raise Invalid("Enter a full postcode, like SK1 3XE.", {"postcode": ["Enter a full postcode, like SK1 3XE."]})
        canonical = parsed.code
        if lat is None:
            row = lookup_postcode(postcode)
            if row is None or row.latitude is None:
                # (the form has no coordinates: the advice is what a person at the form can do)
                message = (f"We could not find {parsed.code} in the postcode list. Check it for typing "
                           "mistakes; a postcode issued in the last few months may not be listed yet.")
                raise Invalid(message, {"postcode": [message]})
            lat, lon = row.latitude, row.longitude
    session = db.session
    sal = service.service_at_locations[0] if service.service_at_locations else None
    if sal is None:
        location = Location(location_type="physical", organization_id=service.organization_id)
        session.add(location)
        session.flush()
        sal = ServiceAtLocation(service_id=service.id, location_id=location.id)
        service.service_at_locations.append(sal)
    location = sal.location or session.get(Location, sal.location_id)
    location.latitude, location.longitude = lat, lon
    if data.get("location_name") is not None:
        location.name = data["location_name"]
    if data.get("address_1") and canonical:
        address = location.addresses[0] if location.addresses else Address(location_id=location.id)
        address.address_1, address.address_2 = data["address_1"], data.get("address_2")
        address.city, address.postal_code, address.country = data["city"], canonical, "GB"
        if not location.addresses:
            location.addresses.append(address)


def resolve_areas(text: str) -> list[ServiceArea]:
    """'Stockport, North West, Scotland' or ONS codes -> ServiceArea rows. Raises Invalid (field 'areas')."""
    session = db.session
    out: list[ServiceArea] = []
    seen: set[str] = set()
    for raw in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        key = raw.lower()
        area = None
        national = NATIONAL_NAMES.get(key) or (raw.upper() if raw.upper() in NATIONAL_AREAS else None)
        if national:
            area = ServiceArea(name=NATIONAL_AREAS[national], area_type="country", area_code=national)
        else:
            la = session.scalar(select(LocalAuthority).where(
                (func.lower(LocalAuthority.name) == key) | (LocalAuthority.lad_code == raw.upper())))
            if la is not None:
                area = ServiceArea(name=la.name, area_type="local_authority", area_code=la.lad_code)
            else:
                region = session.execute(select(LocalAuthority.region_code, LocalAuthority.region_name).where(
                    (func.lower(LocalAuthority.region_name) == key) | (LocalAuthority.region_code == raw.upper())
                ).limit(1)).first()
                if region is not None and region[0]:
                    area = ServiceArea(name=region[1], area_type="region", area_code=region[0])
                else:
                    country = session.execute(select(LocalAuthority.country_code, LocalAuthority.country_name).where(
                        (func.lower(LocalAuthority.country_name) == key) |
                        (LocalAuthority.country_code == raw.upper())).limit(1)).first()
                    if country is not None:
                        area = ServiceArea(name=country[1], area_type="country", area_code=country[0])
        if area is None:
            message = f"“{raw}” is not a council, region or country we know."
            raise Invalid(message, {"areas": [message]})
        if area.area_code not in seen:
            seen.add(area.area_code)
            out.append(area)
    return out


def get_service(service_id: str, *, visible_only: bool = False, full_record: bool = False,
                not_found: str = "There is no service at that address.") -> Service:
    """A service with everything its page shows (``full_record``: everything its HSDS record
    shows). ``visible_only``: only a listing the public may see (active or temporarily closed),
    as the Open Referral API gives them; otherwise any, as curators and its own page see it.
    Raises NotFound with ``not_found``."""
    if not is_uuid(service_id):
        raise NotFound(not_found)
    options = full_service_options() if full_record else [
        selectinload(Service.organization),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.addresses),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.schedules),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.accessibility),
        selectinload(Service.service_areas), selectinload(Service.phones), selectinload(Service.contacts),
        selectinload(Service.schedules), selectinload(Service.cost_options), selectinload(Service.languages),
        selectinload(Service.attributes).selectinload(Attribute.taxonomy_term),
    ]
    stmt = select(Service).where(Service.id == service_id).options(*options)
    if visible_only:
        stmt = stmt.where(Service.status.in_(VISIBLE_STATUSES))
    service = db.session.scalar(stmt)
    if service is None:
        raise NotFound(not_found)
    return service


# ------------------------------------------------------------------ categories

OUR_TAXONOMY = "Assets Hub categories"


@dataclass
class CategoryNode:
    term: TaxonomyTerm
    children: list["CategoryNode"]
    count: int = 0


def category_tree() -> list[CategoryNode]:
    """Our curated category tree, with how many visible services sit in each branch."""
    session = db.session
    terms = session.scalars(select(TaxonomyTerm).join(Taxonomy).where(Taxonomy.name == OUR_TAXONOMY)
                            .order_by(TaxonomyTerm.name)).all()
    visible = (select(Attribute.service_id, TaxonomyTerm.id.label("term_id"), TaxonomyTerm.parent_id)
               .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
               .join(Service, Service.id == Attribute.service_id)
               .where(Service.status.in_(VISIBLE_STATUSES)).subquery())
    direct = dict(session.execute(select(visible.c.term_id, func.count(func.distinct(visible.c.service_id)))
                                  .group_by(visible.c.term_id)).all())
    # A branch counts each service once, even when it sits in two of the branch's categories.
    root_key = func.coalesce(visible.c.parent_id, visible.c.term_id)
    by_root = dict(session.execute(select(root_key, func.count(func.distinct(visible.c.service_id)))
                                   .group_by(root_key)).all())
    nodes = {t.id: CategoryNode(t, []) for t in terms}
    roots = []
    for t in terms:
        node = nodes[t.id]
        node.count = direct.get(t.id, 0)
        if t.parent_id and t.parent_id in nodes:
            nodes[t.parent_id].children.append(node)
        else:
            node.count = by_root.get(t.id, 0)
            roots.append(node)
    return roots


def get_category(code: str) -> TaxonomyTerm:
    """A term of our taxonomy by its code. Raises NotFound."""
    term = db.session.scalar(select(TaxonomyTerm).join(Taxonomy).where(
        Taxonomy.name == OUR_TAXONOMY, TaxonomyTerm.code == code))
    if term is None:
        raise NotFound("There is no category at that address.")
    return term


def descendant_ids(term_id: str) -> list[str]:
    """The term and every term below it."""
    session = db.session
    ids, frontier = [term_id], [term_id]
    while frontier:
        frontier = session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.parent_id.in_(frontier))).all()
        ids.extend(frontier)
    return ids


def category_services(term: TaxonomyTerm, page: int = 1, per_page: int = 20) -> tuple[list[Service], int]:
    """Visible services in a category or below it, A-Z, one page; and the total."""
    ids = descendant_ids(term.id)
    session = db.session
    base = (select(Service.id).join(Attribute, Attribute.service_id == Service.id)
            .where(Attribute.taxonomy_term_id.in_(ids), Service.status.in_(VISIBLE_STATUSES)).distinct())
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.scalars(select(Service).where(Service.id.in_(base)).options(selectinload(Service.organization))
                           .order_by(Service.name, Service.id).offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def category_choices() -> list:
    """(code, name, parent_id) of every term of our taxonomy, in code order: the search form's
    category list (one light query, no objects: it is on every search page)."""
    return db.session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.parent_id).join(Taxonomy)
                              .where(Taxonomy.name == OUR_TAXONOMY).order_by(TaxonomyTerm.code)).all()


def all_categories() -> list[TaxonomyTerm]:
    """Every term of our taxonomy with its parent loaded (the forms show "Parent: Child")."""
    return db.session.scalars(select(TaxonomyTerm).join(Taxonomy).where(Taxonomy.name == OUR_TAXONOMY)
                              .options(selectinload(TaxonomyTerm.parent)).order_by(TaxonomyTerm.code)).all()
