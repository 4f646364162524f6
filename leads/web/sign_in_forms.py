"""Forms of the single sign-on and second-factor pages, beside `forms` so both stay small."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from leads.web.forms import ROLE_CHOICES, KeptForm


class CodeForm(KeptForm):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class RequireTotpForm(KeptForm):
    """An admin requires (or stops requiring) a second factor of everyone who signs in with a password."""

    required = BooleanField("Require a second factor for password sign-in")


class ResetTotpForm(KeptForm):
    """An admin removes one member of staff's second factor."""

    user_id = IntegerField("Member of staff", validators=[DataRequired()])


class SsoMemberForm(KeptForm):
    """An admin adds a member of staff who signs in only through the provider (no password to hand over)."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES)
