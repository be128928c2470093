"""The group message form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Regexp

from panel_app.registration.forms import CleanText, RequiredText


class MessageForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[RequiredText(message=_l("Enter a subject.")), CleanText(300)])
    body = TextAreaField(_l("Message"), validators=[RequiredText(message=_l("Write the message.")),
                                                    CleanText(20_000, multiline=True)])
    #: A fresh random key per form shown: the same form posted twice sends one message.
    submission_key = HiddenField(validators=[
        InputRequired(message=_l("This form expired: open the page again, then send.")),
        Regexp(r"^[A-Za-z0-9_-]{16,64}$", message=_l("This form expired: open the page again, then send.")),
    ])
