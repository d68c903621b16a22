"""What a person decides on, for each result on a page: where (the nearest address, or "online or
by phone"), a phone number, open today or when next, free or what it costs, how to get in.

Read for one page of results at a time, in five queries whatever the page size."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from assets_hub.db import db, great_circle_m
from assets_hub.directory.models import Address, CostOption, Location, Phone, Schedule, Service, ServiceAtLocation
from assets_hub.directory.presenters import time_span
from assets_hub.directory.schedules import closed_on, meets, nation_of
from assets_hub.directory.vocab import DAY_NAMES, WEEKDAYS
from search.filters import LONDON


@dataclass
class Details:
    where: str | None = None  # "12 Shaw Road, Stockport SK4 4AA" or "Online or by phone"
    phone: str | None = None
    opening: str | None = None  # "Open today, 09:30 to 16:30" or "Next open Wednesday, 10:00 to 11:30"
    cost: str | None = None  # "Free", or what it costs
    access: str | None = None  # "Refer yourself, or be referred" ...


def details_for(service_ids: list[str], place=None, now: datetime | None = None) -> dict[str, Details]:
    if not service_ids:
        return {}
    today = (now or datetime.now(LONDON)).astimezone(LONDON)
    session = db.session
    out = {sid: Details() for sid in service_ids}
    services = session.execute(select(Service.id, Service.self_referral, Service.professional_referral,
                                      Service.delivered_in_person, Service.delivered_online,
                                      Service.delivered_by_phone).where(Service.id.in_(service_ids))).all()
    for s in services:
        out[s.id].access = _access(s.self_referral, s.professional_referral)
    # the nearest address (to the place searched from, else the first)
    places = session.execute(
        select(ServiceAtLocation.service_id, ServiceAtLocation.id, Location.id, Location.latitude, Location.longitude,
               Address.address_1, Address.city, Address.postal_code)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(Address, (Address.location_id == Location.id) & (Address.address_type == "physical"))
        .where(ServiceAtLocation.service_id.in_(service_ids))
        .order_by(ServiceAtLocation.service_id, Location.id)).all()
    best: dict[str, tuple[float, str]] = {}
    for sid, _sal, _loc, lat, lon, line, city, postcode in places:
        if not line:
            continue
        far = (great_circle_m(place.latitude, place.longitude, lat, lon)
               if place is not None and lat is not None else 0.0)
        text = ", ".join(p for p in (line, " ".join(x for x in (city, postcode) if x)) if p)
        if sid not in best or far < best[sid][0]:
            best[sid] = (far, text)
    for s in services:
        if s.id in best:
            out[s.id].where = best[s.id][1]
        elif s.delivered_online or s.delivered_by_phone:
            out[s.id].where = " or ".join(w for w, on in (("Online", s.delivered_online),
                                                          ("by phone", s.delivered_by_phone)) if on).capitalize()
    # a phone: the service's own, else one at its locations
    sal_ids = [r[1] for r in places]
    loc_ids = [r[2] for r in places]
    sal_of = {r[1]: r[0] for r in places}
    loc_of: dict[str, list[str]] = {}
    for r in places:
        loc_of.setdefault(r[2], []).append(r[0])
    phones = session.execute(select(Phone.service_id, Phone.service_at_location_id, Phone.location_id, Phone.number)
                             .where(or_(Phone.service_id.in_(service_ids), Phone.service_at_location_id.in_(sal_ids),
                                        Phone.location_id.in_(loc_ids)))
                             .order_by(Phone.service_id.is_(None), Phone.id)).all()
    for service_id, sal_id, loc_id, number in phones:
        owners = [service_id] if service_id else [sal_of[sal_id]] if sal_id else loc_of.get(loc_id, [])
        for sid in owners:
            if sid in out and out[sid].phone is None:
                out[sid].phone = number
    # cost
    costs: dict[str, list] = {}
    for sid, option, amount, description in session.execute(
            select(CostOption.service_id, CostOption.option, CostOption.amount, CostOption.amount_description)
            .where(CostOption.service_id.in_(service_ids)).order_by(CostOption.service_id, CostOption.id)):
        costs.setdefault(sid, []).append((option, amount, description))
    for sid, options in costs.items():
        out[sid].cost = _cost(options)
    # opening: the service's schedules and those at its locations
    schedules: dict[str, list[Schedule]] = {}
    for schedule in session.scalars(select(Schedule).where(or_(Schedule.service_id.in_(service_ids),
                                                               Schedule.service_at_location_id.in_(sal_ids)))):
        sid = schedule.service_id or sal_of.get(schedule.service_at_location_id)
        if sid in out:
            schedules.setdefault(sid, []).append(schedule)
    nations = {r[0]: nation_of(r[7]) for r in places if r[7]}
    for sid, rows in schedules.items():
        out[sid].opening = opening(rows, today.date(), nations.get(sid, "ENG"))
    return out


def _access(self_referral: bool, professional: bool) -> str | None:
    if self_referral and professional:
        return "Refer yourself, or be referred"
    if self_referral:
        return "Refer yourself"
    if professional:
        return "Needs a referral from a professional"
    return None


def _cost(options) -> str | None:
    if any(amount is not None and amount == 0 for _, amount, _ in options):
        return "Free" if all(a is None or a == 0 for _, a, _ in options) else "Free, or costs for some"
    for option, amount, description in options:
        if amount is not None:
            text = f"£{amount:,.2f}".replace(".00", "")
            return f"{text} {option}" if option else text
        if description or option:
            return description or option
    return None


def _spans(rows: list[Schedule]) -> str:
    return ", ".join(sorted({time_span(s) for s in rows}))


def opening(rows: list[Schedule], today: date, nation: str = "ENG") -> str | None:
    """"Open today, 09:30 to 16:30", or "Next open Wednesday, 10:00 to 11:30" (within four weeks,
    so a mobile library every four weeks says when it next comes), or None. Closures (dates, and
    bank holidays in the listing's nation) are skipped over."""
    for ahead in range(0, 29):
        day = today + timedelta(days=ahead)
        if closed_on(rows, day, nation):
            continue
        meeting = [s for s in rows if meets(s, day)]
        if meeting:
            spans = _spans(meeting)
            if ahead == 0:
                return "Open all day today" if spans == "open all day" else f"Open today, {spans}"
            name = "tomorrow" if ahead == 1 else DAY_NAMES[WEEKDAYS[day.weekday()]]
            if ahead >= 7:
                name += f" {day.day} {day.strftime('%B')}"
            return f"Next open {name}, {spans}"
    return None
