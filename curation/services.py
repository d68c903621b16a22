"""Curation operations. Each takes the acting user first and checks permission here."""
from __future__ import annotations

import json

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory import records
from assets_hub.directory.models import Location, Organization, Service, ServiceAtLocation
from assets_hub.directory.services import get_service
from assets_hub.errors import Conflict, Invalid
from assets_hub.roles import CURATORS, actor_label, require_role
from curation import history, listings, scope
from curation.hsds.importer import apply_record
from curation.models import HistoryRedaction, ListingChange, ListingVersion

REDACTED = "[redacted]"


SHARED_CHOICES = ("keep", "restore")


def shared_changes(service_id: str, record: dict) -> list[str]:
    """What restoring ``record`` would change beyond this listing: its organisation, or a location,
    as they stood then, where other listings share them now. One line a person can read for each."""
    session = db.session
    out = []
    org_record = record.get("organization") or {}
    org = session.get(Organization, org_record.get("id") or record.get("organization_id") or "")
    if org is not None and org_record:
        others = _sharing_organization(org.id, service_id)
        now = history.normalise(records.organization_brief(org))
        then = history.normalise({k: v for k, v in org_record.items() if k in records.ORG_FIELDS})
        if others and now != then:
            changed = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
            out.append(f"the organisation {org.name} ({', '.join(changed)}), shared with {_some(others)}")
    for sal in record.get("service_at_locations") or []:
        loc_record = sal.get("location") or {}
        loc = session.get(Location, loc_record.get("id") or "")
        if loc is None:
            continue
        others = _sharing_location(loc.id, service_id)
        now, then = history.normalise(records.location(loc)), history.normalise(loc_record)
        if others and now != then:
            changed = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
            out.append(f"the place {loc.name or loc.id} ({', '.join(changed)}), shared with {_some(others)}")
    return out


def _sharing_organization(org_id: str, service_id: str) -> list[str]:
    """The names of the other listings of this organisation."""
    return list(db.session.scalars(select(Service.name).where(Service.organization_id == org_id,
                                                              Service.id != service_id).order_by(Service.name)))


def _sharing_location(location_id: str, service_id: str) -> list[str]:
    """The names of the other listings at this place."""
    return list(db.session.scalars(select(Service.name).join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
                                   .where(ServiceAtLocation.location_id == location_id, Service.id != service_id)
                                   .order_by(Service.name)))


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _keep_shared(service_id: str, record: dict) -> dict:
    """``record`` with the organisation and the locations other listings share as they are now."""
    record = dict(record)
    session = db.session
    org = session.get(Organization, (record.get("organization") or {}).get("id") or "")
    if org is not None and _sharing_organization(org.id, service_id):
        record["organization"] = records.organization_brief(org)
    sals = []
    for sal in record.get("service_at_locations") or []:
        loc = session.get(Location, (sal.get("location") or {}).get("id") or "")
        if loc is not None and _sharing_location(loc.id, service_id):
            sal = {**sal, "location": records.location(loc)}
        sals.append(sal)
    record["service_at_locations"] = sals
    return record


def restore_version(actor, service_id: str, number: int, shared: str | None = None):
    """Make version ``number`` the service's current state again. The restore is itself a new
    version ("Restored version N"), so nothing is lost. Curators and admins only.

    A version holds the organisation and locations as they stood then. Where other listings share
    them now and they have changed since, restoring them would change those listings too: without
    ``shared`` that is refused (Conflict, saying what else would change); ``shared="keep"``
    restores this listing and keeps the shared parts as they are; ``"restore"`` restores them too.
    Each organisation or place a restore changes gets rows in its own change log (HSDS metadata)."""
    require_role(actor, *CURATORS, action="restore earlier versions")
    get_service(service_id)  # NotFound for an unknown service
    scope.require_covers(actor, service_id)
    record = history.record_at(service_id, number)
    beyond = shared_changes(service_id, record)
    if beyond and shared not in SHARED_CHOICES:
        raise Conflict(f"{'Version ' + str(number) if number else 'The listing as first loaded'} would also change what other listings share. Restore this listing "
                       "only, or restore the shared details too.",
                       {"shared": [f"It would change {line}." for line in beyond]})
    if beyond and shared == "keep":
        record = _keep_shared(service_id, record)
    before = _shared_records(service_id, record)
    report = apply_record(record, actor, "restore",
                          f"Restored version {number}" if number else "Restored the listing as first loaded")
    after = _shared_records(service_id, record)
    for key, was in before.items():  # an organisation or place the restore changed: in its own change log
        history.record_shared(actor, *key, was, after.get(key, {}), "restore")
    return report.updated > 0


def _shared_records(service_id: str, record: dict) -> dict[tuple[str, str], dict]:
    """{(kind, id): record as stored now} of the organisation and locations in ``record``."""
    session = db.session
    out = {}
    org = session.get(Organization, (record.get("organization") or {}).get("id") or "")
    if org is not None:
        out[("organization", org.id)] = history.normalise(records.organization_brief(org))
    for sal in record.get("service_at_locations") or []:
        loc = session.get(Location, (sal.get("location") or {}).get("id") or "")
        if loc is not None:  # (a place's log keeps its own details, as the edit form's changes do)
            out[("location", loc.id)] = listings.location_state(loc)
    return out


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
