"""What a search asks for: parsed and validated once, for the web page and the JSON API alike."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from assets_hub.directory.vocab import ACCESSIBILITY, DAY_NAMES, LANGUAGES, WEEKDAYS  # noqa: F401 (re-exported)

SORTS = ("best", "nearest", "az", "reviewed")
SORT_LABELS = {"best": "Best match", "nearest": "Nearest", "az": "A to Z", "reviewed": "Recently reviewed"}
DAYS, DAY_LABELS = WEEKDAYS, DAY_NAMES
ACCESS = {"self": "Refer yourself", "professional": "Professional referral"}
DELIVERY = {"in_person": "In person", "online": "Online", "phone": "By phone"}


MAX_WHAT = 200
MAX_RADIUS_KM = 200.0
MAX_PAGE = 500
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class SearchQuery:
    what: str = ""
    where: str = ""
    radius_km: float = 10.0
    radius_given: bool = True  # False: the person left "within" to us (a named place's size sets it)
    category: str | None = None
    age: int | None = None
    free: bool = False
    open_now: bool = False
    open_day: str | None = None
    open_time: str | None = None
    accessibility: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    access: list[str] = field(default_factory=list)
    delivery: list[str] = field(default_factory=list)
    local_only: bool = False
    sort: str = "best"
    page: int = 1
    per_page: int = 20

    def filters_active(self) -> bool:
        return any((self.category, self.age is not None, self.free, self.open_now, self.open_day,
                    self.accessibility, self.languages, self.access, self.delivery, self.local_only))


class _Flag(fields.Boolean):
    truthy = {"1", "on", "true", "yes", True, 1}
    falsy = {"0", "off", "false", "no", "", False, 0}


class SearchArgsSchema(Schema):
    """Query-string parameters of /search and /api/search."""

    class Meta:
        unknown = EXCLUDE

    what = fields.String(load_default="", validate=validate.Length(
        max=MAX_WHAT, error=f"Search for at most {MAX_WHAT} characters."))
    where = fields.String(load_default="", validate=validate.Length(max=100, error="Type a postcode or a place name."))
    radius_km = fields.Float(load_default=None, allow_none=True, validate=validate.Range(
        min=0, min_inclusive=False, max=MAX_RADIUS_KM,
        error=f"Choose a distance more than 0 and at most {MAX_RADIUS_KM:.0f} km."),
        error_messages={"invalid": "The distance must be a number of kilometres."})
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(
        min=0, max=130, error="Enter an age from 0 to 130."), error_messages={"invalid": "Enter an age as a whole number."})
    free = _Flag(load_default=False)
    open_now = _Flag(load_default=False)
    open_day = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        DAYS, error="Choose a day of the week."))
    open_time = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        TIME_RE, error="Give a time like 14:30."))
    accessibility = fields.List(fields.String(validate=validate.OneOf(list(ACCESSIBILITY))), load_default=list)
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$", error="Unknown language code.")),
                            load_default=list)
    access = fields.List(fields.String(validate=validate.OneOf(list(ACCESS))), load_default=list)
    delivery = fields.List(fields.String(validate=validate.OneOf(list(DELIVERY))), load_default=list)
    local_only = _Flag(load_default=False)
    sort = fields.String(load_default="best", validate=validate.OneOf(SORTS, error="Sort by one of: {choices}."))
    page = fields.Integer(load_default=1, validate=validate.Range(
        min=1, max=MAX_PAGE, error=f"Choose a page from 1 to {MAX_PAGE}."),
        error_messages={"invalid": "The page must be a whole number."})
    per_page = fields.Integer(load_default=20, validate=validate.Range(
        min=1, max=100, error="Choose 1 to 100 results a page."))

    @pre_load
    def _blank_is_missing(self, data, **_):
        out = {}
        for key in data:
            values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
            values = [v.strip() if isinstance(v, str) else v for v in values]
            values = [v for v in values if v not in ("", None)]
            if key in ("accessibility", "languages", "access", "delivery"):
                out[key] = [v for v in values for v in (v.split(",") if isinstance(v, str) else [v]) if v]
            elif values:
                out[key] = values[-1]
        if out.get("open_day"):
            out["open_day"] = str(out["open_day"]).upper()[:2]
        return out

    @validates_schema
    def _time_needs_day(self, data, **_):
        if data.get("open_time") and not data.get("open_day"):
            raise ValidationError({"open_day": ["Choose a day to go with the time."]})


def load_query(args, default_radius_km: float) -> SearchQuery:
    """Query-string args -> SearchQuery. Raises marshmallow.ValidationError naming the fields."""
    data = SearchArgsSchema().load(args)
    data["radius_given"] = data["radius_km"] is not None
    if data["radius_km"] is None:
        data["radius_km"] = default_radius_km
    data["what"] = " ".join(data["what"].split())
    data["where"] = " ".join(data["where"].split())
    return SearchQuery(**data)
