"""Forms of the single sign-on and second-factor pages (issue #20), beside `forms` so both stay small."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class RequireTotpForm(FlaskForm):
    """An admin requires (or stops requiring) a second factor of everyone who signs in with a password."""

    required = BooleanField("Require a second factor for password sign-in")
