"""Roles: who may do what, and how a person who did something is named. The one home of the
roles (the ``user_account.role`` check constraint lists the same eight). Checked in the service
layer, never only in views."""
from __future__ import annotations

from assets_hub.errors import Forbidden, Unauthorised

ROLES = ("admin", "curator", "provider", "link_worker", "referrer", "timebank_coordinator", "member",
         "commissioner")
# The role a new account starts with unless an admin chooses another: the one that may do least.
LEAST_PRIVILEGE = "member"
CURATORS = ("admin", "curator")

# As a person's role is shown on its own ("Service provider") ...
ROLE_LABELS = {
    "admin": "Administrator",
    "curator": "Curator",
    "provider": "Service provider",
    "link_worker": "Link worker",
    "referrer": "Referrer (GP practice or professional)",
    "timebank_coordinator": "Time bank coordinator",
    "member": "Time bank member",
    "commissioner": "Commissioner (reports only)",
}
# ... and after a name in a listing's public history ("Sam (provider)").
ROLE_NAMES = {"admin": "administrator", "curator": "curator", "provider": "provider",
              "link_worker": "link worker", "referrer": "referrer",
              "timebank_coordinator": "time bank coordinator", "member": "member",
              "commissioner": "commissioner"}


class SystemActor:
    """The actor for CLI commands run by whoever operates the server."""

    id = None
    role = "system"
    is_authenticated = True
    email = "system"
    display_name = "System"


SYSTEM = SystemActor()


def require_role(actor, *roles: str, action: str = "do that") -> None:
    """Raise Unauthorised for an anonymous actor and Forbidden for a role not in ``roles``.

    Admins may do everything; the SYSTEM actor (CLI) too.
    """
    if actor is SYSTEM:
        return
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorised(f"Please sign in to {action}.")
    if actor.role != "admin" and actor.role not in roles:
        raise Forbidden(f"Your account ({ROLE_LABELS.get(actor.role, actor.role)}) may not {action}.")


def has_role(actor, *roles: str) -> bool:
    if actor is SYSTEM:
        return True
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor.role == "admin" or actor.role in roles


def actor_label(actor, names: dict[str, str] = ROLE_NAMES) -> str:
    """Who did something, as a record of it shows them: a name and a role, never an email address.
    A string is taken as the label already ("import: file.json")."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor[:254]
    name = getattr(actor, "display_name", None) or "someone"
    role = names.get(getattr(actor, "role", None), "system")
    return f"{name} ({role})"[:254]
