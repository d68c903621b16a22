"""Date ranges for reports, as every report page and API reads them: ``from`` and ``to``
(YYYY-MM-DD, both days included), by default the last twelve whole months."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from assets_hub.errors import Invalid


def parse_range(args) -> tuple[date | None, date | None]:
    """``from`` and ``to`` (YYYY-MM-DD) from a query string; blank: None (the default range).
    A bad one: Invalid naming it."""
    out = []
    for name in ("from", "to"):
        value = (args.get(name) or "").strip()
        try:
            out.append(date.fromisoformat(value) if value else None)
        except ValueError:
            raise Invalid("Dates like 2026-12-07.", {name: ["A date like 2026-12-07."]}) from None
    return out[0], out[1]


def settle_range(start: date | None, end: date | None) -> tuple[date, date]:
    """The range a report covers: the given days, or the last twelve whole months to today."""
    end = end or date.today()
    if start is None:
        year, month = (end.year, end.month - 11) if end.month == 12 else (end.year - 1, end.month + 1)
        start = date(year, month, 1)
    if start > end:
        raise Invalid("The start must be on or before the end.", {"from": ["On or before the end."]})
    return start, end


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The range as moments (UTC): from the start of ``start`` to the start of the day after ``end``."""
    return (datetime.combine(start, time(), timezone.utc),
            datetime.combine(end + timedelta(days=1), time(), timezone.utc))


def months_between(start: date, end: date) -> list[str]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
