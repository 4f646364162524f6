"""One form per screen (flask-wtf: every form carries a CSRF token), all built on `KeptForm`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from leads.rules import rights, uktime
from leads.rules.purposes import CONSENT_PURPOSES
from leads.rules.vocabulary import CHANNELS, MIN_PASSWORD_LENGTH, NOTE_KINDS, ROLES
from leads.staff.roles import PERMISSIONS


class KeptForm(FlaskForm):
    """A form that, refused, says why beside each field it refused and puts the focus on the first one.

    Rendering a field with errors adds `aria-invalid`, `aria-describedby` naming the reason written after it,
    and `autofocus` on the form's first refused field (the browser scrolls it into view, with or without
    JavaScript). What was typed is rendered back by WTForms itself, as long as the view renders the same form
    object it validated rather than redirecting."""

    class Meta:
        first_error: str | None = None

        def render_field(self, field: Any, render_kw: dict[str, Any]) -> Markup:
            """The field's widget, and after it the first reason it was refused.

            A Length validator's `maxlength` is rendered, so typing stops at the limit the server keeps. A value
            pasted past it is not cut by the browser: static/app.js lifts the limit for that paste, and the server
            refuses the value, saying the limit, with the whole value shown back to be shortened."""
            if not field.errors or field.type in ("CSRFTokenField", "HiddenField"):
                return super().render_field(field, render_kw)  # type: ignore[misc]
            said = f"{render_kw.get('id', field.id)}-error"
            render_kw = {**render_kw, "aria-invalid": "true", "aria-describedby": said}
            if self.first_error == field.name:
                render_kw["autofocus"] = True
            widget = super().render_field(field, render_kw)  # type: ignore[misc]
            return Markup('{}<p class="field-error" id="{}">{}</p>').format(widget, said, field.errors[0])

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate, remembering the first refused field for `Meta.render_field`."""
        valid = super().validate(extra_validators)
        self.refuse()
        return valid

    def refuse(self, field: Any = None, reason: str | None = None) -> None:
        """Refuse `field` for `reason` (a rule the service checks), and note the first refused field again."""
        if field is not None and reason:
            field.errors = [*field.errors, reason]
        self.meta.first_error = next((f.name for f in self if f.errors), None)


# How a date-and-time box is filled (to the minute, the British way) and what is read from it: that, or the
# ISO forms a browser's own date input or a script sends.
LOCAL_MINUTE = ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
UK_DAY = ["%d/%m/%Y", "%Y-%m-%d"]


def _hinted(label: str, hint: str) -> str:
    """The label with the format to write: "Received on (dd/mm/yyyy)", "At (UK time, dd/mm/yyyy hh:mm)"."""
    return f"{label[:-1]}, {hint})" if label.endswith(")") else f"{label} ({hint})"


class UKDateField(DateField):
    """A day written the British way, dd/mm/yyyy (yyyy-mm-dd is read too), in a text box. Required with
    InputRequired, not DataRequired: that one would replace the reason a date was not read with "required".

    Not `<input type=date>`: Chromium shows that in its own locale's order whatever the page's `lang`
    (mm/dd/yyyy in an en-US browser), so 03/04 typed by a UK member of staff would be 4 March. The label says
    the format, and a day that is not one is refused with an example."""

    widget = TextInput()
    MAX_LENGTH = 10  # the longest text any of UK_DAY reads

    def __init__(self, label: str, validators: Any = None, **kwargs: Any) -> None:
        shown = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10}
        kwargs.setdefault("render_kw", shown)
        message = "Write the date as dd/mm/yyyy, e.g. 25/11/2026."
        super().__init__(
            _hinted(label, "dd/mm/yyyy"), validators, format=UK_DAY, invalid_value_message=message, **kwargs
        )


class UKMinuteField(DateTimeLocalField):
    """A UK wall-clock time written the British way, dd/mm/yyyy hh:mm (ISO read too), in a text box (see
    `UKDateField` for why not the browser's own)."""

    widget = TextInput()
    MAX_LENGTH = 19  # the longest text any of LOCAL_MINUTE reads (2026-11-25T14:30:00)

    def __init__(self, label: str, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy hh:mm", "autocomplete": "off", "maxlength": 19})
        message = "Write the date and time as dd/mm/yyyy hh:mm, e.g. 25/11/2026 14:30."
        hinted = _hinted(label, "dd/mm/yyyy hh:mm")
        super().__init__(hinted, validators, format=LOCAL_MINUTE, invalid_value_message=message, **kwargs)


ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
# A new member of staff starts with the role that may do least; an admin raises it on purpose.
LEAST_PRIVILEGED = min(ROLES, key=lambda role: sum(role in roles for roles in PERMISSIONS.values()))


def uk_wall_clock(_form: object, field: DateTimeLocalField) -> None:
    """A time typed in UK time must have shown on a UK clock: not one in the hour skipped in March."""
    if field.data is not None and not uktime.exists(field.data):
        raise ValidationError(
            f"{field.data:%H:%M} never showed on UK clocks on {field.data:%d %b %Y}: they went forward from 01:00 "
            "GMT to 02:00 BST. Give the time as the clock showed it."
        )


EARLIEST = date(2000, 1, 1)  # nothing this app records (consent, requests, messages) happened before it


def since_2000(_form: object, field: Any) -> None:
    """A date (or time) typed must be on or after 1 January 2000: an earlier one is a typo (1926 for 2026)."""
    day = field.data.date() if isinstance(field.data, datetime) else field.data
    if day is not None and day < EARLIEST:
        raise ValidationError(f"Give a date from 1 January 2000 on: {day:%d %b %Y} is before any of this happened.")


class LoginForm(KeptForm):
    """Email and password."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class UserCreateForm(KeptForm):
    """An admin adds a member of staff."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=LEAST_PRIVILEGED)
    password = PasswordField("Initial password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])


class PasswordChangeForm(KeptForm):
    """A member of staff chooses a new password (strength is checked by the service, with the reason)."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new", message="The two new passwords differ."), Length(max=1024)],
    )


class PasswordResetForm(KeptForm):
    """An admin sets a temporary password, which its owner must change at their next login."""

    password = PasswordField("Temporary password", validators=[DataRequired(), Length(max=1024)])


class UserUpdateForm(KeptForm):
    """An admin changes a user's role or active flag."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active")


class EmptyForm(KeptForm):
    """A form with only the CSRF token, for POST-only buttons (logout)."""


class HoldForm(KeptForm):
    """Place a legal hold on one record."""

    reason = StringField("Reason for the hold", validators=[DataRequired(), Length(max=1000)])


class LiftHoldForm(KeptForm):
    """Lift a legal hold."""

    reason = StringField("Reason for lifting", validators=[DataRequired(), Length(max=1000)])


class GrantOpenForm(KeptForm):
    """Open a support access grant: the customer's prior written consent and the support request."""

    support_request_ref = StringField(
        "Support request reference",
        validators=[
            DataRequired("Give the support request's reference, e.g. SR-1042."),
            Length(max=100, message="A reference has at most %(max)d characters; this one has %(length)d."),
        ],
    )
    consent_given_by = StringField(
        "Consent given by (name and role)",
        validators=[DataRequired("Say who gave the consent, with their role."), Length(max=200)],
    )
    consent_given_at = UKMinuteField(
        "Consent given at (UK time)",
        validators=[InputRequired("Give the date and time the consent was given."), uk_wall_clock, since_2000],
    )
    consent_evidence = TextAreaField(
        "The written consent (its text, or where it is kept)",
        validators=[DataRequired("Paste the written consent, or say where it is kept."), Length(max=10000)],
    )


class GrantCloseForm(KeptForm):
    """Close a grant's support request: access lapses and what is held under it is destroyed, once ticked."""

    confirm = BooleanField(
        "I understand: close the request and destroy what is held under this grant",
        validators=[DataRequired("Tick the box to confirm: closing destroys what is held, and cannot be undone.")],
    )


class CommunicationForm(KeptForm):
    """Log one message with the customer under a grant."""

    direction = SelectField(
        "Direction", choices=[SelectChoice("in", "From the customer"), SelectChoice("out", "To the customer")]
    )
    summary = TextAreaField(
        "Summary", validators=[DataRequired("Summarise the message sent or received."), Length(max=5000)]
    )
    # When the message was really sent or received: the window runs from then, not from when it is logged.
    at = UKMinuteField(
        "Sent or received at (UK time)",
        validators=[InputRequired("Give the date and time it was sent or received."), uk_wall_clock, since_2000],
    )


class GrantDataForm(KeptForm):
    """Record data held under a grant."""

    kind = SelectField(
        "Kind",
        choices=[SelectChoice("note", "Note"), SelectChoice("file", "File name"), SelectChoice("finding", "Finding")],
    )
    description = TextAreaField("Description", validators=[DataRequired("Say what is held."), Length(max=5000)])


class PlanForm(KeptForm):
    """Map a plan to its permission model."""

    plan_name = StringField("Plan name", validators=[DataRequired(), Length(max=200)])
    model = SelectField(
        "Permission model",
        choices=[SelectChoice("locked", "Locked mode"), SelectChoice("publisher_managed", "Publisher managed")],
    )


class NoteForm(KeptForm):
    """Add an entry to a lead's log."""

    kind = SelectField("Kind", choices=[SelectChoice(k, v) for k, v in NOTE_KINDS.items()])
    body = TextAreaField("Entry", validators=[DataRequired(), Length(max=10000)])
    follow_up_on = UKMinuteField("Follow up on (optional, UK time)", validators=[Optional()])


class RightsRequestForm(KeptForm):
    """Register a data-protection rights request."""

    kind = SelectField("Kind of request", choices=[SelectChoice(k, v) for k, v in rights.KINDS.items()])
    requester_name = StringField("Person's name", validators=[DataRequired(), Length(max=200)])
    requester_email = EmailField(
        "Person's email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    channel = SelectField("Received by", choices=[SelectChoice(k, v) for k, v in CHANNELS.items()])
    received_on = UKDateField("Received on", validators=[InputRequired(), since_2000])
    details = TextAreaField("What they asked for", validators=[Length(max=10000)])
    # Shown when the date is a month or more back: its deadline may have passed, so staff confirm it.
    really = BooleanField("Yes, it really arrived on that date")
    asked_really = False


class RequestStepForm(KeptForm):
    """One step on a request: a date, a text (question, reason or outcome), and a status for closing."""

    on = UKDateField("Date", validators=[Optional(), since_2000])
    text = TextAreaField("Text", validators=[Optional(), Length(max=10000)])
    status = SelectField(
        "Outcome",
        choices=[SelectChoice("completed", "Completed"), SelectChoice("refused", "Refused")],
        validate_choice=False,
    )
    exemption = TextAreaField("Exemption or hold", validators=[Optional(), Length(max=10000)])
    confirm = BooleanField("I have checked: closing is final")


class LinkOverrideForm(KeptForm):
    """Link a lead the register did not match: who (the user), why, and on what evidence."""

    lead_id = IntegerField("Lead number", validators=[DataRequired()])
    reason = StringField("Why it is this person's", validators=[DataRequired(), Length(max=1000)])
    evidence = TextAreaField("Evidence (what shows it)", validators=[DataRequired(), Length(max=10000)])


class RectifyForm(KeptForm):
    """Correct a lead's contact fields."""

    first_name = StringField("First name", validators=[Length(max=200)])
    last_name = StringField("Last name", validators=[Length(max=200)])
    email = StringField("Email", validators=[Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=100)])
    country = StringField("Country", validators=[Length(max=100)])
    company = StringField("Company", validators=[Length(max=300)])
    job_title = StringField("Job title", validators=[Length(max=200)])


class PrivacyEmailForm(KeptForm):
    """The privacy page's first step: the address to email a one-time code to."""

    email = EmailField("Your email address", validators=[DataRequired(), Email(check_deliverability=False),
                                                         Length(max=254)])  # fmt: skip


class PrivacyCodeForm(KeptForm):
    """The code we emailed (6 digits)."""

    code = StringField("The 6-digit code we emailed you", validators=[DataRequired(), Length(min=6, max=6)])


class PrivacyChoiceForm(KeptForm):
    """One consent button: a purpose, and give, withdraw or object (choices only, no text)."""

    purpose = SelectField("Purpose", choices=[SelectChoice(p, p) for p in CONSENT_PURPOSES])
    choice = SelectField("Choice", choices=[SelectChoice(c, c) for c in ("give", "withdraw", "object")])


class PrivacyRequestForm(KeptForm):
    """A rights request made on the privacy page."""

    kind = SelectField("What would you like us to do?", choices=[SelectChoice(k, v) for k, v in rights.KINDS.items()])
    details = TextAreaField("Details (for a correction: what is wrong and what it should say)",
                            validators=[Length(max=5000)])  # fmt: skip
