"""Opening times: the checks every schedule passes (the HSDS importer and the opening-times form
use the same ones), closures and bank holidays, and whether a listing is open on a given day.

A schedule is an HSDS 3.0 ``schedule``: an iCal-style rule (weekly or monthly, every N, by day)
with opening and closing times. HSDS has no separate object for a closure, so a closure is a
schedule with dates and no rule or times whose description starts "Closed" ("Closed: Christmas",
from 24 December to 2 January); "Closed on bank holidays" is one with no dates. Such rows keep
their meaning when exported and imported anywhere else.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from assets_hub.directory.vocab import WEEKDAYS

CLOSED = "Closed"
BANK_HOLIDAYS = "Closed on bank holidays"
TIME_RE = re.compile(r"^(?:[01]\d|2[0-3]|24):[0-5]\d(?::[0-5]\d)?(?:Z|[+-]\d\d:?\d\d)?$")
DAY_RE = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
# The fields a schedule has, in the order the form and the history show them.
FIELDS = ("freq", "interval", "byday", "bymonthday", "opens_at", "closes_at", "dtstart", "until", "count",
          "valid_from", "valid_to", "description", "notes", "attending_type")
LENGTHS = {"byday": 60, "bymonthday": 60, "opens_at": 8, "closes_at": 8, "description": 10_000,
           "notes": 10_000, "attending_type": 10_000}


class ScheduleProblem(ValueError):
    """A schedule that cannot be stored: ``field`` names the schedule's field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _text(raw: dict, key: str):
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ScheduleProblem(key, "must be text")
    value = str(value).strip()
    if not value:
        return None
    if len(value) > LENGTHS.get(key, 10):
        raise ScheduleProblem(key, f"must be at most {LENGTHS.get(key, 10)} characters")
    return value


def _whole(raw: dict, key: str, lo: int, hi: int):
    value = raw.get(key)
    if value in (None, ""):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ScheduleProblem(key, "must be a number") from None
    if number != int(number):
        raise ScheduleProblem(key, "must be a whole number")
    if not lo <= number <= hi:
        raise ScheduleProblem(key, f"must be from {lo} to {hi:,}")
    return int(number)


def _date(raw: dict, key: str):
    value = raw.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ScheduleProblem(key, "must be a date like 2026-01-31") from None


LOOSE_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d\d))?(?::\d\d)?\s*([ap])\.?\s*m\.?$", re.I)


def clock_time(text: str, key: str = "opens_at") -> str:
    """A time as HSDS writes it: "09:30" stays; "9:30", "9am" and "4:00 PM" (as people and some
    exports write them) become "09:30", "09:00" and "16:00"; anything else is refused."""
    text = text.strip()
    if TIME_RE.match(text):
        return text
    if re.match(r"^\d:[0-5]\d$", text):
        return "0" + text
    found = LOOSE_TIME_RE.match(text)
    if found:
        hour, minute, half = int(found.group(1)), int(found.group(2) or 0), found.group(3).lower()
        if 1 <= hour <= 12 and minute < 60:
            hour = hour % 12 + (12 if half == "p" else 0)
            return f"{hour:02d}:{minute:02d}"
    raise ScheduleProblem(key, "must be a time like 09:30")


def check(raw: dict) -> dict:
    """A schedule's fields, checked and cleaned (dates as ``date``); raises ScheduleProblem."""
    out = {k: _text(raw, k) for k in ("byday", "bymonthday", "opens_at", "closes_at", "description", "notes",
                                      "attending_type")}
    freq = _text(raw, "freq")
    if freq is not None and freq.upper() not in ("WEEKLY", "MONTHLY"):
        raise ScheduleProblem("freq", "must be WEEKLY or MONTHLY")
    out["freq"] = freq.upper() if freq else None
    out["interval"] = _whole(raw, "interval", 1, 1000)
    out["count"] = _whole(raw, "count", 0, 10**6)
    for key in ("dtstart", "until", "valid_from", "valid_to"):
        out[key] = _date(raw, key)
    for key in ("opens_at", "closes_at"):
        if out[key] is not None:
            out[key] = clock_time(out[key], key)
    if out["byday"]:
        days = [d.strip().upper() for d in out["byday"].split(",") if d.strip()]
        for day in days:
            found = DAY_RE.match(day)
            if not found:
                raise ScheduleProblem("byday", f"“{day}” is not a day: use MO, TU, WE, TH, FR, SA or SU")
            if found.group(1) and out["freq"] != "MONTHLY":
                raise ScheduleProblem("byday", "a week of the month (like 2TU) needs freq MONTHLY")
        out["byday"] = ",".join(days)
    if out["bymonthday"]:
        for part in out["bymonthday"].split(","):
            try:
                n = int(part.strip())
            except ValueError:
                raise ScheduleProblem("bymonthday", f"“{part.strip()}” is not a day of the month") from None
            if n == 0 or not -31 <= n <= 31:
                raise ScheduleProblem("bymonthday", f"“{part.strip()}” is not a day of the month")
    if out["valid_from"] and out["valid_to"] and out["valid_to"] < out["valid_from"]:
        raise ScheduleProblem("valid_to", "must be on or after valid_from")
    if out["dtstart"] and out["until"] and out["until"] < out["dtstart"]:
        raise ScheduleProblem("until", "must be on or after dtstart")
    if out["freq"] and (out["interval"] or 1) > 1 and out["dtstart"] is None:
        raise ScheduleProblem("dtstart", "is needed with an interval above 1, to know which weeks or months")
    return out


# ------------------------------------------------------------------ closures

def is_closure(s) -> bool:
    """A row that says when the listing is closed rather than when it opens."""
    return (not s.freq and not s.opens_at and not s.closes_at
            and (s.description or "").strip().lower().startswith(CLOSED.lower()))


def is_bank_holiday_rule(s) -> bool:
    return is_closure(s) and (s.description or "").strip().lower() == BANK_HOLIDAYS.lower() and not s.valid_from


def closure_reason(s) -> str:
    """"Christmas" from "Closed: Christmas"; "" when the row gives none."""
    text = (s.description or "").strip()[len(CLOSED):]
    return text.lstrip(" :-–").strip()


def closure_row(first: date, last: date | None, reason: str = "") -> dict:
    reason = reason.strip()
    return {"valid_from": first, "valid_to": last or first,
            "description": f"{CLOSED}: {reason}" if reason else CLOSED}


# Postcode areas in Scotland and Northern Ireland, whose bank holidays differ from England and
# Wales's (TD is mostly Scottish; Berwick's TD15 is taken as Scottish too).
SCOTTISH_AREAS = {"AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD", "ZE"}


def nation_of(postcode: str | None) -> str:
    """"SCT", "NIR" or "ENG" (England and Wales share their bank holidays) from a postcode."""
    area = re.match(r"^[A-Za-z]{1,2}", (postcode or "").strip())
    letters = area.group(0).upper() if area else ""
    if letters == "BT":
        return "NIR"
    if letters in SCOTTISH_AREAS:
        return "SCT"
    return "ENG"


@lru_cache(maxsize=16)
def _bank_holidays(nation: str, year: int) -> dict[date, str]:
    """{day: name} of a nation's bank holidays in a year, once per process."""
    # (imported here: only listings "closed on bank holidays" need it, and it is slow to import)
    import holidays
    return dict(holidays.UK(subdiv=nation, years=year))


def bank_holiday(day: date, nation: str = "ENG") -> str | None:
    """The bank holiday's name on ``day`` in that nation, or None."""
    return _bank_holidays(nation, day.year).get(day)


def closed_on(rows, day: date, nation: str = "ENG") -> bool:
    """Whether a closure among ``rows`` covers ``day``."""
    for s in rows:
        if not is_closure(s):
            continue
        if is_bank_holiday_rule(s):
            if day in _bank_holidays(nation, day.year):
                return True
        elif s.valid_from and s.valid_from <= day <= (s.valid_to or s.valid_from):
            return True
    return False


def meets(s, day: date) -> bool:
    """Whether schedule ``s`` opens on ``day`` (weekly or monthly, every N, within its dates)."""
    if is_closure(s) or not s.freq:
        return False
    if (s.valid_from and day < s.valid_from) or (s.valid_to and day > s.valid_to) or (s.until and day > s.until):
        return False
    if s.dtstart and day < s.dtstart:
        return False
    code = WEEKDAYS[day.weekday()]
    tokens = [t.strip().upper() for t in (s.byday or "").split(",") if t.strip()]
    if s.freq == "WEEKLY":
        if code not in tokens:
            return False
        if (s.interval or 1) > 1 and s.dtstart:
            return ((day - s.dtstart).days // 7) % s.interval == 0
        return True
    # MONTHLY: by week of the month (2TU, -1FR), by plain weekday, or by day of the month
    if (s.interval or 1) > 1 and s.dtstart:
        months = (day.year - s.dtstart.year) * 12 + day.month - s.dtstart.month
        if months % s.interval:
            return False
    if s.bymonthday:
        days_in_month = _days_in_month(day)
        wanted = {int(p) if int(p) > 0 else days_in_month + int(p) + 1 for p in s.bymonthday.split(",") if p.strip()}
        if day.day not in wanted:
            return False
        return not tokens or code in [t[-2:] for t in tokens]
    for token in tokens:
        found = DAY_RE.match(token)
        if not found or found.group(2) != code:
            continue
        if not found.group(1):
            return True
        n = int(found.group(1))
        if n > 0 and (day.day - 1) // 7 + 1 == n:
            return True
        if n < 0 and (_days_in_month(day) - day.day) // 7 + 1 == -n:
            return True
    return False


def _days_in_month(day: date) -> int:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days


# ------------------------------------------------------------------ a listing's opening times as values

def as_value(where: str, raw: dict) -> dict:
    """A schedule as the forms, proposals and history compare it: checked, dates as ISO text,
    only the fields it has, in a fixed order, with ``where`` it applies: "service" (everywhere the
    service is) or the id of one of its service-at-locations."""
    cleaned = check(raw)
    out = {"where": where}
    for key in FIELDS:
        value = cleaned[key]
        if value is not None:
            out[key] = value.isoformat() if isinstance(value, date) else value
    return out


def values_of(service) -> list[dict]:
    """The opening times a listing's editors change: the service's own schedules and those of it at
    each of its locations (a building's own hours, on the location, belong to the building)."""
    out = [as_value("service", _columns(s)) for s in service.schedules]
    for sal in service.service_at_locations:
        out += [as_value(sal.id, _columns(s)) for s in sal.schedules]
    return sorted(out, key=_order)


def _columns(s) -> dict:
    return {k: getattr(s, k) for k in FIELDS}


def _order(value: dict):
    return (value["where"] != "service", value["where"], is_closure_value(value), value.get("valid_from", ""),
            value.get("byday", ""), value.get("opens_at", ""), repr(sorted(value.items())))


def is_closure_value(value: dict) -> bool:
    return (not value.get("freq") and not value.get("opens_at") and not value.get("closes_at")
            and (value.get("description") or "").strip().lower().startswith(CLOSED.lower()))
