"""How strong a password is: zxcvbn (Dropbox's estimator, its English words, names, keyboard patterns and
common-password lists), not a hand-made list. Pure: no database, no web.

A password is accepted when it has at least MIN_PASSWORD_LENGTH characters and zxcvbn scores it at least
MIN_SCORE (3 of 4: "safely unguessable: moderate protection from an offline slow-hash scenario", which scrypt is).
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from leads.rules.vocabulary import MIN_PASSWORD_LENGTH

MIN_SCORE = 3
ESTIMATED_PREFIX = 72  # zxcvbn refuses longer input (and slows quadratically); more characters only add strength
APP_WORDS = ("radnac", "leads", "coremem", "marketplace", "azure", "crm")
#: Letters a password must hold beyond the product's own words, digits and separators (zxcvbn alone scores
#: `Radnac-Leads-2026` 4 of 4, reading "-2026" as random characters).
MIN_OWN_LETTERS = 6


def weakness(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """Why `password` is refused (a sentence staff can act on), or None when it is strong enough.

    `user_inputs`: what an attacker knows about the account (its email, its name), so it is not in the password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Passwords must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(_own_letters(password)) < MIN_OWN_LETTERS:
        return "That password is too easy to guess. It is mostly this product's name: add words of your own."
    inputs = [*APP_WORDS, *(part for text in user_inputs for part in _parts(text))]
    result = zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    hints = " ".join(filter(None, [feedback.get("warning"), *feedback.get("suggestions", [])]))
    return f"That password is too easy to guess. {hints or 'Add more words or characters.'}".strip()


def _parts(text: str) -> list[str]:
    """An email's local part and domain words as well as the whole ("ada.lovelace@x.example" -> ada, lovelace…)."""
    lowered = text.lower()
    return [lowered, *(piece for piece in lowered.replace("@", ".").replace("-", ".").split(".") if len(piece) > 2)]


def _own_letters(password: str) -> str:
    """The password's letters once the product's own words are taken out ("Radnac-Leads-2026" -> "")."""
    lowered = password.lower()
    for word in sorted(APP_WORDS, key=len, reverse=True):
        lowered = lowered.replace(word, "")
    return "".join(character for character in lowered if character.isalpha())
