"""How long a session lives and what it is bound to (the user loader checks the session version).

A session ends when the user's session version moves (`leads.staff.users.end_sessions`: logout, password,
role, deactivation), after SESSION_IDLE_TIMEOUT without a request, SESSION_MAX_AGE after login whatever
happens, or when it arrives from another client address or browser than the one that logged in. The address
is `request.remote_addr`: the peer, or what ProxyFix took from TRUSTED_PROXY_COUNT proxies; never a raw
X-Forwarded-For (flask-login's "strong" mode reads that header, so it is switched off in `permissions`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, request, session
from flask_login import logout_user

from leads import db

BORN, SEEN, BOUND = "_born", "_seen", "_bound"
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


def _epoch() -> int:
    return int(db.now().timestamp())


def _fingerprint() -> str:
    """The client as the app itself trusts it: its address (after ProxyFix) and its browser."""
    client = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(client.encode()).hexdigest()[:32]
