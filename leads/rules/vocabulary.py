"""The fixed words the app uses, each said once: the tables, forms, pages and services all take them from here."""

from __future__ import annotations

ROLES = ("admin", "sales", "support")
NURTURE_STATUSES = ("new", "contacted", "qualified", "customer", "lost")
INSTALL_STATES = ("installing", "installed", "failed", "uninstalling", "uninstalled", "uninstall_failed")

NOTE_KINDS = {
    "note": "Note",
    "call": "Phone call",
    "email_in": "Email from them",
    "email_out": "Email to them",
    "meeting": "Meeting",
    "follow_up": "Follow-up planned",
}
# How a rights request reached us.
CHANNELS = {"email": "Email", "phone": "Phone", "post": "Post", "web_form": "Web form", "in_person": "In person"}
MIN_PASSWORD_LENGTH = 12
