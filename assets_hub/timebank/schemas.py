"""What an exchange is recorded with, from a form or the JSON API alike."""
from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates


class ExchangeSchema(Schema):
    giver = fields.String(required=True, error_messages={"required": "Who gave the time?"})
    receiver = fields.String(required=True, error_messages={"required": "Who received it?"})
    minutes = fields.Integer(required=True, strict=False, validate=validate.Range(
        1, 24 * 60, error="Between 1 minute and 24 hours."), error_messages={
            "required": "How long, in minutes?", "invalid": "Whole minutes, like 90."})
    date = fields.Date(required=True, error_messages={"required": "When?", "invalid": "A date like 2026-12-07."})
    description = fields.String(load_default="", validate=validate.Length(max=2000))

    @pre_load
    def _hours_and_minutes(self, data, **_):
        """A form sends hours and minutes apart; the API sends minutes."""
        if isinstance(data, dict) and "minutes" not in data and ("hours" in data or "mins" in data):
            data = dict(data)
            try:
                data["minutes"] = int(data.pop("hours", 0) or 0) * 60 + int(data.pop("mins", 0) or 0)
            except (TypeError, ValueError):
                raise ValidationError("Whole hours and minutes, like 1 and 30.", "minutes") from None
        return data

    @validates("minutes")
    def _whole(self, value, **_):
        if isinstance(value, bool):
            raise ValidationError("Whole minutes, like 90.")

    @validates("date")
    def _not_future(self, value, **_):
        if value > date.today() + timedelta(days=1):
            raise ValidationError("An exchange cannot be in the future.")
