"""Forms for erasure and export (CSRF-protected)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length


class EraseOwnForm(FlaskForm):
    """Only the CSRF token: the private link already identifies the registration."""


class PersonForm(FlaskForm):
    """An admin looks up one person by email address."""

    email = StringField(_l("Email address"),
                        validators=[InputRequired(message=_l("Enter an email address.")), Length(max=320)])
    confirm = BooleanField(_l("I understand that erasure cannot be undone."))
