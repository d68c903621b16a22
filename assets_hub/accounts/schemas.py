from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from assets_hub.roles import LEAST_PRIVILEGE, ROLES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254),
                          error_messages={"required": "Enter your email address."})
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             error_messages={"required": "Enter your password."})
    next = fields.String(load_default=None, allow_none=True)

    @post_load
    def _normalise(self, data, **_):
        data["email"] = _strip(data["email"]).lower()
        return data


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         error_messages={"required": "Enter an email address.",
                                         "invalid": "Enter an email address like name@example.org."})
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120),
                                 error_messages={"required": "Enter a name."})
    role = fields.String(load_default=LEAST_PRIVILEGE,  # an account may do least unless an admin chooses more
                         validate=validate.OneOf(ROLES, error="Choose one of: {choices}."))
    password = fields.String(required=True, validate=validate.Length(min=12, max=200,
                             error="Use at least 12 characters."))

    @validates("display_name")
    def _name_not_blank(self, value, **_):
        if not value.strip():
            raise ValidationError("Enter a name.")

    @post_load
    def _normalise(self, data, **_):
        data["email"] = data["email"].strip().lower()
        data["display_name"] = data["display_name"].strip()
        return data
