"""The audit trail in words: the one place that turns each kind of audit action into a sentence a person reads
("Sam Jones changed Louis Lefèvre's status from contacted to qualified"), and groups the kinds for the audit
page's filter. Pure: the caller names the member of staff and the record; this module only words them.

`tests/rules/test_auditwords.py` finds every action the code writes and fails on one without its own sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any

from leads.rules import consent, requests

VIEWED = "record.viewed"
REFUSED = ".refused"


@dataclass(frozen=True)
class Said:
    """Who did it and what it was done to, as a person reads them ("Sam Jones", "Louis Lefèvre", "rights
    request 7"), the event's details, and the names of staff by id (owners are stored as ids)."""

    who: str
    what: str
    details: Mapping[str, Any]
    staff: Mapping[int, str]

    @property
    def whose(self) -> str:
        return f"{self.what}'" if self.what.endswith("s") else f"{self.what}'s"

    def get(self, key: str, default: str = "?") -> str:
        value = self.details.get(key)
        return default if value is None else str(value)

    def person(self, key: str) -> str:
        """A member of staff stored by id, named; nobody when none."""
        value = self.details.get(key)
        return "nobody" if value is None else self.staff.get(value, f"member of staff {value}")


Words = Callable[[Said], str]


def _status(s: Said) -> str:
    return f"{s.who} changed {s.whose} status from {s.get('before')} to {s.get('after')}"


def _owner(s: Said) -> str:
    return f"{s.who} changed who owns {s.what} from {s.person('before')} to {s.person('after')}"


def _unlink(s: Said) -> str:
    before = s.details.get("before")
    return f"{s.who} unlinked {s.what} from " + (f"lead {before}" if before else "its lead")


def _viewed(s: Said) -> str:
    page = s.details.get("page")
    return f"{s.who} viewed {s.what}" + (f" ({page})" if page else "")


def _consent(s: Said) -> str:
    granted = s.details.get("granted")
    given = "given" if granted is True else "withdrawn" if granted is False else "given or withdrawn"
    return f"{s.who} recorded {s.whose} consent {given}"


def _corrected(s: Said) -> str:
    what = (
        "grant" if s.details.get("granted") is True else "withdrawal" if s.details.get("granted") is False else "entry"
    )
    said = f"{s.who} corrected {s.whose} consent record {s.get('corrected_consent_id')} ({s.get('purpose')} {what})"
    said += " as entered in error"
    if s.details.get("recorded_consent_id") is None:
        return said
    replaced = "grant" if s.details.get("replacement_granted") else "withdrawal"
    return f"{said}, replaced by record {s.get('recorded_consent_id')} ({s.get('replacement_purpose')} {replaced})"


def _simple(template: str) -> Words:
    """A sentence from a template with {who}, {what}, {whose} and detail keys (missing ones read "?")."""

    def words(s: Said) -> str:
        values = {key: s.get(key) for key in _keys(template)}
        return template.format_map({**values, "who": s.who, "what": s.what, "whose": s.whose})

    return words


def _keys(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


#: Every action with its own sentence. Families whose last part varies (rights steps, sync runs) are below.
SENTENCES: dict[str, Words] = {
    VIEWED: _viewed,
    "lead.status.change": _status,
    "lead.owner.change": _owner,
    "lead.note.add": _simple("{who} added an entry ({kind}) to {whose} log"),
    "lead.follow_up": _simple("{who} planned a follow-up with {what}"),
    "lead.follow_up.done": _simple("{who} marked a follow-up with {what} done"),
    "lead.follow_up.reopen": _simple("{who} put a follow-up with {what} back in the queue"),
    "installation.link": _simple("{who} linked installation {installation_id} to {what}"),
    "installation.unlink": _unlink,
    "consent.record": _consent,
    "consent.correct": _corrected,
    "marketing_list.create": _simple("{who} started {what}"),
    "marketing_list.add": _simple("{who} added {what} to marketing list {list_id}"),
    "marketing_list.remove": _simple("{who} took {what} off marketing list {list_id}"),
    "marketing_list.export": _simple("{who} exported {what} in a marketing list's CSV"),
    "marketing_list.export.finished": _simple("{who} finished exporting {what} as CSV ({rows} rows)"),
    "marketing_email.mark_sent": _simple("{who} recorded that a marketing email was sent to {what}"),
    "marketing_email.send": _simple("{who} sent a marketing email to {what}"),
    "mailing.create": _simple("{who} wrote {what}"),
    "mailing.queue": _simple("{who} queued {what} for sending"),
    "grant.open": _simple("{who} opened {what} on written consent"),
    "grant.communication": _simple("{who} logged a message ({direction}) on {what}"),
    "grant.data": _simple("{who} recorded data ({kind}) under {what}"),
    "grant.lapse": _simple("{who} ended {what}: access lapsed"),
    "plan.permission": _simple("{who} changed the permission model of {what}"),
    "hold.place": _simple("{who} placed a legal hold on {what}"),
    "hold.lift": _simple("{who} lifted the legal hold on {what}"),
    "retention.sweep": _simple("{who} destroyed the records whose retention period had ended"),
    "retention.export_destroyed": _simple("{who} destroyed the prepared export ({kind}) of {what}: {why}"),
    "retention.sweep_failed": _simple("The retention sweep run by {who} failed ({error})"),
    "rights.erasure": _simple("{who} erased everything held about the person, answering {what}"),
    "rights.register.export": _simple("{who} downloaded the register of rights requests ({rows} rows)"),
    "rights.rectification.superseded": _simple("{who} replaced a correction queued for the lead source ({what})"),
    "person.attach": _simple("{who} filed {what} under another person"),
    "person.detach": _simple("{who} separated {what} from the person it was filed under"),
    "person.objection": _simple("{who} recorded that {what} objected to marketing, on the privacy page"),
    "user.create": _simple("{who} added {what} as a member of staff"),
    "user.update": _simple("{who} changed the account of {what}"),
    "user.password_change": _simple("{who} changed their password"),
    "user.password_reset": _simple("{who} reset the password of {what}"),
    "sso.sign_in": _simple("{who} signed in with single sign-on"),
    "sso.refused": _simple("Single sign-on refused {who} ({reason})"),
    "totp.enrol": _simple("{who} set up a second factor"),
    "totp.reset": _simple("{who} reset the second factor of {what}"),
    "totp.recovery_code_used": _simple("{who} signed in with a recovery code"),
    "policy.totp_required": _simple("{who} set whether a second factor is required (now: {required})"),
    "login.succeeded": _simple("{who} signed in"),
    "login.failed": _simple("A sign-in as {what} failed"),
    "login.code_failed": _simple("A second-factor code for {what} was wrong"),
    "login.current_password_failed": _simple("A wrong current password was typed to change the password of {what}"),
    "login.locked_out": _simple("Sign-in as {what} was locked after repeated failures"),
    "logout": _simple("{who} signed out"),
    "demo.load": _simple("{who} loaded the demo data"),
}

#: Families: the last part of the action varies; the sentence words it from a vocabulary.
FAMILIES: dict[str, Words] = {
    "rights.": lambda s: f"{s.who} recorded on {s.what}: {_step(s)}",
    "sync.": lambda s: f"The lead sync ({s.what}) ended: {_sync(s)}",
}

#: The audit page's kinds: label, and the action prefixes each covers (an action is in the first that fits).
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "viewed": ("Pages and files viewed", (VIEWED,)),
    "leads": ("Leads: status, owner, log, follow-ups, links", ("lead.", "installation.", "person.")),
    "consent": ("Consent and marketing", ("consent.", "marketing_list.", "marketing_email.", "mailing.")),
    "rights": ("Rights requests and erasure", ("rights.",)),
    "grants": ("Support grants and plans", ("grant.", "plan.")),
    "retention": ("Retention and legal holds", ("retention.", "hold.")),
    "staff": ("Staff accounts and sign-in", ("user.", "sso.", "totp.", "policy.", "login.", "logout")),
    "system": ("Lead sync and demo data", ("sync.", "demo.")),
}


def _step(s: Said) -> str:
    action = s.details.get("_action", "")
    return requests.HISTORY.get(action.removeprefix("rights."), action.removeprefix("rights.")).lower()


def _sync(s: Said) -> str:
    return s.details.get("_action", "sync.?").removeprefix("sync.")


def words_for(action: str) -> Words | None:
    """The sentence-maker of `action` (its own, its family's, or a refusal's), or None if it has none."""
    if action in SENTENCES:
        return SENTENCES[action]
    if action.endswith(REFUSED) and action.removesuffix(REFUSED) in consent.ACTIONS:
        return _refused
    return next((words for prefix, words in FAMILIES.items() if action.startswith(prefix)), None)


def _refused(s: Said) -> str:
    label = consent.ACTIONS[s.get("_action").removesuffix(REFUSED)].label
    return f"{s.who} was refused “{label[0].lower()}{label[1:]}” for {s.what}: the privacy notice does not allow it now"


def sentence(action: str, *, who: str, what: str, details: Mapping[str, Any], staff: Mapping[int, str]) -> str:
    """The event as one sentence. An undo says so; an action without words (none should exist: the test walks
    them) reads as its code, never as raw JSON."""
    words = words_for(action)
    said = Said(who, what, {**details, "_action": action}, staff)
    text = words(said) if words else f"{who}: {action} on {what}"
    return text + (" (undoing an earlier change)" if "undoes" in details else "") + "."


def kind_of(action: str) -> str | None:
    """The audit page's kind of `action` (a key of KINDS), or None."""
    return next((key for key, (_, prefixes) in KINDS.items() if action.startswith(prefixes)), None)
