"""/admin/jobs: the scheduled jobs as they stand (the same overview as `flask --app app jobs status`)."""

from __future__ import annotations

from flask import Blueprint, render_template

from leads import db
from leads.web.permissions import requires
from leads.workspace import jobstatus

bp = Blueprint("jobs", __name__)


@bp.get("/admin/jobs")
@requires("jobs.view")
def status() -> str:
    """Each job's last run, lock and next run; the queues waiting for them; records destroyed late."""
    return render_template("admin/jobs.html", report=jobstatus.overview(session=db.session(), now=db.now()))
