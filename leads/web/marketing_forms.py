"""The consent and marketing forms, one per screen (flask-wtf: each carries its CSRF token).

They parse and check what was typed; whether an action may happen is the consent gate's business, not a form's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from leads.consent.records import ConsentInput
from leads.rules import consent, uktime
from leads.rules.purposes import CONSENT_PURPOSES
from leads.rules.vocabulary import CURRENT_WORDING, MAX_EVIDENCE
from leads.web import inputs, refusals
from leads.web.forms import KeptForm, UKMinuteField, since_2000, uk_wall_clock

PURPOSE_CHOICES = [SelectChoice(code, consent.PURPOSES[code].label) for code in CONSENT_PURPOSES]
METHOD_CHOICES = [SelectChoice(code, label) for code, label in consent.METHODS]
DECISION_CHOICES = [SelectChoice("granted", "gave consent"), SelectChoice("withdrawn", "withdrew consent")]


class ConsentForm(KeptForm):
    """Staff record that a person gave or withdrew consent, and how we know."""

    purpose = SelectField("Purpose", choices=PURPOSE_CHOICES, default="marketing")
    decision = RadioField("The person", choices=DECISION_CHOICES, default="granted")
    at = UKMinuteField(
        "When, in UK time (leave empty for now)",
        validators=[Optional(), uk_wall_clock, since_2000],
    )
    method = SelectField("How they told us", choices=METHOD_CHOICES, default="email_reply")
    evidence = TextAreaField(
        "Evidence: what they said or signed, and where it is kept",
        validators=[DataRequired(message="Say what the person said or signed."), Length(max=MAX_EVIDENCE)],
    )
    wording_version = StringField(
        "Wording or notice version they were shown",
        default=CURRENT_WORDING,
        validators=[DataRequired(message="Say what wording they were shown."), Length(max=200)],
    )

    def to_input(self) -> ConsentInput:
        """The validated form as the service takes it; the time typed is UK wall-clock time, stored as UTC."""
        at = uktime.from_local(self.at.data) if isinstance(self.at.data, datetime) else None
        return ConsentInput(
            purpose=self.purpose.data,
            granted=self.decision.data == "granted",
            method=self.method.data,
            evidence=self.evidence.data,
            wording_version=self.wording_version.data,
            at=at,
        )


class CorrectionForm(ConsentForm):
    """Staff correct a consent record entered in error: why (required, kept with it) and, ticked, the right record
    in its place (the wrong one's details to start from). The service decides whether the correction is safe."""

    reason = TextAreaField(
        "Why this record is wrong",
        validators=[
            DataRequired(message="Say why the record is wrong: it is kept with it."),
            Length(max=consent.MAX_CORRECTION_REASON),
        ],
    )
    replace = BooleanField("Record the right one instead (below)")
    evidence = TextAreaField(
        "Evidence: what they said or signed, and where it is kept", validators=[Optional(), Length(max=MAX_EVIDENCE)]
    )
    wording_version = StringField("Wording or notice version they were shown", validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators: Any = None) -> bool:
        """As the form says, and the right record needs its evidence and wording like any record."""
        valid = super().validate(extra_validators)
        if self.replace.data:
            for field, said in ((self.evidence, "Say what the person said or signed."),
                                (self.wording_version, "Say what wording they were shown.")):  # fmt: skip
                if not (field.data or "").strip():
                    self.refuse(field, said)
                    valid = False
        return valid

    def replacement(self) -> ConsentInput | None:
        """The right record as the service takes it, or None when only the wrong one is corrected away."""
        return self.to_input() if self.replace.data else None


def correction_form(record: Any) -> CorrectionForm:
    """A fresh correction form for `record`, starting from what it says (staff change only what was wrong)."""
    return CorrectionForm(
        formdata=None,
        purpose=record.purpose,
        decision="granted" if record.granted else "withdrawn",
        at=uktime.for_input(record.at),
        method=record.method,
        evidence=record.evidence,
        wording_version=record.wording_version,
    )


def correction_shown(action: str, record: Any) -> CorrectionForm:
    """The correction form a page shows for `record` (posted to `action`): the refused one as it was sent, or a
    fresh one starting from the record (a template global: a page may show one per record)."""
    kept = g.get("refused_form")
    if refusals.refusal(action) is not None and type(kept) is CorrectionForm:
        return kept
    return correction_form(record)


class ListForm(KeptForm):
    """A new marketing list."""

    name = StringField("Name", validators=[DataRequired(message="Give the list a name."), Length(max=200)])
    description = TextAreaField("What it is for", validators=[Optional(), Length(max=2000)])


class ListChoiceForm(KeptForm):
    """A marketing list to add the lead on this page to."""

    list_id = IntegerField(
        "Marketing list", validators=[InputRequired(message="Choose a marketing list."), inputs.ID_RANGE]
    )


class AddToListForm(ListChoiceForm):
    """Leads ticked on the leads list, to add to a marketing list."""

    lead_id = SelectMultipleField(
        "Leads",
        coerce=inputs.record_id,
        validate_choice=False,
        validators=[DataRequired(message="Tick at least one lead.")],
    )


class EmailSentForm(KeptForm):
    """A marketing email that was sent to a lead (the app sends no mail; this records it)."""

    subject = StringField("Subject", validators=[DataRequired(message="Give the email's subject."), Length(max=300)])
    list_id = IntegerField("Part of the campaign for", validators=[Optional(), inputs.ID_RANGE])


def first_error(form: KeptForm) -> str:
    """The form's first error message, for a one-line answer."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "The form was not valid."


class MailingForm(KeptForm):
    """Staff write a marketing email for a list: a subject and a body, with the person's name as placeholders."""

    subject = StringField("Subject", validators=[DataRequired("Give the email a subject."), Length(max=300)])
    body = TextAreaField(
        "Text", validators=[DataRequired("Write the email's text."), Length(max=50_000)],
        description="{first_name}, {last_name} and {company} are filled in for each person.",
    )  # fmt: skip
