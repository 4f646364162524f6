"""How a request moves, pure: which right each kind of request carries out, which steps a state allows, and
which dates a step may carry. No app, no database, every date explicit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from leads.rules import requests
from leads.rules.requests import ACTIONS, State, action_refusal, date_refusal, step_date_refusal, step_refusal
from leads.rules.rights import KINDS

RECEIVED = date(2026, 11, 2)
TODAY = date(2026, 11, 25)

# Written out by hand from the notice, not read from ACTIONS: which kind of request may carry out which right.
# Portability of legitimate-interests data is answered by the access export (line 36); an objection to
# consent-based processing is handled as a withdrawal (lines 40-44); an objection to legitimate-interests
# processing stops it, which restriction does (line 29).
ALLOWED = {
    ("access", "export.access"),
    ("portability", "export.access"),
    ("portability", "export.portability"),
    ("rectification", "rectify"),
    ("erasure", "erase"),
    ("restriction", "restrict"),
    ("objection", "restrict"),
    ("objection", "withdraw"),
    ("withdraw_consent", "withdraw"),
}


def ready(kind: str, **changes) -> State:
    """An open request of `kind`, identity verified, covering one lead: every right of its kind may go ahead."""
    return replace(
        State(kind=kind, status="in_progress", received_on=RECEIVED, identity_verified=True, covered=1), **changes
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ACTIONS)
def test_each_kind_of_request_carries_out_only_its_own_right(kind, action):
    reason = action_refusal(action, ready(kind))
    if (kind, action) in ALLOWED:
        assert reason is None
    else:
        assert reason and "answers only a request for" in reason


@pytest.mark.parametrize(("kind", "action"), sorted(ALLOWED))
def test_identity_status_and_coverage_are_enforced_on_every_right(kind, action):
    assert "Verify the person's identity" in action_refusal(action, ready(kind, identity_verified=False))
    for closed in ("completed", "refused"):
        assert "only on an open request" in action_refusal(action, ready(kind, status=closed))
    assert "Confirm which leads" in action_refusal(action, ready(kind, covered=0))


def test_the_page_offers_exactly_what_the_rules_allow():
    assert requests.actions_offered(ready("objection")) == ["restrict", "withdraw"]
    assert requests.actions_offered(ready("access", identity_verified=False)) == []
    fresh = State(kind="access", status="received", received_on=RECEIVED)
    assert requests.steps_offered(fresh) == ["verify-identity", "ask-identity", "ask-clarification", "extend", "close"]
    waiting = replace(fresh, identity_requested_on=date(2026, 11, 3))
    assert "identity-received" in requests.steps_offered(waiting)
    assert "verify-identity" not in requests.steps_offered(waiting) and "ask-identity" not in requests.steps_offered(
        waiting
    )
    asked = replace(fresh, open_question_since=date(2026, 11, 4))
    assert "clarified" in requests.steps_offered(asked) and "ask-clarification" not in requests.steps_offered(asked)
    assert requests.steps_offered(replace(fresh, status="completed")) == []


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (State(kind="access", status="received", received_on=RECEIVED), "received"),
        (State(kind="access", status="received", received_on=RECEIVED, identity_verified=True), "in_progress"),
        (State(kind="access", status="x", received_on=RECEIVED, identity_requested_on=RECEIVED), "awaiting_identity"),
        (
            State(kind="access", status="x", received_on=RECEIVED, identity_requested_on=RECEIVED, answered=1),
            "awaiting_identity",  # the defect of issue #16: answered, yet identity still outstanding
        ),
        (
            State(
                kind="access",
                status="x",
                received_on=RECEIVED,
                identity_requested_on=RECEIVED,
                open_question_since=RECEIVED,
            ),
            "awaiting_clarification",
        ),
        (State(kind="access", status="x", received_on=RECEIVED, answered=1), "in_progress"),
        (State(kind="access", status="x", received_on=RECEIVED, extended=True, identity_verified=True), "extended"),
    ],
)
def test_an_open_status_follows_from_what_is_outstanding(state, status):
    assert requests.open_status(state) == status


@pytest.mark.parametrize(
    ("on", "after", "reason"),
    [
        (date(2026, 11, 1), None, "before the request was received"),
        (date(2026, 11, 26), None, "in the future"),
        (date(2026, 11, 9), date(2026, 11, 10), "before it was asked"),
        (RECEIVED, None, None),
        (TODAY, date(2026, 11, 10), None),
        (date(2026, 11, 10), date(2026, 11, 10), None),  # answered the day it was asked
    ],
)
def test_a_step_date_is_not_before_receipt_nor_after_today_nor_before_what_it_answers(on, after, reason):
    got = date_refusal(on, state=ready("access"), today=TODAY, after=after, answers="it was asked")
    assert (got is None) if reason is None else (reason in got)


def test_the_issue_clarification_from_before_the_request_is_refused():
    received_1_november = State(kind="access", status="received", received_on=date(2026, 11, 1))
    asked = step_date_refusal("ask-clarification", date(2026, 10, 2), state=received_1_november, today=TODAY)
    assert "before the request was received" in asked
    answered = replace(received_1_november, open_question_since=date(2026, 11, 1))
    late = step_date_refusal("clarified", date(2026, 10, 31), state=answered, today=TODAY)
    assert "before the request was received" in late
    asked_later = replace(received_1_november, open_question_since=date(2026, 11, 5))
    assert "before it was asked" in step_date_refusal("clarified", date(2026, 11, 4), state=asked_later, today=TODAY)
    assert "in the future" in step_date_refusal("clarified", date(2026, 11, 26), state=answered, today=TODAY)


def test_proof_cannot_arrive_before_it_was_asked_nor_a_question_overlap_the_last_answer():
    state = ready("access", identity_verified=False, identity_requested_on=date(2026, 11, 10))
    assert "before proof was asked" in step_date_refusal(
        "identity-received", date(2026, 11, 9), state=state, today=TODAY
    )
    state = ready("access", last_answer_on=date(2026, 11, 12), answered=1)
    assert "last question was answered" in step_date_refusal(
        "ask-clarification", date(2026, 11, 11), state=state, today=TODAY
    )


@pytest.mark.parametrize(
    ("remaining", "held", "exemption", "refused"),
    [
        (0, 0, "", False),
        (1, 0, "", True),
        (2, 1, "", True),
        (1, 1, "", False),
        (1, 0, "Claim ref 42 (Art. 17(3)(e))", False),
    ],
)
def test_an_erasure_completes_only_when_nothing_remains_or_what_kept_it_is_recorded(
    remaining, held, exemption, refused
):
    reason = requests.completion_refusal(kind="erasure", remaining=remaining, held=held, exemption=exemption)
    assert (reason is not None) is refused
    assert requests.completion_refusal(kind="access", remaining=remaining, held=0, exemption="") is None


def test_results_read_as_sentences():
    assert requests.erasure_sentence(destroyed={"installation": 1, "lead": 1}, source_deleted=0, source_pending=1) == (
        "Erased 1 lead and 1 installation. The source table row is queued for deletion and will be retried until "
        "Azure confirms it."
    )
    assert requests.erasure_sentence(destroyed={"lead": 2}, source_deleted=2, source_pending=0) == (
        "Erased 2 leads. The source table rows are deleted too."
    )
    assert requests.counted({"lead": 0}) == "nothing"


def test_every_step_and_audited_action_reads_in_words():
    assert set(requests.STEPS) == {"verify-identity", "ask-identity", "identity-received", "ask-clarification"} | {
        "clarified",
        "extend",
        "close",
    }
    assert all(label and label[0].isupper() for label in requests.HISTORY.values())
    assert step_refusal("telepathy", ready("access")) == "Unknown step 'telepathy'."
