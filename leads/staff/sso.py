"""Who may come in through the OpenID Connect provider, and as what.

The rule, applied to the claims of an ID token that `leads.web.oidc` has already verified:

1. The identity is (issuer, `oid`) — Entra ID's object id, stable for the person across apps — or (issuer, `sub`)
   when the provider sends no `oid`. Once bound to a member of staff it is matched on that alone.
2. Not yet bound: a member of staff with the token's email is bound to it, only if the provider says the email is
   verified (`email_verified` or Entra ID's `xms_edov`), and only if that member is not bound to another subject.
3. Nobody to bind, but the token carries an app role or group that the role map maps: a member of staff is
   created with that role (`provisioned`). Otherwise the sign-in is refused: an admin has not added them.
4. A deactivated member of staff is refused, whatever the token says.
5. The role follows the provider at every sign-in when the token carries a mapped role. When it carries none,
   staff an admin added keep the role the admin gave; provisioned staff, who only had the provider's word, are
   refused.

Every sign-in and every refusal is audited with its reason, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from leads.models import ROLES, StaffIdentity, User
from leads.staff import audit, users

#: Never matches a scrypt hash: staff created by the provider have no local password.
MAX_EMAIL, MAX_SUBJECT = 254, 255  # the columns' lengths (User.email, StaffIdentity.subject)
NO_PASSWORD = "!sso-only"  # noqa: S105  # nosec B105 # not a password: a hash value no password matches


class SignInRefused(Exception):
    """The provider vouched for someone who may not come in; `reason` is safe to show and is audited."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def add_member(*, session: Session, email: str, role: str, now: datetime, actor: User) -> User:
    """An admin adds a member of staff who will sign in only through the provider (no local password). Commits.

    Refuses (users.UserError) an unknown role, a non-email or a taken email, like `users.create_user`.
    """
    email = users.normalise_email(email)
    if role not in ROLES:
        raise users.UserError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if "@" not in email:
        raise users.UserError("That is not an email address.")
    if users.get_by_email(session=session, email=email) is not None:
        raise users.UserError(f"A user with email {email} already exists.")
    user = User(email=email, password_hash=NO_PASSWORD, role=role, created_at=now)
    session.add(user)
    session.flush()
    created = {"email": email, "role": role, "sign_in": "single sign-on only"}
    audit.commit(session=session, at=now, actor=actor, action="user.create", on=("user", user.id), details=created)
    return user


def parse_role_map(text: str) -> dict[str, str]:
    """`"Leads.Admin=admin, <group id>=support"` as {app role or group id: role}; ValueError on a bad entry."""
    mapping: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        claim, _, role = (piece.strip() for piece in entry.partition("="))
        if not claim or role not in ROLES:
            raise ValueError(f"OIDC_ROLE_MAP entry {entry!r}: write CLAIM=ROLE with ROLE one of {', '.join(ROLES)}")
        mapping[claim] = role
    return mapping


def mapped_role(claims: Mapping[str, Any], role_map: Mapping[str, str]) -> str | None:
    """The role the token's app roles and groups map to; several: the first of ROLES (admin, sales, support)."""
    carried = set(_strings(claims.get("roles"))) | set(_strings(claims.get("groups")))
    granted = {role_map[name] for name in carried if name in role_map}
    return next((role for role in ROLES if role in granted), None)


def subject_of(claims: Mapping[str, Any]) -> str:
    """The stable subject: Entra ID's `oid` when present, else `sub`."""
    return str(claims.get("oid") or claims["sub"])


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The token's email, normalised, only if the provider says it verified it; else None."""
    email = claims.get("email")
    verified = claims.get("email_verified") is True or claims.get("xms_edov") in (True, "1", 1)
    if isinstance(email, str) and "@" in email and len(email) <= MAX_EMAIL and verified:
        return users.normalise_email(email)
    return None


def sign_in(
    *, session: Session, issuer: str, claims: Mapping[str, Any], role_map: Mapping[str, str], now: datetime
) -> User:
    """The member of staff these verified claims sign in as (role updated, identity bound); audited. Commits.

    Raises SignInRefused (after committing the refusal's audit event) when the rule above says no.
    """
    subject, role = subject_of(claims), mapped_role(claims, role_map)
    details = {"issuer": issuer, "subject": subject[:MAX_SUBJECT], "email": claims.get("email"), "provider_role": role}
    try:
        if len(subject) > MAX_SUBJECT:
            raise SignInRefused("the provider's subject identifier is too long to be one of ours", status=400)
        user, identity = _match(session=session, issuer=issuer, subject=subject, claims=claims, role=role, now=now)
        _check_allowed(user=user, identity=identity, role=role)
    except SignInRefused as refusal:
        session.rollback()
        refuse(session=session, reason=refusal.reason, now=now, details=details)
        raise
    _take_role(session, user, role, details)
    identity.last_sign_in_at = now
    session.add(identity)
    audit.commit(session=session, at=now, actor=user, action="sso.sign_in", on=("user", user.id), details=details)
    return user


def _take_role(session: Session, user: User, role: str | None, details: dict[str, Any]) -> None:
    """The provider's role, if it maps to one, becomes the user's (the audit `details` keep the one before)."""
    if role is not None and role != user.role:
        details["role_before"] = user.role
        user.role = role
        user.session_version += 1  # a role change ends the user's other sessions at once
        session.add(user)


def refuse(*, session: Session, reason: str, now: datetime, details: Mapping[str, Any] | None = None) -> None:
    """Audit a refused sign-in (bad token, wrong state, unknown or deactivated member of staff). Commits."""
    actor = f"sso:{(details or {}).get('email') or (details or {}).get('subject') or 'unknown'}"[:254]
    audit.commit(
        session=session, at=now, actor=actor, action="sso.refused", details={**(details or {}), "reason": reason}
    )


def _match(
    *, session: Session, issuer: str, subject: str, claims: Mapping[str, Any], role: str | None, now: datetime
) -> tuple[User, StaffIdentity]:
    """The bound user, else one bound now by verified email, else one created from the mapped role."""
    identity = session.exec(
        select(StaffIdentity).where(StaffIdentity.issuer == issuer, StaffIdentity.subject == subject)
    ).first()
    if identity is not None:
        return session.get(User, identity.user_id), identity  # type: ignore[return-value]
    email = verified_email(claims)
    user = users.get_by_email(session=session, email=email) if email else None
    if user is not None:
        if _bound_elsewhere(session=session, user=user, issuer=issuer):
            raise SignInRefused("this email belongs to a member of staff bound to another account at the provider")
        return user, _bind(session=session, user=user, issuer=issuer, subject=subject, provisioned=False, now=now)
    if role is None:
        raise SignInRefused("not a member of staff: an admin has not added you and the provider gives no role here")
    if email is None:
        raise SignInRefused("the provider sent no verified email, so no account can be made")
    user = User(email=email, password_hash=NO_PASSWORD, role=role, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session=session, at=now, actor="system:sso", action="user.create", record_type="user",
                 record_id=user.id, details={"email": email, "role": role, "by": "provider role"})  # fmt: skip
    return user, _bind(session=session, user=user, issuer=issuer, subject=subject, provisioned=True, now=now)


def _check_allowed(*, user: User, identity: StaffIdentity, role: str | None) -> None:
    if not user.active:
        raise SignInRefused("this member of staff is deactivated")
    if role is None and identity.provisioned:
        raise SignInRefused("the provider no longer gives you a role here")


def _bound_elsewhere(*, session: Session, user: User, issuer: str) -> bool:
    found = select(StaffIdentity).where(StaffIdentity.user_id == user.id, StaffIdentity.issuer == issuer)
    return session.exec(found).first() is not None


def _bind(
    *, session: Session, user: User, issuer: str, subject: str, provisioned: bool, now: datetime
) -> StaffIdentity:
    identity = StaffIdentity(user_id=user.id, issuer=issuer, subject=subject, provisioned=provisioned, bound_at=now)
    session.add(identity)
    session.flush()
    return identity


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
