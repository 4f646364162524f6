"""Authentication events in the audit trail: password log-ins that succeed or fail, wrong
second-factor codes, wrong current passwords on the change-password page, log-outs and lock-outs. Single
sign-on audits its own (`leads.staff.sso`).

Never the typed secret, and never a typed email that names nobody (people type passwords into the email
field): a failure names the account only when one exists, as the record it was against. The actor of a failure
is "anonymous": the password was not theirs to prove. Every failure is throttled before it is recorded
(`leads.web.throttle`), so an unauthenticated caller adds at most the throttle's budget of rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from leads.models import User
from leads.staff import audit, users

ANONYMOUS = "anonymous"
LOGIN_SUCCEEDED, LOGIN_FAILED, CODE_FAILED = "login.succeeded", "login.failed", "login.code_failed"
LOGGED_OUT, LOCKED_OUT = "logout", "login.locked_out"
CHANGE_PROOF_FAILED = "login.current_password_failed"


def succeeded(*, session: Session, user: User, method: str, address: str | None, now: datetime) -> None:
    """`user` logged in with a password (`method`: "password" or "password+code"). Commits."""
    details = {"method": method, "address": address}
    audit.commit(session=session, at=now, actor=user, action=LOGIN_SUCCEEDED, on=("user", user.id), details=details)


def failed(*, session: Session, email: str, address: str | None, now: datetime) -> None:
    """A password log-in was refused: against the account with that email if there is one, else against
    nobody (the typed text is not kept). Commits."""
    user = users.get_by_email(session=session, email=email) if len(email) <= 254 else None
    on = ("user", user.id) if user is not None else None
    details = {"address": address, "account": "known" if user is not None else "unknown"}
    audit.commit(session=session, at=now, actor=ANONYMOUS, action=LOGIN_FAILED, on=on, details=details)


def code_failed(*, session: Session, user: User, address: str | None, now: datetime) -> None:
    """A wrong second-factor code after `user`'s right password (the code is not kept). Commits."""
    details = {"address": address}
    audit.commit(session=session, at=now, actor=ANONYMOUS, action=CODE_FAILED, on=("user", user.id), details=details)


def current_password_failed(*, session: Session, user: User, address: str | None, now: datetime) -> None:
    """A signed-in session typed a wrong current password when changing `user`'s password: a stolen session
    guessing looks like this. The actor is anonymous, as for any failed proof; the password is not kept. Commits."""
    details = {"address": address}
    audit.commit(
        session=session, at=now, actor=ANONYMOUS, action=CHANGE_PROOF_FAILED, on=("user", user.id), details=details
    )


def logged_out(*, session: Session, user: User, address: str | None, now: datetime) -> None:
    """`user` logged out (every session of theirs ended). Commits."""
    audit.commit(
        session=session, at=now, actor=user, action=LOGGED_OUT, on=("user", user.id), details={"address": address}
    )


def locked_out(*, session: Session, limit: str, email: str | None, address: str | None, now: datetime) -> None:
    """A throttle limit was reached (`limit`: "account" or "address"); called once per limit and window. Commits."""
    user = users.get_by_email(session=session, email=email) if email and len(email) <= 254 else None
    on = ("user", user.id) if user is not None and limit == "account" else None
    details = {"limit": limit, "address": address}
    audit.commit(session=session, at=now, actor=ANONYMOUS, action=LOCKED_OUT, on=on, details=details)
