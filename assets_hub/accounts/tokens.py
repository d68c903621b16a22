"""Personal API tokens: ``Authorization: Bearer TOKEN`` acts as the token's owner on every JSON API
that acts for a signed-in person. Made by the owner (account page) or the CLI; shown once; only
the SHA-256 is kept; revoked, never deleted."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from assets_hub.accounts.models import AccountEvent, ApiToken, User
from assets_hub.db import db, utcnow
from assets_hub.errors import Invalid, NotFound
from assets_hub.ids import is_uuid
from assets_hub.roles import SYSTEM, actor_label, require_role

PREFIX = "ah_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user`` (the user themselves, or the CLI). Returns (record, the token)."""
    if actor is not SYSTEM and getattr(actor, "id", None) != user.id:
        require_role(actor, "admin", action="make tokens for someone else")
    name = " ".join((name or "").split()) or "API token"
    if len(name) > 100:
        raise Invalid("Keep the token's name under 100 characters.", {"name": ["Too long."]})
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, name=name, token_hash=_hash(token), prefix=token[:10])
    db.session.add(record)
    db.session.add(AccountEvent(user_id=user.id, action="token_created", detail=name,
                                actor="system" if actor is SYSTEM else actor_label(actor)))
    db.session.flush()
    return record, token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id)))


def revoke_token(actor, token_id: str) -> ApiToken:
    """The owner (or an admin) revokes a token: it stops working at once."""
    record = db.session.get(ApiToken, token_id) if is_uuid(token_id or "") else None
    if record is None or (record.user_id != getattr(actor, "id", None) and getattr(actor, "role", None) != "admin"):
        raise NotFound("There is no such token.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.add(AccountEvent(user_id=record.user_id, action="token_revoked", detail=record.name,
                                    actor=actor_label(actor)))
        db.session.flush()
    return record


def user_for_token(token: str) -> User | None:
    """The active owner of a live token, or None. Notes when it was last used (to the minute)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = _hash(token)
    found = db.session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                               .where(ApiToken.token_hash == digest)).first()  # (one round trip for both)
    if found is None:
        return None
    record, user = found
    if record.revoked_at is not None or not hmac.compare_digest(record.token_hash, digest) or not user.active:
        return None
    now = utcnow()
    if record.last_used_at is None or (now - record.last_used_at.replace(tzinfo=now.tzinfo)).total_seconds() > 60:
        record.last_used_at = now
    return user
