"""The group message form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from panel_app.registration.forms import CleanText, RequiredText


class MessageForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[RequiredText(message=_l("Enter a subject.")), CleanText(300)])
    body = TextAreaField(_l("Message"), validators=[RequiredText(message=_l("Write the message.")),
                                                    CleanText(20_000, multiline=True)])
