"""What an exchange (or a group activity) is recorded with, from a form or the JSON API alike."""
from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates

from assets_hub.timebank.models import CATEGORIES


def _category():
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        list(CATEGORIES), error="Choose one of the listed kinds of help."))


def _date():
    return fields.Date(required=True, error_messages={"required": "When?", "invalid": "A date like 2026-12-07."})


def _from_form(data):
    """A form sends hours and minutes apart and may leave the category blank; the API sends minutes."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if "minutes" not in data and ("hours" in data or "mins" in data):
        try:
            data["minutes"] = int(data.pop("hours", 0) or 0) * 60 + int(data.pop("mins", 0) or 0)
        except (TypeError, ValueError):
            raise ValidationError("Whole hours and minutes, like 1 and 30.", "minutes") from None
    if not data.get("category"):
        data["category"] = None
    return data


class _Timed(Schema):
    """What every way of recording time has: how long, when, what it was and its kind of help."""

    minutes = fields.Integer(required=True, strict=False, validate=validate.Range(
        1, 24 * 60, error="Between 1 minute and 24 hours."), error_messages={
            "required": "How long, in minutes?", "invalid": "Whole minutes, like 90."})
    date = _date()
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    category = _category()

    @pre_load
    def _form(self, data, **_):
        return _from_form(data)

    @validates("date")
    def _not_future(self, value, **_):
        if value > date.today() + timedelta(days=1):
            raise ValidationError("An exchange cannot be in the future.")

    @validates("minutes")
    def _whole(self, value, **_):
        if isinstance(value, bool):
            raise ValidationError("Whole minutes, like 90.")


class ExchangeSchema(_Timed):
    giver = fields.String(required=True, error_messages={"required": "Who gave the time?"})
    receiver = fields.String(required=True, error_messages={"required": "Who received it?"})


class GroupSchema(_Timed):
    """A group activity: ``one`` gives to every account in ``many`` (direction 'gives') or receives
    from each (direction 'receives'); ``rule`` 'each': each of the many ``minutes`` (at most a day);
    'split': ``minutes`` is the total, shared out."""

    one = fields.String(required=True, error_messages={"required": "Who gave (or received) for the group?"})
    many = fields.List(fields.String(), required=True, validate=validate.Length(
        min=1, max=200, error="Choose between 1 and 200 people."), error_messages={"required": "Choose the people."})
    direction = fields.String(required=True, validate=validate.OneOf(("gives", "receives"), error="Gives or receives."))
    rule = fields.String(required=True, validate=validate.OneOf(
        ("each", "split"), error="Choose how the time is counted: each person, or shared out."))

    @validates("many")
    def _each_once(self, value, **_):
        if len(set(value)) != len(value):
            raise ValidationError("Each person once.")
