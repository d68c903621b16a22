"""The one schema a referral comes in through: the staff form, the self-referral form and
``POST /api/referrals`` all load it, so each names a bad field the same way ("person.nhs_number").
Its sections follow the PRSB standard's mandatory ones: person, GP practice, referral, risks; and
consent for information sharing."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import (Schema, ValidationError, fields, post_load, pre_load, validate, validates,
                         validates_schema)

from assets_hub.geo.postcodes import parse_postcode
from assets_hub.referrals.vocab import (CLOSED_REASONS, CONTACT_METHODS, CONTACT_OUTCOMES, NEEDS,
                                        PREFERRED_CONTACT, SHAREABLE)

ODS_CODE = re.compile(r"[A-Z][0-9]{5}")
PHONE = re.compile(r"\+?[0-9 ()-]{7,20}")


def nhs_number_valid(value: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine (DOMAIN.md)."""
    if not re.fullmatch(r"[0-9]{10}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])


def _text(max_len: int, required: bool = False, blank: str = "This cannot be blank.", **kwargs):
    return fields.String(required=required, validate=validate.Length(max=max_len), **kwargs)


class _Stripped(Schema):
    @pre_load
    def _strip(self, data, **_):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        return data


class PersonSchema(_Stripped):
    given_name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                               error_messages={"required": "Enter the person's first name."})
    family_name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                error_messages={"required": "Enter the person's last name."})
    date_of_birth = fields.Date(required=True, error_messages={
        "required": "Enter the date of birth.", "invalid": "Enter the date of birth as YYYY-MM-DD."})
    postcode = fields.String(required=True, validate=validate.Length(max=10),
                             error_messages={"required": "Enter the person's postcode."})
    nhs_number = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254),
                         error_messages={"invalid": "Enter an email address like name@example.org."})
    preferred_contact = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        list(PREFERRED_CONTACT), error="Choose one of: {choices}."))

    @validates("date_of_birth")
    def _born(self, value, **_):
        if value >= date.today():
            raise ValidationError("The date of birth must be in the past.")
        if value.year < date.today().year - 125:
            raise ValidationError("Check the date of birth: that is more than 125 years ago.")

    @validates("nhs_number")
    def _nhs(self, value, **_):
        if value and not nhs_number_valid(re.sub(r"[\s-]", "", value)):
            raise ValidationError("This is not a valid NHS number (ten digits, the last a check digit).")

    @validates("phone")
    def _phone(self, value, **_):
        if value and not PHONE.fullmatch(value):
            raise ValidationError("Enter a phone number using digits, spaces and + only.")

    @validates("postcode")
    def _postcode(self, value, **_):
        parsed = parse_postcode(value)
        if parsed is None or parsed.kind != "unit":
            raise ValidationError("Enter a full UK postcode, like SK4 1AA.")

    @post_load
    def _normalise(self, data, **_):
        data["postcode"] = parse_postcode(data["postcode"]).code
        if data.get("nhs_number"):
            data["nhs_number"] = re.sub(r"[\s-]", "", data["nhs_number"])
        for key in ("nhs_number", "phone", "email", "preferred_contact"):
            data[key] = data.get(key) or None
        if data["email"]:
            data["email"] = data["email"].lower()
        return data


class GpPracticeSchema(_Stripped):
    ods_code = fields.String(load_default=None, allow_none=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         error_messages={"required": "Enter the GP practice's name."})

    @validates("ods_code")
    def _ods(self, value, **_):
        if value and not ODS_CODE.fullmatch(value.upper()):
            raise ValidationError("An ODS code is a letter and five digits, like P88001.")

    @post_load
    def _normalise(self, data, **_):
        data["ods_code"] = (data.get("ods_code") or "").upper() or None
        return data


class ReferralDetailsSchema(_Stripped):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                           error_messages={"required": "Say why the person is being referred."})
    needs = fields.List(fields.String(validate=validate.OneOf(
        list(NEEDS), error="Unknown need: see GET /api/referrals/needs for the codes.")),
        load_default=list, validate=validate.Length(max=len(NEEDS)))


class RisksSchema(Schema):
    known_risks = fields.Boolean(required=True, error_messages={
        "required": "Say whether there are known risks (false records \"no known risks\")."})
    details = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))

    @validates_schema
    def _described(self, data, **_):
        if data.get("known_risks") and not (data.get("details") or "").strip():
            raise ValidationError("Describe the known risks.", "details")


class ConsentSchema(Schema):
    information_sharing = fields.Boolean(required=True, error_messages={
        "required": "Say whether the person consents to information being shared."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _explained(self, data, **_):
        if data.get("information_sharing") is False and not (data.get("reason") or "").strip():
            raise ValidationError("Say why consent was not obtained (for example a best-interests decision).",
                                  "reason")


class ReferralInSchema(Schema):
    """A referral as it arrives. ``ods_required`` (staff and API): professionals know the practice's
    ODS code; a person referring themselves may give only its name."""

    ods_required = True

    team_id = fields.String(required=True, error_messages={"required": "Choose the team to refer to."})
    person = fields.Nested(PersonSchema, required=True)
    gp_practice = fields.Nested(GpPracticeSchema, required=True)
    referral = fields.Nested(ReferralDetailsSchema, required=True)
    risks = fields.Nested(RisksSchema, required=True)
    consent = fields.Nested(ConsentSchema, required=True)

    @validates_schema
    def _ods_code(self, data, **_):
        if self.ods_required and "gp_practice" in data and not data["gp_practice"].get("ods_code"):
            raise ValidationError({"gp_practice": {"ods_code": ["Enter the practice's ODS code, like P88001."]}})


class SelfReferralSchema(ReferralInSchema):
    ods_required = False


def nested_from_form(form: dict) -> dict:
    """A flat form ("person.given_name": ...) as the nested body the schema reads. Check boxes and
    yes/no radios arrive as "yes"/"no"; a list of needs as a list."""
    out: dict = {}
    for key, value in form.items():
        section, _, name = key.partition(".")
        if not name:
            out[key] = value
            continue
        if value in ("yes", "no") and name in ("known_risks", "information_sharing"):
            value = value == "yes"
        out.setdefault(section, {})[name] = value
    for section in ("person", "gp_practice", "referral", "risks", "consent"):
        out.setdefault(section, {})
    return out


class ContactSchema(_Stripped):
    on = fields.Date(required=True, error_messages={"required": "Enter the date of the contact.",
                                                    "invalid": "Enter the date as YYYY-MM-DD."})
    method = fields.String(required=True, validate=validate.OneOf(list(CONTACT_METHODS),
                                                                  error="Choose one of: {choices}."))
    outcome = fields.String(required=True, validate=validate.OneOf(list(CONTACT_OUTCOMES),
                                                                   error="Choose one of: {choices}."))
    minutes = fields.Integer(load_default=0, validate=validate.Range(0, 1440, error="Between 0 and 1440 minutes."),
                             error_messages={"invalid": "Enter the minutes as a whole number."})
    note = fields.String(load_default="", validate=validate.Length(max=4000))

    @validates("on")
    def _not_future(self, value, **_):
        if value > date.today():
            raise ValidationError("A contact cannot be in the future.")


class GoalSchema(_Stripped):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                         error_messages={"required": "Describe the goal."})
    importance = fields.Integer(required=True, validate=validate.Range(1, 10, error="From 1 to 10."),
                                error_messages={"required": "How important is it (1-10)?",
                                                "invalid": "From 1 to 10."})
    confidence = fields.Integer(required=True, validate=validate.Range(1, 10, error="From 1 to 10."),
                                error_messages={"required": "How confident are they (1-10)?",
                                                "invalid": "From 1 to 10."})


class CloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(list(CLOSED_REASONS),
                                                                  error="Choose one of: {choices}."),
                           error_messages={"required": "Choose why the case is closing."})


class OnwardSchema(Schema):
    service_id = fields.String(required=True, error_messages={"required": "Choose a service."})
    kind = fields.String(required=True, validate=validate.OneOf(["signpost", "referral"]))
    share = fields.List(fields.String(validate=validate.OneOf(list(SHAREABLE))), load_default=list)
    message = fields.String(load_default="", validate=validate.Length(max=4000))


class MeasureSchema(_Stripped):
    """One taking of an outcome measure. ONS4: ``life_satisfaction``, ``worthwhile``, ``happy``,
    ``anxious`` (0-10 each); SWEMWBS: ``item1`` ... ``item7`` (1-5 each)."""
    tool = fields.String(required=True, validate=validate.OneOf(["ons4", "swemwbs"], error="Choose ONS4 or SWEMWBS."),
                         error_messages={"required": "Choose which measure."})
    stage = fields.String(required=True, validate=validate.OneOf(["start", "during", "end"],
                                                                 error="Choose start, during or end of support."),
                          error_messages={"required": "Choose when in the support this was taken."})
    taken_on = fields.Date(required=True, error_messages={"required": "Enter the date it was taken.",
                                                          "invalid": "Enter the date as YYYY-MM-DD."})
    life_satisfaction = fields.Integer(load_default=None, allow_none=True)
    worthwhile = fields.Integer(load_default=None, allow_none=True)
    happy = fields.Integer(load_default=None, allow_none=True)
    anxious = fields.Integer(load_default=None, allow_none=True)
    item1 = fields.Integer(load_default=None, allow_none=True)
    item2 = fields.Integer(load_default=None, allow_none=True)
    item3 = fields.Integer(load_default=None, allow_none=True)
    item4 = fields.Integer(load_default=None, allow_none=True)
    item5 = fields.Integer(load_default=None, allow_none=True)
    item6 = fields.Integer(load_default=None, allow_none=True)
    item7 = fields.Integer(load_default=None, allow_none=True)

    @pre_load
    def _blank_is_none(self, data, **_):
        if isinstance(data, dict):
            return {k: (None if v == "" else v) for k, v in data.items()}
        return data

    @validates("taken_on")
    def _not_future(self, value, **_):
        if value > date.today():
            raise ValidationError("A measure cannot be taken in the future.")

    @validates_schema(skip_on_field_errors=False)  # every missing answer at once, with the date's error
    def _answers(self, data, **_):
        tool = data.get("tool")
        names, low, high = ((("life_satisfaction", "worthwhile", "happy", "anxious"), 0, 10) if tool == "ons4"
                            else (tuple(f"item{i}" for i in range(1, 8)), 1, 5) if tool == "swemwbs" else ((), 0, 0))
        errors = {}
        for name in names:
            value = data.get(name)
            if value is None:
                errors[name] = [f"Answer every question ({low} to {high})."]
            elif not low <= value <= high:
                errors[name] = [f"From {low} to {high}."]
        if errors:
            raise ValidationError(errors)
