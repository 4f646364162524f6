"""The second factor for local accounts: TOTP (RFC 6238, pyotp) and one-use recovery codes.

- Enrolment is two steps: `start_enrolment` makes a secret (unconfirmed; shown as a QR code), and
  `confirm_enrolment` turns it on only when a code from the authenticator matches, returning the recovery
  codes — the only time they exist in clear. They are stored as SHA-256 hashes: each is ~50 random bits, so a
  slow hash would add nothing but a slower login.
- `verify` accepts the code of the current 30-second step or either neighbour (clock drift), but never a step
  at or before the last one accepted: a code cannot be used twice, not even within its window.
- Admins may require enrolment of everyone who signs in with a password (`set_required`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import or_, update
from sqlmodel import Session, select

from leads.models import RecoveryCode, SignInPolicy, TotpSecret, User
from leads.staff import audit

ISSUER_NAME = "RADNAC Leads"
DRIFT_STEPS = 1  # one step either side: 30 s of clock drift between phone and server
RECOVERY_CODES = 10
REQUIRED = "totp_required"  # the policy row (`SignInPolicy.name`) admins set
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def secret_of(*, session: Session, user: User) -> TotpSecret | None:
    """The user's TOTP secret row, confirmed or not."""
    return session.get(TotpSecret, user.id)


def is_enrolled(*, session: Session, user: User) -> bool:
    """Whether the user has a confirmed second factor."""
    row = secret_of(session=session, user=user)
    return row is not None and row.confirmed_at is not None


def start_enrolment(*, session: Session, user: User, now: datetime) -> TotpSecret:
    """A fresh unconfirmed secret for the user (replacing an unconfirmed one); refuses if already enrolled. Commits."""
    row = secret_of(session=session, user=user)
    if row is not None and row.confirmed_at is not None:
        raise ValueError("a second factor is already set up")
    if row is None:
        row = TotpSecret(user_id=user.id, secret=pyotp.random_base32(), created_at=now)
        session.add(row)
        session.commit()
    return row


def provisioning_uri(*, secret: str, email: str) -> str:
    """The otpauth:// URI the authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER_NAME)


def confirm_enrolment(*, session: Session, user: User, code: str, now: datetime) -> list[str] | None:
    """Turn the second factor on if `code` matches the pending secret; the recovery codes, else None. Commits."""
    row = secret_of(session=session, user=user)
    if row is None or row.confirmed_at is not None or _matching_step(row, code, now) is None:
        return None
    row.confirmed_at, row.last_step = now, _matching_step(row, code, now)
    session.add(row)
    codes = _replace_recovery_codes(session=session, user=user, now=now)
    audit.commit(session=session, at=now, actor=user, action="totp.enrol", on=("user", user.id))
    return codes


def verify(*, session: Session, user: User, code: str, now: datetime) -> bool:
    """Whether `code` is a fresh TOTP code or an unused recovery code of this enrolled user. Commits a use."""
    row = secret_of(session=session, user=user)
    if row is None or row.confirmed_at is None:
        return False
    step = _matching_step(row, code, now)
    if step is not None and _advance(session=session, user_id=row.user_id, step=step):
        return True
    return _use_recovery_code(session=session, user=user, code=code, now=now)


def _advance(*, session: Session, user_id: int, step: int) -> bool:
    """Record `step` as used, only if it is later than the last one used. Commits.

    One conditional UPDATE, so two requests racing with the same code cannot both win.
    """
    newer = or_(TotpSecret.last_step.is_(None), TotpSecret.last_step < step)  # type: ignore[union-attr,operator]
    result = session.exec(update(TotpSecret).where(TotpSecret.user_id == user_id, newer).values(last_step=step))  # type: ignore[call-overload]
    session.commit()
    session.expire_all()
    return result.rowcount == 1


def remaining_recovery_codes(*, session: Session, user: User) -> int:
    """How many recovery codes the user has left."""
    return len(_unused(session=session, user=user))


def enrolled_user_ids(*, session: Session) -> set[int]:
    """The ids of users with a confirmed second factor (for the staff page)."""
    return set(session.exec(select(TotpSecret.user_id).where(TotpSecret.confirmed_at.is_not(None))))  # type: ignore[union-attr]


def reset(*, session: Session, user: User, now: datetime, actor: User) -> None:
    """An admin removes a user's second factor (lost phone and codes); they may enrol again. Audited. Commits."""
    row = secret_of(session=session, user=user)
    if row is not None:
        session.delete(row)
    for code in _unused(session=session, user=user):
        code.used_at = now
        session.add(code)
    audit.commit(session=session, at=now, actor=actor, action="totp.reset", on=("user", user.id))


def is_required(*, session: Session) -> bool:
    """Whether admins require a second factor of everyone signing in with a password."""
    row = session.get(SignInPolicy, REQUIRED)
    return required_by(None if row is None else row.value)


def required_by(value: str | None) -> bool:
    """Whether the policy row's value (None: no row) requires a second factor."""
    return value == "yes"


def set_required(*, session: Session, required: bool, now: datetime, actor: User) -> None:
    """Require (or stop requiring) enrolment of everyone with a password. Audited. Commits."""
    row = session.get(SignInPolicy, REQUIRED) or SignInPolicy(name=REQUIRED, value="no", changed_at=now, changed_by="")
    row.value, row.changed_at, row.changed_by = ("yes" if required else "no"), now, actor.email
    session.add(row)
    audit.commit(session=session, at=now, actor=actor, action="policy.totp_required", details={"required": required})


def _matching_step(row: TotpSecret, code: str, now: datetime) -> int | None:
    """The time step (within the drift) whose code equals `code`, compared in constant time; else None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp, here = pyotp.TOTP(row.secret), int(now.timestamp()) // 30
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _replace_recovery_codes(*, session: Session, user: User, now: datetime) -> list[str]:
    for old in _unused(session=session, user=user):
        old.used_at = now  # spent, not deleted: the record of what existed stays
        session.add(old)
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2)) for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code), created_at=now))
    return codes


def _use_recovery_code(*, session: Session, user: User, code: str, now: datetime) -> bool:
    wanted = _hash(code)
    for row in _unused(session=session, user=user):
        if hmac.compare_digest(row.code_hash, wanted):
            row.used_at = now
            session.add(row)
            audit.commit(session=session, at=now, actor=user, action="totp.recovery_code_used", on=("user", user.id))
            return True
    return False


def _unused(*, session: Session, user: User) -> list[RecoveryCode]:
    query = select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(query))


def _hash(code: str) -> str:
    return hashlib.sha256("".join(ch for ch in code.lower() if ch.isalnum()).encode()).hexdigest()
