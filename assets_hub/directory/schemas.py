"""marshmallow schemas for the directory: the HTML forms and the JSON API load through these."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from assets_hub.directory import schedules
from assets_hub.directory.models import SERVICE_STATUSES
from assets_hub.directory.vocab import ACCESSIBILITY, LANGUAGES

TRUTHY = {"on", "yes", "true", "1", True}
FALSY = {"off", "no", "false", "0", False}
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,30}$")


def _text(max_len: int, required: bool = False, **kw):
    return fields.String(required=required, validate=validate.Length(min=1 if required else 0, max=max_len),
                         allow_none=not required, **kw)


class _Stripped(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _strip(self, data, **_):
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key not in ("description",):
                    value = None
            out[key] = value
        return out


def _required_text(max_len: int, message: str):
    return fields.String(required=True, validate=validate.Length(min=1, max=max_len),
                         error_messages={"required": message, "null": message})


class OrganizationCreateSchema(_Stripped):
    name = _required_text(255, "Enter the organisation's name.")
    description = fields.String(load_default="", validate=validate.Length(max=10000))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254),
                         error_messages={"invalid": "Enter an email address like name@example.org."})
    website = fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500),
                         error_messages={"invalid": "Enter a full web address starting with https://."})
    legal_status = _text(120)
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        PHONE_RE, error="Enter a phone number using digits, spaces and + ( ) - only."))


class ServiceCreateSchema(_Stripped):
    """A service with (optionally) one physical location and the areas it covers."""

    organization_id = fields.UUID(required=True, error_messages={"required": "Choose the organisation.",
                                                                 "invalid_uuid": "Choose an organisation."})
    name = _required_text(255, "Enter the service's name.")
    description = fields.String(required=True, validate=validate.Length(min=1, max=10000),
                                error_messages={"required": "Describe what the service does.",
                                                "null": "Describe what the service does."})
    status = fields.String(load_default="active", validate=validate.OneOf(
        SERVICE_STATUSES, error="Choose one of: active, inactive, defunct, temporarily closed."))
    url = fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500),
                     error_messages={"invalid": "Enter a full web address starting with https://."})
    email = fields.Email(allow_none=True, validate=validate.Length(max=254),
                         error_messages={"invalid": "Enter an email address like name@example.org."})
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        PHONE_RE, error="Enter a phone number using digits, spaces and + ( ) - only."))
    application_process = _text(5000)
    fees_description = _text(2000)
    eligibility_description = _text(2000)
    is_free = fields.Boolean(load_default=None, allow_none=True, truthy=TRUTHY, falsy=FALSY)
    self_referral = fields.Boolean(truthy=TRUTHY, falsy=FALSY)
    professional_referral = fields.Boolean(truthy=TRUTHY, falsy=FALSY)
    delivered_in_person = fields.Boolean(truthy=TRUTHY, falsy=FALSY)
    delivered_online = fields.Boolean(truthy=TRUTHY, falsy=FALSY)
    delivered_by_phone = fields.Boolean(truthy=TRUTHY, falsy=FALSY)
    languages = fields.List(fields.String(validate=validate.OneOf(list(LANGUAGES), error="Unknown language.")),
                            allow_none=True)
    accessibility = fields.List(fields.String(validate=validate.OneOf(
        list(ACCESSIBILITY), error="Unknown accessibility feature.")), allow_none=True)
    minimum_age = fields.Integer(allow_none=True, strict=False, validate=validate.Range(
        min=0, max=130, error="Enter an age from 0 to 130."),
        error_messages={"invalid": "Enter an age as a whole number."})
    maximum_age = fields.Integer(allow_none=True, strict=False, validate=validate.Range(
        min=0, max=130, error="Enter an age from 0 to 130."),
        error_messages={"invalid": "Enter an age as a whole number."})
    categories = fields.List(fields.UUID(error_messages={"invalid_uuid": "Unknown category."}),
                             load_default=list, allow_none=True)
    # One physical location, from a postcode (placed with the gazetteer) or coordinates.
    location_name = _text(255)
    address_1 = _text(255)
    address_2 = _text(255)
    city = _text(120)
    postcode = _text(10)
    latitude = fields.Float(allow_none=True, validate=validate.Range(
        min=-90, max=90, error="Latitude must be between -90 and 90."),
        error_messages={"invalid": "Latitude must be a number."})
    longitude = fields.Float(allow_none=True, validate=validate.Range(
        min=-180, max=180, error="Longitude must be between -180 and 180."),
        error_messages={"invalid": "Longitude must be a number."})
    # Areas covered: local authority, region or country names or ONS codes, comma separated.
    areas = fields.String(allow_none=True, validate=validate.Length(max=2000))
    # Or a shape: a GeoJSON Polygon/MultiPolygon (object or JSON text), checked by the service layer.
    area_geojson = fields.Raw(allow_none=True)
    area_name = _text(255)
    # Opening times and closures: HSDS schedules, each with "where" (see directory.schedules).
    schedules = fields.List(fields.Dict(), allow_none=True,
                            error_messages={"invalid": "Give the opening times as a list of schedules."})

    @pre_load
    def _lists(self, data, **_):
        if isinstance(data, dict):
            for key in ("categories", "languages", "accessibility"):
                if isinstance(data.get(key), str):
                    data = dict(data, **{key: [data[key]]})
        return data

    @validates_schema
    def _check(self, data, partial=None, **_):
        errors: dict[str, list[str]] = {}
        lo, hi = data.get("minimum_age"), data.get("maximum_age")
        if lo is not None and hi is not None and lo > hi:
            errors["maximum_age"] = ["The maximum age must be the same as or more than the minimum age."]
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            field = "longitude" if data.get("longitude") is None else "latitude"
            errors[field] = ["Give both latitude and longitude, or neither."]
        address_fields = ("address_1", "city", "postcode")
        given = [f for f in address_fields if data.get(f)]
        if given and len(given) < len(address_fields):
            for f in address_fields:
                if not data.get(f):
                    errors[f] = ["Give the first line of the address, the town and the postcode together."]
        errors.update(_schedule_errors(data.get("schedules") or []))
        if errors:
            raise ValidationError(errors)

    @post_load
    def _ids_as_text(self, data, **_):
        if data.get("schedules") is not None:
            data["schedules"] = [schedules.as_value(str(row.get("where") or "service"), row)
                                 for row in data["schedules"]]
        if "organization_id" in data:
            data["organization_id"] = str(data["organization_id"])
        if data.get("categories") is not None:
            data["categories"] = [str(c) for c in data["categories"]]
        return data


def _schedule_errors(rows: list[dict]) -> dict[str, list[str]]:
    """{"schedules.2.opens_at": ["must be a time like 09:30"]}: the importer's checks, per schedule."""
    errors = {}
    for i, row in enumerate(rows):
        try:
            schedules.check(row)
        except schedules.ScheduleProblem as problem:
            errors[f"schedules.{i}.{problem.field}"] = [f"Opening times: {problem.field.replace('_', ' ')} "
                                                        f"{problem.message}."]
    return errors


class ServiceUpdateSchema(ServiceCreateSchema):
    """Same fields; in a PATCH only the fields sent change."""


# ------------------------------------------------------------------ what the JSON API answers

class ServiceOutSchema(Schema):
    id = fields.String()
    organization_id = fields.String()
    name = fields.String()
    description = fields.String()
    status = fields.String()
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    minimum_age = fields.Integer(allow_none=True)
    maximum_age = fields.Integer(allow_none=True)
    application_process = fields.String(allow_none=True)
    last_reviewed_at = fields.DateTime(allow_none=True)
    categories = fields.Method("_categories")
    service_areas = fields.Method("_areas")
    locations = fields.Method("_locations")

    def _categories(self, s):
        return [{"id": t.id, "code": t.code, "name": t.name} for t in s.taxonomy_terms]

    def _areas(self, s):
        return [{"name": a.name, "area_type": a.area_type, "area_code": a.area_code} for a in s.service_areas]

    def _locations(self, s):
        out = []
        for sal in s.service_at_locations:
            loc = sal.location
            out.append({"id": loc.id, "name": loc.name, "latitude": loc.latitude, "longitude": loc.longitude,
                        "postal_code": loc.postal_code})
        return out


class OrganizationOutSchema(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
