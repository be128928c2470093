"""The speaker form (rules in `services`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from panel_app.admin.speakers.services import SpeakerInput
from panel_app.core.languages import CODES, NAMES
from panel_app.models import SpeakerRole

ERROR_MESSAGES = {
    "required": _l("Enter the speaker's name."),
    "too_long": _l("This is too long."),
    "control_character": _l("This contains characters that cannot be used here (such as control codes)."),
    "bidi_control": _l("This contains invisible characters that change the direction of the text."),
    "role": _l("Choose speaker or moderator."),
    "photo_type": _l("The photo must be a PNG or JPEG image."),
    "photo_size": _l("The photo must be smaller than 512 kB."),
}


class SpeakerForm(FlaskForm):
    name = StringField(_l("Name"))
    role = RadioField(_l("Role on the panel"), default=SpeakerRole.SPEAKER.value, validate_choice=False, choices=[
        SelectChoice(SpeakerRole.SPEAKER.value, _l("Speaker")),
        SelectChoice(SpeakerRole.MODERATOR.value, _l("Moderator"))])
    function = StringField(_l("Function or title"))
    position = IntegerField(_l("Order on the page"), default=0, validators=[Optional(), NumberRange(0, 999)])
    photo = FileField(_l("Photo (PNG or JPEG, under 512 kB)"))
    remove_photo = BooleanField(_l("Remove the photo"))

    def function_fields(self):
        return [getattr(self, f"function_{code}") for code in CODES]

    def to_input(self) -> SpeakerInput:
        return SpeakerInput(name=self.name.data or "", role=self.role.data or "", function=self.function.data or "",
                            functions={code: getattr(self, f"function_{code}").data or "" for code in CODES},
                            position=self.position.data or 0)


for _code in CODES:
    setattr(SpeakerForm, f"function_{_code}", StringField(_l("Function in %(language)s", language=NAMES[_code])))


def speaker_data(speaker) -> dict:
    data = {"name": speaker.name, "role": speaker.role, "function": speaker.function, "position": speaker.position}
    data.update({f"function_{code}": (speaker.translations or {}).get(code, "") for code in CODES})
    return data
