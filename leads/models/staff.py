"""Staff accounts and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from leads.models.base import text_column, utc_column


class User(SQLModel, table=True):
    """A member of staff who can log in. `role` is one of ROLES."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = utc_column()
    # Raised whenever every session of this user must end (logout, password, role, deactivation): a session
    # carries the version it was opened with (`get_id`) and the user loader refuses any other.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})

    # flask-login's user protocol, spelt out rather than mixed in (UserMixin's __eq__ would shadow SQLModel's).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session keeps: the id and the session version ("7:3"), so raising the version ends it."""
        return f"{self.id}:{self.session_version}"


class AuditEvent(SQLModel, table=True):
    """An append-only record of who did what to which record, and when. Never updated or deleted."""

    # The audit page pages by (at, id), newest first, filtered by member of staff, record, or neither: each
    # filter has an index that also yields that order, so a page never sorts millions of events.
    __table_args__ = (
        Index("ix_auditevent_record", "record_type", "record_id"),
        Index("ix_auditevent_at_id", "at", "id"),
        Index("ix_auditevent_actor_at_id", "actor_user_id", "at", "id"),
        Index("ix_auditevent_record_at_id", "record_type", "record_id", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column(index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    actor: str = Field(max_length=254)  # the user's email, or "system:<job>"
    action: str = Field(max_length=100, index=True)
    record_type: str | None = Field(default=None, max_length=50)
    record_id: str | None = Field(default=None, max_length=100)
    details: str | None = text_column()  # JSON


class SavedView(SQLModel, table=True):
    """A member of staff's named set of filters and sort for one list ("leads" or "installations")."""

    __table_args__ = (UniqueConstraint("user_id", "page", "name", name="uq_savedview_user_page_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    page: str = Field(max_length=20)
    name: str = Field(max_length=100)
    query: str = Field(max_length=2000)  # the list's URL query string, without paging
    created_at: datetime = utc_column()


class ViewerVersion(SQLModel, table=True):
    """One row (id 1): a stamp the database's triggers move on every write to the tables whose menus every page
    shows its viewer (migration 0031; `leads.workspace.viewer` keeps those menus cached under it)."""

    id: int = Field(primary_key=True)
    stamp: int = Field(sa_column=Column(BigInteger, nullable=False))
