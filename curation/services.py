"""Curation operations. Each takes the acting user first and checks permission here."""
from __future__ import annotations

import json

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.services import get_service
from assets_hub.errors import Conflict, Invalid
from assets_hub.roles import CURATORS, actor_label, require_role
from curation import history, scope
from curation.hsds.importer import apply_record
from curation.models import HistoryRedaction, ListingChange, ListingVersion

REDACTED = "[redacted]"


def restore_version(actor, service_id: str, number: int):
    """Make version ``number`` the service's current state again. The restore is itself a new
    version ("Restored version N"), so nothing is lost. Curators and admins only."""
    require_role(actor, *CURATORS, action="restore earlier versions")
    get_service(service_id)  # NotFound for an unknown service
    scope.require_covers(actor, service_id)
    version = history.get_version(service_id, number)
    record = json.loads(version.snapshot)
    report = apply_record(record, actor, "restore", f"Restored version {number}")
    return report.updated > 0


def redact_history(actor, service_id: str, value: str, reason: str) -> HistoryRedaction:
    """Remove ``value`` (a person's email, say) from every version and change-log entry of this
    listing, replacing it with "[redacted]". The redaction is recorded with who, when, why and how
    many places; the value is not. Curators and admins, within their areas.

    Raises Invalid (no value or reason, or the value is not in the history) and Conflict (the value
    is still on the listing: remove it there first, or the next change would show it again)."""
    require_role(actor, *CURATORS, action="redact history")
    get_service(service_id)
    scope.require_covers(actor, service_id)
    value, reason = (value or "").strip(), (reason or "").strip()
    if len(value) < 3:
        raise Invalid("Give the exact text to remove (at least 3 characters).",
                      {"value": ["Give the exact text to remove (at least 3 characters)."]})
    if not reason:
        raise Invalid("Say why it is removed (it is recorded).", {"reason": ["Say why it is removed."]})
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1]}  # as text, and as stored inside JSON

    def contains(text: str | None) -> bool:
        return bool(text) and any(f in text for f in forms)

    def scrub(text: str) -> str:
        for f in forms:
            text = text.replace(f, REDACTED)
        return text

    current = history.current_snapshot(service_id)
    if contains(json.dumps(current, ensure_ascii=False)):
        raise Conflict("That text is still on the listing: remove it from the listing first.",
                       {"value": ["Still on the listing."]})
    count = 0
    for version in db.session.scalars(select(ListingVersion).where(ListingVersion.service_id == service_id)):
        if contains(version.snapshot):
            version.snapshot = scrub(version.snapshot)
            count += 1
    for change in db.session.scalars(select(ListingChange).where(ListingChange.resource_id == service_id)):
        for column in ("previous_value", "replacement_value"):
            if contains(getattr(change, column)):
                setattr(change, column, scrub(getattr(change, column)))
                count += 1
    if not count:
        raise Invalid("That text is not in this listing's history.", {"value": ["Not found in the history."]})
    redaction = HistoryRedaction(service_id=service_id, reason=reason[:2000], occurrences=count,
                                 redacted_by=actor_label(actor))
    db.session.add(redaction)
    db.session.flush()
    return redaction


def redactions(service_id: str) -> list[HistoryRedaction]:
    return list(db.session.scalars(select(HistoryRedaction).where(HistoryRedaction.service_id == service_id)
                                   .order_by(HistoryRedaction.created_at.desc())))
