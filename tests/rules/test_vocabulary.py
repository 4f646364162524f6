"""The fixed vocabularies agree with the rules that speak about the same things."""

from __future__ import annotations

from leads.rules import lifecycle
from leads.rules.vocabulary import INSTALL_STATES, NOTE_KINDS, NURTURE_STATUSES, ROLES


def test_every_install_state_has_plain_words_and_a_stage():
    assert set(lifecycle.PLAIN_WORDS) == set(INSTALL_STATES)
    assert set(lifecycle._STAGE) - {None} == set(INSTALL_STATES)


def test_each_vocabulary_says_each_word_once():
    for words in (INSTALL_STATES, NURTURE_STATUSES, ROLES, tuple(NOTE_KINDS)):
        assert len(set(words)) == len(words)
    assert NURTURE_STATUSES[0] == "new"  # a lead starts as new (the column's default)
