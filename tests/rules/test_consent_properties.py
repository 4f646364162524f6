"""Property tests: whatever sequence of grants, withdrawals, requests and back-dated entries, the gate answers
as a plain model of the rule does (RULES.md: a withdrawal covers everything, and no consent expressed before it
can ever override it; issue #29)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leads.rules.consent import ConsentEvent, Subject, check, grant_refusal

START = datetime(2026, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=60)
PURPOSES = ("marketing", "accounts", "queries")
moments = st.integers(min_value=0, max_value=60 * 24).map(lambda hours: START + timedelta(hours=hours))
events = st.lists(
    st.tuples(st.sampled_from(PURPOSES), st.booleans(), moments),
    max_size=12,
)


def model(history: list[tuple[str, bool, datetime]], purpose: str, now: datetime) -> bool:
    """Consent stands exactly when some grant expressed by `now` has no withdrawal expressed at or after it."""
    grants = [at for p, granted, at in history if p == purpose and granted and at <= now]
    withdrawals = [at for p, granted, at in history if p == purpose and not granted and at <= now]
    return any(not any(g <= w for w in withdrawals) for g in grants)


def _events(history: list[tuple[str, bool, datetime]]) -> tuple[ConsentEvent, ...]:
    return tuple(
        ConsentEvent(i + 1, p, granted, at, "email_reply", "e", "v1", "t") for i, (p, granted, at) in enumerate(history)
    )


@settings(max_examples=400, deadline=None)
@given(history=events, now=moments)
def test_the_gate_answers_as_the_plain_rule_whatever_the_order_recorded(history, now):
    decision = check("marketing_list.add", Subject(_events(history)), now=now)
    assert decision.allowed == model(history, "marketing", now)


@settings(max_examples=400, deadline=None)
@given(history=events, at=moments)
def test_a_grant_is_refused_exactly_when_a_withdrawal_was_expressed_at_or_after_it(history, at):
    refused = grant_refusal(_events(history), "marketing", at=at) is not None
    assert refused == any(p == "marketing" and not granted and w >= at for p, granted, w in history)
