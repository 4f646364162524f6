"""Sign-in beyond the password: identities at the OpenID Connect provider, TOTP second factors, recovery codes,
and the few sign-in policies admins set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from leads.models.base import utc_column


class StaffIdentity(SQLModel, table=True):
    """A member of staff's stable identity at one provider: the token's `oid` (Entra ID) or else its `sub`.

    Bound at first sign-in, by verified email to a user an admin added, or by the provider's role mapping
    (`provisioned`); matched by (issuer, subject) ever after, so a changed email never moves an account.
    """

    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_staffidentity_subject"),
        UniqueConstraint("user_id", "issuer", name="uq_staffidentity_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    provisioned: bool = Field(default=False)  # created from a mapped role, not added by an admin
    bound_at: datetime = utc_column()
    last_sign_in_at: datetime | None = utc_column(nullable=True)


class TotpSecret(SQLModel, table=True):
    """A user's TOTP (RFC 6238) secret; `confirmed_at` is None until a first code proved the enrolment."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    secret: str = Field(max_length=64)  # base32
    created_at: datetime = utc_column()
    confirmed_at: datetime | None = utc_column(nullable=True)
    last_step: int | None = Field(default=None)  # the last accepted time step: no code is accepted twice


class RecoveryCode(SQLModel, table=True):
    """A one-use recovery code, stored only as a SHA-256 hash (the codes are random, ~50 bits each)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_column()
    used_at: datetime | None = utc_column(nullable=True)


class SignInPolicy(SQLModel, table=True):
    """A sign-in policy an admin set (e.g. `totp_required`), with who set it and when."""

    name: str = Field(max_length=64, primary_key=True)
    value: str = Field(max_length=255)
    changed_at: datetime = utc_column()
    changed_by: str = Field(max_length=254)
