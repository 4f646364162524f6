"""`flask --app app marketing ...`: marketing lists from the command line, through the same consent gate."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from leads import db
from leads.cli.worker import sender
from leads.consent import export, mailer, mailings, marketing, records, sending
from leads.staff import roles, users


@click.group("marketing", cls=AppGroup)
def marketing_cli() -> None:
    """Marketing lists: every command passes the consent gate, as the pages do (privacy notice line 67)."""


def _marketer(email: str) -> users.User:
    """The active member of staff acting, who must hold the "marketing.act" permission, as on the pages."""
    user = users.get_by_email(session=db.session(), email=email)
    if user is None or not user.active:
        raise click.ClickException(f"No active member of staff with email {email}.")
    if not roles.allows(user.role, "marketing.act"):
        raise click.ClickException(f"{user.email} ({user.role}) may not take marketing actions.")
    return user


def _report(result: records.Result, done: str) -> None:
    """Say what happened to each lead; exit 1 if any was refused or unknown, so scripts notice."""
    click.echo(f"{done}: {len(result.done)}; already done: {len(result.unchanged)}; refused: {len(result.refused)}.")
    for lead, reason in result.refused:
        click.echo(f"  refused lead {lead.id} ({lead.display_name}): {reason}")
    for lead_id in result.missing:
        click.echo(f"  no lead with id {lead_id}")
    if result.refused or result.missing:
        raise click.exceptions.Exit(1)


@marketing_cli.command("create-list")
@click.argument("name")
@click.option("--description", default=None, help="What the list is for.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_create_list(name: str, description: str | None, actor: str) -> None:
    """Start an empty marketing list."""
    try:
        created = marketing.create_list(
            session=db.session(), name=name, description=description, actor=_marketer(actor), now=db.now()
        )
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created marketing list {created.name!r}.")


@marketing_cli.command("add-to-list")
@click.argument("list_name")
@click.argument("lead_ids", nargs=-1, required=True, type=int)
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_add_to_list(list_name: str, lead_ids: tuple[int, ...], actor: str) -> None:
    """Add leads to a list; those without current marketing consent are refused, each with the reason."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name)
        result = marketing.add_to_list(
            session=session, list_id=target.id, lead_ids=lead_ids, actor=_marketer(actor), now=db.now()
        )
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    _report(result, f"Added to {target.name!r}")


@marketing_cli.command("mark-sent")
@click.argument("lead_ids", nargs=-1, required=True, type=int)
@click.option("--subject", required=True, help="The email's subject.")
@click.option("--list", "list_name", default=None, help="The list whose campaign it was part of.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_mark_sent(lead_ids: tuple[int, ...], subject: str, list_name: str | None, actor: str) -> None:
    """Record that a marketing email was sent to leads (the app sends no mail); refused without current consent."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name) if list_name else None
        result = marketing.mark_email_sent(
            session=session,
            lead_ids=lead_ids,
            subject=subject,
            list_id=target.id if target else None,
            actor=_marketer(actor),
            now=db.now(),
        )
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    _report(result, "Recorded as sent")


@marketing_cli.command("send")
@click.argument("list_name")
@click.option("--subject", required=True, help="The subject; {first_name}, {last_name}, {company} are filled in.")
@click.option("--body", required=True, help="The text, with the same placeholders.")
@click.option("--queue-only", is_flag=True, help="Leave the sending to the worker.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_send(list_name: str, subject: str, body: str, queue_only: bool, actor: str) -> None:
    """Write a marketing email for a list and send it through MAIL_URL now (or leave it to the worker): each copy
    passes the consent gate at the moment it is sent; prints each refusal with its reason, and exits 1 if any."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name)
        mailing = mailings.create(session=session, list_id=target.id, subject=subject, body=body,
                                  actor=_marketer(actor), now=db.now())  # fmt: skip
        queued = mailings.queue(session=session, mailing_id=mailing.id, actor=_marketer(actor), now=db.now())
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Queued {queued} copies of email {mailing.id} to {target.name!r}.")
    if queue_only or not current_app.config["MAIL_URL"]:
        click.echo("The worker sends them (MAIL_URL must be set).")
        return
    with mailer.Transport(mailer.parse_url(current_app.config["MAIL_URL"])) as transport:
        counts = sending.send_due(session=session, sender=sender(current_app.config, transport), clock=db.now,
                                  batch_size=queued, mailing_id=mailing.id)  # fmt: skip
    _report_mailing(mailing.id, counts)


def _report_mailing(mailing_id: int, counts: dict[str, int]) -> None:
    click.echo(", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "Nothing sent.")
    shown = mailings.outcomes(session=db.session(), mailing_id=mailing_id)
    refused = [(message, lead) for message, lead in shown.messages if message.status not in ("sent", "queued")]
    for message, lead in refused:
        click.echo(f"  {message.status} lead {lead.id} ({lead.display_name}): {message.reason}")
    if refused:
        raise click.exceptions.Exit(1)


@marketing_cli.command("export")
@click.argument("list_name")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def marketing_export(list_name: str, actor: str, output: Path | None) -> None:
    """Export a list as CSV: only people whose consent is current now; the rest are left out, and all is audited."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name)
        exported = export.export_list(session=session, list_id=target.id, actor=_marketer(actor), clock=db.now)
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    if output is None:
        for line in exported.lines:
            click.echo(line, nl=False)
    else:
        # Personal data: readable by its owner only.
        with os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as file:
            os.fchmod(file.fileno(), 0o600)  # also when the file was already there
            file.writelines(exported.lines)
        click.echo(f"Wrote {output}.", err=True)
    count = exported.count
    click.echo(f"Exported {count.included} people from {target.name!r}; left out {len(count.left_out)}.", err=True)
    for lead_id, name, reason in count.left_out:
        click.echo(f"  left out lead {lead_id} ({name}): {reason}", err=True)
