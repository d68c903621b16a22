from __future__ import annotations

from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets_hub.db import Base, utcnow
from assets_hub.ids import UUID_LEN, id_column
from assets_hub.roles import ROLE_LABELS


class User(UserMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('admin','curator','provider','link_worker','referrer','timebank_coordinator',"
                        "'member','commissioner')",
                        name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # In every session cookie; raised by signing out, changing the password or being disabled,
    # which ends every session signed in before (an old cookie names an older version).
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # A second factor (TOTP, RFC 6238): the shared secret, once the person has proved their app
    # shows the right codes (confirmed), and the last time step used (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    def get_id(self) -> str:  # what Flask-Login keeps in the session cookie
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class AccountEvent(Base):
    """Something done to an account, by whom and when: never edited, never deleted with the account."""

    __tablename__ = "account_event"

    id: Mapped[str] = id_column()
    # Not a foreign key: the record outlives the account it is about.
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    actor: Mapped[str] = mapped_column(String(254), nullable=False)  # a name and role, never an email
    # To the microsecond (utcnow() drops them): events of one second keep their order.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 default=lambda: datetime.now(timezone.utc))


class PasswordReset(Base):
    """A single-use, expiring link to set a new password. Only the token's SHA-256 is stored."""

    __tablename__ = "password_reset"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A personal token for the JSON APIs (``Authorization: Bearer ...``): it acts as its owner.
    Shown once when made; only its SHA-256 is stored. Revoked, never deleted (the record stays)."""

    __tablename__ = "api_token"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)  # shown in lists, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(Base):
    """A single-use code for when the authenticator app is lost. Only its SHA-256 is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(String(UUID_LEN), ForeignKey("user_account.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
