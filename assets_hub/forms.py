"""Reading HTML forms and JSON bodies through marshmallow schemas, the same way for both; and
answering with a CSV download."""
from __future__ import annotations

import csv
import functools
import io

import flask
from marshmallow import Schema, ValidationError

from assets_hub.db import db
from assets_hub.errors import AppError, Invalid, Unauthorised, _flatten, wants_json


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


def shows_errors_on(page):
    """For a POST action that has no form page of its own (a button on another page): an AppError
    is shown on the page the person came from, in words, with the error's status, instead of a
    bare error page. ``page(**view_args)`` renders that page (``page`` may be the page's endpoint
    name, so a package need not import another's views); it reads ``g.action_error``.
    JSON clients and sign-in redirects are answered as before."""
    def wrap(view):
        @functools.wraps(view)
        def run(**kwargs):
            try:
                try:
                    return view(**kwargs)
                except ValidationError as err:  # a schema loaded in the service layer
                    raise Invalid.from_validation(err) from None
            except AppError as exc:
                if isinstance(exc, Unauthorised) or wants_json():
                    raise
                db.session.rollback()  # the page shows what is stored, not the failed action's flushes
                flask.g.action_error = exc
                flask.g.action_target = next(iter(kwargs.values()), None)  # which item's form failed
                show = flask.current_app.view_functions[page] if isinstance(page, str) else page
                body = show(**kwargs)
                # Keep what showing the page wrote (a read of personal data writes its audit entry):
                # the failed action was rolled back above, and the error status rolls back the rest.
                db.session.commit()
                return (body[0] if isinstance(body, tuple) else body), exc.status
        return run
    return wrap


def csv_response(rows, filename: str) -> flask.Response:
    """Rows (the first the header) as a CSV download."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return flask.Response(out.getvalue(), mimetype="text/csv",
                          headers={"Content-Disposition": f'attachment; filename="{filename}"'})
