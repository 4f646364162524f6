"""What every template may call: the permission check, the countdown and the fixed vocabularies.

Templates run no queries: these are pure functions and constants; pages pass everything else they show.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from leads import db
from leads.grants import grants
from leads.rules import consent, lifecycle, requests, rights, schedule, uktime, vocabulary
from leads.web import marketing_forms, permissions, refusals
from leads.workspace import undo

#: What every template may call or read, by name: pure functions and the fixed vocabularies.
GLOBALS: dict[str, Any] = {
    "can": permissions.can,
    "plain_state": lambda state: lifecycle.PLAIN_WORDS.get(state, state),
    "plain_event": lifecycle.plain_event,
    "install_waiting": lifecycle.waiting_words,
    "countdown": lambda kind, start, on_hold=False, deadline_at=None: schedule.countdown(
        kind, start, now=db.now(), on_hold=on_hold, deadline_at=deadline_at
    ),
    "server_now": db.now,  # the server's clock, for countdown.js's offset (base.html)
    "grant_lapse_at": grants.lapse_at,
    "uk_time": uktime.show,
    "retention_rules": schedule.SCHEDULE,
    "staff_label": vocabulary.staff_label,
    "undo_minutes": int(undo.UNDO_WINDOW.total_seconds() // 60),
    "install_states": vocabulary.INSTALL_STATES,
    "nurture_statuses": vocabulary.NURTURE_STATUSES,
    "note_kinds": vocabulary.NOTE_KINDS,
    "consent_purposes": consent.PURPOSES,
    "consent_methods": consent.METHOD_LABELS,
    "rights_kinds": rights.KINDS,
    "rights_statuses": rights.STATUSES,
    "rights_urgencies": {**rights.URGENCIES, "closed": "Closed"},
    "rights_terminal": rights.TERMINAL,
    "rights_urgency": lambda due, today: rights.urgency(due, today=today),
    "rights_steps": requests.STEPS,
    "rights_history": requests.HISTORY,
    "rights_actions": requests.ACTIONS,
    "refusal": refusals.refusal,
    "typed": refusals.typed,
    "correction_form": marketing_forms.correction_shown,
}

#: An email address's part longer than this may break anywhere; shorter parts are never broken inside.
LONG_PART = 30


def email_parts(address: str) -> Markup:
    """An email address that wraps before its "@" and its dots, never inside a name: each part a span, a
    `<wbr>` between them. A part longer than `LONG_PART` characters (no real name is) may still break inside,
    so the longest address the fields allow fits a narrow column."""
    local, at, domain = address.partition("@")
    pieces = [local, *(f"{at}{domain}".replace(".", "\n.").split("\n") if at else [])]
    # escape() and f-strings: the same markup Markup.format made, at a third of its cost (a row each on the list).
    spans = "<wbr>".join(
        f'<span class="long">{escape(piece)}</span>' if len(piece) > LONG_PART else f"<span>{escape(piece)}</span>"
        for piece in pieces
    )
    return Markup(f'<span class="email">{spans}</span>')  # noqa: S704  # nosec B704 # each piece escaped above


def lead_status_span(lead_id: int, status: str) -> Markup:
    """A lead's status as _partials/lead-status.html writes it (not out of band), made in Python for the leads
    table: an include a row cost more than the rest of the row. A test holds the two equal."""
    return Markup(f'<span id="lead-status-{lead_id}" class="status status-{escape(status)}">{escape(status)}</span>')  # noqa: S704  # nosec B704


def lead_owner_span(lead_id: int, owner_id: int | None, owners: dict[int, str]) -> Markup:
    """A lead's owner as _partials/lead-owner.html writes it (not out of band), for the leads table likewise."""
    said = f"Owner: {escape(owners.get(owner_id, 'a former member of staff'))}" if owner_id else "No owner"
    return Markup(f'<span id="lead-owner-{lead_id}" class="sub owner">{said}</span>')  # noqa: S704  # nosec B704


def countdown_span(cd: schedule.Countdown, waiting: str | None = None) -> Markup:
    """The countdown span, the same markup as the `countdown_span` macro (_partials/countdown-macro.html), made
    in Python for tables that show one a row, where a macro call a row would be a large part of the page.
    Every value is escaped here, as the macro's autoescape does (by escape() and an f-string: Markup.format
    is the slower way to the same markup)."""
    ticking = ""
    if cd.deadline and cd.state == "counting":
        ticking = f'data-deadline="{escape(cd.deadline.isoformat())}"'
    when = f" Deadline {escape(uktime.show(cd.deadline))}." if cd.deadline else ""
    text = escape(waiting if waiting and cd.state == "not_started" else cd.text)
    rule = f"{escape(cd.rule.label)}: {escape(cd.rule.rule_text)} ({escape(cd.citation)})"
    span = f'<span class="countdown countdown-{escape(cd.state)}"\n  {ticking}\n  title="{rule}{when}">{text}</span>'
    return Markup(span)  # noqa: S704  # nosec B704 # every value above went through escape()


def long_id_span(value: str | None) -> Markup:
    """A long identifier as _partials/long-id.html writes it, for tables that show one a row (a test holds the
    two equal)."""
    shown = escape(value)
    return Markup(  # noqa: S704  # nosec B704 # the value is escaped above
        f'<span class="long-id"><code title="{shown}">{shown}</code><button type="button" class="copy" '
        f'data-copy="{shown}" hidden aria-label="Copy {shown}">Copy</button></span>'
    )


def installation_row(
    inst: Any, *, href: str, reason: str | None, lead: Any, lead_href: str, countdown: schedule.Countdown
) -> Markup:
    """One row of the installations table (_partials/installations-table.html), each value escaped as Jinja's
    autoescape would: `href` its page, `reason` why its deployment failed (or None), `lead` the lead it is linked
    to (or None) at `lead_href`, `countdown` its notification's. Written in Python because the table's loop cost
    more than the rest of the page in Jinja; tests/web/test_pages.py holds it equal to the template it replaced."""
    full = uktime.show(inst.last_event_at)
    said = f'\n          <div class="reason">{escape(reason)}</div>' if reason is not None else "\n          "
    if lead is not None:
        name = (
            f'<a href="{escape(lead_href)}">{escape(lead.display_name)}</a>'
            f'<div class="sub">{escape(lead.company or "")}</div>'
        )
    else:
        name = '<span class="sub">Not linked</span>'
    return Markup(  # noqa: S704  # nosec B704 # every value below is escaped, or markup made by the spans above
        f'\n      <tr>\n        <td class="name"><a href="{escape(href)}">{escape(inst.application_name)}</a>'
        f'\n          <div class="sub">{escape(inst.resource_group)}</div></td>'
        f'\n        <td><span class="state state-{escape(inst.state)}">'
        f"{escape(lifecycle.PLAIN_WORDS.get(inst.state, inst.state))}</span>{said}</td>"
        f'\n        <td>{escape(inst.plan_name or "—")} <span class="sub">{escape(inst.plan_version or "")}</span></td>'
        f"\n        <td>\n{long_id_span(inst.subscription_id)}</td>\n        <td>{name}</td>"
        f'\n        <td><time datetime="{escape(inst.last_event_at.isoformat())}" title="{escape(full)}">'
        f'{escape(uktime.show(inst.last_event_at, with_time=False))}<span class="sub clock">{escape(full[12:])}</span>'
        f"</time></td>\n        <td>\n{countdown_span(countdown, lifecycle.waiting_words(inst.state))}</td>"
        "\n      </tr>\n      "
    )


def named(page: Any) -> dict[str, Any]:
    """A page's dataclass as its template's keyword arguments, one a field, the values themselves (not
    `dataclasses.asdict`, which would copy every row)."""
    return {field.name: getattr(page, field.name) for field in fields(page)}


def init_app(app: Flask) -> None:
    """Register the template globals."""
    app.jinja_env.globals.update(GLOBALS, email_parts=email_parts)
