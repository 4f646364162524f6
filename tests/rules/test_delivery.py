"""The download link's numbers and words (pure): how long, how often, and the email a person reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leads.rules import delivery

SENT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "downloads", "usable"),
    [
        (SENT, 0, True),
        (SENT + timedelta(days=7) - timedelta(seconds=1), 2, True),
        (SENT + timedelta(days=7), 0, False),  # at most 7 days (RULES.md)
        (SENT, 3, False),  # the limit reached
        (SENT + timedelta(days=1), 2, True),
    ],
)
def test_a_link_works_seven_days_and_three_downloads(now, downloads, usable):
    expires_at = delivery.expires(SENT)
    assert delivery.usable(expires_at=expires_at, downloads=downloads, now=now) is usable
    assert delivery.spent(downloads) is (downloads >= 3)


@pytest.mark.parametrize(
    ("at", "words"),
    [
        (datetime(2026, 12, 2, 9, 30, tzinfo=UTC), "09:30 on Wednesday 2 December 2026 (UK time)"),
        (datetime(2026, 7, 1, 23, 15, tzinfo=UTC), "00:15 on Thursday 2 July 2026 (UK time)"),  # BST
    ],
)
def test_the_expiry_reads_in_uk_words(at, words):
    assert delivery.in_words(at) == words


def test_the_email_says_what_to_do_and_until_when_in_words():
    words = delivery.email(
        kind="access", link="https://radnac.example/privacy/download/T", expires_at=delivery.expires(SENT)
    )
    assert "https://radnac.example/privacy/download/T" in words.text
    assert "09:30 on Wednesday 2 December 2026 (UK time)" in words.text and "3 downloads" in words.text
    assert "one-time code" in words.text and "letter.pdf" in words.text and "ready to download" in words.subject
