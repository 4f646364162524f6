"""axe-core over every page staff can open, as each role and in the states that matter, at 1440 and 820 px
(issue #19, "Done when": zero violations of WCAG 2.x A and AA, inside `make test`).

The pages come from `app.url_map` (the same walk as tests/web/test_methods.py), so a GET route added later is
either walked here or named in EXCLUDED with the reason; the completeness check fails otherwise. axe-core is
the pinned npm package (package.json), read from node_modules: the run needs no network.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select

from leads.models import Lead, Person, RightsRequest, SupportGrant
from leads.retention import exportcache
from leads.rights import register
from leads.staff import totp
from tests.browser import WIDTHS, open_page, shoot, sqlite_database_url
from tests.factories import PASSWORD, PINNED_NOW
from tests.web.walk import ROLES, populate, urls

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# GET routes the walk does not open as pages, each with the reason. Anything else must be shown (200) to at
# least one role, or be visited in one of the states below.
EXCLUDED = {
    "static": "files (CSS, scripts, the icon), not pages",
    "auth.healthz": "the load balancer's plain-text health check, not a page",
    "sso.login": "a redirect to the identity provider (none is configured in tests); its button is on /login",
    "sso.callback": "the provider's redirect back; its refusals are the error page, walked as the 404 state",
}
# Documents served with `sandbox` in their policy (the letter to the person, framed on the request page): no
# script runs in them, so axe runs over the same markup set into a page of its own.
SANDBOXED = {"rights.letter"}
# Routes whose page exists only in a state the walk sets up itself (see `_states`).
IN_STATES = {"totp.login_code": "the code step after a right password, for a user with a second factor"}

# Frames are not entered: the only ones are the letter previews, sandboxed with scripts off, where axe would wait
# for an answer that cannot come (a minute a frame); each letter is walked as a page of its own (its GET route).
RUN_AXE = """async tags => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"], iframes: false
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))
  }));
}"""


def _check(page, where: str, found: list[str]) -> None:
    """Inject axe (evaluated through the DevTools protocol, so the page's CSP does not block it) and run it.

    The page is whole at its load event: none fetches anything after it (no htmx `load` or `every` trigger, no
    fetch in static/; forms here submit without htmx). "networkidle" waited 500 ms of silence more, on each of
    the ~140 pages a width: half this test's time."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    for v in page.evaluate(RUN_AXE, TAGS):
        found.append(f"{where}: {v['id']} ({v['impact']}) {v['help']} at {v['targets'][:5]}")


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _fixture(session, make_user) -> tuple[dict[str, int], dict[str, object], dict[str, str]]:
    """The walk's data, a person, an erasure request (so its confirmation page shows), and the grant's
    installation (a publisher-managed one, so the new-grant form shows)."""
    ids, staff = populate(session, make_user)
    ids["person_id"] = session.exec(select(func.min(Person.id))).one()[0]
    grant = session.get(SupportGrant, ids["grant_id"])
    erasure = register.create(
        session=session,
        kind="erasure",
        requester_name="Grace Hopper",
        requester_email="grace@x.example",
        channel="email",
        received_on=date(2026, 11, 21),
        details="Erase me",
        actor=staff["support"],
        now=PINNED_NOW,
    )
    register.verify_identity(session=session, request=erasure, actor=staff["support"], now=PINNED_NOW)
    lead = session.get(Lead, session.exec(select(func.max(Lead.id))).one()[0])
    override = register.Override("the axe walk's fixture", "set up by the test")
    register.confirm_lead(
        session=session, request=erasure, lead=lead, actor=staff["support"], now=PINNED_NOW, override=override
    )
    overrides = {
        "rights.confirm_erase": f"/rights/{erasure.id}/erase",
        "grants.grant_new": f"/installations/{grant.installation_id}/grants/new",
    }
    return ids, staff, overrides


def _walk(browser, base: str, app, ids, staff, overrides, width: int, found: list[str]) -> set[str]:
    """Every GET page as every role; returns the endpoints some role was shown (200)."""
    shown: set[str] = set()
    for role in ROLES:
        page = open_page(browser, width=width)
        _log_in(page, base, staff[role].email)
        for endpoint, _method, url in urls(app, ids, {"GET"}):
            if endpoint in EXCLUDED or endpoint in IN_STATES:
                continue
            if endpoint in SANDBOXED:  # no script runs in it, axe included: its markup is checked as a page
                answer = page.request.get(base + overrides.get(endpoint, url))
                if answer.status == 200:
                    shown.add(endpoint)
                    page.set_content(answer.text())
                    _check(page, f"{role} {width}px {endpoint} (its markup)", found)
                continue
            answer = page.goto(base + overrides.get(endpoint, url))
            if answer.status == 200:
                shown.add(endpoint)
            _check(page, f"{role} {width}px {endpoint} ({answer.status})", found)
            if role == "admin" or (answer.status == 200 and endpoint in {"rights.new", "pages.dashboard"}):
                shoot(page, f"axe-{width}-{role}-{endpoint.replace('.', '-')}")
        page.context.close()
    return shown


def _states(browser, base: str, session, make_user, clock, width: int, found: list[str]) -> set[str]:
    """Pages that exist only in a state: logged out, a wrong password, the second factor, errors."""
    page = open_page(browser, width=width)
    page.goto(f"{base}/login")
    _check(page, f"anonymous {width}px login", found)
    page.fill("#email", "nobody@radnac.example")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    _check(page, f"anonymous {width}px login refused", found)
    shoot(page, f"axe-{width}-login-refused")

    user = make_user("support")
    started = totp.start_enrolment(session=session, user=user, now=clock.now)
    totp.confirm_enrolment(session=session, user=user, code=pyotp.TOTP(started.secret).at(clock.now), now=clock.now)
    _log_in(page, base, user.email)
    assert page.url == f"{base}/login/code"
    _check(page, f"second factor {width}px login code", found)
    shoot(page, f"axe-{width}-login-code")
    page.context.close()

    page = open_page(browser, width=width)
    _log_in(page, base, make_user("sales").email)
    page.goto(f"{base}/account/second-factor")
    page.click("text=Set it up")
    page.wait_for_load_state()
    _check(page, f"sales {width}px second factor enrolment (QR code)", found)
    shoot(page, f"axe-{width}-totp-enrol")
    answer = page.goto(f"{base}/no-such-page")
    assert answer.status == 404
    _check(page, f"sales {width}px 404", found)
    shoot(page, f"axe-{width}-404")
    page.context.close()
    return set(IN_STATES)


def _public(browser, base: str, app, session, inbox, width: int, found: list[str]) -> set[str]:
    """The pages a customer meets: the privacy page (switched on here; off by default) through its code from a
    real SMTP server, their choices with a request made, a download link's page, and the page an unsubscribe
    link that is not ours shows."""
    app.config.update(PRIVACY_PAGE=True, MAIL_URL=inbox.url)
    email = session.exec(select(Lead.email).where(Lead.email.is_not(None)).limit(1)).first()[0]
    page = open_page(browser, width=width)
    page.goto(f"{base}/privacy")
    _check(page, f"anonymous {width}px privacy page", found)
    shoot(page, f"axe-{width}-privacy")
    page.fill("#email", email)
    page.click("button:has-text('Email me a code')")
    page.fill("#code", re.search(r"\b(\d{6})\b", inbox.to(email)[-1]["Subject"]).group(1))
    page.click("button:has-text('Continue')")
    page.select_option("#kind", "access")
    page.click("button:has-text('Send the request')")
    page.locator("h2:has-text('Your requests')").wait_for()
    _check(page, f"verified {width}px privacy.mine (their choices and a request)", found)
    shoot(page, f"axe-{width}-privacy-mine")
    made = session.exec(select(RightsRequest).where(RightsRequest.source == "privacy_page")).first()[0]
    cache = Path(app.config["EXPORT_CACHE"])
    _row, token = exportcache.store(session=session, request_id=made.id, kind="access", data=b"PK", cache=cache,
                                    secret=app.config["SECRET_KEY"], now=PINNED_NOW)  # fmt: skip
    page.goto(f"{base}/privacy/download/{token}")
    _check(page, f"anonymous {width}px privacy.download (an emailed link)", found)
    shoot(page, f"axe-{width}-privacy-download")
    page.goto(f"{base}/unsubscribe/not-a-token-of-ours")
    _check(page, f"anonymous {width}px unsubscribe, a link not ours", found)
    shoot(page, f"axe-{width}-unsubscribe-invalid")
    page.context.close()
    return {"privacy.start", "privacy.mine", "privacy.download", "unsubscribe.confirm"}


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_axe_violation(
    width, app, live_url, browser, session, make_user, clock, demo_data, smtp_server
):
    ids, staff, overrides = _fixture(session, make_user)
    found: list[str] = []
    shown = _walk(browser, live_url, app, ids, staff, overrides, width, found)
    shown |= _states(browser, live_url, session, make_user, clock, width, found)
    shown |= _public(browser, live_url, app, session, smtp_server, width, found)

    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert set(EXCLUDED) <= gets, f"EXCLUDED names routes that no longer exist: {set(EXCLUDED) - gets}"
    missing = gets - shown - set(EXCLUDED)
    assert not missing, f"GET routes neither walked (200 for some role) nor EXCLUDED with a reason: {missing}"
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


def test_a_violation_would_be_found(live_url, page):
    """The control: the same check reports a broken page, so an empty list above means something."""
    page.goto(f"{live_url}/login")
    page.evaluate("document.querySelector('label[for=email]').remove()")
    found: list[str] = []
    _check(page, "login without its email label", found)
    assert any(": label (" in line and "#email" in line for line in found), found
