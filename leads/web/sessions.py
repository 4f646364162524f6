"""How long a session lives and what it is bound to (the user loader checks the session version).

The user loader (`load_user`) reads the session's user with the sign-in policy and the user's second factor in
one statement (`leads.staff.users.load_for_session`), every request, and keeps what it read in `flask.g` for
this request alone (`signed_in`): the second-factor check (`leads.web.second_factor.enrol_first`) and the staff
page share that read instead of asking again. Nothing outlives the request: every worker reads the user and the
policy afresh at the next one.

A session ends when the user's session version moves (`leads.staff.users.end_sessions`: logout, password,
role, deactivation), after SESSION_IDLE_TIMEOUT without a request, SESSION_MAX_AGE after login whatever
happens, or when it arrives from another client address or browser than the one that logged in. The address
is `request.remote_addr`: the peer, or what ProxyFix took from TRUSTED_PROXY_COUNT proxies; never a raw
X-Forwarded-For (flask-login's "strong" mode reads that header, so it is switched off in `permissions`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, g, request, session
from flask_login import current_user, logout_user

from leads import db
from leads.staff import users

BORN, SEEN, BOUND = "_born", "_seen", "_bound"
_SIGNED_IN = "signed_in"  # in flask.g: this request's `users.SignedIn`, as the user loader read it
SEEN_GRANULARITY = 60  # seconds: the last-seen time is rewritten at most once a minute (fewer cookie writes)


def started() -> None:
    """Call right after `login_user`: stamp the session with its birth, last use and binding."""
    now = _epoch()
    session.permanent = True  # the cookie itself expires after PERMANENT_SESSION_LIFETIME (= SESSION_MAX_AGE)
    session.update({BORN: now, SEEN: now, BOUND: _fingerprint()})


def enforce() -> Any:
    """Before each request (`pipeline`, before login is required): log out a session that has ended."""
    if "_user_id" not in session:
        return None
    now, config = _epoch(), current_app.config
    born, seen = session.get(BORN), session.get(SEEN)
    if (
        not isinstance(born, int)
        or not isinstance(seen, int)
        or now - seen > config["SESSION_IDLE_TIMEOUT"].total_seconds()
        or now - born > config["SESSION_MAX_AGE"].total_seconds()
        or session.get(BOUND) != _fingerprint()
    ):
        logout_user()
        session.clear()
        return None  # now anonymous: login_required answers as for anyone else
    if now - seen >= SEEN_GRANULARITY:
        session[SEEN] = now
    return None


def load_user(token: str) -> Any:
    """flask-login's user loader (`permissions`): the session's user, only while active and while the session's
    version is theirs; what the sign-in policy asks of them is kept for this request (`signed_in`)."""
    found = users.load_for_session(session=db.session(), token=token)
    g.pop(_SIGNED_IN, None)
    if found is None:
        return None
    setattr(g, _SIGNED_IN, found)
    return found.user


def signed_in() -> users.SignedIn:
    """The sign-in state of the current (authenticated) user: the loader's read of this request, or else (a user
    logged in during this request, or the state forgotten after a write) a fresh one."""
    user = current_user._get_current_object()
    found = g.get(_SIGNED_IN)
    if found is not None and found.user is user:
        return found
    found = users.signed_in(session=db.session(), user=user)
    setattr(g, _SIGNED_IN, found)
    return found


def viewer_version() -> int | None:
    """The viewer version this request's user was read with (`users.SignedIn`): what the menus every page shows
    are kept under (`leads.workspace.viewer`)."""
    return signed_in().viewer_version


def forget_signed_in() -> None:
    """Call after changing the sign-in policy or a second factor: later reads in this request ask again."""
    g.pop(_SIGNED_IN, None)


def _epoch() -> int:
    return int(db.now().timestamp())


def _fingerprint() -> str:
    """The client as the app itself trusts it: its address (after ProxyFix) and its browser."""
    client = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(client.encode()).hexdigest()[:32]
