"""Reports of problems on listings and suggestions of new services, from anyone."""
from __future__ import annotations

import re

from sqlalchemy import select

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.directory.services import get_service
from assets_hub.errors import Conflict, Invalid, NotFound
from assets_hub.ids import is_uuid
from assets_hub.roles import CURATORS, actor_label, require_role
from curation import scope
from curation.models import Suggestion

KINDS = {
    "unclear": "The information is unclear",
    "contact_wrong": "The contact details are wrong",
    "closed": "The service has closed",
    "wrong_area": "It is in the wrong area",
    "other": "Something else",
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _reporter(actor, email: str | None) -> tuple[str | None, str | None]:
    """(user id, email): a signed-in person is told through their account; anyone else must give an address."""
    if actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "id", None):
        return actor.id, None
    email = (email or "").strip()
    if not email:
        raise Invalid("Give your email address so we can tell you what we did.",
                      {"email": ["Enter your email address."]})
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise Invalid("Enter an email address like name@example.org.", {"email": ["Enter a real email address."]})
    return None, email


def _details(text: str, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise Invalid("Tell us what is wrong.", {"details": ["Describe the problem."]})
    if len(text) > 5000:
        raise Invalid("Keep it under 5,000 characters.", {"details": ["Too long."]})
    return text


def report_problem(actor, service_id: str, kind: str, details: str, email: str | None = None) -> Suggestion:
    get_service(service_id)
    if kind not in KINDS:
        raise Invalid("Choose what is wrong.", {"kind": ["Choose one of the options."]})
    user_id, email = _reporter(actor, email)
    suggestion = Suggestion(service_id=service_id, kind=kind, details=_details(details), email=email, user_id=user_id)
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def suggest_service(actor, name: str, details: str, email: str | None = None) -> Suggestion:
    name = (name or "").strip()
    if not name:
        raise Invalid("Give the service's name.", {"name": ["Enter the name."]})
    if len(name) > 255:
        raise Invalid("Keep the name under 255 characters.", {"name": ["Too long."]})
    user_id, email = _reporter(actor, email)
    text = f"{name}\n\n{_details(details)}"
    suggestion = Suggestion(kind="new_service", details=text, email=email, user_id=user_id)
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def open_suggestions(limit: int = 100) -> list[Suggestion]:
    return list(db.session.scalars(select(Suggestion).where(Suggestion.status == "open")
                                   .order_by(Suggestion.created_at).limit(limit)))


def get_new_service_suggestion(actor, suggestion_id: str) -> Suggestion:
    """An open "suggest a service", for a curator to turn into a listing. Raises NotFound, Conflict."""
    require_role(actor, *CURATORS, action="add suggested services")
    suggestion = db.session.get(Suggestion, suggestion_id) if is_uuid(suggestion_id) else None
    if suggestion is None or suggestion.kind != "new_service":
        raise NotFound("There is no such suggestion of a new service.")
    if suggestion.status == "resolved":
        raise Conflict("This suggestion was resolved already.")
    return suggestion


def suggested_values(suggestion: Suggestion) -> dict:
    """The add form's first values from a suggestion: its name, and what the person said."""
    name, _, rest = suggestion.details.partition("\n\n")
    return {"name": name.strip(), "description": rest.strip()}


def listing_added(actor, suggestion_id: str, service) -> Suggestion:
    """The suggestion became ``service``: resolve it, and tell the person (after the commit)."""
    get_new_service_suggestion(actor, suggestion_id)
    return resolve(actor, suggestion_id, f"We added it to the directory as “{service.name}”. Thank you.")


def resolve(actor, suggestion_id: str, resolution: str) -> Suggestion:
    """Close a suggestion saying what was done; the reporter is emailed. Curators and admins."""
    require_role(actor, *CURATORS, action="resolve suggestions")
    suggestion = db.session.get(Suggestion, suggestion_id) if is_uuid(suggestion_id) else None
    if suggestion is None:
        raise NotFound("There is no such suggestion.")
    scope.require_covers(actor, suggestion.service_id)
    if suggestion.status == "resolved":
        raise Conflict("This suggestion was resolved already.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise Invalid("Say what you did, for the person who told us.", {"resolution": ["Describe what you did."]})
    suggestion.status, suggestion.resolution = "resolved", resolution[:5000]
    suggestion.resolved_by, suggestion.resolved_at = actor_label(actor), utcnow()
    db.session.flush()
    to = suggestion.email or (db.session.get(User, suggestion.user_id).email if suggestion.user_id else None)
    if to:
        what = (get_service(suggestion.service_id).name if suggestion.service_id
                else suggestion.details.splitlines()[0])
        mail.send(to, f"Thank you for telling us about {what}",
                  f"You told us: {suggestion.details[:500]}\n\nWhat we did: {resolution}\n\nThank you for helping "
                  "keep the directory right.")
    return suggestion
