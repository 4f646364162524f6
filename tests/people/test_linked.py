"""Issue #33: an installation's search keys (its own names, and its linked lead's name, surname and company) are
kept by the writers alone. The property: after any sequence of notifications, links and unlinks, lead renames
and lead destructions, every installation's stored keys equal a full re-derivation from its own names and its
lead's current fields. On SQLite and PostgreSQL, through the services the webhook, the link page, the sync and
rectification, and the retention sweeper call."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from leads.installs import events
from leads.models import INSTALL_SEARCH_KEYS, Installation, Lead, linked_lead_keys, own_keys
from leads.people import linked
from leads.retention import destroy
from leads.rules import notifications
from tests.notification_samples import SUB, event

KEY = "test-tombstone-key"
DAY0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
NAMES = st.sampled_from(["Müller", "Muller", "Mueller", "Lefèvre", "  Jørgensen ", "ÆSIR", None])
APPS = st.sampled_from(["Rådnac-App", "radnac app", "Ölkonto", "x"])
STEP = st.one_of(
    st.tuples(st.just("deliver"), st.integers(0, 2), APPS, st.integers(0, 20)),
    st.tuples(st.just("link"), st.integers(0, 2), st.one_of(st.none(), st.integers(0, 2))),
    st.tuples(st.just("rename"), st.integers(0, 2), NAMES, NAMES, NAMES),
    st.tuples(st.just("destroy"), st.integers(0, 2)),
)


def rederived(session, installation: Installation) -> dict[str, str]:
    """The keys as they should be: from the installation's own names and its lead as stored now."""
    lead = session.get(Lead, installation.lead_id) if installation.lead_id else None
    own = own_keys(
        application_name=installation.application_name,
        resource_group=installation.resource_group,
        subscription_id=installation.subscription_id,
    )
    return {**own, **linked_lead_keys(lead)}


def stored(installation: Installation) -> dict[str, str]:
    return {column: getattr(installation, column) for column in INSTALL_SEARCH_KEYS}


def deliver(session, tag: str, app: int, name: str, day: int) -> None:
    app_id = f"/subscriptions/{SUB}/resourceGroups/RG-{tag}-{app}/providers/Microsoft.Solutions/applications/{name}"
    at = (DAY0 + timedelta(days=day)).isoformat().replace("+00:00", "Z")
    parsed = notifications.parse(event("PUT", "Succeeded", at, app_id=app_id))
    events.store(session=session, notification=parsed, caller_ip=None, now=DAY0, tombstone_key=KEY)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_installation_keys_always_equal_a_full_re_derivation(session, steps):
    tag = uuid.uuid4().hex[:8]  # this example's own rows (the session's database outlives an example)
    leads = [
        Lead(source_partition_key=tag, source_row_key=str(n), first_name="Zoë", last_name="Müller",
             company=f"Bäckerei {n}", first_seen_at=DAY0, received_at=DAY0)
        for n in range(3)
    ]  # fmt: skip
    session.add_all(leads)
    session.commit()
    lead_ids = [lead.id for lead in leads]
    for step in steps:
        mine = list(session.exec(select(Installation).where(Installation.resource_group.startswith(f"RG-{tag}-"))))
        mine.sort(key=lambda i: i.resource_group)
        if step[0] == "deliver":
            deliver(session, tag, *step[1:])
        elif step[0] == "link" and step[1] < len(mine):
            lead = session.get(Lead, lead_ids[step[2]]) if step[2] is not None else None
            mine[step[1]].link(lead)  # what `nurture.link` does, after the gate
            session.add(mine[step[1]])
            session.commit()
        elif step[0] == "rename" and (lead := session.get(Lead, lead_ids[step[1]])) is not None:
            lead.first_name, lead.last_name, lead.company = step[2:]
            session.add(lead)
            linked.follow_rename(session=session, lead=lead, changed=["first_name", "last_name", "company"])
            session.commit()
        elif step[0] == "destroy":
            destroy.destroy_leads(session, [lead_ids[step[1]]], DAY0, "system:test", KEY)
        session.expire_all()
        for installation in session.exec(
            select(Installation).where(Installation.resource_group.startswith(f"RG-{tag}-"))
        ):
            assert stored(installation) == rederived(session, installation), step


def test_a_destroyed_lead_leaves_no_name_on_its_installation(session):
    lead = Lead(source_partition_key="p", source_row_key="r", first_name="Zoë", last_name="Müller",
                company="Bäckerei", first_seen_at=DAY0, received_at=DAY0)  # fmt: skip
    session.add(lead)
    session.commit()
    deliver(session, "gone", 0, "radnac", 1)
    installation = session.exec(select(Installation)).one()
    installation.link(lead)
    session.add(installation)
    session.commit()
    assert (installation.lead_name_key, installation.lead_last_key) == ("zoe muller", "muller")
    destroy.destroy_leads(session, [lead.id], DAY0, "system:test", KEY)
    session.expire_all()
    installation = session.exec(select(Installation)).one()
    assert installation.lead_id is None
    assert (installation.lead_name_key, installation.lead_last_key, installation.lead_company_key) == ("", "", "")
