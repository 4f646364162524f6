"""How long and how often a person's emailed download link works, and what the email says (pure, clock injected).

RULES.md's retention schedule: one-time links (export downloads) are kept "until used, or at most 7 days",
then destroyed "with the prepared export file" (notice lines 100-104, by analogy: short-lived abuse data).
"Used" is bounded, not single: a download can fail half-way, so a link serves `MAX_DOWNLOADS` downloads, each
behind a fresh one-time code emailed to the address the request came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leads.rules import uktime

LINK_LIFETIME = timedelta(days=7)  # RULES.md: download links at most 7 days
MAX_DOWNLOADS = 3  # downloads a link serves before the prepared file is destroyed
WHAT = {"access": "a copy of the personal data we hold about you", "portability": "your data in a portable form"}


def expires(sent: datetime) -> datetime:
    """When a link sent at `sent` stops working."""
    return sent + LINK_LIFETIME


def usable(*, expires_at: datetime, downloads: int, now: datetime) -> bool:
    """Whether a link may still serve a download at `now`."""
    return now < expires_at and downloads < MAX_DOWNLOADS


def spent(downloads: int) -> bool:
    """Whether a link has served its last download (its file is destroyed once it has)."""
    return downloads >= MAX_DOWNLOADS


def in_words(at: datetime) -> str:
    """An instant as a person in the UK reads it: "10:30 on Monday 14 December 2026 (UK time)"."""
    local = at.astimezone(uktime.LONDON)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y} (UK time)"


@dataclass(frozen=True)
class Email:
    """The email carrying a download link: its subject and plain text."""

    subject: str
    text: str


def email(*, kind: str, link: str, expires_at: datetime) -> Email:
    """What the person reads: what is ready, where, what to do, until when and how often."""
    text = (
        f"Your request is complete: {WHAT[kind]} is ready to download.\n\n"
        f"1. Open this link: {link}\n"
        "2. Press the button to have a one-time code emailed to this address.\n"
        "3. Type the code on the page; the download starts.\n\n"
        f"The link works until {in_words(expires_at)}, for at most {MAX_DOWNLOADS} downloads. "
        "After that the file is deleted; ask us again on our privacy page if you need another copy.\n\n"
        "The download is a ZIP file. Start with letter.pdf (or letter.html): it explains everything in it.\n"
        "If you did not ask us for your data, ignore this email: nothing can be downloaded without the code.\n"
    )
    return Email("Your RADNAC data is ready to download", text)
