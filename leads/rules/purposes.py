"""The notice's purposes and lawful bases (privacy notice lines 4-44), said once.

Pure. The consent gate (`consent`), the rights matrix (`rights`), the personal-data map (`datamap`) and the
exports (`bundle`) all read this one table: a purpose's label, its lawful basis, the lines that state it, the
line that names its basis, and the rights that basis leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass

CONSENT = "consent"
LEGITIMATE_INTERESTS = "legitimate_interests"
LAWFUL_BASES = {LEGITIMATE_INTERESTS: "Legitimate interests", CONSENT: "Consent"}


def cite_lines(numbers: tuple[int, ...]) -> str:
    """Line numbers as people write them: (5, 6, 7, 35) -> "5-7, 35"."""
    spans: list[list[int]] = []
    for line in sorted(numbers):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in spans)


@dataclass(frozen=True)
class Purpose:
    """Why we use personal data, the lawful basis we rely on for it, and the notice lines that say so.

    `basis_line` is the line naming the basis and the rights it leaves out; `excluded` those rights' codes.
    """

    code: str
    label: str
    lawful_basis: str
    notice_lines: tuple[int, ...]
    basis_line: int
    excluded: frozenset[str]

    @property
    def basis(self) -> str:
        """The lawful basis's code (a key of LAWFUL_BASES)."""
        return self.lawful_basis

    @property
    def basis_label(self) -> str:
        return LAWFUL_BASES[self.lawful_basis]

    @property
    def needs_consent(self) -> bool:
        """Whether using data for this purpose needs the person's consent."""
        return self.lawful_basis == CONSENT

    @property
    def lines(self) -> str:
        """The notice lines, e.g. "12-16, 41-42, 67"."""
        return cite_lines(self.notice_lines)

    @property
    def cited(self) -> str:
        """The notice lines as people write them, e.g. "privacy notice lines 12-16, 41-42, 67"."""
        return f"privacy notice line{'s' if len(self.notice_lines) > 1 else ''} {self.lines}"


# RULES.md's purposes table, one row per purpose. "service" also cites 66 and 82, where the notice says lead and
# install data are for nurturing and support; "marketing" also cites 67, the line that makes leads need consent.
# Legitimate interests leave out portability (36) and there is no consent to withdraw (31); consent leaves out
# objection (40, 42, 44).
PURPOSES: dict[str, Purpose] = {
    purpose.code: purpose
    for purpose in (
        Purpose(
            "service",
            "Providing and improving products and services (support, billing, transactions)",
            LEGITIMATE_INTERESTS,
            (5, 6, 7, 35, 36, 37, 66, 82),
            36,
            frozenset({"portability", "withdraw_consent"}),
        ),
        Purpose(
            "accounts",
            "Operating client or customer accounts",
            CONSENT,
            (8, 9, 10, 11, 39, 40),
            40,
            frozenset({"objection"}),
        ),
        Purpose(
            "marketing",
            "Information updates and marketing",
            CONSENT,
            (12, 13, 14, 15, 16, 41, 42, 67),
            42,
            frozenset({"objection"}),
        ),
        Purpose(
            "queries",
            "Dealing with queries, complaints or claims",
            CONSENT,
            (17, 18, 19, 20, 21, 43, 44),
            44,
            frozenset({"objection"}),
        ),
    )
}
CONSENT_PURPOSES = tuple(code for code, purpose in PURPOSES.items() if purpose.needs_consent)


def _problems() -> list[str]:
    problems = []
    for code, purpose in PURPOSES.items():
        if code != purpose.code or purpose.lawful_basis not in LAWFUL_BASES:
            problems.append(f"{code}: wrong code or unknown basis")
        if purpose.basis_line not in purpose.notice_lines:
            problems.append(f"{code}: its basis line {purpose.basis_line} is not among its lines")
    return problems


if _problems():  # a broken row must stop the app, not mislabel an export
    raise RuntimeError("purposes table is unsound: " + "; ".join(_problems()))
