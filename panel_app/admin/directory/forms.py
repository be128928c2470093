"""The directory's forms: an entry, a contact, an import (rules in panel_app.directory)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from panel_app.core.languages import CODES, NAMES
from panel_app.directory.services import ContactInput, OrganisationInput
from panel_app.models import AffiliationType
from panel_app.registration.forms import AFFILIATION_LABELS

#: The default name is the English one; these languages get a name field of their own.
OTHER_LANGUAGES = tuple(code for code in CODES if code != "en")

ERROR_MESSAGES = {
    "required": _l("This is required."),
    "too_long": _l("This is too long."),
    "control_character": _l("This contains characters that cannot be used here (such as control codes)."),
    "bidi_control": _l("This contains invisible characters that change the direction of the text."),
    "invalid_email": _l("Enter an email address like name@parliament.example."),
    "country": _l("Choose a country from the list."),
    "affiliation": _l("Choose the affiliation."),
    "language": _l("Choose a language from the list."),
    "name_taken": _l("Another entry of the directory already has this name."),
    "contact_taken": _l("This parliament already has a contact with this address."),
}


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"))
    country = SelectField(_l("Country"), validate_choice=False)
    affiliation_type = SelectField(_l("Affiliation"), validate_choice=False, choices=[
        SelectChoice(a.value, AFFILIATION_LABELS[a]) for a in AffiliationType])
    region = StringField(_l("Region or geopolitical group"))
    active = BooleanField(_l("Active (offered in the registration form and sent letters)"), default=True)

    def __init__(self, *args, countries, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice("", _l("None (international body)")),
                                *[SelectChoice(code, name) for code, name in countries]]

    def name_fields(self):
        return [getattr(self, f"name_{code}") for code in OTHER_LANGUAGES]

    def to_input(self) -> OrganisationInput:
        return OrganisationInput(
            name=self.name.data or "", affiliation_type=self.affiliation_type.data or "",
            country=self.country.data or "", region=self.region.data or "", active=bool(self.active.data),
            translations={code: getattr(self, f"name_{code}").data or "" for code in OTHER_LANGUAGES})


for _code in OTHER_LANGUAGES:
    setattr(OrganisationForm, f"name_{_code}", StringField(_l("Name in %(language)s", language=NAMES[_code])))


def organisation_data(organisation) -> dict:
    return {"name": organisation.name, "country": organisation.country, "region": organisation.region,
            "affiliation_type": organisation.affiliation_type, "active": organisation.active,
            **{f"name_{code}": (organisation.translations or {}).get(code, "") for code in OTHER_LANGUAGES}}


class ContactForm(FlaskForm):
    name = StringField(_l("Name"))
    email = StringField(_l("Email address"))
    function = StringField(_l("Function"))
    language = SelectField(_l("Language of letters"), validate_choice=False,
                           choices=[SelectChoice(code, NAMES[code]) for code in CODES])
    active = BooleanField(_l("Active (receives letters)"), default=True)

    def to_input(self) -> ContactInput:
        return ContactInput(name=self.name.data or "", email=self.email.data or "", function=self.function.data or "",
                            language=self.language.data or "", active=bool(self.active.data))


def contact_data(contact) -> dict:
    return {"name": contact.name, "email": contact.email, "function": contact.function, "language": contact.language,
            "active": contact.active}


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"))
    keep_missing = BooleanField(_l("Keep entries and contacts that are not in the file (add and update only)"))
