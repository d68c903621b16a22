"""Reading HTML forms and JSON bodies through marshmallow schemas, the same way for both."""
from __future__ import annotations

import flask
from marshmallow import Schema, ValidationError

from assets_hub.errors import AppError, Invalid, _flatten


def form_data(multi: tuple[str, ...] = ()) -> dict:
    """The submitted form as a dict: blank fields are left out (so "required" fires and optional
    fields stay unset); fields named in ``multi`` keep every value as a list."""
    out: dict = {}
    for key in flask.request.form:
        if key == "csrf_token":
            continue
        if key in multi:
            values = [v for v in flask.request.form.getlist(key) if v.strip()]
            if values:
                out[key] = values
            continue
        value = flask.request.form.get(key, "")
        if value.strip():
            out[key] = value
    return out


def json_body() -> dict:
    try:
        data = flask.request.get_json(silent=True)
    except RecursionError:  # the parser gives up on nesting deeper than Python's recursion limit
        raise Invalid("The JSON is nested too deeply.", {"_body": ["Nested too deeply."]}) from None
    if not isinstance(data, dict):
        raise Invalid("Send a JSON object in the request body (Content-Type: application/json).",
                      {"_body": ["Expected a JSON object."]})
    return data


def load_or_errors(schema: Schema, data: dict, partial: bool = False) -> tuple[dict | None, dict]:
    """(loaded, {}) or (None, {field: [reasons]})."""
    try:
        return schema.load(data, partial=partial), {}
    except ValidationError as err:
        return None, _flatten(err.messages)


def errors_from(exc: AppError) -> dict:
    return exc.fields or {"_form": [exc.message]}
