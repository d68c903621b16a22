"""Application errors and how they reach the user: an HTML page or JSON."""
from __future__ import annotations

import logging

import flask
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(AppError):
    status = 422
    code = "invalid"

    @classmethod
    def from_validation(cls, err: ValidationError) -> "Invalid":
        fields = _flatten(err.messages)
        names = ", ".join(sorted(fields)) or "input"
        return cls(f"Please check: {names}.", fields)


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Unauthorised(AppError):
    status = 401
    code = "login_required"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Stale(Conflict):
    """A change made to a version of a record that is no longer the latest. Refused, so nobody's
    change is overwritten unseen: ``current`` is the version now, ``changes`` what changed since
    (lines a person can read), also given under the field "version"."""

    code = "stale"

    def __init__(self, message: str, current: int, changes: list[str]):
        super().__init__(message, {"version": changes or ["Changed since you opened it."]})
        self.current = current
        self.changes = changes


def _flatten(messages, prefix="") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"field.sub": ["reason", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict)):
                out.update(_flatten(value, name))
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                out[name] = list(value)
            else:
                out.update(_flatten(value, name))
    elif isinstance(messages, list):
        out[prefix or "_schema"] = [str(m) for m in messages]
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def integrity_error_to_app_error(exc: IntegrityError) -> AppError:
    """Turn a database constraint violation into a user-facing error (never the driver's text)."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "unique" in text or "duplicate key" in text:
        return Conflict("That record already exists (a value that must be unique is already in use).")
    if "foreign key" in text:
        return Invalid("A referenced record does not exist or is still in use.")
    if "not null" in text or "not-null" in text:
        return Invalid("A required value is missing.")
    return Invalid("The values break a rule of the directory (for example a range or an allowed value).")


def wants_json() -> bool:
    req = flask.request
    if req.path.startswith("/api/"):
        return True
    best = req.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and req.accept_mimetypes[best] > req.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return flask.jsonify(body), status
    return flask.render_template("errors/error.html", status=status, message=message, fields=fields or {}), status


def register_errorhandlers(app: flask.Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        if isinstance(exc, Unauthorised) and not wants_json():
            return flask.redirect(flask.url_for("accounts.login", next=flask.request.full_path))
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        err = Invalid.from_validation(exc)
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        err = integrity_error_to_app_error(exc)
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        body, status = error_response(exc.code or 500, code, exc.description or exc.name)
        response = flask.make_response(body, status)
        if getattr(exc, "valid_methods", None):  # a 405 says which methods would do (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError):
        _end_failed_transaction()
        if "database is locked" in str(exc.orig) or "could not serialize" in str(exc.orig):
            log.warning("Database busy: %s", type(exc.orig).__name__)
            response, status = error_response(503, "busy", "The directory is busy. Please try again in a moment.")
            response = flask.make_response(response, status)
            response.headers["Retry-After"] = "2"
            return response
        return _unexpected(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("Unhandled error")
        _end_failed_transaction()
        return error_response(500, "server_error", "Something went wrong on our side. It has been logged.")


def _end_failed_transaction() -> None:
    """The error page reads the database too (who is signed in): end the failed transaction first,
    or rendering it fails the same way and the person sees a bare server error."""
    session = flask.g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # the connection itself is gone: a new session gets a new one
            log.warning("Rollback after an error failed", exc_info=True)
            session.close()
            flask.g.pop("db_session", None)
