"""Turning records into what a person reads: opening times, distances, dates."""
from __future__ import annotations

from datetime import date, datetime

from assets_hub.directory.schedules import (BANK_HOLIDAYS, DAY_RE, FIELDS, closure_reason, is_bank_holiday_rule,
                                            is_closure)
from assets_hub.directory.vocab import DAY_NAMES, WEEKDAYS as DAY_ORDER


def opening_times(schedules) -> list[tuple[str, str]]:
    """Weekly schedules -> [("Monday", "10:00 to 13:00, 14:00 to 17:00"), ...] in weekday order.

    Schedules that repeat less often than weekly are described in words instead.
    """
    by_day: dict[str, list[str]] = {}
    other: list[str] = []
    for s in schedules:
        if is_closure(s):
            continue
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


ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}


def day_words(token: str) -> str:
    """"TU" -> "Tuesday"; "2TU" -> "the second Tuesday"; "-1FR" -> "the last Friday"."""
    found = DAY_RE.match(token.strip().upper())
    if not found:
        return token
    if not found.group(1):
        return DAY_NAMES[found.group(2)]
    return f"the {ORDINALS.get(int(found.group(1)), found.group(1))} {DAY_NAMES[found.group(2)]}"


def describe_schedule(s) -> str:
    days = [day_words(d) for d in (s.byday or "").split(",") if d.strip()]
    every = "Every week" if (s.interval or 1) == 1 else f"Every {s.interval} weeks"
    if s.freq == "MONTHLY":
        every = "Every month" if (s.interval or 1) == 1 else f"Every {s.interval} months"
        if s.bymonthday and not days:
            days = [f"day {d.strip()}" for d in s.bymonthday.split(",")]
    text = f"{every} on {', '.join(days) or 'days that vary'}, {time_span(s)}"
    if s.dtstart:
        text += f", from {long_date(s.dtstart)}"
    if s.valid_to or s.until:
        text += f", until {long_date(s.valid_to or s.until)}"
    return text


def closures(schedules, today: date | None = None) -> list[str]:
    """The closures still to come or under way, in date order: "Closed from 24 December 2026 to
    2 January 2027: Christmas", "Closed on bank holidays"."""
    today = today or date.today()
    rows = []
    for s in schedules:
        if not is_closure(s):
            continue
        reason = closure_reason(s)
        if is_bank_holiday_rule(s):
            rows.append((date.min, BANK_HOLIDAYS))
            continue
        if s.valid_from is None or (s.valid_to or s.valid_from) < today:
            continue
        last = s.valid_to or s.valid_from
        when = (f"Closed on {long_date(s.valid_from)}" if last == s.valid_from
                else f"Closed from {long_date(s.valid_from)} to {long_date(last)}")
        rows.append((s.valid_from, when + (f": {reason}" if reason else "")))
    return [text for _, text in sorted(rows)]


class Shown:
    """A schedule value (``schedules.as_value``) read like a stored row, for the words above."""

    def __init__(self, value: dict):
        for key in FIELDS:
            raw = value.get(key)
            if key in ("dtstart", "until", "valid_from", "valid_to") and raw:
                raw = date.fromisoformat(raw)
            setattr(self, key, raw)


def schedule_in_words(value: dict) -> str:
    """A schedule value as the listing's page says it: "Every 2 weeks on Tuesday, 10:00 to 12:00,
    from 6 January 2026", "Closed: Christmas (24 December 2026 to 2 January 2027)"."""
    shown = Shown(value)
    if is_closure(shown):
        if not shown.valid_from:
            return value.get("description", "Closed")
        last = shown.valid_to or shown.valid_from
        span = long_date(shown.valid_from) + (f" to {long_date(last)}" if last != shown.valid_from else "")
        return f"{value.get('description', 'Closed')} ({span})"
    return describe_schedule(shown) + (f". {value['notes']}" if value.get("notes") else "")


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
                "what": "What", "where": "Where", "email": "Email address", "schedules": "Opening times"}


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


def show_value(value, empty: str = "(cleared)") -> str:
    """A form value for people: lists joined, an empty value ``empty``, opening times in words."""
    if value in (None, "", [], "off", False):
        return empty
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) and "where" in v for v in value):
        return "; ".join(schedule_in_words(v) for v in value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "yes" if value in (True, "on") else str(value)


FILTERS = {"show_value": show_value, "web_address": web_address, "long_date": long_date, "distance": distance, "tel_href": tel_href, "field_label": field_label}
