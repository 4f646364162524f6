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
# Consent as recorded: the notice people are shown today (privacy notice line 56), and the evidence's longest.
CURRENT_WORDING = "Privacy notice, last updated 2025-10-08"
MAX_EVIDENCE = 2000


def lead_name(first_name: str | None, last_name: str | None) -> str:
    """A lead's person's name as staff read it; a placeholder when Microsoft sent none (.edu leads)."""
    name = " ".join(part for part in (first_name, last_name) if part)
    return name or "(no name supplied)"


def staff_label(email: str | None) -> str:
    """A member of staff as colleagues say it: "sam.sales@radnac.example" reads "Sam Sales", "system:demo"
    reads "System (demo)"; staff have no name field, so the address's local part is the name."""
    if not email:
        return "Nobody"
    if email.startswith("system:"):
        return f"System ({email.removeprefix('system:')})"
    local = email.split("@", 1)[0]
    words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w]
    return " ".join(w.capitalize() for w in words) or email
