"""Validating managed-application notifications. Pure: no app, no database."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.rules import lifecycle, notifications
from tests.notification_samples import MARKETPLACE, SERVICE_CATALOG, failed


def test_documented_service_catalog_payload():
    n = notifications.parse(SERVICE_CATALOG)
    assert (n.event_type, n.provisioning_state) == ("PUT", "Succeeded")
    assert (n.subscription_id, n.resource_group, n.application_name) == (
        "aaaa1111-0000-4000-8000-000000000001",
        "rg-radnac",
        "radnac-app",
    )
    assert n.event_time == datetime(2019, 8, 14, 19, 20, 8, 170716, tzinfo=UTC)
    assert n.application_definition_id.endswith("/applicationDefinitions/radnac-def")


def test_documented_marketplace_payload_without_leading_slash():
    n = notifications.parse(MARKETPLACE)
    assert n.application_id.startswith("/subscriptions/")
    assert n.plan == {"publisher": "coremem", "product": "radnac", "name": "radnac-managed", "version": "1.0.1"}
    assert n.billing_resource_usage_id == "a6b3c5d7-usage"


def test_failure_details_are_kept():
    n = notifications.parse(failed("PUT"))
    assert n.error_code == "DeploymentFailed"
    assert n.error_details == ({"code": "QuotaExceeded", "message": "Regional cores quota exceeded."},)


def test_retries_have_the_same_key_and_other_events_do_not():
    again = notifications.parse(json.loads(json.dumps(MARKETPLACE)))
    assert again.dedupe_key == notifications.parse(MARKETPLACE).dedupe_key
    later = dict(MARKETPLACE, eventTime="2019-08-14T19:25:00.0000000Z")
    assert notifications.parse(later).dedupe_key != again.dedupe_key


@pytest.mark.parametrize(("event_type", "state"), sorted(lifecycle.TRANSITIONS))
def test_every_documented_combination_is_accepted(event_type, state):
    body = dict(MARKETPLACE, eventType=event_type, provisioningState=state)
    assert notifications.parse(body).provisioning_state == state


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"eventType": "POST"}, "eventType must be one of"),
        ({"eventType": "PUT", "provisioningState": "Deleted"}, "not a documented"),
        ({"provisioningState": None}, "provisioningState is required"),
        ({"applicationId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/vms/z"}, "not a managed"),
        ({"eventTime": "yesterday"}, "eventTime must be an ISO 8601"),
        ({"eventTime": "2019-08-14T19:20:08"}, "must carry a time zone"),
        ({"eventTime": 1565810408}, "eventTime must be a string"),
        ({"plan": "radnac"}, "plan must be an object"),
        ({"plan": {"name": ["x"]}}, "name must be a string"),
        ({"error": {"code": "X", "details": "boom"}}, "error.details must be a list"),
        ({"error": {"details": ["boom"]}}, r"error.details\[\] must be an object"),
        ({"applicationId": "x" * 2000}, "longer than"),
        ({"eventTime": "0001-01-01T00:00:00+01:00"}, "eventTime is out of range"),
        ({"plan": {"name": "radnac\x00"}}, "plan.name contains a NUL"),
        ({"error": {"message": "\ud800"}}, "error.message is not valid Unicode"),
        ({"plan": {"version": "1." * 51}}, "plan.version is longer than 100"),
        ({"applicationId": MARKETPLACE["applicationId"].replace("aaaa1111", "a" * 100)}, "subscription is longer"),
    ],
)
def test_schema_violations_are_refused_with_a_reason(change, reason):
    body = copy.deepcopy(MARKETPLACE)
    body.update(change)
    with pytest.raises(notifications.InvalidNotification, match=reason):
        notifications.parse(body)


@pytest.mark.parametrize("body", [None, [], "PUT", 42, [MARKETPLACE]])
def test_non_objects_are_refused(body):
    with pytest.raises(notifications.InvalidNotification, match="JSON object"):
        notifications.parse(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(body=json_values, mutation=st.dictionaries(st.sampled_from([*sorted(MARKETPLACE), "error"]), json_values))
def test_any_json_either_parses_or_is_refused_with_a_reason(body, mutation):
    for candidate in (body, {**MARKETPLACE, **mutation}):
        try:
            notifications.parse(candidate)
        except notifications.InvalidNotification as error:
            assert str(error)
