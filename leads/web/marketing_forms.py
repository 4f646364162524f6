"""The consent and marketing forms, one per screen (flask-wtf: each carries its CSRF token).

They parse and check what was typed; whether an action may happen is the consent gate's business, not a form's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from markupsafe import Markup, escape
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
from wtforms.widgets.core import clean_key

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


def correction_shown(action: str, record: Any) -> CorrectionForm | FreshControls:
    """The correction form a page shows for `record` (posted to `action`): the refused one as it was sent, or a
    fresh one starting from the record (a template global: a page may show one per record, so the fresh one is
    its controls rendered without a Form object a record)."""
    kept = g.get("refused_form")
    if refusals.refusal(action) is not None and type(kept) is CorrectionForm:
        return kept
    return fresh_correction(record)


# A fresh correction form's controls, one set a consent record (issue #33: a WTForms form built and rendered for
# every record was a fifth of the lead page). `fresh_correction` renders what `correction_form(record)` renders,
# byte for byte (tests/web/test_marketing.py compares them): the labels, choices and the attributes the
# validators set come from one CorrectionForm a request, each record gives only its values. The POST is the
# same CorrectionForm as before; a refused one is shown by WTForms itself (`correction_shown`), with its errors.


def _attrs(kwargs: dict[str, Any]) -> str:
    """wtforms.widgets.html_params, on plain strings: sorted keys, True bare, False left out, values escaped."""
    out = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            out.append(clean_key(key))
        elif value is not False:
            out.append(f'{clean_key(key)}="{escape(value)}"')
    return " ".join(out)


class _Label:
    def __init__(self, text: str, field_id: str) -> None:
        self.text, self.field_id = text, field_id

    def __call__(self, **kwargs: Any) -> Markup:
        kwargs["for"] = kwargs.pop("for_") if "for_" in kwargs else kwargs.get("for", self.field_id)
        return Markup(f"<label {_attrs(kwargs)}>{escape(self.text)}</label>")  # noqa: S704  # nosec B704 # values escaped


class _Control:
    """One field of a fresh form with its value: called as a WTForms field is, renders as it does."""

    def __init__(self, field: Any, static: dict[str, Any], choices: list[tuple[str, str]] | None) -> None:
        self.name, self.id, self.type, self.static, self.choices = field.name, field.id, field.type, static, choices
        self.label = _Label(field.label.text, field.id)
        if field.type == "BooleanField":
            self.value, self.checked = "y", bool(field.data)
        elif choices is not None:
            self.value, self.checked = "" if field.data is None else str(field.data), False
        else:
            self.value, self.checked = field._value(), False

    def __call__(self, **given: Any) -> Markup:
        kwargs = {"id": self.id, **self.static, **given}
        if self.type == "TextAreaField":
            return Markup(f"<textarea {_attrs({'name': self.name, **kwargs})}>\r\n{escape(self.value)}</textarea>")  # noqa: S704  # nosec B704 # values escaped
        if self.choices is not None:
            options = "".join(
                f"<option {_attrs({'value': code, 'selected': code == self.value})}>{escape(label)}</option>"
                for code, label in self.choices
            )
            return Markup(f"<select {_attrs({'name': self.name, **kwargs})}>{options}</select>")  # noqa: S704  # nosec B704 # values escaped
        kwargs.setdefault("type", "checkbox" if self.type == "BooleanField" else "text")
        kwargs.setdefault("value", self.value)
        if self.checked:
            kwargs["checked"] = True
        return Markup(f"<input {_attrs({'name': self.name, **kwargs})}>")  # noqa: S704  # nosec B704 # values escaped


class _Choices:
    """A RadioField's buttons, iterated as WTForms iterates them: each callable, with its label."""

    def __init__(self, field: Any, choices: list[tuple[str, str]]) -> None:
        self.label = _Label(field.label.text, field.id)
        value = "" if field.data is None else str(field.data)
        self.choices = [
            _Radio(field.name, f"{field.id}-{n}", code, label, code == value) for n, (code, label) in enumerate(choices)
        ]

    def __iter__(self) -> Any:
        return iter(self.choices)


class _Radio:
    def __init__(self, name: str, radio_id: str, code: str, label: str, checked: bool) -> None:
        self.name, self.id, self.code, self.checked = name, radio_id, code, checked
        self.label = _Label(label, radio_id)

    def __call__(self, **given: Any) -> Markup:
        kwargs = {"id": self.id, "type": "radio", "value": self.code, "checked": self.checked, **given}
        return Markup(f"<input {_attrs({'name': self.name, **kwargs})}>")  # noqa: S704  # nosec B704 # values escaped


# Form class -> field name -> (the attributes its render_kw and validators add, its (value, label) choices or None)
_FIELDS: dict[type, dict[str, tuple[dict[str, Any], list[tuple[str, str]] | None]]] = {}


def _fields(form: KeptForm) -> dict[str, tuple[dict[str, Any], list[tuple[str, str]] | None]]:
    found = _FIELDS.get(type(form))
    if found is None:
        found = _FIELDS[type(form)] = {}
        for field in form:
            attrs = getattr(field.widget, "validation_attrs", ["required"])
            flags = {key: getattr(field.flags, key) for key in attrs if key in dir(field.flags)}
            choices = getattr(field, "choices", None)
            pairs = None if choices is None else [(str(c.value), str(c.label)) for c in choices]
            found[field.name] = ({**flags, **(field.render_kw or {})}, pairs)
    return found


class FreshControls:
    """The controls of a fresh (never posted) ConsentForm or CorrectionForm as a template reads them, rendered
    from the form's present data as WTForms renders them, without WTForms' rendering."""

    def __init__(self, form: KeptForm) -> None:
        self.hidden_tag = form.hidden_tag
        for name, (static, choices) in _fields(form).items():
            field = form[name]
            if field.type == "RadioField":
                setattr(self, name, _Choices(field, choices or []))
            elif field.type != "CSRFTokenField":
                setattr(self, name, _Control(field, static, choices))


def fresh_correction(record: Any) -> FreshControls:
    """The controls of `correction_form(record)`: the request's one fresh CorrectionForm (its hidden tag carries
    the request's CSRF token) given the record's values, and rendered without WTForms."""
    base = g.get("correction_base")
    if base is None:
        base = g.correction_base = CorrectionForm(formdata=None)
    base.purpose.data, base.method.data = record.purpose, record.method
    base.decision.data = "granted" if record.granted else "withdrawn"
    base.at.data = uktime.for_input(record.at)
    base.evidence.data, base.wording_version.data = record.evidence, record.wording_version
    return FreshControls(base)


def consent_shown() -> ConsentForm | FreshControls:
    """The consent form a page shows: the refused one as it was sent (WTForms shows its errors), or a fresh one's
    controls rendered without WTForms."""
    kept = refusals.shown(ConsentForm)
    return kept if g.get("refused_form") is kept else FreshControls(kept)


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
