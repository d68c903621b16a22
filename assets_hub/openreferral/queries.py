"""What the Open Referral API reads: only published, visible listings.

Listings waiting for a curator live in the curation queue, not in these tables, so nothing here can
leak a pending change; inactive and defunct services are left out as they are from search.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

import search
from assets_hub.db import db, one_of
from assets_hub.directory import records
from assets_hub.directory.areas import areas_covering
from assets_hub.directory.models import (Attribute, Organization, Service, ServiceArea, ServiceAtLocation,
                                         ServiceTally, Taxonomy, TaxonomyTerm)
from assets_hub.directory.records import location_options
from assets_hub.directory.services import VISIBLE_STATUSES, descendant_ids
from assets_hub.errors import NotFound
from assets_hub.geo import nearby, within_postgis
from assets_hub.ids import is_uuid


# The search document PostgreSQL keeps per service (migration 0012): words are matched there.
@dataclass
class ServiceFilter:
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None


def service_conditions(f: ServiceFilter) -> list:
    out = [Service.status.in_(VISIBLE_STATUSES)]
    if f.organization_id:
        out.append(Service.organization_id == f.organization_id)
    if f.modified_after:
        out.append(Service.updated_at >= f.modified_after)
    if f.taxonomy_term_id:
        terms = descendant_ids(f.taxonomy_term_id)
        out.append(exists().where(Attribute.service_id == Service.id, Attribute.taxonomy_term_id.in_(terms)))
    if f.taxonomy_id:
        out.append(exists().where(Attribute.service_id == Service.id,
                                  Attribute.taxonomy_term_id == TaxonomyTerm.id,
                                  TaxonomyTerm.taxonomy_id == f.taxonomy_id))
    if f.search and f.search.strip():
        out.append(Service.id.in_(search.ids_matching_words(f.search)))
    return out


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    def envelope(self, contents: list) -> dict:
        pages = math.ceil(self.total / self.per_page) if self.total else 0
        return {"total_items": self.total, "total_pages": pages, "page_number": self.page, "size": len(contents),
                "first_page": self.page == 1, "last_page": self.page >= pages, "empty": not contents,
                "contents": contents}


def _page(stmt, count_stmt, page: int, per_page: int) -> Page:
    total = db.session.scalar(count_stmt)
    items = [] if (page - 1) * per_page >= total else \
        list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def services_page(f: ServiceFilter, page: int, per_page: int, full: bool) -> Page:
    """One page in name order. The page's ids come first from the (name, id) index alone, so a deep
    page skips index entries rather than table rows; a page past the middle is read from the end
    (the index backwards), so no page skips more than half of them. Then only those services are
    read, without the ORM (records.load_services)."""
    where = service_conditions(f)
    if f == ServiceFilter():  # every visible service: the tally the triggers keep, not count(*)
        total = int(db.session.scalar(select(func.coalesce(func.sum(ServiceTally.n), 0))))
    else:
        total = db.session.scalar(select(func.count()).select_from(Service).where(*where))
    start = (page - 1) * per_page
    if start >= total:
        return Page([], total, page, per_page)
    ids = select(Service.id).where(*where)
    if start + per_page / 2 <= total / 2:
        ids = list(db.session.scalars(ids.order_by(Service.name, Service.id).limit(per_page).offset(start)))
    else:
        end = min(start + per_page, total)
        ids = list(db.session.scalars(ids.order_by(Service.name.desc(), Service.id.desc())
                                      .limit(end - start).offset(total - end)))[::-1]
    return Page(records.load_services(ids, full), total, page, per_page)


def stream_services(f: ServiceFilter, full: bool, batch: int = 500) -> Iterator[records.Node]:
    """Every matching service, in id order, read a batch at a time by key (not OFFSET), without
    the ORM. Nothing holds on to a batch once it is written, so memory stays flat however many
    there are."""
    where = service_conditions(f)
    last = ""
    session = db.session
    while True:
        ids = list(session.scalars(select(Service.id).where(*where, Service.id > last)
                                   .order_by(Service.id).limit(batch)))
        yield from records.load_services(ids, full)
        if len(ids) < batch:
            return
        last = ids[-1]


def get_service_record(service_id: str) -> records.Node:
    """One visible service with everything its HSDS record nests."""
    _require_id(service_id, "service")
    found = [s for s in records.load_services([service_id]) if s.status in VISIBLE_STATUSES]
    if not found:
        raise NotFound(f"There is no service with the id “{service_id[:60]}”.")
    records.nest(found)
    return found[0]


def _require_id(value: str, what: str) -> None:
    if not is_uuid(value):
        raise NotFound(f"There is no {what} with the id “{value[:60]}”: ids are UUIDs.")


def organizations_page(search: str | None, page: int, per_page: int) -> Page:
    where = []
    if search and search.strip():
        like = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(func.lower(Organization.name).like(like, escape="\\"))
    stmt = select(Organization).where(*where).order_by(Organization.name, Organization.id)
    return _page(stmt, select(func.count()).select_from(Organization).where(*where), page, per_page)


def get_organization(org_id: str) -> Organization:
    _require_id(org_id, "organization")
    org = db.session.get(Organization, org_id, options=[
        selectinload(Organization.phones), *location_options(selectinload(Organization.locations))])
    if org is None:
        raise NotFound(f"There is no organization with the id “{org_id}”.")
    return org


def organization_services(org_ids: list[str], full: bool) -> dict[str, list[records.Node]]:
    out: dict[str, list[records.Node]] = {oid: [] for oid in org_ids}
    if not org_ids:
        return out
    rows = db.session.execute(select(Service.id, Service.organization_id)
                              .where(one_of(Service.organization_id, org_ids), Service.status.in_(VISIBLE_STATUSES))
                              .order_by(Service.name, Service.id)).all()
    loaded = {s.id: s for s in records.load_services([r.id for r in rows], full)}
    for r in rows:
        out[r.organization_id].append(loaded[r.id])
    return out


def taxonomies_page(search: str | None, page: int, per_page: int) -> Page:
    where = [func.lower(Taxonomy.name).contains(search.strip().lower(), autoescape=True)] if search else []
    stmt = select(Taxonomy).where(*where).order_by(Taxonomy.name, Taxonomy.id)
    return _page(stmt, select(func.count()).select_from(Taxonomy).where(*where), page, per_page)


def get_taxonomy(taxonomy_id: str) -> Taxonomy:
    _require_id(taxonomy_id, "taxonomy")
    found = db.session.get(Taxonomy, taxonomy_id)
    if found is None:
        raise NotFound(f"There is no taxonomy with the id “{taxonomy_id}”.")
    return found


def terms_page(search: str | None, taxonomy_id: str | None, top_only: bool, parent_id: str | None,
               page: int, per_page: int) -> Page:
    where = []
    if search:
        where.append(func.lower(TaxonomyTerm.name).contains(search.strip().lower(), autoescape=True))
    if taxonomy_id:
        where.append(TaxonomyTerm.taxonomy_id == taxonomy_id)
    if top_only:
        where.append(TaxonomyTerm.parent_id.is_(None))
    if parent_id:
        where.append(TaxonomyTerm.parent_id == parent_id)
    stmt = (select(TaxonomyTerm).where(*where).order_by(TaxonomyTerm.code, TaxonomyTerm.id)
            .options(selectinload(TaxonomyTerm.taxonomy)))
    return _page(stmt, select(func.count()).select_from(TaxonomyTerm).where(*where), page, per_page)


def get_term(term_id: str) -> TaxonomyTerm:
    _require_id(term_id, "taxonomy term")
    found = db.session.get(TaxonomyTerm, term_id, options=[selectinload(TaxonomyTerm.taxonomy)])
    if found is None:
        raise NotFound(f"There is no taxonomy term with the id “{term_id}”.")
    return found


def get_service_at_location(sal_id: str) -> records.Node:
    _require_id(sal_id, "service_at_location")
    found = records.load_service_at_locations([sal_id], full=True)
    if not found or found[0].service.status not in VISIBLE_STATUSES:
        raise NotFound(f"There is no service_at_location with the id “{sal_id}”.")
    return found[0]


def service_at_locations_page(f: ServiceFilter, page: int, per_page: int, full: bool,
                              near: tuple | None = None) -> tuple[Page, dict[str, float]]:
    """A page of service_at_location records; with ``near`` = (place, metres), only those whose
    location is that close and whose service, if it names service areas, covers the place; nearest
    first, with their distances."""
    where = service_conditions(f)
    if near is None:
        ids = _page(select(ServiceAtLocation.id).join(Service, Service.id == ServiceAtLocation.service_id)
                    .where(*where).order_by(Service.name, ServiceAtLocation.id),
                    select(func.count()).select_from(ServiceAtLocation).join(Service).where(*where), page, per_page)
        return Page(records.load_service_at_locations(ids.items, full), ids.total, page, per_page), {}
    keep, distance = _nearest(where, *near)
    chosen = keep[(page - 1) * per_page: page * per_page]
    items = records.load_service_at_locations([sid for _, sid in chosen], full)
    return Page(items, len(keep), page, per_page), {sal.id: distance[sal.location_id] for sal in items}


def stream_service_at_locations(f: ServiceFilter, full: bool, near: tuple | None = None,
                                batch: int = 500) -> Iterator[tuple[records.Node, float | None]]:
    """Every matching service_at_location with its distance (None without ``near``), read a batch
    at a time: in id order, or nearest first when near a place. Memory stays flat."""
    where = service_conditions(f)
    if near is not None:
        keep, distance = _nearest(where, *near)
        for i in range(0, len(keep), batch):
            for sal in records.load_service_at_locations([sid for _, sid in keep[i:i + batch]], full):
                yield sal, distance[sal.location_id]
        return
    last = ""
    while True:
        ids = list(db.session.scalars(select(ServiceAtLocation.id)
                                      .join(Service, Service.id == ServiceAtLocation.service_id)
                                      .where(*where, ServiceAtLocation.id > last)
                                      .order_by(ServiceAtLocation.id).limit(batch)))
        for sal in records.load_service_at_locations(ids, full):
            yield sal, None
        if len(ids) < batch:
            return
        last = ids[-1]


def _nearest(where: list, place, metres) -> tuple[list[tuple[float, str]], dict[str, float]]:
    """[(distance, service_at_location id)] nearest first, and {location id: distance}: the
    service_at_locations within ``metres`` of the place whose service covers it (if it names areas)."""
    names_areas = exists().where(ServiceArea.service_id == Service.id, ServiceArea.area_type != "text")
    stmt = (select(ServiceAtLocation.id, ServiceAtLocation.location_id, ServiceAtLocation.service_id,
                   names_areas.label("names_areas"))
            .join(Service, Service.id == ServiceAtLocation.service_id).where(*where))
    if db.is_postgres:  # the places near and what is there, in one statement
        within = within_postgis(place.latitude, place.longitude, metres)
        rows = db.session.execute(stmt.add_columns(within.c.distance_m)
                                  .join(within, within.c.id == ServiceAtLocation.location_id)).all()
        distance = {r.location_id: r.distance_m for r in rows}
    else:
        distance = {n.location_id: n.distance_m for n in nearby(place.latitude, place.longitude, metres)}
        rows = db.session.execute(stmt.where(one_of(ServiceAtLocation.location_id, distance))).all() \
            if distance else []
    if not rows:
        return [], {}
    # which of the candidates that name areas cover the place (not every service that does)
    covering = set(areas_covering(place, among=sorted({r.service_id for r in rows if r.names_areas})))
    keep = sorted((distance[r.location_id], r.id) for r in rows if not r.names_areas or r.service_id in covering)
    return keep, distance
