"""What tests share besides fixtures: the pinned time and password, and records made the way each test needs them.

Test modules never import one another (tests/test_layout.py fails if one does): a helper two test modules need
lives here, or in a helper module named for its subject (`lead_samples`, `marketing_samples`, `browser`, ...).
Fixtures live in conftest.py.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from leads.consent import marketing
from leads.grants import grants
from leads.models import (
    Installation,
    InstallEvent,
    JobRun,
    Lead,
    QuarantinedEntity,
    RightsRequest,
    SupportGrant,
    User,
)
from leads.people import subjects
from leads.retention import holds, sweeper
from leads.rights import register

PINNED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
TOMBSTONE_KEY = "test-tombstone-key"
# Azurite's documented, public development account (not a secret).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class Clock:
    """A settable clock for the app's CLOCK setting: tests move time instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def free_port() -> int:
    """A loopback port nobody is listening on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AuthActions:
    """Log a test client in and out (the `auth` fixture)."""

    def __init__(self, client, make_user) -> None:
        self._client = client
        self._make_user = make_user

    def login(self, role: str = "admin", email: str | None = None) -> User:
        user = self._make_user(role, email)
        response = self._client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 303, response.data
        return user

    def logout(self):
        return self._client.post("/logout")


def logged_in(app, user: User, **kwargs):
    """A plain test client logged in as `user`. Not pytest-flask's `client`: that one keeps its last request's
    app context pushed (`with client:`), and a second client's requests would then share its `g` and user."""
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}, **kwargs).status_code == 303
    return fresh


# --- Leads and installations -------------------------------------------------------------------------------


def add_lead(session: Session, received_at: datetime, row_key: str = "r", **fields) -> Lead:
    """A lead of Ada Lovelace's received at `received_at`, its email `<row_key>@x.example`."""
    lead = Lead(
        source_partition_key="2026-11",
        source_row_key=row_key,
        first_name="Ada",
        last_name="Lovelace",
        email=f"{row_key}@x.example",
        first_seen_at=received_at,
        received_at=received_at,
        **fields,
    )
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    return lead


def lead_for(session: Session, row_key: str, email: str, days: int = 0) -> Lead:
    """A lead with only an email, received `days` before PINNED_NOW."""
    at = PINNED_NOW - timedelta(days=days)
    lead = Lead(source_partition_key="p", source_row_key=row_key, email=email, first_seen_at=at, received_at=at)
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    return lead


def add_installation(
    session: Session, uninstalled_at: datetime | None, name: str = "app", ip_at: datetime | None = None
) -> Installation:
    """An installation installed 400 days before `uninstalled_at` (or PINNED_NOW), uninstalled then if given."""
    app_id = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Solutions/applications/{name}"
    start = (uninstalled_at or PINNED_NOW) - timedelta(days=400)
    installation = Installation(
        application_id=app_id,
        subscription_id="s",
        resource_group="rg",
        application_name=name,
        state="uninstalled" if uninstalled_at else "installed",
        first_event_at=start,
        last_event_at=uninstalled_at or start,
        uninstalled_at=uninstalled_at,
        clock_started_at=uninstalled_at,
    )
    session.add(installation)
    session.flush()
    session.add(
        InstallEvent(
            installation_id=installation.id,
            dedupe_key=f"k-{name}",
            event_type="PUT",
            provisioning_state="Succeeded",
            event_time=start,
            received_at=ip_at or start,
            caller_ip="20.1.2.3",
        )
    )
    if uninstalled_at:
        session.add(
            InstallEvent(
                installation_id=installation.id,
                dedupe_key=f"k-{name}-deleted",
                event_type="DELETE",
                provisioning_state="Deleted",
                event_time=uninstalled_at,
                received_at=uninstalled_at,
            )
        )
    session.commit()
    return installation


# --- Jobs, grants, rights requests ---------------------------------------------------------------------------


def sweep(session: Session, now: datetime = PINNED_NOW, source=None, **kwargs) -> sweeper.Report:
    """One run of the retention sweeper with the tests' tombstone key."""
    return sweeper.sweep(session=session, now=now, source=source, tombstone_key=TOMBSTONE_KEY, holder="test", **kwargs)


def add_run(
    session: Session, job: str, outcome: str, started_at: datetime = PINNED_NOW - timedelta(minutes=10), **fields
) -> JobRun:
    """A recorded run of `job` (finished 5 seconds after it started, unless it is still running)."""
    finished = None if outcome == "running" else started_at + timedelta(seconds=5)
    run = JobRun(job=job, holder="host:42", started_at=started_at, finished_at=finished, outcome=outcome, **fields)
    session.add(run)
    session.commit()
    return run


def open_grant(session: Session, installation: Installation, actor, now: datetime = PINNED_NOW, **overrides):
    """A support access grant on `installation`, with written consent, opened through the service."""
    values = {
        "support_request_ref": "SR-1042",
        "consent_given_by": "Jo Admin (IT lead, Contoso)",
        "consent_given_at": now,
        "consent_evidence": "Email 12 Nov: 'You may access.'",
    }
    values.update(overrides)
    return grants.open_grant(session=session, installation_id=installation.id, actor=actor, now=now, **values)


def store_entities(session: Session, *entities: dict, now: datetime = PINNED_NOW) -> None:
    """Store lead table entities (`lead_samples.entity`) as the sync does, one page, and commit."""
    from leads.ingest import sync
    from leads.ingest.sources import SourceEntity

    keys = ("PartitionKey", "RowKey")
    found = [SourceEntity(e[keys[0]], e[keys[1]], now, {k: v for k, v in e.items() if k not in keys}) for e in entities]
    sync.store_page(session=session, entities=found, now=now, tombstone_key="k")
    session.commit()


def new_request(
    session: Session, actor, received: date = date(2026, 11, 2), kind: str = "access", email: str = "ada@x.example"
) -> RightsRequest:
    """Ada Lovelace's rights request of `kind`, received on `received`, registered at PINNED_NOW."""
    return register.create(
        session=session,
        kind=kind,
        requester_name="Ada Lovelace",
        requester_email=email,
        channel="email",
        received_on=received,
        details="All my data",
        actor=actor,
        now=PINNED_NOW,
    )


# --- Scenarios ------------------------------------------------------------------------------------------------


def ada_everywhere(session: Session, make_user, kind: str = "access"):
    """A person with two leads, a linked installation, consent, a list, an email, a grant, a quarantined
    entity, and two requests: (the request of `kind`, the earlier one, the admin who made them)."""
    from tests.marketing_samples import give  # it imports PINNED_NOW from here

    actor = make_user("admin", "dpo@radnac.example")
    first = lead_for(session, "one", "Ada@X.example", days=30)
    second = lead_for(session, "two", "ada@x.example", days=3)
    give(session, first, at=PINNED_NOW - timedelta(days=2))
    target = marketing.create_list(session=session, name="Launch", description=None, actor=actor, now=PINNED_NOW)
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=[second.id], actor=actor, now=PINNED_NOW)
    marketing.mark_email_sent(
        session=session, lead_ids=[second.id], subject="Hi Ada", list_id=target.id, actor=actor, now=PINNED_NOW
    )
    installation = add_installation(session, None, "ada-app")
    installation.lead_id = first.id
    grant = SupportGrant(
        installation_id=installation.id, support_request_ref="SR-1", consent_given_by="Ada Lovelace",
        consent_given_at=PINNED_NOW, consent_evidence="yes", consent_evidence_sha256="0" * 64, opened_by="s",
        opened_at=PINNED_NOW, last_communication_at=PINNED_NOW,
    )  # fmt: skip
    quarantined = QuarantinedEntity(
        partition_key="2026-11", row_key="q1", reason="bad", raw='{"Email": "ADA@x.example", "FirstName": "Ada"}',
        email_key="ada@x.example", first_seen_at=PINNED_NOW, last_seen_at=PINNED_NOW, clock_started_at=PINNED_NOW,
    )  # fmt: skip
    session.add_all([installation, grant, quarantined])
    session.commit()
    earlier = new_request(session, actor, received=date(2026, 10, 1), kind="restriction", email="ADA@x.example")
    request = new_request(session, actor, received=date(2026, 11, 20), kind=kind)
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)  # rights need it (#16)
    register.confirm_lead(session=session, request=request, lead=first, actor=actor, now=PINNED_NOW)
    return request, earlier, actor


ADA_DETAILS = {
    "first_name": "Ada", "last_name": "Lovelace", "phone": "+44 20 7946 4912", "country": "United Kingdom",
    "company": "Analytical Engines Ltd", "job_title": "Chief Technology Officer", "offer": "coremem.radnac",
    "offer_title": "RADNAC", "source_channel": "AzureMarketplace",
}  # fmt: skip


def ada_in_full(session: Session, make_user, kind: str = "access"):
    """`ada_everywhere` with her leads as Microsoft sends them (name, phone, offer, lead source): the first
    asked to be contacted, the second started an install. Returns the same three."""
    request, earlier, actor = ada_everywhere(session, make_user, kind=kind)
    leads = session.exec(select(Lead).order_by(Lead.id)).all()
    for lead, action, days in zip(leads, ("PLT", "INS"), (8, 3), strict=True):
        for name, value in {**ADA_DETAILS, "action_code": action}.items():
            setattr(lead, name, value)
        lead.lead_source = f"AzureMarketplace-{action}|coremem.radnac"
        lead.created_at_ms = lead.received_at = PINNED_NOW - timedelta(days=days)
    session.commit()
    return request, earlier, actor


def nobody(session: Session, make_user, kind: str = "access"):
    """A verified request of `kind` from an address nothing is held under: (the request, the admin)."""
    actor = make_user("admin", "dpo@radnac.example")
    request = new_request(session, actor, received=date(2026, 11, 20), kind=kind, email="nobody@y.example")
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    return request, actor


def seed_every_kind(session: Session, admin) -> None:
    """Records of every kind the schedule destroys, due at many moments around the next weeks, a few on hold,
    one already outlined and one lapsed (neither counts), and leads started on and around a leap day."""
    year3 = PINNED_NOW - (datetime(2027, 11, 25, tzinfo=UTC) - datetime(2024, 11, 25, tzinfo=UTC))
    offsets = [-2, 0.5, 3, 6.9, 7, 7.1, 15, 29.9, 30, 31, 45, 80, 120]
    for n, days in enumerate(offsets):
        lead = add_lead(session, year3 + timedelta(days=days), f"lead{n}", company=f"Firm {n}")
        uninstalled = PINNED_NOW - timedelta(days=90) + timedelta(days=days)
        installation = add_installation(session, uninstalled, f"app{n}")
        if n in (2, 9):
            holds.place(
                session=session, record_type="lead", record_id=lead.id, reason="claim", actor=admin, now=PINNED_NOW
            )
            holds.place(
                session=session,
                record_type="installation",
                record_id=installation.id,
                reason="claim",
                actor=admin,
                now=PINNED_NOW,
            )
        session.add(_quarantined(n, year3 + timedelta(days=days)))
        session.add(_closed_request(n, year3 + timedelta(days=days), outlined=n == 4))
        if days >= 0:
            session.add(_grant(installation.id, n, PINNED_NOW - timedelta(days=10) + timedelta(days=days / 4)))
    for n, start in enumerate([datetime(2024, 2, 28, 12, tzinfo=UTC), datetime(2024, 2, 29, 11, tzinfo=UTC)]):
        add_lead(session, start, f"leap{n}")
        add_lead(session, start + timedelta(hours=8), f"leap-late{n}")
    session.commit()


def _quarantined(n: int, start: datetime) -> QuarantinedEntity:
    return QuarantinedEntity(
        partition_key="q", row_key=f"q{n}", reason="no email", raw="{}", first_seen_at=start, last_seen_at=start,
        clock_started_at=start,
    )  # fmt: skip


def _closed_request(n: int, closed_at: datetime, outlined: bool) -> RightsRequest:
    return RightsRequest(
        kind="access", requester_name=f"Requester {n}", requester_email=f"r{n}@x.example", channel="email",
        received_on=closed_at.date(), status="completed", closed_on=closed_at.date(), closed_at=closed_at,
        outlined_at=closed_at if outlined else None, created_by="admin@x.example", created_at=closed_at,
    )  # fmt: skip


def _grant(installation_id: int, n: int, last: datetime) -> SupportGrant:
    return SupportGrant(
        installation_id=installation_id, support_request_ref=f"SR-{n}", consent_given_at=last, consent_given_by="C",
        consent_evidence="yes", consent_evidence_sha256="0" * 64, opened_by="support@x.example", opened_at=last,
        last_communication_at=last, lapsed_at=last if n == 12 else None,
    )  # fmt: skip


# --- Mail: a real SMTP server on loopback (aiosmtpd) ---------------------------------------------------------


class Inbox:
    """The handler of an aiosmtpd server on loopback: keeps every message it accepts (parsed), and refuses for
    good (550 at RCPT, a hard bounce) the addresses in `refuse`, or for now (451) those in `defer`."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.url = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's name
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        if address in self.defer:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        """The messages received for `address`."""
        return [message for message in self.messages if message["To"] == address]


def stored_anywhere(session: Session, needle: str) -> set[str]:
    """Every table.column whose text value holds `needle` (case-insensitive): proof that something is gone."""
    from sqlalchemy import String, Text
    from sqlmodel import SQLModel

    hits = set()
    for table in SQLModel.metadata.sorted_tables:
        for column in (c for c in table.columns if isinstance(c.type, String | Text)):
            values = session.execute(select(column).where(column.is_not(None))).scalars()
            if any(needle.casefold() in str(value).casefold() for value in values):
                hits.add(f"{table.name}.{column.name}")
    return hits


# Every endpoint that answers without a staff login, each with its own authentication or none needed: the one list
# the login walk (tests/web/test_auth.py) and the role matrix (tests/web/test_role_matrix.py) both hold the app to.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.healthz",
    "static",
    "webhooks.azure_resource",
    "sso.login",
    "sso.callback",
    "totp.login_code",
    "unsubscribe.confirm",  # the token in the link is the authentication (tests/web/test_unsubscribe.py)
    "unsubscribe.one_click",
    # the person's own privacy page: a code emailed to them is the authentication (tests/web/test_privacy.py)
    "privacy.start",
    "privacy.send_code",
    "privacy.verify",
    "privacy.mine",
    "privacy.choose",
    "privacy.request",
    # the download link of a completed request: its random token, then a code emailed to the request's address
    "privacy.download",
    "privacy.download_code",
    "privacy.download_file",
}


def app_config(database_url: str, clock: object, export_cache: str) -> dict[str, object]:
    """The testing app's settings on `database_url`, `clock` pinned, CSRF off (one test turns it on). Tests move
    the pinned clock by hours and years with a client logged in; the session timeouts themselves are tested at
    their documented defaults (tests/web/test_sessions.py)."""
    return {
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": False,
        "LEADS_PER_PAGE": 20,
        "FILTER_OPTIONS_TTL": timedelta(0),
        "SESSION_IDLE_TIMEOUT": timedelta(days=36500),
        "SESSION_MAX_AGE": timedelta(days=36500),
        "EXPORT_CACHE": export_cache,
    }
