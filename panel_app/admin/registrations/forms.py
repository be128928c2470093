"""An organiser's edit of a registrant's details."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from panel_app.core import languages
from panel_app.registration import validation
from panel_app.registration.countries import country_choices, country_codes
from panel_app.registration.forms import (
    AFFILIATION_LABELS,
    ROLE_LABELS,
    SALUTATION_LABELS,
    SALUTATIONS,
    CleanText,
    RequiredText,
)


class RegistrationEditForm(FlaskForm):
    salutation = SelectField(_l("Title"), choices=[SelectChoice(s, SALUTATION_LABELS.get(s, s) or "–")
                                                   for s in SALUTATIONS])
    first_name = StringField(_l("First name"), validators=[RequiredText(message=_l("Enter the first name.")),
                                                           CleanText(validation.NAME_MAX)])
    last_name = StringField(_l("Last name"), validators=[RequiredText(message=_l("Enter the last name.")),
                                                         CleanText(validation.NAME_MAX)])
    email = StringField(_l("Email address"), validators=[RequiredText(message=_l("Enter the email address."))])
    country = SelectField(_l("Country"), validate_choice=False)
    organisation = StringField(_l("Parliament or organisation"), validators=[CleanText(validation.TEXT_MAX)])
    affiliation_type = SelectField(_l("Attending on behalf of"),
                                   choices=[SelectChoice(k.value, v) for k, v in AFFILIATION_LABELS.items()])
    role = SelectField(_l("Role"), choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()])
    committees = StringField(_l("Committees"), validators=[CleanText(500)])
    language = SelectField(_l("Interpretation language"))
    accessibility_needs = TextAreaField(_l("Accessibility needs"),
                                        validators=[CleanText(validation.LONG_TEXT_MAX, multiline=True)])

    def __init__(self, *args, event_languages: list[str], locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in country_choices(locale)]
        self.language.choices = [SelectChoice(code, languages.name(code)) for code in event_languages]

    def validate_email(self, field):
        try:
            field.data, _ = validation.normalise_email(field.data)
        except validation.InvalidInput as exc:
            raise ValidationError(_l("Enter an email address like name@parliament.example.")) from exc

    def validate_country(self, field):
        if field.data not in country_codes():
            raise ValidationError(_l("Choose a country from the list."))

    def values(self) -> dict:
        return {name: getattr(self, name).data or "" for name in (
            "salutation", "first_name", "last_name", "email", "country", "organisation",
            "affiliation_type", "role", "committees", "language", "accessibility_needs")}


class AddRegistrationForm(RegistrationEditForm):
    """An organiser registers someone: the person's details, where they go, whether to write."""

    placement = RadioField(
        _l("Seat"),
        choices=[SelectChoice("usual", _l("A free seat, or the waiting list when the event is full")),
                 SelectChoice("confirm", _l("Confirmed even over capacity (for a speaker or guest)"))],
        default="usual",
    )
    notify = BooleanField(_l("Send the confirmation email (with the join link and calendar invite)"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No country taken for granted: the first of the list would be a silent wrong answer.
        self.country.choices = [SelectChoice("", "–"), *self.country.choices]
