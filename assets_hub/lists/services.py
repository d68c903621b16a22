"""Saved lists: every change to one goes through here, for its keeper only.

A keeper is a signed-in person, or a browser session that holds a list's key (kept in the
session cookie; only its hash is stored). Anyone else asking for a list by its id is told it does
not exist; a list's share link shows it read-only to anyone who has the link."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from marshmallow import ValidationError, validate
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assets_hub import mail
from assets_hub.db import db, utcnow
from assets_hub.directory import presenters
from assets_hub.directory.models import Organization, Service
from assets_hub.directory.records import full_service_options
from assets_hub.directory.services import VISIBLE_STATUSES
from assets_hub.errors import Invalid, NotFound
from assets_hub.lists.models import SavedItem, SavedList

DEFAULT_NAME = "My list"
MAX_NAME, MAX_NOTE, MAX_ITEMS, MAX_LISTS = 120, 500, 100, 50
SESSION_EMAILS = 3  # a list emailed from a browser session, to an address typed in: at most this many


@dataclass(frozen=True)
class Keeper:
    """Who is asking: a signed-in person (``user``), and/or the browser session's list key."""
    user: object | None = None
    key: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None


def new_session_key() -> str:
    return secrets.token_urlsafe(24)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _mine(keeper: Keeper):
    if keeper.user is not None:
        return SavedList.owner_id == keeper.user.id
    if keeper.key:
        return SavedList.edit_key_hash == _hash(keeper.key)
    return None


def lists_of(keeper: Keeper) -> list[SavedList]:
    """The keeper's lists, the one changed last first."""
    mine = _mine(keeper)
    if mine is None:
        return []
    return list(db.session.scalars(select(SavedList).where(mine).order_by(SavedList.updated_at.desc(),
                                                                          SavedList.id)))


def get_list(keeper: Keeper, list_id: str) -> SavedList:
    mine = _mine(keeper)
    found = db.session.scalar(select(SavedList).where(SavedList.id == list_id, mine)) if mine is not None else None
    if found is None:
        raise NotFound("We could not find that list. It may belong to someone else, or to another browser.")
    return found


def shared_list(token: str) -> SavedList:
    found = db.session.scalar(select(SavedList).where(SavedList.share_token == (token or "")[:43]))
    if found is None:
        raise NotFound("We could not find that list: check the link you were sent.")
    return found


def _name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise Invalid("Give the list a name.", {"name": ["Give the list a name."]})
    if len(name) > MAX_NAME:
        raise Invalid(f"Keep the name to {MAX_NAME} characters.", {"name": [f"At most {MAX_NAME} characters."]})
    return name


def create_list(keeper: Keeper, name: str | None = None) -> SavedList:
    if keeper.user is None and not keeper.key:
        raise ValueError("a list needs a keeper: a person or a browser session's key")
    if len(lists_of(keeper)) >= MAX_LISTS:
        raise Invalid(f"You have {MAX_LISTS} lists: delete one before you start another.", {"name": ["Too many lists."]})
    saved = SavedList(name=_name(name or DEFAULT_NAME), share_token=secrets.token_urlsafe(32),
                      owner_id=keeper.user.id if keeper.user is not None else None,
                      edit_key_hash=None if keeper.user is not None else _hash(keeper.key))
    db.session.add(saved)
    db.session.flush()
    return saved


def _visible_service(service_id: str | None) -> Service:
    service = db.session.get(Service, service_id or "") if service_id else None
    if service is None or service.status not in VISIBLE_STATUSES:
        raise Invalid("That service is not in the directory.", {"service_id": ["Unknown service."]})
    return service


def _touch(saved: SavedList) -> None:
    saved.updated_at = utcnow()


def save(keeper: Keeper, service_id: str, list_id: str | None = None) -> tuple[SavedList, Service, bool]:
    """Put a service in a list (the one named, else the one changed last, else a new "My list").
    Returns (list, service, whether it was added: False when it was there already)."""
    service = _visible_service(service_id)
    if list_id:
        saved = get_list(keeper, list_id)
    else:
        saved = next(iter(lists_of(keeper)), None) or create_list(keeper)
    if any(item.service_id == service.id for item in saved.items):
        return saved, service, False
    if len(saved.items) >= MAX_ITEMS:
        raise Invalid(f"A list holds {MAX_ITEMS} services: start another list.", {"service_id": ["The list is full."]})
    last = max((item.position for item in saved.items), default=0)
    saved.items.append(SavedItem(service_id=service.id, position=last + 1))
    _touch(saved)
    db.session.flush()
    return saved, service, True


def _item(saved: SavedList, service_id: str) -> SavedItem:
    for item in saved.items:
        if item.service_id == service_id:
            return item
    raise NotFound("That service is not in this list.")


def remove(keeper: Keeper, list_id: str, service_id: str) -> Service | None:
    saved = get_list(keeper, list_id)
    item = _item(saved, service_id)
    saved.items.remove(item)
    _touch(saved)
    db.session.flush()
    return db.session.get(Service, service_id)


def rename(keeper: Keeper, list_id: str, name: str | None) -> SavedList:
    saved = get_list(keeper, list_id)
    saved.name = _name(name)
    _touch(saved)
    db.session.flush()
    return saved


def set_note(keeper: Keeper, list_id: str, service_id: str, note: str | None) -> None:
    saved = get_list(keeper, list_id)
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise Invalid(f"Keep the note to {MAX_NOTE} characters.", {"note": [f"At most {MAX_NOTE} characters."]})
    _item(saved, service_id).note = text or None
    _touch(saved)
    db.session.flush()


def move(keeper: Keeper, list_id: str, service_id: str, direction: str) -> None:
    """One place up or down (swapping with the neighbour); at either end nothing moves."""
    if direction not in ("up", "down"):
        raise Invalid("Move a service up or down.", {"direction": ["Up or down."]})
    saved = get_list(keeper, list_id)
    items = sorted(saved.items, key=lambda i: i.position)
    at = items.index(_item(saved, service_id))
    other = at - 1 if direction == "up" else at + 1
    if 0 <= other < len(items):
        items[at].position, items[other].position = items[other].position, items[at].position
        _touch(saved)
        db.session.flush()


def delete_list(keeper: Keeper, list_id: str) -> str:
    saved = get_list(keeper, list_id)
    name = saved.name
    db.session.delete(saved)
    db.session.flush()
    return name


def adopt(user, key: str | None) -> int:
    """On signing in: the lists this browser session kept become the account's."""
    if not key:
        return 0
    lists = list(db.session.scalars(select(SavedList).where(SavedList.edit_key_hash == _hash(key))))
    for saved in lists:
        saved.owner_id, saved.edit_key_hash = user.id, None
    db.session.flush()
    return len(lists)


@dataclass
class Entry:
    """A service in a list with what a person needs to use it: addresses, phones, times."""
    item: SavedItem
    service: Service
    addresses: list[str]
    phones: list[str]
    times: list[tuple[str, str]]  # (day or "", times), the service's and each location's


def entries(saved: SavedList) -> list[Entry]:
    """The list's services in order, with their contact details (services since withdrawn are
    kept in the list, and said to be)."""
    items = sorted(saved.items, key=lambda i: i.position)
    # every service with what the page shows, in one query per relation (not per service)
    services = {s.id: s for s in db.session.scalars(
        select(Service).where(Service.id.in_([i.service_id for i in items]))
        .options(*full_service_options(), selectinload(Service.organization).selectinload(Organization.phones)))}
    out = []
    for item in items:
        service = services[item.service_id]
        addresses, phones = [], [p.number for p in service.phones]
        times = list(presenters.opening_times(service.schedules))
        for sal in service.service_at_locations:
            location = sal.location
            for address in location.addresses:
                addresses.append(", ".join(address.lines()))
            phones += [p.number for p in location.phones if p.number not in phones]
            where = location.name or (location.addresses[0].address_1 if location.addresses else "")
            times += [(f"{day} at {where}" if day and len(service.service_at_locations) > 1 else day, t)
                      for day, t in presenters.opening_times(sal.schedules)]
        if not phones and service.organization is not None:
            phones = [p.number for p in service.organization.phones]
        out.append(Entry(item, service, addresses, phones, times))
    return out


def email(keeper: Keeper, list_id: str, address: str | None, share_url: str, sent_so_far: int = 0) -> str:
    """Email the list (public directory details and the person's own notes) to its keeper: a
    signed-in person's own address; from a browser session, an address typed in, a few times at
    most. Returns the address it was sent to."""
    saved = get_list(keeper, list_id)
    if keeper.user is not None:
        to = keeper.user.email
    else:
        to = (address or "").strip()
        try:  # the check the forms' email fields make (marshmallow's)
            validate.Email()(to)
            validate.Length(max=254)(to)
        except ValidationError:
            raise Invalid("Enter an email address like name@example.org.", {"email": ["Not an email address."]}) from None
        if sent_so_far >= SESSION_EMAILS:
            raise Invalid("This list has been emailed a few times from this browser already: sign in to send it "
                          "again, or copy the share link.", {"email": ["Sent enough times."]})
    lines = [f"{saved.name}", "", f"See it online (anyone with this link can read it): {share_url}", ""]
    for n, entry in enumerate(entries(saved), start=1):
        lines.append(f"{n}. {entry.service.name}")
        lines += [f"   {a}" for a in entry.addresses]
        lines += [f"   Phone: {p}" for p in entry.phones]
        if entry.service.email:
            lines.append(f"   Email: {entry.service.email}")
        lines += [f"   {day + ': ' if day else ''}{t}" for day, t in entry.times]
        if entry.item.note:
            lines.append(f"   Your note: {entry.item.note}")
        lines.append("")
    mail.send(to, f"Your list: {saved.name}", "\n".join(lines))
    return to


def count_saved(keeper: Keeper) -> int:
    mine = _mine(keeper)
    if mine is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(SavedItem).join(SavedList).where(mine)) or 0


def lists_holding(keeper: Keeper, service_ids: list[str]) -> set[str]:
    """Which of these services are in one of the keeper's lists (to say "Saved" on the page)."""
    mine = _mine(keeper)
    if mine is None or not service_ids:
        return set()
    return set(db.session.scalars(select(SavedItem.service_id).join(SavedList)
                                  .where(mine, SavedItem.service_id.in_(service_ids))))
