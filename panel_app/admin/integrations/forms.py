"""Forms of the integrations page (the rules are in panel_app/api: tokens, webhooks.services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from panel_app.admin.events.forms import MultiCheckboxField
from panel_app.api.tokens import NAME_MAX
from panel_app.api.webhooks import EVENT_TYPES
from panel_app.api.webhooks.services import DESCRIPTION_MAX
from panel_app.models import TokenScope
from panel_app.registration.forms import CleanText, RequiredText

SCOPE_CHOICES = [
    SelectChoice(TokenScope.READ.value, _l("Read: events, registrations, attendance, directory")),
    SelectChoice(TokenScope.WRITE.value, _l("Read and write: also create and change them")),
]
#: Days until a token expires ("" = never: discouraged, but some reporting jobs need it).
EXPIRY_CHOICES = [
    SelectChoice("30", _l("In 30 days")), SelectChoice("90", _l("In 90 days")),
    SelectChoice("365", _l("In a year")), SelectChoice("", _l("Never")),
]
EVENT_TYPE_LABELS = {
    "registration.created": _l("A registration is created"),
    "registration.changed": _l("A registration changes (status, channel, details)"),
    "registration.cancelled": _l("A registration is cancelled"),
    "attendance.recorded": _l("Attendance is recorded (Zoom or by hand)"),
    "event.changed": _l("An event is created, changed, published or cancelled"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("Integration"), validators=[RequiredText(message=_l("Name the integration that will use "
                                                                              "this token.")),
                                                      CleanText(NAME_MAX)],
                       description=_l("Who uses it, e.g. “Parliaments CRM”: the audit log shows it next to every "
                                      "change made with the token."))
    scope = SelectField(_l("Access"), choices=SCOPE_CHOICES, default=TokenScope.READ.value)
    expires_in = SelectField(_l("Expires"), choices=EXPIRY_CHOICES, default="90")


def _event_type_choices():
    return [SelectChoice(code, EVENT_TYPE_LABELS[code]) for code in EVENT_TYPES]


class EndpointSettingsForm(FlaskForm):
    description = StringField(_l("Description"), validators=[CleanText(DESCRIPTION_MAX)])
    event_types = MultiCheckboxField(_l("Events sent"), choices=_event_type_choices(),
                                     validators=[InputRequired(message=_l("Choose at least one kind of event."))])


class EndpointForm(EndpointSettingsForm):
    url = StringField(_l("Address (URL)"), validators=[InputRequired(message=_l("Enter the receiver's address.")),
                                                       Length(max=2000)],
                      description=_l("An https:// address of the receiving system."))


class EndpointEditForm(EndpointSettingsForm):
    active = BooleanField(_l("Send to this endpoint"))
