"""Who may do what. Checked in the service layer, never only in views."""
from __future__ import annotations

from assets_hub.errors import Forbidden, Unauthorised


class SystemActor:
    """The actor for CLI commands run by whoever operates the server."""

    id = None
    role = "system"
    is_authenticated = True
    email = "system"
    display_name = "System"


SYSTEM = SystemActor()

CURATORS = ("admin", "curator")


def require_role(actor, *roles: str, action: str = "do that") -> None:
    """Raise Unauthorised for an anonymous actor and Forbidden for a role not in ``roles``.

    Admins may do everything; the SYSTEM actor (CLI) too.
    """
    if actor is SYSTEM:
        return
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorised(f"Please sign in to {action}.")
    if actor.role != "admin" and actor.role not in roles:
        raise Forbidden(f"Your account ({actor.role_label}) may not {action}.")


def has_role(actor, *roles: str) -> bool:
    if actor is SYSTEM:
        return True
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor.role == "admin" or actor.role in roles
