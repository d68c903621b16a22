"""Full history of every service: a version (the whole HSDS record) per published change, and one
HSDS ``metadata`` row per changed field with its old and new value."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from assets_hub.db import db, insert_rows, one_of, utcnow
from assets_hub.directory import records
from assets_hub.directory.models import Service
from assets_hub.directory.records import full_service_options
from assets_hub.errors import NotFound
from assets_hub.ids import new_id
from assets_hub.roles import actor_label
from curation.models import ListingChange, ListingVersion

VOLATILE = {"last_modified"}  # changes on every write; not a change anyone made


def normalise(value):
    """Lists sorted by id and dict keys sorted, so two records that say the same compare equal."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        ids = [v.get("id") if isinstance(v, dict) else None for v in items]
        if all(ids) and len(set(ids)) == len(ids):  # the usual case, and the same order: no need to
            return sorted(items, key=lambda v: v["id"])  # serialise every item to break ties
        return sorted(items, key=lambda v: (v.get("id", "") if isinstance(v, dict) else "", json.dumps(v)))
    return value


def snapshot(service: Service) -> dict:
    record = records.service_full(service)
    return normalise({k: v for k, v in record.items() if k not in VOLATILE})


def load_for_snapshot(service_id: str) -> Service:
    session = db.session
    session.flush()
    session.expire_all()  # everything pending is flushed; reload so the snapshot shows the rows as stored
    return session.scalar(select(Service).where(Service.id == service_id).options(*full_service_options()))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff(before: dict | None, after: dict) -> list[tuple[str, str, str]]:
    before = before or {}
    out = []
    for key in sorted(set(before) | set(after)):
        if key in VOLATILE:
            continue
        old, new = before.get(key), after.get(key)
        if old in (None, [], "") and new in (None, [], ""):
            continue
        if old != new:
            out.append((key, _text(old), _text(new)))
    return out


def latest(service_id: str) -> ListingVersion | None:
    return db.session.scalar(select(ListingVersion).where(ListingVersion.service_id == service_id)
                             .order_by(ListingVersion.number.desc()).limit(1))


def write(actor, service_id: str, before: dict | None, after: dict, action: str,
          note: str | None = None) -> ListingVersion | None:
    """Store ``after`` as the next version with a row per changed field; None when nothing changed."""
    if not write_many(actor, [(service_id, before, after)], action, note):
        return None
    return latest(service_id)


def record(actor, service_id: str, before: dict | None, action: str, note: str | None = None):
    """After a change made through the ORM: snapshot the service as stored and write the version."""
    return write(actor, service_id, before, snapshot(load_for_snapshot(service_id)), action, note)


def latest_snapshots(service_ids: list[str]) -> dict[str, dict]:
    """{service_id: its latest version's snapshot} for those that have versions."""
    session = db.session
    newest = (select(ListingVersion.service_id, func.max(ListingVersion.number).label("n"))
              .where(one_of(ListingVersion.service_id, service_ids)).group_by(ListingVersion.service_id).subquery())
    rows = session.execute(select(ListingVersion.service_id, ListingVersion.snapshot)
                           .join(newest, (newest.c.service_id == ListingVersion.service_id)
                                 & (newest.c.n == ListingVersion.number)))
    return {sid: json.loads(snap) for sid, snap in rows}


def write_many(actor, items: list[tuple[str, dict | None, dict]], action: str, note: str | None,
               now=None) -> int:
    """Bulk ``write``: (service_id, before, after) triples, in two INSERT statements."""
    session = db.session
    who, now = actor_label(actor), now or utcnow()
    old = [sid for sid, before, _ in items if before is not None]
    numbers = dict(session.execute(select(ListingVersion.service_id, func.max(ListingVersion.number))
                                   .where(one_of(ListingVersion.service_id, old))
                                   .group_by(ListingVersion.service_id)).all()) if old else {}
    versions, changes = [], []
    for sid, before, after in items:
        diffs = diff(before, after) if before is not None else []  # (a new listing's: its snapshot)
        if before is not None and not diffs:
            continue
        vid = new_id()
        versions.append({"id": vid, "service_id": sid, "number": numbers.get(sid, 0) + 1, "action": action,
                         "note": note, "updated_by": who, "created_at": now,
                         "snapshot": json.dumps(after, ensure_ascii=False)})
        if before is None:  # a new listing: one "create" entry; its values are the version's snapshot
            changes.append({"id": new_id(), "version_id": vid, "resource_id": sid, "resource_type": "service",
                            "last_action_date": now, "last_action_type": "create", "field_name": "",
                            "previous_value": "", "replacement_value": "", "updated_by": who})
            continue
        changes += [{"id": new_id(), "version_id": vid, "resource_id": sid, "resource_type": "service",
                     "last_action_date": now, "last_action_type": "update", "field_name": field[:80],
                     "previous_value": o, "replacement_value": n, "updated_by": who} for field, o, n in diffs]
    for model, rows in ((ListingVersion, versions), (ListingChange, changes)):
        insert_rows(model.__table__, rows)
    return len(versions)


def record_organization(actor, org, action: str) -> None:
    """An organisation's own change log (HSDS metadata rows): its services' versions carry its
    name as they show it; this records the organisation itself being created or changed."""
    now, who = utcnow(), actor_label(actor)
    db.session.add_all([ListingChange(resource_id=org.id, resource_type="organization", last_action_date=now,
                                      last_action_type=action, field_name=field, previous_value="",
                                      replacement_value=_text(value), updated_by=who)
                        for field, value in sorted(records.organization_brief(org).items()) if field != "id"])
    db.session.flush()


def record_shared(actor, resource_type: str, resource_id: str, before: dict, after: dict, action: str) -> int:
    """The own change log of a record several listings share (an organisation, a location): one
    HSDS metadata row per field that changed, with its old and new value. Returns how many."""
    now, who = utcnow(), actor_label(actor)
    rows = [ListingChange(resource_id=resource_id, resource_type=resource_type, last_action_date=now,
                          last_action_type=action, field_name=field[:80], previous_value=old,
                          replacement_value=new, updated_by=who) for field, old, new in diff(before, after)]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


@dataclass
class Entry:
    """One change to a shared record (an organisation): when, who, what kind, which fields."""
    when: object
    who: str
    action: str
    changes: list[ListingChange]


def organization_entries(org_id: str) -> list[Entry]:
    """An organisation's change log, newest first, its rows grouped by the change they belong to."""
    return shared_entries("organization", org_id)


def shared_entries(resource_type: str, resource_id: str) -> list[Entry]:
    """The change log of a shared record (an organisation, a location), newest first, its rows
    grouped by the change they belong to."""
    rows = db.session.scalars(select(ListingChange).where(ListingChange.resource_type == resource_type,
                                                          ListingChange.resource_id == resource_id)
                              .order_by(ListingChange.last_action_date.desc(), ListingChange.updated_by,
                                        ListingChange.last_action_type, ListingChange.field_name))
    out: list[Entry] = []
    for row in rows:  # (one change's rows are together: same moment, same person, same kind of change)
        if (out and out[-1].when == row.last_action_date and out[-1].who == row.updated_by
                and out[-1].action == row.last_action_type):
            out[-1].changes.append(row)
        else:
            out.append(Entry(row.last_action_date, row.updated_by, row.last_action_type, [row]))
    return out


def current_state(service_id: str) -> dict | None:
    """What the service is now: its latest version, or (no history yet) built from the tables."""
    found = latest_snapshots([service_id])
    return found.get(service_id) or current_snapshot(service_id)


def current_snapshot(service_id: str) -> dict | None:
    """The service as it is now (built from the tables), or None if there is no such service."""
    service = load_for_snapshot(service_id)
    return snapshot(service) if service is not None else None


@dataclass
class VersionView:
    version: ListingVersion
    changes: list[ListingChange]

    @property
    def record(self) -> dict:
        return json.loads(self.version.snapshot)


def versions(service_id: str) -> list[VersionView]:
    """Newest first, each with its changed fields."""
    session = db.session
    rows = session.scalars(select(ListingVersion).where(ListingVersion.service_id == service_id)
                           .order_by(ListingVersion.number.desc())).all()
    changes: dict[str, list[ListingChange]] = {v.id: [] for v in rows}
    if rows:
        for change in session.scalars(select(ListingChange).where(one_of(ListingChange.version_id, changes))
                                      .order_by(ListingChange.field_name)):
            changes[change.version_id].append(change)
    return [VersionView(v, changes[v.id]) for v in rows]


def first_state(service_id: str) -> dict | None:
    """The listing as it was when loaded, before its first recorded change (None when its history
    starts with its creation here, or has no versions): version 1's record with each field that
    version changed set back to its previous value."""
    first = db.session.scalar(select(ListingVersion).where(ListingVersion.service_id == service_id,
                                                           ListingVersion.number == 1))
    if first is None or first.action == "create":
        return None
    record = json.loads(first.snapshot)
    for change in db.session.scalars(select(ListingChange).where(ListingChange.version_id == first.id)):
        if not change.field_name:
            continue
        value = _unstore(change.previous_value, record.get(change.field_name))
        if value is None:
            record.pop(change.field_name, None)
        else:
            record[change.field_name] = value
    return normalise(record)


def _unstore(text: str, like):
    """A change row's stored value back as the record held it (``like``: the field's value after)."""
    if text == "":
        return None
    if isinstance(like, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def record_at(service_id: str, number: int) -> dict:
    """The whole record of version ``number``; 0 is the listing as first loaded. Raises NotFound."""
    if number == 0:
        found = first_state(service_id)
        if found is None:
            raise NotFound("This listing's history starts when it was created here: there is no earlier state.")
        return found
    return json.loads(get_version(service_id, number).snapshot)


def get_version(service_id: str, number: int) -> ListingVersion:
    found = db.session.scalar(select(ListingVersion).where(ListingVersion.service_id == service_id,
                                                           ListingVersion.number == number))
    if found is None:
        raise NotFound(f"This service has no version {number}.")
    return found


WITHHELD = "(a person's contact details: not shown)"


def withhold_personal(field_name: str, value: str) -> str:
    """A changed field's value as the public sees it: a named person's email and phone numbers
    left out (a contact with a name is a person; the service's and organisation's own email and
    phones are not a person's, and stay). Curators see the values as stored."""
    if field_name not in ("contacts", "phones") or not value or value[:1] != "[":
        return value
    try:
        items = json.loads(value)
    except ValueError:
        return value
    if not isinstance(items, list):
        return value
    for item in items:
        if not isinstance(item, dict):
            continue
        if field_name == "contacts" and item.get("name"):
            for key in ("email", "phones"):
                if item.get(key):
                    item[key] = WITHHELD
        elif field_name == "phones" and item.get("contact_id") and item.get("number"):
            item["number"] = WITHHELD
    return _text(items)


def metadata_for(service_id: str, limit: int = 200) -> list[dict]:
    """HSDS ``metadata`` records for a service (newest first), as the public API gives them: a
    named person's contact details left out (``withhold_personal``)."""
    rows = db.session.scalars(select(ListingChange).where(ListingChange.resource_id == service_id)
                              .order_by(ListingChange.last_action_date.desc()).limit(limit))
    return [{"id": c.id, "resource_id": c.resource_id, "resource_type": c.resource_type,
             "last_action_date": c.last_action_date.isoformat(), "last_action_type": c.last_action_type,
             "field_name": c.field_name, "previous_value": withhold_personal(c.field_name, c.previous_value),
             "replacement_value": withhold_personal(c.field_name, c.replacement_value),
             "updated_by": c.updated_by} for c in rows]
