"""Notification bodies as Microsoft documents them (publish-notifications; ../shared/AZURE.md, section 2)."""

from __future__ import annotations

from typing import Any

SUB = "aaaa1111-0000-4000-8000-000000000001"
APP_ID = f"/subscriptions/{SUB}/resourceGroups/rg-radnac/providers/Microsoft.Solutions/applications/radnac-app"

SERVICE_CATALOG: dict[str, Any] = {
    "eventType": "PUT",
    "applicationId": APP_ID,
    "eventTime": "2019-08-14T19:20:08.1707163Z",
    "provisioningState": "Succeeded",
    "applicationDefinitionId": f"/subscriptions/{SUB}/resourceGroups/rg-defs/providers/Microsoft.Solutions"
    "/applicationDefinitions/radnac-def",
}

# The documented Marketplace sample omits the leading "/" of applicationId.
MARKETPLACE: dict[str, Any] = {
    "eventType": "PUT",
    "applicationId": APP_ID.lstrip("/"),
    "eventTime": "2019-08-14T19:20:08.1707163Z",
    "provisioningState": "Succeeded",
    "billingDetails": {"resourceUsageId": "a6b3c5d7-usage"},
    "plan": {"publisher": "coremem", "product": "radnac", "name": "radnac-managed", "version": "1.0.1"},
}


def event(event_type: str, state: str, at: str, app_id: str = APP_ID, **extra: Any) -> dict[str, Any]:
    """A Marketplace notification for `app_id` at `at`."""
    return {
        **MARKETPLACE,
        "applicationId": app_id,
        "eventType": event_type,
        "provisioningState": state,
        "eventTime": at,
        **extra,
    }


def failed(event_type: str, at: str = "2019-08-14T19:30:00.0000000Z") -> dict[str, Any]:
    """A documented failure notification with error details."""
    return event(
        event_type,
        "Failed",
        at,
        error={
            "code": "DeploymentFailed",
            "message": "At least one resource deployment operation failed.",
            "details": [{"code": "QuotaExceeded", "message": "Regional cores quota exceeded."}],
        },
    )
