"""The access log from the pages' side: `viewed` for every page or file showing one person's data, and the
admins' audit page (/admin/audit), filtered by member of staff, record and date, a keyset page at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from leads import db
from leads.rules import auditwords
from leads.staff import audit
from leads.web import htmx, inputs, sessions
from leads.web.permissions import requires
from leads.workspace import viewer

bp = Blueprint("access", __name__)
T = TypeVar("T")
PER_PAGE = 50
#: Where each kind of record is shown, for links from the audit page.
RECORD_PAGES = {
    "lead": ("pages.lead_detail", "lead_id"),
    "installation": ("pages.installation_detail", "installation_id"),
    "grant": ("grants.grant_detail", "grant_id"),
    "support_grant": ("grants.grant_detail", "grant_id"),
    "rights_request": ("rights.detail", "request_id"),
    "marketing_list": ("marketing.list_detail", "list_id"),
    "user": ("auth.users_admin", None),
}


def viewed(record_type: str, record_id: object, what: str = "") -> None:
    """Log that the current member of staff is being shown this record (call it in the view, before rendering).
    Once per page a person opened: a fragment htmx swaps into a page already logged (a search within it, a
    tab) is part of that view, so it logs nothing of its own."""
    if htmx.wants_fragment():
        return
    actor = current_user._get_current_object()  # type: ignore[attr-defined]
    audit.viewed(
        session=db.session(), actor=actor, record_type=record_type, record_id=record_id, now=db.now(), what=what
    )


@bp.get("/admin/audit")
@requires("audit.view")
def audit_trail() -> str:
    """Who did or viewed what, each in a sentence, newest first; filter by member of staff, record, kind of
    action and dates (UTC, inclusive)."""
    query = parse(request.args)
    page = audit.trail(session=db.session(), query=query, per_page=PER_PAGE)
    staff = viewer.menus(session=db.session(), version=sessions.viewer_version(), staff=True).staff
    return render_template(
        "admin/audit.html",
        page=page,
        lines=audit.described(session=db.session(), events=page.events, staff=staff),
        args={k: v for k, v in request.args.items() if k != "after" and v},
        staff=staff,
        record_types=sorted({*audit.VIEWABLE, "user"}),
        record_pages=RECORD_PAGES,
        kinds={key: label for key, (label, _) in auditwords.KINDS.items()},
    )


def parse(args: Any) -> audit.TrailQuery:
    """The filters from the query string; anything malformed is a 400 that says which field and why."""
    actor = _id(args.get("actor"), "actor")
    record_type = (args.get("record_type") or "").strip() or None
    record_id = (args.get("record_id") or "").strip()[:100] or None
    since, until = _day(args.get("since"), "since"), _day(args.get("until"), "until")
    return audit.TrailQuery(
        actor_user_id=actor,
        record_type=record_type[:50] if record_type else None,
        record_id=record_id,
        since=datetime.combine(since, time(), tzinfo=UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC) if until and until < date.max else None,
        after=_cursor(args.get("after")),
        kind=_kind(args.get("kind")),
    )


def _kind(raw: str | None) -> str | None:
    if raw and raw not in auditwords.KINDS:
        abort(400, f"kind must be one of: {', '.join(auditwords.KINDS)}.")
    return raw or None


def _id(raw: str | None, name: str) -> int | None:
    return _parsed(raw, inputs.record_id, f"{name} must be a member of staff's id.")


def _day(raw: str | None, name: str) -> date | None:
    return _parsed(raw, _uk_day, f"{name} must be a date, dd/mm/yyyy.")


def _uk_day(raw: str) -> date:
    """A day written dd/mm/yyyy (the page's way) or yyyy-mm-dd; ValueError otherwise."""
    if "/" not in raw:
        return date.fromisoformat(raw)
    day, month, year = raw.split("/")  # ValueError unless three parts
    if len(year) != 4:
        raise ValueError(raw)
    return date(int(year), int(month), int(day))


def _parsed(raw: str | None, parse: Callable[[str], T], refusal: str) -> T | None:
    """`raw` parsed by `parse`; None when it is absent, a 400 saying `refusal` when it does not parse."""
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError:
        abort(400, refusal)


def _cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw:
        return None
    at, _, event_id = raw.rpartition("~")
    try:
        moment, number = datetime.fromisoformat(at), inputs.record_id(event_id)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment.astimezone(UTC), number
    except (ValueError, OverflowError):
        abort(400, "That page link is damaged; start again from the first page.")
