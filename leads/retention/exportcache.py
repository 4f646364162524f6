"""The export cache: access exports and portability bundles prepared for a person to download through an emailed
link, one file each in one directory (the `EXPORT_CACHE` setting), and their `ExportDelivery` rows.

Only a keyed hash of a link's token is stored, and the file's name is the moment it was written and random
bits (no personal data in either). A file and its row are destroyed together, audited, when the link has served
its last download, when it expires (`sweep`, run by every retention sweep; an expired link is also destroyed when
it is next opened), and when the person is erased (RULES.md: destroyed means gone from any export cache). A file
no row names (a crash between writing it and committing its row) is swept an hour after the moment in its name,
by the app's clock. Services are keyword-only and commit.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from leads.models import ExportDelivery
from leads.rules import delivery
from leads.staff import audit

ACTOR = "system:export-cache"
STRAY_AFTER_SECONDS = 3600  # a file no row names, older than this, was left by a crash
_NAMED = re.compile(r"(\d{8}T\d{6}Z)-[0-9a-f]{32}\.zip")  # file_name's pattern: the moment it was written


def token_hash(token: str, *, secret: str) -> str:
    """The keyed hash a link's token is known by (the token itself is only in the email)."""
    return hmac.new(secret.encode(), f"export-link\x1f{token}".encode(), hashlib.sha256).hexdigest()


def store(
    *, session: Session, request_id: int, kind: str, data: bytes, cache: Path, secret: str, now: datetime
) -> tuple[ExportDelivery, str]:
    """Put a prepared bundle in the cache behind a new link; returns its row and the link's token (to be
    emailed, never stored). Commits."""
    cache.mkdir(parents=True, exist_ok=True)
    name = file_name(now)
    descriptor = os.open(cache / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    token = secrets.token_urlsafe(32)
    row = ExportDelivery(
        request_id=request_id, kind=kind, token_hash=token_hash(token, secret=secret), file_name=name,
        created_at=now, expires_at=delivery.expires(now),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row, token


def file_name(now: datetime) -> str:
    """A new file's name: the moment it is written by the app's clock (for the stray check) and 128 random bits."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(16)}.zip"


def live(*, session: Session, token: str, secret: str, cache: Path, now: datetime) -> ExportDelivery | None:
    """The delivery a link's token opens while it may serve a download; an expired or spent one found on the
    way is destroyed (committed), and None is returned for it as for a token that never existed."""
    if not token or len(token) > 100:
        return None
    found = session.exec(select(ExportDelivery).where(ExportDelivery.token_hash == token_hash(token, secret=secret)))
    row = found.first()
    if row is None:
        return None
    if not delivery.usable(expires_at=row.expires_at, downloads=row.downloads, now=now):
        destroy(session=session, row=row, cache=cache, now=now, why="expired")
        session.commit()
        return None
    return row


def withdraw(*, session: Session, token: str, secret: str, cache: Path, now: datetime, why: str) -> None:
    """Destroy the delivery behind `token` at once, whatever its state, saying `why` (the caller commits)."""
    found = session.exec(select(ExportDelivery).where(ExportDelivery.token_hash == token_hash(token, secret=secret)))
    if (row := found.first()) is not None:
        destroy(session=session, row=row, cache=cache, now=now, why=why)


def read(*, row: ExportDelivery, cache: Path) -> bytes | None:
    """The prepared file's bytes (None if it has gone: a cache emptied by hand)."""
    try:
        return (cache / row.file_name).read_bytes()
    except FileNotFoundError:
        return None


def destroy(*, session: Session, row: ExportDelivery, cache: Path, now: datetime, why: str) -> None:
    """Delete the file and its row, audited against the request (the caller commits)."""
    (cache / row.file_name).unlink(missing_ok=True)
    session.delete(row)
    audit.record(
        session=session, at=now, actor=ACTOR, action="retention.export_destroyed", record_type="rights_request",
        record_id=row.request_id, details={"kind": row.kind, "why": why, "downloads": row.downloads},
    )  # fmt: skip


def sweep(*, session: Session, cache: Path, now: datetime) -> int:
    """Destroy every delivery whose link has expired, and any file in the cache no live row names (left by a
    crash between writing it and committing its row). Returns how many were destroyed. Commits."""
    expired = session.exec(select(ExportDelivery).where(col(ExportDelivery.expires_at) <= now)).all()
    for row in expired:
        destroy(session=session, row=row, cache=cache, now=now, why="expired")
    session.commit()
    named = set(session.exec(select(ExportDelivery.file_name)).all())
    strays = [path for path in cache.glob("*.zip") if path.name not in named and _settled(path.name, now)]
    for path in strays:
        path.unlink(missing_ok=True)
    return len(expired) + len(strays)


def _settled(name: str, now: datetime) -> bool:
    """Written more than an hour before `now` by the app's clock, as its name says: not a file whose row is being
    committed now. A name without that moment is not one `store` wrote: no one's download, settled."""
    found = _NAMED.fullmatch(name)
    if found is None:
        return True
    written = datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return now - written > timedelta(seconds=STRAY_AFTER_SECONDS)


def destroy_for_requests(*, session: Session, request_ids: list[int], cache: Path, now: datetime) -> int:
    """Destroy every prepared download of these requests (the person is being erased). The caller commits."""
    rows = session.exec(select(ExportDelivery).where(col(ExportDelivery.request_id).in_(request_ids))).all()
    for row in rows:
        destroy(session=session, row=row, cache=cache, now=now, why="erased")
    return len(rows)
