"""The opening-times form: a listing's schedules as rows a person can edit (days, times, every
week or every N weeks or the Nth weekday of the month, from and to dates), its closures (dates
and a reason) and "closed on bank holidays", read back into HSDS schedules.

The form works without JavaScript: it always ends with empty rows to fill in. A schedule the form
cannot show as a row (an imported "day 15 of the month", a count) is listed in words with a box
to keep it, so saving the form never drops what it cannot edit. The checks are the importer's
(``assets_hub.directory.schedules.check``), with messages naming the row and the field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from assets_hub.directory import schedules
from assets_hub.directory.presenters import Shown as _Shown, schedule_in_words as in_words
from assets_hub.directory.vocab import DAY_NAMES, WEEKDAYS

EVERY = (("1", "Every week"), ("2", "Every 2 weeks"), ("3", "Every 3 weeks"), ("4", "Every 4 weeks"),
         ("m1", "The first of the month"), ("m2", "The second of the month"), ("m3", "The third of the month"),
         ("m4", "The fourth of the month"), ("m-1", "The last of the month"))
BLANK_ROWS, BLANK_CLOSURES = 2, 2
# A schedule's field -> the row's form field that sets it, for the importer's messages.
FORM_FIELD = {"byday": "days", "freq": "every", "interval": "every", "opens_at": "opens_at",
              "closes_at": "closes_at", "dtstart": "dtstart", "valid_from": "valid_from", "valid_to": "valid_to",
              "notes": "notes"}


@dataclass
class Form:
    """What the page shows: rows of sessions, closures, the bank-holiday box and kept schedules."""
    owners: list[tuple[str, str]]  # (where, label): "service" or a service-at-location id
    rows: list[dict] = field(default_factory=list)
    closures: list[dict] = field(default_factory=list)
    bank_holidays: bool = False
    kept: list[tuple[int, str, bool]] = field(default_factory=list)  # (index, in words, still kept)
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: list[dict] = field(default_factory=list)  # read from a posted form: the schedules to save


def owners_of(service, current: list[dict]) -> list[tuple[str, str]]:
    """Where a session can be: at each of the service's locations, or (with no location, or where
    a schedule says so already) wherever the service is."""
    out = [(sal.id, f"At {sal.location.name or 'its location'}") for sal in service.service_at_locations]
    if not out or any(v["where"] == "service" for v in current):
        out.insert(0, ("service", "Wherever the service is"))
    return out


def _as_row(value: dict) -> dict | None:
    """A schedule as a form row, or None if the form cannot show it."""
    if (value.get("freq") not in ("WEEKLY", "MONTHLY") or not value.get("opens_at") or not value.get("closes_at")
            or any(value.get(k) for k in ("bymonthday", "count", "until", "description", "attending_type"))):
        return None
    tokens = [t for t in value.get("byday", "").split(",") if t]
    found = [schedules.DAY_RE.match(t) for t in tokens]
    if not tokens or not all(found):
        return None
    ordinals = {m.group(1) for m in found}
    if value["freq"] == "WEEKLY":
        if ordinals != {None} or value.get("interval", 1) > 4:
            return None
        every = str(value.get("interval", 1))
    else:
        if len(ordinals) != 1 or None in ordinals or value.get("interval", 1) != 1:
            return None
        every = f"m{int(ordinals.pop())}"
        if every not in dict(EVERY):
            return None
    return {"where": value["where"], "days": [m.group(2) for m in found], "opens_at": value["opens_at"][:5],
            "closes_at": value["closes_at"][:5], "every": every, "dtstart": value.get("dtstart", ""),
            "valid_from": value.get("valid_from", ""), "valid_to": value.get("valid_to", ""),
            "notes": value.get("notes", "")}


def _bank_holiday_rule(value: dict) -> bool:
    return (value["where"] == "service" and schedules.is_closure_value(value) and not value.get("valid_from")
            and value.get("description", "").strip().lower() == schedules.BANK_HOLIDAYS.lower())


def _dated_closure(value: dict) -> bool:
    return value["where"] == "service" and schedules.is_closure_value(value) and bool(value.get("valid_from"))


def _editable(value: dict) -> bool:
    """Whether the form shows this schedule as a row, a closure or the bank-holiday box."""
    return _bank_holiday_rule(value) or _dated_closure(value) or _as_row(value) is not None


def form_of(service) -> Form:
    """The page for a listing as it is now."""
    current = schedules.values_of(service)
    form = Form(owners=owners_of(service, current))
    for i, value in enumerate(current):
        if _bank_holiday_rule(value):
            form.bank_holidays = True
            continue
        if _dated_closure(value):
            form.closures.append({"from": value["valid_from"], "to": value.get("valid_to", ""),
                                  "reason": schedules.closure_reason(_Shown(value))})
            continue
        row = _as_row(value)
        if row is None:
            form.kept.append((i, in_words(value), True))
        else:
            form.rows.append(row)
    return _with_blanks(form)


def _with_blanks(form: Form) -> Form:
    """Empty rows to type into, and a number for every row (a refused form's rows keep theirs, so
    the messages point at them)."""
    default = form.owners[-1][0] if form.owners else "service"
    form.rows += [{"where": default, "days": [], "every": "1"} for _ in range(BLANK_ROWS)]
    form.closures += [{} for _ in range(BLANK_CLOSURES)]
    for items in (form.rows, form.closures):
        taken = {item["number"] for item in items if "number" in item}
        fresh = (n for n in range(len(items) + len(taken) + 1) if n not in taken)
        for item in items:
            if "number" not in item:
                item["number"] = next(fresh)
    return form


def _numbered(form, prefix: str) -> list[int]:
    """The row numbers the posted form has (from the hidden marker each row carries)."""
    out = []
    for key in form:
        if key.startswith(prefix) and key.endswith("-shown"):
            try:
                out.append(int(key[len(prefix):-len("-shown")]))
            except ValueError:
                continue
    return sorted(out)


def read_form(posted, service) -> Form:
    """The posted page read back: ``values`` to save, or ``errors`` naming each field, with the
    rows as the person typed them so the page can show them again."""
    current = schedules.values_of(service)
    form = Form(owners=owners_of(service, current))
    wheres = {w for w, _ in form.owners}
    errors = form.errors
    kept_now = set(posted.getlist("keep"))
    for i, value in enumerate(current):
        if not _editable(value):
            form.kept.append((i, in_words(value), str(i) in kept_now))
            if str(i) in kept_now:
                form.values.append(value)
    for n, number in enumerate(_numbered(posted, "row-"), start=1):
        p = f"row-{number}-"
        row = {"where": posted.get(p + "where", ""), "days": posted.getlist(p + "days"),
               **{k: posted.get(p + k, "").strip() for k in ("opens_at", "closes_at", "every", "dtstart",
                                                               "valid_from", "valid_to", "notes")}}
        row["number"] = number
        if posted.get(p + "remove"):
            continue
        if not (row["days"] or row["opens_at"] or row["closes_at"] or row["dtstart"] or row["notes"]
                or row["valid_from"] or row["valid_to"]):
            continue  # an empty row
        form.rows.append(row)
        label = f"Opening times row {n}"
        if row["where"] not in wheres:
            errors[p + "where"] = [f"{label}: choose where."]
        if not row["days"] or any(d not in DAY_NAMES for d in row["days"]):
            errors[p + "days"] = [f"{label}: choose the days it opens."]
        for key, words in (("opens_at", "opens"), ("closes_at", "closes")):
            if not row[key]:
                errors[p + key] = [f"{label}: give the time it {words}, like 09:30."]
        if row["every"] not in dict(EVERY):
            errors[p + "every"] = [f"{label}: choose how often."]
        if any(k.startswith(p) for k in errors):
            continue
        monthly = row["every"].startswith("m")
        raw = {"freq": "MONTHLY" if monthly else "WEEKLY", "interval": 1 if monthly else int(row["every"]),
               "byday": ",".join((row["every"][1:] if monthly else "") + d
                                 for d in sorted(row["days"], key=WEEKDAYS.index)),
               "opens_at": row["opens_at"], "closes_at": row["closes_at"], "dtstart": row["dtstart"],
               "valid_from": row["valid_from"], "valid_to": row["valid_to"], "notes": row["notes"]}
        try:
            form.values.append(schedules.as_value(row["where"], raw))
        except schedules.ScheduleProblem as problem:
            name = FORM_FIELD.get(problem.field, "days")
            errors[p + name] = [f"{label}: {_explain(problem)}"]
    for n, number in enumerate(_numbered(posted, "closure-"), start=1):
        p = f"closure-{number}-"
        closure = {k: posted.get(p + k, "").strip() for k in ("from", "to", "reason")}
        if posted.get(p + "remove") or not any(closure.values()):
            continue
        closure["number"] = number
        form.closures.append(closure)
        label = f"Closure {n}"
        if not closure["from"]:
            errors[p + "from"] = [f"{label}: give the first day it is closed."]
            continue
        if len(closure["reason"]) > 200:
            errors[p + "reason"] = [f"{label}: keep the reason under 200 characters."]
            continue
        try:
            first = schedules.check({"valid_from": closure["from"]})["valid_from"]
        except schedules.ScheduleProblem:
            errors[p + "from"] = [f"{label}: give the first day as a date like 2026-12-24."]
            continue
        try:
            last = schedules.check({"valid_to": closure["to"]})["valid_to"] or first
        except schedules.ScheduleProblem:
            errors[p + "to"] = [f"{label}: give the last day as a date like 2027-01-02."]
            continue
        if last < first:
            errors[p + "to"] = [f"{label}: the last day must be on or after the first."]
            continue
        form.values.append(schedules.as_value("service", schedules.closure_row(first, last, closure["reason"])))
    form.bank_holidays = bool(posted.get("bank_holidays"))
    if form.bank_holidays:
        form.values.append(schedules.as_value("service", {"description": schedules.BANK_HOLIDAYS}))
    return form


def _explain(problem: schedules.ScheduleProblem) -> str:
    if problem.field == "dtstart":
        return "every 2, 3 or 4 weeks needs the date of one day it met, so we know which weeks."
    if problem.field == "valid_to":
        return "the last date must be on or after the first."
    if problem.field in ("opens_at", "closes_at"):
        return f"the time it {'opens' if problem.field == 'opens_at' else 'closes'} must be a time like 09:30."
    return f"{problem.field.replace('_', ' ')} {problem.message}."


def shown_again(form: Form) -> Form:
    """A refused form, with empty rows added back so the page has somewhere to type."""
    return _with_blanks(form)
