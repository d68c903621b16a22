"""Turning records into what a person reads: opening times, distances, dates."""
from __future__ import annotations

from datetime import date, datetime

from assets_hub.directory.vocab import DAY_NAMES, WEEKDAYS as DAY_ORDER


def opening_times(schedules) -> list[tuple[str, str]]:
    """Weekly schedules -> [("Monday", "10:00 to 13:00, 14:00 to 17:00"), ...] in weekday order.

    Schedules that repeat less often than weekly are described in words instead.
    """
    by_day: dict[str, list[str]] = {}
    other: list[str] = []
    for s in schedules:
        days = [d.strip() for d in (s.byday or "").split(",") if d.strip() in DAY_NAMES]
        span = time_span(s)
        if s.freq == "WEEKLY" and (s.interval or 1) == 1 and days:
            for d in days:
                by_day.setdefault(d, []).append(span)
        else:
            other.append(describe_schedule(s))
    rows = [(DAY_NAMES[d], ", ".join(sorted(set(by_day[d])))) for d in DAY_ORDER if d in by_day]
    rows.extend(("", text) for text in other)
    return rows


def time_span(s) -> str:
    """"10:00 to 13:00", "open all day", or the schedule's own words."""
    if s.opens_at and s.closes_at:
        if s.opens_at == "00:00" and s.closes_at in ("23:59", "24:00"):
            return "open all day"
        return f"{s.opens_at} to {s.closes_at}"
    return s.description or "times vary"


def describe_schedule(s) -> str:
    days = [DAY_NAMES[d.strip()] for d in (s.byday or "").split(",") if d.strip() in DAY_NAMES]
    every = "Every week" if (s.interval or 1) == 1 else f"Every {s.interval} weeks"
    if s.freq == "MONTHLY":
        every = "Every month" if (s.interval or 1) == 1 else f"Every {s.interval} months"
    text = f"{every} on {', '.join(days) or 'days that vary'}, {time_span(s)}"
    if s.dtstart:
        text += f", from {long_date(s.dtstart)}"
    return text


def long_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day} {value.strftime('%B %Y')}"
    return str(value)


def distance(metres) -> str:
    if metres is None:
        return ""
    km = metres / 1000
    miles = metres / 1609.344
    if km < 1:
        return f"{int(round(metres, -1))} m ({miles:.1f} miles)"
    return f"{km:.1f} km ({miles:.1f} miles)"


def tel_href(number: str) -> str:
    return "tel:" + "".join(ch for ch in number if ch.isdigit() or ch == "+")


FIELD_LABELS = {"url": "Website", "area_geojson": "Drawn area", "organization_id": "Organisation",
                "minimum_age": "Youngest age", "maximum_age": "Oldest age", "address_1": "Address",
                "resolution": "What you did", "taxonomy_id": "Category", "radius_km": "Distance",
                "what": "What", "where": "Where", "email": "Email address"}


def field_label(name: str) -> str:
    """A form or API field's name as people read it (error pages name the field, not the column)."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = name.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def web_address(url: str | None) -> str | None:
    """The address if it is one a link may point to (http or https), else None: a stored
    javascript: address is never rendered as a link, whatever put it there."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url
    return None


def show_value(value) -> str:
    """A form value for people: lists joined, an empty value "(cleared)"."""
    if value in (None, "", [], "off", False):
        return "(cleared)"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "yes" if value in (True, "on") else str(value)


FILTERS = {"show_value": show_value, "web_address": web_address, "long_date": long_date, "distance": distance, "tel_href": tel_href, "field_label": field_label}
