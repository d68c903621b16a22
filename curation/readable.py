"""A listing's history as people read it: each changed field's name as a label, and its old and
new value as lines ("0161 480 1234 (voice)", "Edgeley Shed, 1 Shaw Road, Stockport SK3 9XX",
"Every week on Wednesday, 10:00 to 16:00") instead of stored JSON, with the lines only one side
has marked, so what changed in a list of phones or places is seen at a glance."""
from __future__ import annotations

import json
from dataclasses import dataclass

from assets_hub.directory.presenters import field_label, schedule_in_words
from assets_hub.directory.vocab import LANGUAGES

LABELS = {"name": "Name", "alternate_name": "Other name", "description": "What the service does",
          "url": "Website", "email": "Email address", "status": "Status", "phones": "Phone numbers",
          "schedules": "Opening times", "service_at_locations": "Places and their opening times",
          "attributes": "Categories", "cost_options": "Costs", "languages": "Languages",
          "service_areas": "Areas covered", "organization": "Organisation", "organization_id": "Organisation",
          "contacts": "Contacts", "eligibility_description": "Who can use it",
          "application_process": "How to get in", "fees_description": "Fees", "minimum_age": "Youngest age",
          "maximum_age": "Oldest age", "interpretation_services": "Interpreting", "alert": "Alert",
          "assured_date": "Last reviewed", "self_referral": "People can refer themselves",
          "professional_referral": "Professionals can refer", "delivered_in_person": "In person",
          "delivered_online": "Online", "delivered_by_phone": "By phone", "website": "Website",
          "legal_status": "Legal status", "address_1": "Address", "address_2": "Address (second line)",
          "city": "Town or city", "postal_code": "Postcode", "latitude": "Map position (latitude)",
          "longitude": "Map position (longitude)", "accessibility": "Accessibility"}


def label(field: str) -> str:
    return LABELS.get(field) or field_label(field)


@dataclass
class Line:
    text: str
    change: str = ""  # "removed" (only before), "added" (only after), "" (both)


def _phone(p: dict) -> str:
    text = p.get("number", "")
    if p.get("extension"):
        text += f" extension {p['extension']}"
    extra = ", ".join(x for x in (p.get("type"), p.get("description")) if x)
    return f"{text} ({extra})" if extra else text


def _address(a: dict) -> str:
    return ", ".join(x for x in (a.get("address_1"), a.get("address_2"),
                                 " ".join(y for y in (a.get("city"), a.get("postal_code")) if y)) if x)


def _place(sal: dict) -> str:
    loc = sal.get("location") or {}
    where = ", ".join(x for x in [loc.get("name")] + [_address(a) for a in loc.get("addresses") or []] if x)
    if not where and loc.get("latitude") is not None:
        where = f"Map position {loc['latitude']:.5f}, {loc['longitude']:.5f}"
    times = [schedule_in_words({"where": "", **s}) for s in sal.get("schedules") or []]
    access = [a.get("details") or a.get("description") for a in loc.get("accessibility") or []]
    text = where or "A place"
    if access:
        text += ". Accessibility: " + ", ".join(x for x in access if x)
    if times:
        text += ". " + "; ".join(times)
    return text


def _cost(c: dict) -> str:
    if c.get("amount") == 0:
        return "Free" + (f" ({c['option']})" if c.get("option") and c["option"] != "Free" else "")
    if c.get("amount") is not None:
        return f"£{c['amount']:,.2f} {c.get('option') or ''}".strip()
    return c.get("amount_description") or c.get("option") or "A cost"


def _item(field: str, item) -> str:
    if not isinstance(item, dict):
        return str(item)
    if field == "phones":
        return _phone(item)
    if field == "schedules":
        return schedule_in_words({"where": "", **item})
    if field == "service_at_locations":
        return _place(item)
    if field == "attributes":
        return (item.get("taxonomy_term") or {}).get("name") or item.get("taxonomy_term_id", "")
    if field == "languages":
        return LANGUAGES.get(item.get("code"), item.get("name") or item.get("code", ""))
    if field == "cost_options":
        return _cost(item)
    if field == "service_areas":
        return item.get("name") or ("An area drawn on a map" if item.get("area_type") == "geojson" else "An area")
    if field == "contacts":
        return ", ".join(str(item[k]) for k in ("name", "title", "department", "email") if item.get(k))
    if field == "organization":
        return item.get("name", "")
    return ", ".join(f"{label(k)}: {v}" for k, v in item.items() if k != "id" and not k.endswith("_id"))


def lines(field: str, stored: str) -> list[str]:
    """A stored value (text, or JSON for lists and records) as lines to read."""
    if not stored:
        return []
    if stored[:1] not in "[{" and stored not in ("true", "false"):
        return [stored]
    try:
        value = json.loads(stored)
    except ValueError:
        return [stored]
    if isinstance(value, bool):
        return ["Yes" if value else "No"]
    if isinstance(value, list):
        return [_item(field, v) for v in value]
    if isinstance(value, dict):
        return [_item(field, value)]
    return [str(value)]


def compare(field: str, before: str, after: str) -> tuple[list[Line], list[Line]]:
    """Both sides as lines, each marked if only that side has it."""
    old, new = lines(field, before), lines(field, after)
    return ([Line(t, "" if t in new else "removed") for t in old],
            [Line(t, "" if t in old else "added") for t in new])
