"""Offers and requests: what members can give and what they need, found by members of the same
bank (words, kind of help, nearest first), and the conversation that answering one starts, which
only the two members read. Notices go through the outbox with a link, never the message."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.errors import Forbidden, Invalid, NotFound
from assets_hub.geo import distance_m, resolve_place
from assets_hub.ids import is_uuid
from assets_hub.timebank import ledger, membership
from assets_hub.timebank.models import CATEGORIES, Account, Conversation, Listing, Message

KINDS = {"offer": "Offer", "request": "Request"}
MAX_RESULTS = 200


def _active_member(actor, bank_id: str) -> Account:
    """The actor's own active account in the bank: who may list, answer and write."""
    ledger.get_bank(actor, bank_id)
    account = ledger.my_account(actor, bank_id)
    if account is None:
        raise Forbidden("Only the bank's members offer, ask and answer (coordinators: join as a member too).")
    if account.status != "active":
        raise Invalid("Your account is paused or closed: come back to the bank first.", {"account": ["Not active."]})
    return account


def create(actor, bank_id: str, data: dict) -> Listing:
    """An offer or request (``data``: kind, title, description, category, place)."""
    account = _active_member(actor, bank_id)
    errors = {}
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = ["Offer or request."]
    title = " ".join((data.get("title") or "").split())
    if not title or len(title) > 200:
        errors["title"] = ["Say in a few words what you offer or need (up to 200 characters)."]
    description = (data.get("description") or "").strip()
    if len(description) > 4000:
        errors["description"] = ["Up to 4,000 characters."]
    category = data.get("category") or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = ["Choose one of the listed kinds of help."]
    place = None
    try:
        place = resolve_place(data.get("place"), field="place")
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid("Please check: " + ", ".join(sorted(errors)) + ".", errors)
    listing = Listing(bank_id=account.bank_id, account_id=account.id, kind=kind, title=title, description=description,
                      category=category, place=place.label if place else None,
                      latitude=place.latitude if place else None, longitude=place.longitude if place else None,
                      status="open")
    db.session.add(listing)
    db.session.flush()
    return listing


def close(actor, listing_id: str) -> Listing:
    """Its member (or a coordinator) closes a listing: found no more, conversations kept."""
    listing = _listing(actor, listing_id)
    mine = ledger.my_account(actor, listing.bank_id)
    if not ((mine and mine.id == listing.account_id) or ledger.is_coordinator(actor, listing.bank_id)):
        raise Forbidden("Only the member who listed it (or a coordinator) closes it.")
    listing.status = "closed"
    db.session.flush()
    return listing


def _listing(actor, listing_id: str) -> Listing:
    listing = db.session.get(Listing, listing_id) if is_uuid(listing_id or "") else None
    if listing is None:
        raise NotFound(ledger.NOT_FOUND)
    ledger.get_bank(actor, listing.bank_id)  # outside the bank: as if it did not exist
    return listing


@dataclass
class Found:
    listing: Listing
    name: str
    distance_m: float | None


def find(actor, bank_id: str, words: str = "", kind: str | None = None, category: str | None = None,
         near: str | None = None) -> tuple[list[Found], object]:
    """Open listings of the bank's active members: every word in the title or description, of the
    kind and kind of help asked for; nearest first from ``near`` (a postcode, sector, district or
    council), newest first without one. Returns (found, the place used or None)."""
    bank = ledger.get_bank(actor, bank_id)
    place = resolve_place(near, field="near")
    stmt = (select(Listing, User.display_name).join(Account, Account.id == Listing.account_id)
            .join(User, User.id == Account.user_id)
            .where(Listing.bank_id == bank.id, Listing.status == "open", Account.status == "active"))
    if kind in KINDS:
        stmt = stmt.where(Listing.kind == kind)
    if category in CATEGORIES:
        stmt = stmt.where(Listing.category == category)
    for word in words.lower().split()[:10]:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(func.lower(Listing.title).like(pattern), func.lower(Listing.description).like(pattern)))
    rows = db.session.execute(stmt.order_by(Listing.created_at.desc(), Listing.id)).all()
    found = [Found(listing, name, distance_m(place.latitude, place.longitude, listing.latitude, listing.longitude)
                   if place and listing.latitude is not None else None) for listing, name in rows]
    if place:  # nearest first; listings with no place after those with one
        found.sort(key=lambda f: (f.distance_m is None, f.distance_m or 0))
    return found[:MAX_RESULTS], place


# ------------------------------------------------------------------ conversations

def answer(actor, listing_id: str, body: str) -> Conversation:
    """Answer a listing: the conversation between the two (started once) and the first message."""
    listing = _listing(actor, listing_id)
    account = _active_member(actor, listing.bank_id)
    if account.id == listing.account_id:
        raise Invalid("This is your own listing: others answer it.", {"body": ["Your own listing."]})
    if listing.status != "open":
        raise Invalid("This listing is closed.", {"body": ["Closed."]})
    _check_body(body)
    conversation = db.session.scalar(select(Conversation).where(Conversation.listing_id == listing.id,
                                                                Conversation.account_id == account.id))
    if conversation is None:
        conversation = Conversation(listing_id=listing.id, account_id=account.id)
        try:
            with db.session.begin_nested():
                db.session.add(conversation)
                db.session.flush()
        except IntegrityError:  # answered twice at once: the first's conversation
            conversation = db.session.scalar(select(Conversation).where(Conversation.listing_id == listing.id,
                                                                        Conversation.account_id == account.id))
    _write(conversation, account, body, listing)
    return conversation


def _check_body(body: str) -> None:
    if not (body or "").strip():
        raise Invalid("Write a message.", {"body": ["Write a message."]})
    if len(body) > 4000:
        raise Invalid("Up to 4,000 characters.", {"body": ["Up to 4,000 characters."]})


def _write(conversation: Conversation, author: Account, body: str, listing: Listing) -> Message:
    message = Message(conversation_id=conversation.id, author_id=author.id, body=body.strip())
    db.session.add(message)
    db.session.flush()
    other_id = listing.account_id if author.id == conversation.account_id else conversation.account_id
    email = db.session.scalar(select(User.email).join(Account, Account.user_id == User.id).where(
        Account.id == other_id, User.active.is_(True)))
    if email:
        mail.send(email, "A new message in your time bank",
                  f"Someone wrote to you about an offer or request.\n\nSign in to read it: "
                  f"{membership.email_link('timebank.conversation', conversation_id=conversation.id)}\n")
    return message


def conversation(actor, conversation_id: str) -> tuple[Conversation, Listing, list[tuple[Message, str]]]:
    """The conversation with its messages (author names), for its two members only."""
    found = db.session.get(Conversation, conversation_id) if is_uuid(conversation_id or "") else None
    if found is None:
        raise NotFound(ledger.NOT_FOUND)
    listing = db.session.get(Listing, found.listing_id)
    mine = ledger.my_account(actor, listing.bank_id) if getattr(actor, "is_authenticated", False) else None
    if mine is None or mine.id not in (found.account_id, listing.account_id):
        ledger.get_bank(actor, listing.bank_id)  # sign-in and role first
        raise NotFound(ledger.NOT_FOUND)  # a coordinator too: the two members' own words
    messages = db.session.execute(select(Message, User.display_name).join(Account, Account.id == Message.author_id)
                                  .join(User, User.id == Account.user_id)
                                  .where(Message.conversation_id == found.id)
                                  .order_by(Message.created_at, Message.id)).all()
    return found, listing, list(messages)


def reply(actor, conversation_id: str, body: str) -> Message:
    found, listing, _ = conversation(actor, conversation_id)
    account = _active_member(actor, listing.bank_id)
    _check_body(body)
    return _write(found, account, body, listing)


def my_conversations(actor, bank_id: str) -> list[tuple[Conversation, Listing, str]]:
    """Conversations I started or that answer my listings: (conversation, listing, the other's name)."""
    mine = ledger.my_account(actor, bank_id)
    if mine is None:
        return []
    rows = db.session.execute(select(Conversation, Listing).join(Listing, Listing.id == Conversation.listing_id).where(
        Listing.bank_id == bank_id, or_(Conversation.account_id == mine.id, Listing.account_id == mine.id))
        .order_by(Conversation.created_at.desc())).all()
    others = {c.account_id if l.account_id == mine.id else l.account_id for c, l in rows}
    names = dict(db.session.execute(select(Account.id, User.display_name).join(User, User.id == Account.user_id)
                                    .where(Account.id.in_(others))).all()) if others else {}
    return [(c, l, names.get(c.account_id if l.account_id == mine.id else l.account_id, "A member")) for c, l in rows]


# ------------------------------------------------------------------ a member's public profile

def profile(actor, bank_id: str, account_id: str) -> tuple[Account, str, set[str], list[Listing]]:
    """What members of a bank see of each other: name, badges and open listings; never a balance."""
    bank = ledger.get_bank(actor, bank_id)
    account = db.session.get(Account, account_id) if is_uuid(account_id or "") else None
    if account is None or account.bank_id != bank.id or account.kind != "member" or account.status == "left":
        raise NotFound(ledger.NOT_FOUND)
    name = db.session.scalar(select(User.display_name).where(User.id == account.user_id))
    listings = list(db.session.scalars(select(Listing).where(Listing.account_id == account.id, Listing.status == "open")
                                       .order_by(Listing.created_at.desc())))
    return account, name, membership.badges(bank.id, [account.user_id]).get(account.user_id, set()), listings
