"""The organisation identity form (the rules are in `panel_app.organisation.services`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField

from panel_app.core.languages import CODES, NAMES
from panel_app.organisation.services import IdentityInput

#: The service's error codes, worded for organisers.
ERROR_MESSAGES = {
    "too_long": _l("This is too long."),
    "control_character": _l("This contains characters that cannot be used here (such as control codes)."),
    "bidi_control": _l("This contains invisible characters that change the direction of the text."),
    "invalid_email": _l("Enter a valid email address."),
    "invalid_url": _l("Enter an address starting with https:// or http://."),
    "invalid_colour": _l("Write the colour as # and six hexadecimal digits, for example #0b4f8a."),
    "low_contrast": _l("White text on this colour is too hard to read (WCAG AA needs a contrast of 4.5:1). "
                       "Choose a darker colour."),
    "logo_type": _l("The logo must be a PNG or JPEG image."),
    "logo_size": _l("The logo must be smaller than 512 kB."),
}


class IdentityForm(FlaskForm):
    short_name = StringField(_l("Short name or acronym"))
    contact_email = StringField(_l("Contact email address"))
    website = StringField(_l("Website"))
    colour = StringField(_l("Brand colour"))
    controller_name = StringField(_l("Data controller"))
    controller_address = TextAreaField(_l("Data controller's postal address"))
    logo = FileField(_l("Logo (PNG or JPEG, under 512 kB)"))
    remove_logo = BooleanField(_l("Remove the uploaded logo"))

    def name_fields(self):
        return [getattr(self, f"name_{code}") for code in CODES]

    def to_input(self) -> IdentityInput:
        return IdentityInput(
            names={code: getattr(self, f"name_{code}").data or "" for code in CODES},
            short_name=self.short_name.data or "", contact_email=self.contact_email.data or "",
            website=self.website.data or "", colour=self.colour.data or "",
            controller_name=self.controller_name.data or "", controller_address=self.controller_address.data or "",
        )


for _code in CODES:  # one name field per language the site speaks
    setattr(IdentityForm, f"name_{_code}", StringField(_l("Name in %(language)s", language=NAMES[_code])))


def form_data(row) -> dict:
    if row is None:
        return {}
    data = {f"name_{code}": (row.names or {}).get(code, "") for code in CODES}
    data.update(short_name=row.short_name, contact_email=row.contact_email, website=row.website, colour=row.colour,
                controller_name=row.controller_name, controller_address=row.controller_address)
    return data
