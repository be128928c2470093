"""Forms every console concern uses. Labels are visible and translated; every form carries a
CSRF token. Each concern keeps its own forms next to its views (`admin/<concern>/forms.py`)."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, ValidationError


def _no_control_characters(_form, field) -> None:
    # An address never holds one, and a NUL would not even reach the account lookup.
    if any(unicodedata.category(ch) == "Cc" for ch in field.data or ""):
        raise ValidationError(_l("Enter a valid email address."))


class LoginForm(FlaskForm):
    email = StringField(_l("Email address"), validators=[InputRequired(message=_l("Enter your email address.")),
                                                         Length(max=320), _no_control_characters])
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Enter your password.")),
                                                         Length(max=1000)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
