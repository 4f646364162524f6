"""The installation lifecycle, derived from notifications in any order. Pure: no app, no database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from leads.rules.lifecycle import Lifecycle, Observed, derive, parse_application_id

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def story(*steps: tuple[str, str]) -> list[Observed]:
    return [Observed(t, s, T0 + timedelta(minutes=i)) for i, (t, s) in enumerate(steps)]


@pytest.mark.parametrize(
    ("steps", "state", "uninstalled"),
    [
        ([("PUT", "Accepted")], "installing", None),
        ([("PUT", "Accepted"), ("PUT", "Succeeded")], "installed", None),
        ([("PUT", "Accepted"), ("PUT", "Failed")], "failed", None),
        ([("PUT", "Accepted"), ("PUT", "Succeeded"), ("PATCH", "Succeeded")], "installed", None),
        ([("PUT", "Succeeded"), ("PATCH", "Failed")], "installed", None),
        ([("PUT", "Succeeded"), ("DELETE", "Deleting")], "uninstalling", 1),
        ([("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Deleted")], "uninstalled", 1),
        ([("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Failed")], "uninstall_failed", None),
        ([("DELETE", "Deleted")], "uninstalled", 0),
    ],
)
def test_state_follows_the_documented_events(steps, state, uninstalled):
    result = derive(story(*steps))
    assert result.state == state
    assert result.uninstalled_at == (None if uninstalled is None else T0 + timedelta(minutes=uninstalled))
    assert result.clock_started_at == result.uninstalled_at  # one deployment: its clock is the row's


def test_any_delivery_order_gives_the_same_lifecycle():
    events = story(("PUT", "Accepted"), ("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Deleted"))
    results = {derive(order) for order in itertools.permutations(events)}
    assert results == {derive(events)}
    assert derive(events).state == "uninstalled"


def test_events_with_the_same_time_resolve_to_the_later_stage():
    same = [Observed("DELETE", "Deleted", T0), Observed("PUT", "Succeeded", T0)]
    assert derive(same).state == "uninstalled"


def test_a_reinstall_stops_the_retention_clock_until_the_next_uninstall():
    reinstalled = story(("PUT", "Succeeded"), ("DELETE", "Deleted"), ("PUT", "Accepted"), ("PUT", "Succeeded"))
    # The first deployment keeps its own clock (issue #17): only the installed one is off the clock.
    assert derive(reinstalled) == Lifecycle("installed", None, T0 + timedelta(minutes=1))
    removed_again = story(("PUT", "Succeeded"), ("DELETE", "Deleted"), ("PUT", "Succeeded"), ("DELETE", "Deleting"))
    assert derive(removed_again).uninstalled_at == T0 + timedelta(minutes=3)
    assert derive(removed_again).clock_started_at == T0 + timedelta(minutes=1)


def test_no_events_is_an_error():
    with pytest.raises(ValueError):
        derive([])


@pytest.mark.parametrize(
    "application_id",
    [
        "/subscriptions/sub-1/resourceGroups/rg-one/providers/Microsoft.Solutions/applications/app-x",
        "subscriptions/sub-1/resourceGroups/rg-one/providers/Microsoft.Solutions/applications/app-x",
        "/SUBSCRIPTIONS/sub-1/resourcegroups/rg-one/providers/microsoft.solutions/Applications/app-x",
    ],
)
def test_application_id_parts(application_id):
    assert parse_application_id(application_id) == ("sub-1", "rg-one", "app-x")


@pytest.mark.parametrize(
    "application_id",
    [
        "",
        "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
        "/subscriptions//resourceGroups/rg/providers/Microsoft.Solutions/applications/a",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Solutions/applications/a/extra",
    ],
)
def test_other_resource_ids_are_refused(application_id):
    with pytest.raises(ValueError):
        parse_application_id(application_id)
