"""Filters and facets as SQL expressions, shared by both engines."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, and_, case, cast, exists, func, literal, or_, select

from assets_hub.db import db
from assets_hub.directory.models import (Accessibility, Address, Attribute, CostOption, Language, Schedule,
                                         Service, ServiceAtLocation, TaxonomyTerm)
from assets_hub.directory.schedules import BANK_HOLIDAYS, SCOTTISH_AREAS, bank_holiday
from assets_hub.directory.services import VISIBLE_STATUSES, descendant_ids, get_category
from assets_hub.errors import Invalid, NotFound
from search.query import ACCESSIBILITY, DAYS, DELIVERY, SearchQuery

LONDON = ZoneInfo("Europe/London")


def now_day_time(now: datetime | None = None) -> tuple[str, str]:
    now = (now or datetime.now(LONDON)).astimezone(LONDON)
    return DAYS[now.weekday()], now.strftime("%H:%M")


def _meets_this_week(today):
    """For schedules that repeat every N weeks from dtstart (a mobile library every 4 weeks):
    true when today's week is one of them. Weekly schedules, and ones without a start, always are."""
    if db.is_postgres:
        days = literal(today, Date) - Schedule.dtstart
    else:
        days = cast(func.julianday(literal(today.isoformat())) - func.julianday(Schedule.dtstart), Integer)
    weeks = cast(days / 7, Integer) if db.is_postgres else days / 7
    return or_(Schedule.interval.is_(None), Schedule.interval <= 1, Schedule.dtstart.is_(None),
               and_(days >= 0, weeks % Schedule.interval == 0))


def _is_closure():
    """A schedule row that says when a listing is closed (see ``directory.schedules``)."""
    return and_(Schedule.freq.is_(None), Schedule.opens_at.is_(None), Schedule.closes_at.is_(None),
                func.lower(Schedule.description).like("closed%"))


# Postcodes of Scotland as LIKE patterns (its two-letter areas, and Glasgow's G followed by a
# digit); Northern Ireland's are BT; the rest share England and Wales's bank holidays.
SCOTTISH_PATTERNS = ([f"{area}%" for area in sorted(SCOTTISH_AREAS) if len(area) == 2]
                     + [f"G{digit}%" for digit in range(10)])


def bank_holiday_nations(today) -> set[str]:
    """The nations ("ENG" for England and Wales, "SCT", "NIR") where ``today`` is a bank holiday."""
    return {n for n in ("ENG", "SCT", "NIR") if bank_holiday(today, n)}


def _nation_is(nations: set[str]):
    """An Address is in one of these nations, read from its postcode's area as
    ``schedules.nation_of`` does."""
    code = func.upper(Address.postal_code)
    scottish = or_(*[code.like(p) for p in SCOTTISH_PATTERNS])
    by_nation = {"NIR": code.like("BT%"), "SCT": scottish, "ENG": and_(~code.like("BT%"), ~scottish)}
    return or_(*[by_nation[n] for n in nations])


def closed_today(today):
    """Services closed all of ``today``: a dated closure covering it, or "closed on bank holidays"
    on a day that is a bank holiday where the service is (by its address; England and Wales's
    for a service without one)."""
    s = Service
    dated = and_(_is_closure(), Schedule.valid_from <= today,
                 func.coalesce(Schedule.valid_to, Schedule.valid_from) >= today)
    out = [exists().where(Schedule.service_id == s.id, dated),
           exists().where(Schedule.service_at_location_id == ServiceAtLocation.id,
                          ServiceAtLocation.service_id == s.id, dated)]
    nations = bank_holiday_nations(today)
    if nations:
        rule = and_(_is_closure(), Schedule.valid_from.is_(None),
                    func.lower(Schedule.description) == BANK_HOLIDAYS.lower())
        located = exists().where(ServiceAtLocation.service_id == s.id,
                                 Address.location_id == ServiceAtLocation.location_id)
        here = exists().where(ServiceAtLocation.service_id == s.id,
                              Address.location_id == ServiceAtLocation.location_id, _nation_is(nations))
        where = or_(here, ~located) if "ENG" in nations else here
        out.append(and_(exists().where(Schedule.service_id == s.id, rule), where))
    return or_(*out)


def month_patterns(today) -> tuple[list[str], list[str]]:
    """LIKE patterns (on a comma-wrapped list) for monthly rules that meet ``today``: its place in
    the month as BYDAY tokens ("2TU", "+2TU", "-1TU" in the last week, "TU" for every Tuesday) and
    as BYMONTHDAY ("15", and "-17" counted from the month's end). Both engines use these."""
    day = DAYS[today.weekday()]
    following = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    days_in_month = (following - date(today.year, today.month, 1)).days
    nth, from_end = (today.day - 1) // 7 + 1, (days_in_month - today.day) // 7 + 1
    tokens = [day, f"{nth}{day}", f"+{nth}{day}", f"-{from_end}{day}"]
    return ([f"%,{t},%" for t in tokens],
            [f"%,{today.day},%", f"%,+{today.day},%", f"%,-{days_in_month - today.day + 1},%"])


def category_term_ids(code: str | None) -> list[str] | None:
    if not code:
        return None
    try:
        term = get_category(code)
    except NotFound:
        raise Invalid("Choose a category from the list.", {"category": ["Unknown category."]})
    return descendant_ids(term.id)


def conditions(q: SearchQuery, term_ids: list[str] | None, now: datetime | None = None) -> list:
    """SQL conditions on Service for everything but words and place."""
    s = Service
    out = [s.status.in_(VISIBLE_STATUSES)]
    if term_ids is not None:
        out.append(exists().where(Attribute.service_id == s.id, Attribute.taxonomy_term_id.in_(term_ids)))
    if q.age is not None:
        out.append(or_(s.minimum_age.is_(None), s.minimum_age <= q.age))
        out.append(or_(s.maximum_age.is_(None), s.maximum_age >= q.age))
    if q.free:
        out.append(exists().where(CostOption.service_id == s.id, CostOption.amount == 0))
    if q.open_now or q.open_day:
        day, at = now_day_time(now) if q.open_now else (q.open_day, q.open_time)
        weekly = [Schedule.freq == "WEEKLY", Schedule.byday.like(f"%{day}%")]
        monthly = [Schedule.freq == "MONTHLY", Schedule.byday.like(f"%{day}%")]  # (some weeks: a day, no date)
        if q.open_now:
            today = (now or datetime.now(LONDON)).astimezone(LONDON).date()
            weekly.append(_meets_this_week(today))
            tokens, month_days = month_patterns(today)
            listed = lambda column: literal(",") + func.replace(func.coalesce(column, ""), " ", "") + literal(",")  # noqa: E731
            monthly = [Schedule.freq == "MONTHLY",
                       or_(or_(*[listed(Schedule.byday).like(t) for t in tokens]),
                           and_(Schedule.bymonthday.is_not(None), or_(*[listed(Schedule.bymonthday).like(d)
                                                                        for d in month_days]),
                                or_(Schedule.byday.is_(None), Schedule.byday.like(f"%{day}%"))))]
            out.append(~closed_today(today))  # closures and bank holidays (a day without a date has none)
        when = [or_(and_(*weekly), and_(*monthly))]
        if at:
            when += [Schedule.opens_at <= at, Schedule.closes_at > at]
        # Two EXISTS, each correlated to the outer service (a subquery nested inside one EXISTS would
        # not be, and would match any service's schedule).
        out.append(or_(exists().where(Schedule.service_id == s.id, *when),
                       exists().where(Schedule.service_at_location_id == ServiceAtLocation.id,
                                      ServiceAtLocation.service_id == s.id, *when)))
    for feature in q.accessibility:
        out.append(exists().where(ServiceAtLocation.service_id == s.id,
                                  Accessibility.location_id == ServiceAtLocation.location_id,
                                  Accessibility.details == feature))
    if q.languages:
        out.append(exists().where(Language.service_id == s.id, Language.code.in_(q.languages)))
    if q.access:
        out.append(or_(*[s.self_referral if a == "self" else s.professional_referral for a in q.access]))
    if q.delivery:
        columns = {"in_person": s.delivered_in_person, "online": s.delivered_online, "phone": s.delivered_by_phone}
        out.append(or_(*[columns[d] for d in q.delivery]))
    return out


def empty_facets() -> dict:
    return {"total": 0, "categories": [], "free": 0, "access": {}, "delivery": {}, "languages": {},
            "accessibility": {}}


def facet_counts(ids, selected_category: str | None) -> dict:
    """Counts over the matched services (``ids``: a selectable of service ids)."""
    session = db.session
    sid = ids.c[0]
    total = session.scalar(select(func.count()).select_from(ids))
    facets: dict = {"total": total}
    if not total:
        return empty_facets()
    # Categories: the roots, or the children of the chosen category.
    parent = None
    if selected_category:
        parent = session.scalar(select(TaxonomyTerm.id).where(TaxonomyTerm.code == selected_category))
    key = TaxonomyTerm.id if parent else func.coalesce(TaxonomyTerm.parent_id, TaxonomyTerm.id)
    stmt = (select(key.label("term_id"), func.count(func.distinct(Attribute.service_id)))
            .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            .where(Attribute.service_id.in_(select(sid))))
    if parent:
        stmt = stmt.where(or_(TaxonomyTerm.parent_id == parent))
    counts = dict(session.execute(stmt.group_by(key)).all())
    terms = {t.id: t for t in session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.id.in_(list(counts))))}
    facets["categories"] = sorted(({"code": terms[i].code, "name": terms[i].name, "count": n}
                                   for i, n in counts.items() if i in terms), key=lambda f: (-f["count"], f["name"]))
    s = Service
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    row = session.execute(select(
        one(exists().where(CostOption.service_id == s.id, CostOption.amount == 0)),
        one(s.self_referral), one(s.professional_referral),
        one(s.delivered_in_person), one(s.delivered_online), one(s.delivered_by_phone),
    ).where(s.id.in_(select(sid)))).one()
    facets["free"] = int(row[0] or 0)
    facets["access"] = {"self": int(row[1] or 0), "professional": int(row[2] or 0)}
    facets["delivery"] = dict(zip(DELIVERY, (int(v or 0) for v in row[3:6])))
    facets["languages"] = dict(session.execute(
        select(Language.code, func.count(func.distinct(Language.service_id)))
        .where(Language.service_id.in_(select(sid)), Language.code.is_not(None)).group_by(Language.code)).all())
    facets["accessibility"] = dict(session.execute(
        select(Accessibility.details, func.count(func.distinct(ServiceAtLocation.service_id)))
        .join(ServiceAtLocation, ServiceAtLocation.location_id == Accessibility.location_id)
        .where(ServiceAtLocation.service_id.in_(select(sid)), Accessibility.details.in_(list(ACCESSIBILITY)))
        .group_by(Accessibility.details)).all())
    return facets


