"""Password strength by zxcvbn: long is not enough, common and patterned passwords are refused."""

from __future__ import annotations

import pytest

from leads.rules.passwords import weakness

REFUSED = [
    "aaaaaaaaaaaa",
    "password1234",
    "qwertyuiop12",
    "123456789012",
    "Password2026!",
    "letmein12345",
    "adminadmin12",
    # the product's own words (issue #32, finding 9): zxcvbn alone scored the first 4 of 4
    "Radnac-Leads-2026",
    "coreMem-Leads-2026",
    "RadnacLeads2026!",
    "Radnac.CRM.Leads.99",
]
ACCEPTED = [
    "correct horse battery staple",
    "a long password!",
    "violet-tundra-oboe-lantern",
    "Radnac purple elephant sunrise",
]


@pytest.mark.parametrize("password", REFUSED)
def test_long_but_guessable_passwords_are_refused_with_a_reason(password):
    reason = weakness(password)
    assert reason and reason.startswith("That password is too easy to guess.")


@pytest.mark.parametrize("password", ACCEPTED)
def test_passphrases_are_accepted(password):
    assert weakness(password) is None


def test_short_passwords_are_refused_and_the_account_itself_is_no_password():
    assert weakness("Zq8#v!") == "Passwords must have at least 12 characters."
    assert weakness("hoppergrace1", user_inputs=["hopper.grace@navy.example"]) is not None
    assert weakness("x" * 5000) is not None  # only a prefix is estimated; repetition stays weak
