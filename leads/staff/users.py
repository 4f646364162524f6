"""Staff accounts: create, authenticate, change role, activate/deactivate, change and reset passwords.

Passwords are scrypt hashes, checked for strength by `leads.rules.passwords`; the functions that hash take
the app's PASSWORD_HASH_METHOD, which only the test suite may set to anything else (`leads.config`).
Everything that changes who may act as a user (a password, a role, deactivation, logout) raises their session
version, ending their sessions.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from leads.config import PASSWORD_HASH
from leads.models import ROLES, SignInPolicy, TotpSecret, User, ViewerVersion
from leads.rules import passwords
from leads.staff import audit, totp

_DUMMY_PASSWORD = "timing-equaliser-not-a-password"  # noqa: S105  # nosec B105 # hashed, never a login


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the email is unknown, so both failures cost the same time (made with the method
    real hashes are made with; the production one is made at import, so no first request pays for it)."""
    return generate_password_hash(_DUMMY_PASSWORD, method=method)


_dummy_hash(PASSWORD_HASH)


class UserError(ValueError):
    """A user operation was refused; the message is safe to show to staff."""


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


class PasswordError(UserError):
    """A password was refused (too weak, or the current one was wrong); the message says why."""


class WrongPassword(PasswordError):
    """The current password given to prove it is you was wrong (a guess the login throttle counts)."""


def validate_password(password: str, *, email: str = "") -> None:
    """Refuse a password the strength estimator (`leads.rules.passwords`) finds too easy to guess."""
    problem = passwords.weakness(password, user_inputs=[email] if email else [])
    if problem:
        raise PasswordError(problem)


def create_user(
    *,
    session: Session,
    email: str,
    password: str,
    role: str,
    now: datetime,
    actor: User | str,
    hash_method: str = PASSWORD_HASH,
) -> User:
    """Create an active user; refuses an unknown role, a short password or a taken email. Commits."""
    email = normalise_email(email)
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if "@" not in email:
        raise UserError("That is not an email address.")
    validate_password(password, email=email)
    if get_by_email(session=session, email=email) is not None:
        raise UserError(f"A user with email {email} already exists.")
    password_hash = generate_password_hash(password, method=hash_method)
    user = User(email=email, password_hash=password_hash, role=role, created_at=now)
    session.add(user)
    session.flush()
    created = {"email": email, "role": role}
    audit.commit(session=session, at=now, actor=actor, action="user.create", on=("user", user.id), details=created)
    return user


def get_by_email(*, session: Session, email: str) -> User | None:
    """The user with that email (case-insensitive), or None."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def get(*, session: Session, user_id: int) -> User | None:
    """The user with that id, or None."""
    return session.get(User, user_id)


def authenticate(*, session: Session, email: str, password: str, hash_method: str = PASSWORD_HASH) -> User | None:
    """The active user whose email and password match, else None (unknown and wrong cost the same when
    `hash_method` is the one the passwords were hashed with)."""
    user = get_by_email(session=session, email=email)
    if user is None:
        check_password_hash(_dummy_hash(hash_method), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def list_users(*, session: Session) -> list[User]:
    """All users, by email."""
    return list(session.exec(select(User).order_by(User.email)))


def staff_choices() -> Any:
    """Every user as the lists' owner choices need them: (id, email, active) rows, no ORM objects. A statement
    for a list page to send with its other choices (`leads.workspace.listpages`), ordered there by email."""
    return select(col(User.id), col(User.email), col(User.active))


def update_user(*, session: Session, user: User, role: str, active: bool, now: datetime, actor: User) -> User:
    """Change a user's role and active flag; an admin cannot demote or deactivate themself. Commits.

    Any change ends every session of that user (they log in again under the new role, or not at all)."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}.")
    if user.id == actor.id and (role != "admin" or not active):
        raise UserError("You cannot remove your own admin role or deactivate yourself.")
    before = {"role": user.role, "active": user.active}
    if before != {"role": role, "active": active}:
        user.session_version += 1  # a new role or a deactivation takes effect now, in every open session
    user.role, user.active = role, active
    session.add(user)
    change = {"before": before, "after": {"role": role, "active": active}}
    audit.commit(session=session, at=now, actor=actor, action="user.update", on=("user", user.id), details=change)
    return user


def end_sessions(*, session: Session, user: User) -> User:
    """End every session of `user` at once, wherever it was opened (the version in each one is now stale). Commits."""
    user.session_version += 1
    session.add(user)
    session.commit()
    return user


class SignedIn(NamedTuple):
    """A session's user and what the sign-in policy asks of them, read together in one statement."""

    user: User
    totp_required: bool  # admins require a second factor of everyone who signs in with a password
    totp_enrolled: bool  # the user has a confirmed second factor
    # The stamp the database moves on every write to the staff, marketing lists and saved views (migration 0031),
    # read in the same statement: what `leads.workspace.viewer` keeps the menus under. None: do not keep them.
    viewer_version: int | None = None


def load_for_session(*, session: Session, token: str) -> SignedIn | None:
    """The active user a session's token (`User.get_id`, "id:version") names, if that version is still current,
    with the sign-in policy, their second factor and the viewer version: one statement, every request, never
    cached (a deactivation, a role change or a new policy must hold at the very next request in every worker)."""
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or int(user_id) >= 2**31:
        return None  # a session from before versions, or a forged one
    signed_in = _signed_in(session=session, user_id=int(user_id))
    if signed_in is None or not signed_in.user.active or signed_in.user.get_id() != token:
        return None
    return signed_in


def signed_in(*, session: Session, user: User) -> SignedIn:
    """What `load_for_session` reads, read afresh for a user already loaded (one statement), about that user."""
    found = _signed_in(session=session, user_id=user.id) if user.id is not None else None
    if found is None:  # not (or no longer) in the table
        return SignedIn(user, totp.is_required(session=session), totp.is_enrolled(session=session, user=user))
    return SignedIn(user, found.totp_required, found.totp_enrolled, found.viewer_version)


def _signed_in(*, session: Session, user_id: int) -> SignedIn | None:
    """The user, the second-factor policy (one row by its primary key, outer-joined: most databases have none),
    the user's confirmed second factor and the viewer version (its one row, outer-joined: a missing row reads as
    None), in one statement; `populate_existing`: the row as committed, even if this database session had
    already loaded the user."""
    query = (
        select(User, col(SignInPolicy.value), col(TotpSecret.confirmed_at), col(ViewerVersion.stamp))
        .select_from(User)
        .outerjoin(SignInPolicy, col(SignInPolicy.name) == totp.REQUIRED)
        .outerjoin(TotpSecret, col(TotpSecret.user_id) == User.id)
        .outerjoin(ViewerVersion, col(ViewerVersion.id) == 1)
        .where(User.id == user_id)
        .execution_options(populate_existing=True)
    )
    row = session.exec(query).first()
    if row is None:
        return None
    user, policy, confirmed_at, stamp = row
    return SignedIn(user, totp.required_by(policy), confirmed_at is not None, stamp)


def change_password(
    *, session: Session, user: User, current: str, new: str, now: datetime, hash_method: str = PASSWORD_HASH
) -> User:
    """The user chooses a new password, proving the current one: audited; every session of theirs ends (the
    caller logs the current one in again under the new version). Commits."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword("Your current password was not right.")
    if new == current:
        raise PasswordError("Choose a password you have not used here.")
    _set_password(session=session, user=user, password=new, must_change=False, hash_method=hash_method)
    audit.commit(session=session, at=now, actor=user, action="user.password_change", on=("user", user.id))
    return user


def reset_password(
    *, session: Session, user: User, new: str, now: datetime, actor: User, hash_method: str = PASSWORD_HASH
) -> User:
    """An admin gives `user` a new password, to be changed at their next login: audited (never the password);
    every session of theirs ends. Commits."""
    if user.id == actor.id:
        raise UserError("Change your own password from your account page, with your current password.")
    _set_password(session=session, user=user, password=new, must_change=True, hash_method=hash_method)
    audit.commit(session=session, at=now, actor=actor, action="user.password_reset", on=("user", user.id))
    return user


def _set_password(*, session: Session, user: User, password: str, must_change: bool, hash_method: str) -> None:
    validate_password(password, email=user.email)
    user.password_hash = generate_password_hash(password, method=hash_method)
    user.must_change_password = must_change
    user.session_version += 1
    session.add(user)
