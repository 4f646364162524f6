"""Marketing through the consent gate, end to end. The registry walk takes every marketing action in
`consent.ACTIONS` through every way staff can take it (page, htmx, bulk, CLI) and proves it is refused for each
reason, with the reason in plain words and audited, and allowed with current consent, audited with the consent
record relied on. A new marketing action fails `test_every_marketing_action_has_every_path` until it is walked too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import func, select

from leads.cli import worker
from leads.consent import marketing
from leads.models import (
    AuditEvent,
    ConsentRecord,
    Lead,
    Mailing,
    MailingMessage,
    MarketingEmail,
    MarketingList,
    MarketingListMember,
    User,
)
from leads.rules import consent
from tests.factories import PINNED_NOW, Clock
from tests.marketing_samples import give, make_lead, make_list

HX = {"HX-Request": "true"}
MARKETING_ACTIONS = sorted(code for code, action in consent.ACTIONS.items() if action.marketing)


@dataclass
class Ctx:
    """What a path needs to take an action: the logged-in client, the CLI runner, the acting user, the list."""

    app: Any
    client: Any
    user: User
    target: MarketingList
    session: Any
    clock: Clock


@dataclass(frozen=True)
class Seen:
    """What staff saw after taking the action (page, fragment or CLI output), and the CSV it produced, if any."""

    text: str
    csv: str | None = None


def _cli(ctx: Ctx, *args: str) -> Seen:
    result = ctx.app.test_cli_runner().invoke(args=["marketing", *args, "--as", ctx.user.email])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return Seen(result.output)


def _post(ctx: Ctx, url: str, data: dict, *, htmx: bool) -> Seen:
    response = ctx.client.post(url, data=data, headers=HX if htmx else {}, follow_redirects=not htmx)
    # htmx: a refusal too answers 200 (htmx 2 does not swap 4xx); a whole page refused answers 400 with its reason.
    assert response.status_code == 200 if htmx else response.status_code in (200, 400)
    return Seen(response.get_data(as_text=True))


def _export(ctx: Ctx, *, htmx: bool) -> Seen:
    response = ctx.client.post(f"/marketing/lists/{ctx.target.id}/export", headers=HX if htmx else {})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    produced = response.get_data(as_text=True)
    # The file cannot explain who was left out; the list's page does, before and after.
    return Seen(ctx.client.get(f"/marketing/lists/{ctx.target.id}").get_data(as_text=True), produced)


def _export_cli(ctx: Ctx) -> Seen:
    result = ctx.app.test_cli_runner().invoke(args=["marketing", "export", ctx.target.name, "--as", ctx.user.email])
    assert result.exit_code == 0, result.output
    return Seen(result.stderr, result.stdout)


def _send(ctx: Ctx, *, htmx: bool) -> Seen:
    """Write an email for the list and send it (the worker does), then read its page: where staff see outcomes."""
    headers = HX if htmx else {}
    written = {"subject": "Launch", "body": "Dear {first_name}"}
    ctx.client.post(f"/marketing/lists/{ctx.target.id}/mailings", data=written, headers=headers)
    mailing = ctx.session.exec(select(Mailing).order_by(Mailing.id.desc())).first()
    ctx.client.post(f"/marketing/mailings/{mailing.id}/send", headers=headers)
    with ctx.app.app_context():
        worker.run_mail()
    return Seen(ctx.client.get(f"/marketing/mailings/{mailing.id}").get_data(as_text=True))


Path = Callable[[Ctx, Lead], Seen]
PATHS: dict[str, dict[str, Path]] = {
    "marketing_list.add": {
        "page": lambda c, lead: _post(c, f"/leads/{lead.id}/marketing-lists", {"list_id": c.target.id}, htmx=False),
        "htmx": lambda c, lead: _post(c, f"/leads/{lead.id}/marketing-lists", {"list_id": c.target.id}, htmx=True),
        "bulk page": lambda c, lead: _post(
            c, "/marketing/lists/add", {"list_id": c.target.id, "lead_id": [lead.id]}, htmx=False
        ),
        "bulk htmx": lambda c, lead: _post(
            c, "/marketing/lists/add", {"list_id": c.target.id, "lead_id": [lead.id]}, htmx=True
        ),
        "cli": lambda c, lead: _cli(c, "add-to-list", c.target.name, str(lead.id)),
    },
    "marketing_list.export": {
        "page": lambda c, _lead: _export(c, htmx=False),
        "htmx": lambda c, _lead: _export(c, htmx=True),
        "cli": lambda c, _lead: _export_cli(c),
    },
    "marketing_email.mark_sent": {
        "page": lambda c, lead: _post(c, f"/leads/{lead.id}/marketing-emails", {"subject": "Launch"}, htmx=False),
        "htmx": lambda c, lead: _post(c, f"/leads/{lead.id}/marketing-emails", {"subject": "Launch"}, htmx=True),
        "cli": lambda c, lead: _cli(c, "mark-sent", str(lead.id), "--subject", "Launch"),
    },
    "marketing_email.send": {
        "page": lambda c, _lead: _send(c, htmx=False),
        "htmx": lambda c, _lead: _send(c, htmx=True),
        "cli": lambda c, _lead: _cli(c, "send", c.target.name, "--subject", "Launch", "--body", "Dear {first_name}"),
    },
}


def _happened(code: str, ctx: Ctx, lead: Lead, seen: Seen) -> bool:
    """Whether the action took effect for `lead`."""
    if code == "marketing_list.export":
        assert seen.csv is not None and seen.csv.startswith("\ufeffFirst name,Last name,Email")
        return lead.email in seen.csv
    if code == "marketing_email.send":
        sent = select(func.count()).where(MailingMessage.lead_id == lead.id, MailingMessage.status == "sent")
        return ctx.session.exec(sent).one() > 0
    model = MarketingListMember if code == "marketing_list.add" else MarketingEmail
    return ctx.session.exec(select(func.count()).select_from(model).where(model.lead_id == lead.id)).one() > 0


def _prepare(code: str, ctx: Ctx, lead: Lead) -> None:
    """An export or a send needs the person on the list: they joined while their consent stood."""
    if code in ("marketing_list.export", "marketing_email.send"):
        give(ctx.session, lead)
        marketing.add_to_list(
            session=ctx.session, list_id=ctx.target.id, lead_ids=[lead.id], actor="system:test", now=PINNED_NOW
        )


def _granted(ctx: Ctx, lead: Lead) -> None:
    if not ctx.session.exec(select(func.count()).where(ConsentRecord.lead_id == lead.id)).one():
        give(ctx.session, lead)


def _flag(name: str) -> Callable[[Ctx, Lead], None]:
    def arrange(ctx: Ctx, lead: Lead) -> None:
        _granted(ctx, lead)
        setattr(lead, name, True)
        ctx.session.add(lead)
        ctx.session.commit()

    return arrange


def _no_consent(ctx: Ctx, _lead: Lead) -> None:
    # Nothing recorded yet; for an export, whose member joined 10 days ago, the clock goes back before that.
    ctx.clock.now = PINNED_NOW - timedelta(days=30)


def _withdrawn(ctx: Ctx, lead: Lead) -> None:
    _granted(ctx, lead)
    give(ctx.session, lead, at=PINNED_NOW - timedelta(hours=1), granted=False)


REASONS: dict[str, tuple[Callable[[Ctx, Lead], None], str]] = {
    "no consent": (_no_consent, "There is no marketing consent on record"),
    "withdrawn": (_withdrawn, "Marketing consent was withdrawn on 25 November 2026"),
    "restricted": (_flag("processing_restricted"), "asked us to restrict how we use their data"),
    "under erasure": (_flag("erasure_pending"), "asked for their data to be erased"),
    "do not contact": (_flag("is_dnc"), "Microsoft marked this lead Do Not Contact"),
    "test lead": (_flag("is_test"), "This is a Microsoft test lead"),
}
WALK = [(code, path) for code in MARKETING_ACTIONS for path in PATHS.get(code, {})]


@pytest.fixture
def ctx(app, client, auth, session, clock, smtp_server) -> Ctx:
    app.config["MAIL_URL"] = smtp_server.url  # the send paths hand their mail to a real server on loopback
    user = auth.login("sales")
    return Ctx(app, client, user, make_list(session), session, clock)


def _audits(session, action: str, lead: Lead) -> list[dict]:
    """The details of each audit event `action` about `lead`."""
    query = select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.record_type == "lead", AuditEvent.record_id == str(lead.id)
    )
    return [json.loads(event.details) for event in session.exec(query)]


def test_every_marketing_action_has_every_path():
    assert set(PATHS) == set(MARKETING_ACTIONS)
    assert all({"page", "htmx", "cli"} <= set(paths) for paths in PATHS.values())


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize(("code", "path"), WALK)
def test_each_marketing_action_is_refused_for_each_reason_on_every_path(ctx, code, path, reason):
    lead = make_lead(ctx.session, 1)
    _prepare(code, ctx, lead)
    arrange, says = REASONS[reason]
    arrange(ctx, lead)

    seen = PATHS[code][path](ctx, lead)

    assert says in seen.text.replace("&#39;", "'")  # the reason, in plain words, where staff look
    assert not _happened(code, ctx, lead, seen)
    (refusal,) = _audits(ctx.session, f"{code}.refused", lead)
    assert any(says in line for line in refusal["reasons"])


@pytest.mark.parametrize(("code", "path"), WALK)
def test_each_marketing_action_is_allowed_with_current_consent_on_every_path(ctx, code, path):
    lead = make_lead(ctx.session, 1)
    _prepare(code, ctx, lead)
    grant = give(ctx.session, lead) if code != "marketing_list.export" else None

    seen = PATHS[code][path](ctx, lead)

    assert _happened(code, ctx, lead, seen)
    (allowed,) = _audits(ctx.session, code, lead)
    relied_on = grant.id if grant else allowed["consent_record_id"]
    assert allowed["consent_record_id"] == relied_on is not None
    assert not _audits(ctx.session, f"{code}.refused", lead)


def test_a_withdrawal_takes_effect_at_once(ctx):
    lead = make_lead(ctx.session, 1)
    give(ctx.session, lead, at=PINNED_NOW - timedelta(days=1))
    assert "Added to Launch." in PATHS["marketing_list.add"]["htmx"](ctx, lead).text

    ctx.clock.now = PINNED_NOW + timedelta(minutes=1)
    withdrawal = {
        "purpose": "marketing",
        "decision": "withdrawn",
        "method": "phone_call",
        "evidence": "Rang to opt out",
    }
    withdrawal["wording_version"] = "notice v1"
    answer = ctx.client.post(f"/leads/{lead.id}/consent", data=withdrawal, headers=HX).get_data(as_text=True)
    assert "Recorded: consent withdrawn" in answer and "Withdrawn" in answer

    # The same minute, every marketing action is refused, saying why; the export leaves them out.
    says = "Marketing consent was withdrawn on 25 November 2026"
    exported = PATHS["marketing_list.export"]["htmx"](ctx, lead)
    assert lead.email not in exported.csv and says in exported.text
    emailed = PATHS["marketing_email.mark_sent"]["htmx"](ctx, lead)
    assert says in emailed.text and not _happened("marketing_email.mark_sent", ctx, lead, emailed)
    launch, ctx.target = ctx.target, make_list(ctx.session, "Later")
    assert says in PATHS["marketing_list.add"]["htmx"](ctx, lead).text
    assert not _happened("marketing_email.mark_sent", ctx, lead, emailed)
    ctx.target = launch  # they are still on it: an email written for it now does not reach them
    assert says in PATHS["marketing_email.send"]["htmx"](ctx, lead).text
    for code in MARKETING_ACTIONS:
        assert len(_audits(ctx.session, f"{code}.refused", lead)) == 1


def test_bulk_add_says_how_many_were_added_and_who_was_refused_and_why(ctx):
    consenting = [make_lead(ctx.session, n) for n in range(1, 4)]
    for lead in consenting:
        give(ctx.session, lead)
    never_asked = make_lead(ctx.session, 4, first_name="Nadia", last_name="Never")
    gone_off = make_lead(ctx.session, 5, first_name="Walt", last_name="Withdrew")
    give(ctx.session, gone_off)
    give(ctx.session, gone_off, at=PINNED_NOW - timedelta(days=2), granted=False)
    marketing.add_to_list(
        session=ctx.session, list_id=ctx.target.id, lead_ids=[consenting[0].id], actor="system:test", now=PINNED_NOW
    )
    ids = [lead.id for lead in (*consenting, never_asked, gone_off)] + [999999]

    answer = ctx.client.post("/marketing/lists/add", data={"list_id": ctx.target.id, "lead_id": ids}, headers=HX)

    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and text.lstrip().startswith('<div id="bulk-result"')
    assert "Added 2 to “Launch”." in text and "1 already on it." in text and "Refused 2:" in text
    # Each refused person is told apart from a namesake by their address and company.
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text))
    assert re.search(r"Nadia Never \(p\d+@x\.example, Contoso\): There is no marketing consent", said)
    assert re.search(
        r"Walt Withdrew \(p\d+@x\.example, Contoso\): Marketing consent was withdrawn on 23 November", said
    )
    assert "No lead with id 999999" in text
    members = ctx.session.exec(select(MarketingListMember.lead_id).where(MarketingListMember.list_id == ctx.target.id))
    assert set(members) == {lead.id for lead in consenting}


def test_bulk_add_without_javascript_answers_with_a_page(ctx):
    lead = make_lead(ctx.session, 1)
    page = ctx.client.post("/marketing/lists/add", data={"list_id": ctx.target.id, "lead_id": [lead.id]})
    assert page.status_code == 200 and b"<!doctype html>" in page.data
    assert b"Refused 1:" in page.data


@pytest.mark.parametrize(
    ("data", "says"),
    [({"list_id": "1"}, "Tick at least one lead."), ({"lead_id": ["1"]}, "Choose a marketing list.")],
)
def test_bulk_add_says_what_is_missing(ctx, data, says):
    answer = ctx.client.post("/marketing/lists/add", data=data, headers=HX)
    assert answer.status_code == 200 and says in answer.get_data(as_text=True)


def test_an_unknown_list_is_refused_before_anyone_is_considered(ctx):
    lead = make_lead(ctx.session, 1)
    answer = ctx.client.post("/marketing/lists/add", data={"list_id": 999, "lead_id": [lead.id]}, headers=HX)
    assert "That marketing list does not exist." in answer.get_data(as_text=True)
    assert not ctx.session.exec(select(AuditEvent).where(AuditEvent.record_type == "lead")).all()


def test_list_names_are_unique_in_any_case(session):
    make_list(session, "Launch  2026")
    with pytest.raises(marketing.MarketingError, match="already a marketing list called 'launch 2026'"):
        make_list(session, "launch 2026")
    with pytest.raises(marketing.MarketingError, match="needs a name"):
        make_list(session, "   ")


def test_mark_sent_records_the_subject_list_and_consent_relied_on(session):
    lead = make_lead(session, 1)
    grant = give(session, lead)
    launch = make_list(session)
    result = marketing.mark_email_sent(
        session=session,
        lead_ids=[lead.id],
        subject="  RADNAC 3.0\nis here ",
        list_id=launch.id,
        actor="a",
        now=PINNED_NOW,
    )
    assert result.done == [lead]
    (email,) = session.exec(select(MarketingEmail)).all()
    assert (email.subject, email.list_id, email.consent_record_id, email.sent_at) == (
        "RADNAC 3.0 is here",
        launch.id,
        grant.id,
        PINNED_NOW,
    )
    with pytest.raises(marketing.MarketingError, match="subject"):
        marketing.mark_email_sent(
            session=session, lead_ids=[lead.id], subject=" ", list_id=None, actor="a", now=PINNED_NOW
        )


# --- the command line -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["support", None])
def test_the_cli_refuses_staff_who_may_not_market(app, session, make_user, role):
    email = make_user(role).email if role else "nobody@radnac.example"
    make_list(session)
    result = app.test_cli_runner().invoke(args=["marketing", "export", "Launch", "--as", email])
    assert result.exit_code != 0
    assert ("may not take marketing actions" if role else "No active member of staff") in result.output


def test_cli_export_writes_a_private_file_and_says_who_was_left_out(app, session, make_user, tmp_path):
    user = make_user("sales")
    launch = make_list(session)
    kept, gone = make_lead(session, 1, first_name="=cmd|' /C calc'!A0"), make_lead(session, 2)
    for lead in (kept, gone):
        give(session, lead)
    marketing.add_to_list(session=session, list_id=launch.id, lead_ids=[kept.id, gone.id], actor=user, now=PINNED_NOW)
    give(session, gone, at=PINNED_NOW - timedelta(minutes=5), granted=False)
    target = tmp_path / "launch.csv"

    result = app.test_cli_runner().invoke(
        args=["marketing", "export", "launch", "--as", user.email, "--output", str(target)]
    )

    assert result.exit_code == 0, result.output
    assert "Exported 1 people from 'Launch'; left out 1." in result.stderr
    assert f"left out lead {gone.id} (Person2 Tester): Marketing consent was withdrawn" in result.stderr
    assert oct(target.stat().st_mode)[-3:] == "600"
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("'=cmd|' /C calc'!A0,Tester,p1@x.example")
    assert len(lines) == 2


def test_cli_add_to_list_exits_non_zero_when_anyone_is_refused(app, session, make_user):
    user = make_user("admin")
    make_list(session)
    ok, refused = make_lead(session, 1), make_lead(session, 2)
    give(session, ok)
    result = app.test_cli_runner().invoke(
        args=["marketing", "add-to-list", "Launch", str(ok.id), str(refused.id), "--as", user.email]
    )
    assert result.exit_code == 1
    assert "Added to 'Launch': 1; already done: 0; refused: 1." in result.output
    assert f"refused lead {refused.id} (Person2 Tester): There is no marketing consent" in result.output


def test_cli_create_list_and_mark_sent_with_a_list(app, session, make_user):
    user = make_user("sales")
    runner = app.test_cli_runner()
    assert (
        "Created marketing list 'Spring'."
        in runner.invoke(args=["marketing", "create-list", "Spring", "--as", user.email]).output
    )
    lead = make_lead(session, 1)
    give(session, lead)
    sent = runner.invoke(
        args=["marketing", "mark-sent", str(lead.id), "--subject", "Hi", "--list", "spring", "--as", user.email]
    )
    assert sent.exit_code == 0, sent.output
    assert (
        session.exec(select(MarketingEmail.list_id)).one()
        == marketing.get_list_by_name(session=session, name="Spring").id
    )
