"""Account forms (the rules themselves are in `services`; the form words them for people)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length

from panel_app.admin.users.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from panel_app.models import UserRole

ROLE_CHOICES = [
    SelectChoice(UserRole.VIEWER.value, _l("Viewer: read and export")),
    SelectChoice(UserRole.ORGANISER.value, _l("Organiser: events and registrations")),
    SelectChoice(UserRole.ADMIN.value, _l("Administrator: also accounts and audit log")),
]
#: Worded for the rule in `services` (12 to 1000 characters).
PASSWORD_LENGTH_MESSAGE = _l("Use 12 to 1000 characters.")
INVALID_EMAIL_MESSAGE = _l("Enter a valid email address.")


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Length(max=320),
                                                        Email(message=INVALID_EMAIL_MESSAGE)])
    password = PasswordField(_l("Password"), validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_LENGTH_MESSAGE)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=UserRole.ORGANISER.value)


class UserEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    active = BooleanField(_l("Account active"))
    unlock = BooleanField(_l("Forget failed sign-ins"))
