"""Nothing an unauthenticated request sends is written anywhere without a bound (issue #32).

Every route of `url_map`, with single sign-on configured and the webhook's secret set, is sent every method
it answers, anonymously, with hostile query and form values (4 KB of text in every field the public pages read),
over and over, from one address; then sign-ins are started and their callbacks refused. CSRF is off: an attacker
gets a token from the login page anyway, so this is the stronger test. Afterwards every table holds exactly the
rows it held before, except the audit trail, which may have grown by the login throttle's budget for one address
(failed log-ins, refused callbacks and the lock-out they end in are audited), and never carries the sent text.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from leads import create_app
from leads.models import AuditEvent, Lead, Mailing, MailingMessage
from leads.rules import mailtext
from tests.factories import PASSWORD, PINNED_NOW
from tests.web.walk import populate, row_counts, urls

TEXT = "FORGED-" + "x" * 4096
FIELDS = ("email", "password", "code", "next", "state", "error", "error_description", "query", "name", "sig")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
ROUNDS = 30  # more than any throttle lets through
ADDRESS_BUDGET = 20  # LOGIN_LIMIT_PER_ADDRESS: failures (log-in, code, callback) one address may make
ACCOUNT_BUDGET = 5  # LOGIN_LIMIT_PER_ACCOUNT
# Each lock-out is audited once per window: the address's, and each account's it had the budget to pause.
LOCK_OUTS = 1 + ADDRESS_BUDGET // ACCOUNT_BUDGET


def test_no_unauthenticated_route_writes_more_than_the_throttled_audit_of_failures(
    database_url, demo_data, clock, session, make_user, oidc_provider
):
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "WTF_CSRF_ENABLED": False,
            "WEBHOOK_SECRET": "walk-webhook-secret-0123456789abcdef",
            **oidc_provider.app_config(),
        }
    )
    ids, staff = populate(session, make_user)
    ids["token"] = _sent_message_token(session, ids)  # a real unsubscribe link: it may write, once
    before = row_counts(session)
    query = {name: TEXT for name in FIELDS}
    answered: dict[str, set[int]] = {}
    for round_ in range(ROUNDS):
        for endpoint, method, url in urls(app, ids, METHODS):
            if round_ and not getattr(app.view_functions[endpoint], "is_public", False):
                continue  # routes behind login are refused the same way every time: once is enough
            data = {**query, "email": staff["admin"].email if round_ % 2 else TEXT} if method != "GET" else None
            visitor = app.test_client()  # a fresh cookie each time: /sso/login keeps a state in the caller's own
            response = visitor.open(url, method=method, query_string=query, data=data)
            response.close()
            answered.setdefault(endpoint, set()).add(response.status_code)
        signer = app.test_client()  # its own cookie: a throttled callback leaves its state unspent in the session
        state = parse_qs(urlsplit(signer.get("/sso/login").headers["Location"]).query)["state"][0]
        signer.get("/sso/callback", query_string={**query, "state": state}).close()
    after = row_counts(session)
    grown = {table: after[table] - before[table] for table in after if after[table] != before[table]}
    audited = grown.pop("auditevent", 0)
    # The one good unsubscribe link withdrew consent once (and audited it), however often it was replayed.
    assert grown == {"consentrecord": 1}, f"unauthenticated requests wrote {grown}"
    assert audited <= ADDRESS_BUDGET + LOCK_OUTS + 1, f"{audited} audit events from one address"
    newest = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(max(audited, 1))).all()
    assert not any("FORGED" in f"{event.actor} {event.details}" for event in newest[:audited])
    assert 500 not in set().union(*answered.values())
    assert 429 in answered["auth.login"] and 429 in answered["sso.callback"]  # the budget was really spent
    # and the right password still works from elsewhere: the walk paused nobody's account for good
    other = app.test_client()
    data, elsewhere = {"email": staff["sales"].email, "password": PASSWORD}, {"REMOTE_ADDR": "198.51.100.20"}
    login = other.post("/login", data=data, environ_base=elsewhere)
    assert login.status_code == 303
    app.extensions["radnac.engine"].dispose()


def _sent_message_token(session, ids) -> str:
    """A marketing email sent to the walk's first lead, and the token of its unsubscribe link."""
    mailing = Mailing(list_id=ids["list_id"], subject="Walk", body="Hi", created_by="system:test",
                      created_at=PINNED_NOW)  # fmt: skip
    session.add(mailing)
    session.flush()
    message = MailingMessage(mailing_id=mailing.id, lead_id=ids["lead_id"], status="sent")
    session.add(message)
    session.commit()
    person_id = session.get(Lead, ids["lead_id"]).person_id
    return mailtext.sign(mailtext.Token(person_id, "marketing", message.id), secret="test-secret")
