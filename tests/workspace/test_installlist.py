"""The installations workspace: filters, search, sort, the shared keyset pager, and the failure reason."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from leads.models import INSTALL_SEARCH_KEYS, Installation, InstallEvent, Lead, PlanPermission
from leads.workspace import installlist
from tests.factories import PINNED_NOW


def _all(session, **args) -> list[Installation]:
    """Every page of the list for `args`, walked with the pager's own cursors."""
    query, found = installlist.parse(args), []
    while True:
        window = installlist.list_installations(session=session, query=query, now=PINNED_NOW, per_page=7)
        found.extend(window.items)
        if not window.next_cursor:
            return found
        query = installlist.parse({**args, "after": window.next_cursor, "start": str(window.next_start)})


def test_needs_help_is_failed_and_blocked_installs_only(session, demo_data):
    stuck = _all(session, state="needs_help")
    expected = session.exec(select(Installation).where(Installation.state.in_(("failed", "uninstall_failed")))).all()
    assert {i.id for i in stuck} == {i.id for i in expected} and len(expected) == 60
    assert {i.state for i in _all(session, state="failed")} == {"failed"}


def test_filters_by_plan_permission_model_and_link(session, demo_data):
    managed = {p.plan_name for p in session.exec(select(PlanPermission)) if p.model == "publisher_managed"}
    assert managed and all(i.plan_name in managed for i in _all(session, model="publisher_managed"))
    assert all(i.plan_name not in managed for i in _all(session, model="locked"))
    assert {i.plan_name for i in _all(session, plan="radnac-locked")} == {"radnac-locked"}
    linked, unlinked = _all(session, linked="yes"), _all(session, linked="no")
    assert linked and all(i.lead_id for i in linked) and all(i.lead_id is None for i in unlinked)
    assert len(linked) + len(unlinked) == 240


def test_search_finds_application_resource_group_subscription_and_linked_lead(session, demo_data):
    one = session.exec(select(Installation).where(Installation.lead_id.is_not(None))).first()
    lead = session.get(Lead, one.lead_id)
    assert one.id in {i.id for i in _all(session, q=one.application_name.upper())}
    assert one.id in {i.id for i in _all(session, q=one.resource_group)}
    assert one.id in {i.id for i in _all(session, q=one.subscription_id[:8])}
    assert one.id in {i.id for i in _all(session, q=lead.last_name.lower())}
    assert _all(session, q="no-such-app_%") == []  # LIKE wildcards are literal


def _linked_to(session, *names: tuple[str, str, str]) -> dict[str, int]:
    """One installation per (first name, surname, application name), each linked to a lead of that name."""
    found = {}
    for n, (first, last, application) in enumerate(names):
        lead = Lead(source_partition_key="p", source_row_key=f"r{n}", first_name=first, last_name=last,
                    company=f"{last} GmbH", first_seen_at=PINNED_NOW, received_at=PINNED_NOW)  # fmt: skip
        session.add(lead)
        session.flush()
        installation = Installation(
            application_id=f"/subscriptions/s/resourceGroups/rg-{n}/providers/x/applications/{application}",
            subscription_id=f"{n:08d}-aaaa", resource_group=f"RG-Ünïcode-{n}", application_name=application,
            state="installed", first_event_at=PINNED_NOW, last_event_at=PINNED_NOW - timedelta(minutes=n),
        )  # fmt: skip
        installation.link(lead)
        session.add(installation)
        session.flush()
        found[f"{first} {last}"] = installation.id
    session.commit()
    return found


def test_search_folds_accents_and_case_as_the_leads_search_does(session):
    """docs/installations.md: "muller" finds Müller and Muller (accents and case folded, as on the leads
    list), not Mueller: the fold drops accents, it does not spell ü as ue."""
    ids = _linked_to(
        session, ("Zoë", "Müller", "Ölkonto-App"), ("Ann", "Muller", "radnac-1"), ("Bob", "Mueller", "radnac-2")
    )
    found = lambda q: {i.id for i in _all(session, q=q)}  # noqa: E731
    assert found("muller") == found("MÜLLER") == {ids["Zoë Müller"], ids["Ann Muller"]}
    assert found("mueller") == {ids["Bob Mueller"]}
    assert found("zoe m") == found("müller gmbh") - {ids["Ann Muller"]} == {ids["Zoë Müller"]}
    assert found("olkonto") == found("ÖLKONTO-app") == {ids["Zoë Müller"]}  # the application name, folded
    assert found("rg-unicode-1") == {ids["Ann Muller"]}  # the resource group, folded
    assert found("00000002") == {ids["Bob Mueller"]}  # the subscription
    assert found("rg-unicode-") == set(ids.values()) and found("rg_") == set()  # no wildcards


def test_search_reads_the_key_indexes_not_the_table(session):
    """Issue #33: `lower(column) LIKE` read every installation (2-4 s at a million). Each searched key is an
    indexed prefix range: SQLite reads the six key indexes (a multi-index OR) for the count, and each key's
    (key, last_event_at, id) index alone for the page's matches in the default order (migration 0029: the
    multi-index OR read every match's row for its sort key); PostgreSQL, made to choose, can use them (a range
    on a "C" collated key is indexable)."""
    from sqlmodel import text

    from tests.sqlplan import plans

    _linked_to(session, ("Zoë", "Müller", "Ölkonto-App"), ("Ann", "Muller", "radnac-1"))
    search = lambda: _all(session, q="muller")  # noqa: E731
    if session.get_bind().dialect.name == "sqlite":
        count, page = plans(session, search, containing="FROM installation")[:2]
        assert "MULTI-INDEX OR" in count and "SCAN installation" not in count, count
        assert "COMPOUND QUERY" in page and "SCAN installation" not in page and "MULTI-INDEX OR" not in page, page
        for key in INSTALL_SEARCH_KEYS:
            assert f"ix_installation_{key}_last_event" in count, count
            assert f"COVERING INDEX ix_installation_{key}_last_event" in page, page
        return
    from tests.sqlplan import statements

    count = statements(session, search, containing="FROM installation")[0]
    session.execute(text("SET LOCAL enable_seqscan = off"))
    compiled = count[0] % {k: repr(v) for k, v in count[1].items()}  # the capped count, its strings inlined
    plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))
    session.rollback()
    assert "Seq Scan" not in plan and "BitmapOr" in plan, plan
    assert all(f"Bitmap Index Scan on ix_installation_{key}" in plan for key in INSTALL_SEARCH_KEYS), plan


def test_needs_help_reads_each_state_in_order_and_merges_them(session, demo_data):
    """ "Needs help" is two states: the page reads each one's first rows in order (an equality on
    ix_installation_state_last_event) and merges them, in one newest-first order with no gap or repeat. As one
    IN list, SQLite at a million picked ix_installation_state_id and fetched every failed row to sort them."""
    from sqlalchemy import event

    expected = session.exec(
        select(Installation)
        .where(Installation.state.in_(installlist.NEEDS_HELP))
        .order_by(Installation.last_event_at.desc(), Installation.id.desc())
    ).all()
    sent: list[str] = []
    engine = session.get_bind()
    listen = lambda *a: sent.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        found = _all(session, state="needs_help")
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert [i.id for i in found] == [i.id for i in expected] and len(expected) == 60
    pages = [s for s in sent if s.lstrip().startswith("SELECT installation.id, ")]
    assert pages and all("installation.state = " in s for s in pages), pages[:1]


def test_several_managed_plans_are_read_plan_by_plan_in_one_order(session, demo_data):
    """With more than one publisher-managed plan the list reads each plan's first rows from its index and merges
    them: the same installations in the same newest-first order as one sorted query, forwards and back."""
    plans = sorted({i.plan_name for i in session.exec(select(Installation)) if i.plan_name})
    for permission in session.exec(select(PlanPermission)):
        session.delete(permission)
    session.flush()
    for plan in plans[:2]:
        session.add(PlanPermission(plan_name=plan, model="publisher_managed", updated_by="t@x", updated_at=PINNED_NOW))
    session.commit()
    expected = session.exec(
        select(Installation)
        .where(Installation.plan_name.in_(plans[:2]))
        .order_by(Installation.last_event_at.desc(), Installation.id.desc())
    ).all()
    found = _all(session, model="publisher_managed")
    assert len(plans) >= 2 and len({i.plan_name for i in found}) == 2
    assert [i.id for i in found] == [i.id for i in expected]
    first = installlist.list_installations(
        session=session, query=installlist.parse({"model": "publisher_managed"}), now=PINNED_NOW, per_page=7
    )
    second = installlist.list_installations(
        session=session,
        query=installlist.parse({"model": "publisher_managed", "after": first.next_cursor, "start": "8"}),
        now=PINNED_NOW,
        per_page=7,
    )
    back = installlist.list_installations(
        session=session,
        query=installlist.parse({"model": "publisher_managed", "before": second.prev_cursor, "start": "1"}),
        now=PINNED_NOW,
        per_page=7,
    )
    assert [i.id for i in back.items] == [i.id for i in first.items] == [i.id for i in expected[:7]]
    assert first.total == len(expected)


def test_sorts_and_pages_without_gaps_or_repeats_and_says_where_it_is(session, demo_data):
    by_name = _all(session, sort="application", direction="asc")
    assert [i.application_name for i in by_name] == sorted(i.application_name for i in by_name)
    assert len({i.id for i in by_name}) == 240
    query = installlist.parse({})
    first = installlist.list_installations(session=session, query=query, now=PINNED_NOW, per_page=50)
    assert first.label == "1-50 of 240"
    second = installlist.list_installations(
        session=session,
        query=installlist.parse({"after": first.next_cursor, "start": str(first.next_start)}),
        now=PINNED_NOW,
        per_page=50,
    )
    assert second.label == "51-100 of 240"
    back = installlist.list_installations(
        session=session,
        query=installlist.parse({"before": second.prev_cursor, "start": str(second.prev_start)}),
        now=PINNED_NOW,
        per_page=50,
    )
    assert [i.id for i in back.items] == [i.id for i in first.items] and back.label == "1-50 of 240"


def test_a_tile_count_is_what_its_filtered_list_shows(session, demo_data):
    for happened in installlist.HAPPENED:
        args = {"happened": happened, "within": "7"}
        count = installlist.count(session=session, query=installlist.parse(args), now=PINNED_NOW)
        assert count == len(_all(session, **args))
    recent_failures = session.exec(
        select(InstallEvent.installation_id).where(
            InstallEvent.provisioning_state == "Failed", InstallEvent.received_at >= PINNED_NOW - timedelta(days=7)
        )
    ).all()
    assert installlist.count(session=session, query=installlist.parse({"happened": "failed"}), now=PINNED_NOW) == len(
        set(recent_failures)
    )


def test_the_reason_is_the_real_cause_from_error_details(session, demo_data):
    stuck = _all(session, state="needs_help")
    reasons = installlist.reasons(session=session, installations=stuck)
    assert set(reasons) == {i.id for i in stuck}
    assert any(r.startswith(("QuotaExceeded: ", "SkuNotAvailable: ")) for r in reasons.values())
    assert not any(r.startswith("DeploymentFailed") for r in reasons.values())
    assert installlist.reasons(session=session, installations=_all(session, state="installed")) == {}


def test_a_failure_without_details_gives_its_own_message():
    event = InstallEvent(error_code="Conflict", error_message="Already exists.", error_details=None)
    assert installlist.reason_of(event) == "Conflict: Already exists."
    assert installlist.reason_of(InstallEvent(error_details="not json")) == "Azure gave no reason"
    detailed = InstallEvent(error_code="DeploymentFailed", error_details=json.dumps([{"code": "Q", "message": "m"}]))
    assert installlist.reason_of(detailed) == "Q: m"


def test_bad_arguments_fall_back_to_defaults():
    query = installlist.parse({"state": "bogus", "sort": "x", "within": "abc", "start": "-4", "linked": "maybe"})
    assert (query.state, query.sort, query.within, query.start, query.linked) == ("", "last_event", 7, 1, "")


def test_plan_names_are_every_plan_used_once(session, demo_data):
    used = {i.plan_name for i in session.exec(select(Installation)) if i.plan_name}
    assert installlist.plan_names(session=session) == sorted(used) and len(used) > 1


def test_the_list_at_a_million_reads_indexes_not_every_installation(session, demo_data):
    """Issue #21: at a million installations the plan select read every row (a GROUP BY), "happened in the last
    days" counted with an EXISTS per installation (12 s on SQLite), and "not linked", "needs help" and the sort
    by application sorted hundreds of thousands of rows; a plan or permission model sorted half a million."""
    from tests.sqlplan import plans

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("pins SQLite's plan; PostgreSQL plans from statistics")
    select_plans = plans(session, lambda: installlist.plan_names(session=session), containing="installation")
    assert all("SCAN installation" not in plan for plan in select_plans), select_plans
    for args in (
        {"happened": "installed"},
        {"linked": "no"},
        {"state": "needs_help"},
        {"sort": "application"},
        {"sort": "first_event"},
        {"plan": "radnac-managed"},
        {"model": "publisher_managed"},
    ):
        found = plans(session, lambda args=args: _all(session, **args), containing="FROM installation")
        assert found and not any("SCAN installation " in p + " " and "USING" not in p for p in found), (args, found)
        if {"linked", "sort", "plan", "model"} & set(args):  # hundreds of thousands of rows: they come out in order
            assert not any("TEMP B-TREE FOR ORDER BY" in p for p in found), (args, found)
        if "plan" in args or "model" in args:  # half a million a plan: the page and its count read the plan's index
            assert all("ix_installation_plan_last_event (plan_name=?" in p for p in found), (args, found)
        happened = [p for p in found if "installevent" in p]
        assert all("ix_installevent_happened" in p for p in happened), (args, happened)


def _pages(session, args: dict, per_page: int = 4) -> list[list[int]]:
    """Every page of the list for `args` by its next cursors, then the first page again by the second's `before`."""
    query, pages, windows = installlist.parse(args), [], []
    while True:
        window = installlist.list_installations(session=session, query=query, now=PINNED_NOW, per_page=per_page)
        pages.append([i.id for i in window.items])
        windows.append(window)
        if not window.next_cursor:
            break
        query = installlist.parse({**args, "after": window.next_cursor, "start": str(window.next_start)})
    back = installlist.parse({**args, "before": windows[1].prev_cursor}) if len(windows) > 1 else query
    again = installlist.list_installations(session=session, query=back, now=PINNED_NOW, per_page=per_page)
    return [*pages, [i.id for i in again.items], [windows[0].total]]


@pytest.mark.parametrize("sort", list(installlist.SORTS))
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_search_pages_alike_read_by_id_or_walked(session, monkeypatch, sort, direction):
    """Issue #33: a search with few matches picks the page in SQL from the matches' keys (`pager.by_id`);
    one with more than FEW walks the list's order with the keys tested row by row. Both give the same pages,
    ties in the sort column broken by id, and the same count."""
    names = [(f"Ann{n % 3}", ["Silva", "Silvano", "Sánchez"][n % 3], f"app-{n % 4}") for n in range(17)]
    ids = _linked_to(session, *names)
    for n, installation_id in enumerate(ids.values()):  # ties in every sort column
        installation = session.get(Installation, installation_id)
        installation.last_event_at = installation.first_event_at = PINNED_NOW - timedelta(hours=n // 3)
        installation.state = ["installed", "failed"][n % 2]
        session.add(installation)
    session.commit()
    args = {"q": "silva", "sort": sort, "direction": direction}
    by_id = _pages(session, args)
    monkeypatch.setattr(installlist.pager, "FEW", 0)
    monkeypatch.setattr(installlist, "KEYED", 0)  # every search walks the order instead
    walked = _pages(session, args)
    assert by_id == walked
    assert by_id[-1] == [12] and len({i for page in by_id[:-2] for i in page}) == 12
    assert by_id[-2] == by_id[0]


@pytest.mark.parametrize("extra", [{"state": "failed"}, {"linked": "yes", "direction": "asc"}, {"plan": "p-1"}])
def test_a_search_with_a_filter_pages_alike_read_by_keys_or_walked(session, monkeypatch, extra):
    """The newest-first page of a search with few matches reads each key's range on its own (`_by_keys`) with
    the query's other filters and the cursor applied to each: the same pages as walking the order."""
    names = [(f"Silvia{n}", ["Silva", "Costa"][n % 2], f"silva-app-{n % 3}") for n in range(15)]
    ids = _linked_to(session, *names)
    for n, installation_id in enumerate(ids.values()):  # ties in the order, some matching two keys
        installation = session.get(Installation, installation_id)
        installation.last_event_at = PINNED_NOW - timedelta(hours=n // 4)
        installation.state = ["installed", "failed"][n % 2]
        installation.plan_name = f"p-{n % 3}"
        if n % 5 == 0:
            installation.link(None)
        session.add(installation)
    session.commit()
    args = {"q": "silv", **extra}
    by_keys = _pages(session, args, per_page=3)
    monkeypatch.setattr(installlist.pager, "FEW", 0)
    monkeypatch.setattr(installlist, "KEYED", 0)
    walked = _pages(session, args, per_page=3)
    assert by_keys == walked and by_keys[-1][0] > 3


def test_a_search_with_many_matches_walks_the_order_not_the_key_indexes(session, monkeypatch):
    """Issue #33: past FEW matches the page walks the newest-first index testing each row's keys; SQLite, left
    to choose, read every match through the key indexes and sorted them ("ra" typed at a million installations:
    540 ms, walked 0.04 ms). The capped count still reads the key indexes alone."""
    from tests.sqlplan import plans

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("pins SQLite's plan; PostgreSQL plans from statistics")
    _linked_to(session, *[(f"Ann{n}", "Silva", f"app-{n}") for n in range(6)])
    monkeypatch.setattr(installlist.pager, "FEW", 3)
    monkeypatch.setattr(installlist, "KEYED", 3)
    count, page = plans(session, lambda: _all(session, q="silva")[:1], containing="FROM installation")[:2]
    assert "MULTI-INDEX OR" in count and "SCAN installation" not in count, count
    assert "SCAN installation USING INDEX ix_installation_last_event_at" in page, page
    assert "TEMP B-TREE" not in page and "MULTI-INDEX OR" not in page, page
    assert [i.application_name for i in _all(session, q="silva")] == [f"app-{n}" for n in range(6)]
