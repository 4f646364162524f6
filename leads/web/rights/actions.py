"""Carrying a right out, on the rights blueprint: the bundles, rectification, erasure (with its confirmation
page), restriction and withdrawal. Each is refused with its reason (409, the request page again) unless the
request is open, of that kind, identity verified and covering someone; the services decide, these pages say."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Response, current_app, flash, render_template, request, stream_with_context, url_for
from flask_login import current_user

from leads import db
from leads.ingest import sources
from leads.rights import actions, mentions
from leads.rights import register as rights_register
from leads.rules import requests
from leads.web import access, htmx
from leads.web.forms import EmptyForm, RectifyForm
from leads.web.permissions import requires
from leads.web.rights.page import bp, load_request, refused


@bp.post("/rights/<int:request_id>/bundle/<kind>")
@requires("rights.export")
def download(request_id: int, kind: str) -> object:
    """The access export or portability bundle as a streamed ZIP (audited).

    A POST with CSRF (a plain form, never htmx): it writes the audit entry, and a GET would let any other
    site plant one in a member of staff's name with a link (SameSite=Lax sends the cookie on top-level GETs).
    """
    item = load_request(request_id)
    try:
        chunks = actions.export(session=db.session(), request=item, kind=kind, actor=current_user, now=db.now(),
                                contact=current_app.config["PRIVACY_CONTACT"])  # fmt: skip
    except actions.ActionError as error:
        return refused(item, str(error))
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"radnac-{kind}-request-{item.id}-{db.now():%Y%m%d}.zip")
    return Response(
        stream_with_context(chunks),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# The letter carries its own stylesheet (it travels alone in the ZIP): inline style, nothing else, and only the
# request page of this app may frame it.
LETTER_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'; sandbox",
    "X-Frame-Options": "SAMEORIGIN",
}


@bp.get("/rights/<int:request_id>/letter/<kind>")
@requires("rights.export")
def letter(request_id: int, kind: str) -> object:
    """The letter the person will find in the access export or portability bundle, as they will read it."""
    item = load_request(request_id)
    try:
        page = actions.letter(session=db.session(), request=item, kind=kind, now=db.now(),
                              contact=current_app.config["PRIVACY_CONTACT"])  # fmt: skip
    except actions.ActionError as error:
        return refused(item, str(error))
    access.viewed("rights_request", item.id, what=f"letter-{kind}")
    return Response(page, mimetype="text/html", headers=LETTER_HEADERS)


@bp.route("/rights/<int:request_id>/leads/<int:lead_id>/rectify", methods=["GET", "POST"])
@requires("rights.manage")
def rectify(request_id: int, lead_id: int) -> object:
    """Correct the person's details, keeping what changed, when and by whom, here and at the source."""
    item = load_request(request_id)
    lead = next((x for x in rights_register.linked_leads(session=db.session(), request=item) if x.id == lead_id), None)
    if lead is None:
        return refused(item, "Correct only a lead this request covers.", 404)
    form = RectifyForm(obj=lead)
    if request.method == "GET":
        access.viewed("lead", lead_id, what="rectify")
    if form.validate_on_submit():
        changes = {field: getattr(form, field).data for field in actions.RECTIFIABLE}
        return _carry_out(request_id, lambda: _rectify_now(item, lead, changes))
    return render_template("rights/rectify.html", item=item, lead=lead, form=form)


def _rectify_now(item: Any, lead: Any, changes: dict[str, str | None]) -> str:
    """Correct the lead, writing the source row now when the lead table is configured: what was done."""
    with _source_table() as table:
        result = actions.rectify(
            session=db.session(),
            request=item,
            lead=lead,
            changes=changes,
            actor=current_user,
            now=db.now(),
            source=table,
        )
    return result.sentence()


@bp.get("/rights/<int:request_id>/erase")
@requires("rights.erase")
def confirm_erase(request_id: int) -> object:
    """What erasure would destroy, and the button that does it (no JavaScript needed)."""
    item = load_request(request_id)
    try:
        actions.guard(session=db.session(), request=item, action="erase")
    except actions.ActionError as error:
        return refused(item, str(error))
    access.viewed("rights_request", request_id, what="erase-confirm")
    preview = actions.erasure_preview(session=db.session(), request=item)
    linked = rights_register.linked_leads(session=db.session(), request=item)
    pending = mentions.pending(session=db.session(), request=item)
    return render_template(
        "rights/erase.html", item=item, linked=linked, what=requests.counted(preview), pending=pending, form=EmptyForm()
    )


@bp.post("/rights/<int:request_id>/erase")
@requires("rights.erase")
def erase(request_id: int) -> object:
    """Destroy everything about the person now (database, source table, tombstones)."""
    item = load_request(request_id)
    if request.form.get("confirm") != "erase":
        return refused(item, "Confirm on the erasure page: erasure cannot be undone.", 400)
    try:
        with _source_table() as table:
            key = current_app.config["TOMBSTONE_KEY"]
            report = actions.erase(
                session=db.session(),
                request=item,
                actor=current_user,
                now=db.now(),
                tombstone_key=key,
                source=table,
                export_cache=Path(current_app.config["EXPORT_CACHE"]),
            )
    except actions.ActionError as error:
        return refused(item, str(error))
    done = requests.erasure_sentence(
        destroyed=dict(report.destroyed), source_deleted=report.source_deleted, source_pending=report.source_pending
    )
    flash(done, "info")
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


@bp.post("/rights/<int:request_id>/restrict")
@requires("rights.manage")
def restrict(request_id: int) -> object:
    """Restrict processing of the person's leads, or lift the restriction."""
    item, on = load_request(request_id), request.form.get("on") == "1"

    def restrict_now() -> str:
        count = actions.restrict(session=db.session(), request=item, on=on, actor=current_user, now=db.now())
        if on:
            leads = requests.counted({"lead": count})
            return (
                f"Restricted processing of {leads}: every nurture and marketing action on them is refused until lifted."
            )
        return f"Lifted the restriction on {requests.counted({'lead': count})}."

    return _carry_out(request_id, restrict_now)


@bp.post("/rights/<int:request_id>/withdraw")
@requires("rights.manage")
def withdraw(request_id: int) -> object:
    """Withdraw every consent the person gave (withdrawal, or an objection to consent-based processing)."""
    item = load_request(request_id)

    def withdraw_now() -> str:
        count = actions.withdraw_consent(session=db.session(), request=item, actor=current_user, now=db.now())
        return f"Withdrew {count} consent{'s' if count != 1 else ''}: marketing to this person stops now."

    return _carry_out(request_id, withdraw_now)


@contextmanager
def _source_table() -> Iterator[sources.LeadTable | None]:
    """The source lead table (None when AZURE_TABLES_CONNECTION_STRING is unset), closed after use."""
    table = sources.lead_table(current_app.config)
    try:
        yield table
    finally:
        if table is not None:
            table.close()


def _carry_out(request_id: int, action: Callable[[], str]) -> object:
    """Run `action` (which returns its result as a sentence); a refusal shows the page again with why."""
    try:
        flash(action(), "info")
    except actions.ActionError as error:
        return refused(load_request(request_id), str(error))
    return htmx.see_other(url_for("rights.detail", request_id=request_id))
