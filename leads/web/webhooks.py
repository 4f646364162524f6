"""POST /webhooks/azure/resource: Azure's managed-application notifications.

Azure retries on 5xx and 429 for up to 10 hours, so: 200 only once the event is stored; 4xx for what
can never succeed (bad signature, bad body); 503 only when a retry can help (not configured, database down).
"""

from __future__ import annotations

import hmac
import json
import logging

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from leads import db
from leads.installs import events
from leads.rules import notifications
from leads.web.permissions import public

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def _answer(status: int, message: str) -> tuple[dict[str, str], int]:
    return {"status": "stored" if status == 200 else "rejected", "message": message}, status


@bp.post("/webhooks/azure/resource")
@public
def azure_resource() -> tuple[dict[str, str], int]:
    """Authenticate by the `sig` query parameter, validate, store once, answer."""
    secret = current_app.config["WEBHOOK_SECRET"]
    if not secret:
        log.error("WEBHOOK_SECRET is not set: refusing notifications (Azure will retry)")
        return _answer(503, "notifications are not configured yet")
    if not hmac.compare_digest(request.args.get("sig", "").encode(), secret.encode()):
        return _answer(401, "bad or missing sig")
    if request.mimetype != "application/json":
        return _answer(415, "Content-Type must be application/json")
    request.max_content_length = current_app.config["WEBHOOK_MAX_BYTES"]
    try:
        body = json.loads(request.get_data(cache=False))
    except RequestEntityTooLarge:
        return _answer(413, f"body larger than {request.max_content_length} bytes")
    except RecursionError:  # e.g. [[[[...]]]]: the decoder gives up before the size limit does
        return _answer(400, "body is nested too deeply")
    except ValueError:  # not JSON, not UTF-8/16/32, or a number too long to convert
        return _answer(400, "body is not valid JSON")
    try:
        notification = notifications.parse(body)
    except notifications.InvalidNotification as error:
        return _answer(400, str(error))
    return _store(notification)


def _store(notification: notifications.Notification) -> tuple[dict[str, str], int]:
    try:
        stored = events.store(
            session=db.session(),
            notification=notification,
            caller_ip=request.remote_addr,
            now=db.now(),
            tombstone_key=current_app.config["TOMBSTONE_KEY"],
        )
    except events.StoreFailed:
        log.exception("storing a notification failed; Azure will retry")
        return _answer(503, "could not store the notification; please retry")
    return _answer(200, "stored" if stored else "already stored")
