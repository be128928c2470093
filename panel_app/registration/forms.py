"""The public registration form: contract field names, messages in the reader's language."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, StopValidation, ValidationError

from panel_app.core.languages import NAMES as LANGUAGE_NAMES
from panel_app.core.widgets import CachedSelect
from panel_app.models import AffiliationType, ParticipantRole
from panel_app.registration import validation
from panel_app.registration.countries import country_choices, country_codes
from panel_app.registration.services import RegistrationInput

AFFILIATION_LABELS = {
    AffiliationType.MEMBER_PARLIAMENT: _l("Member Parliament of the IPU"),
    AffiliationType.ASSOCIATE_MEMBER: _l("Associate Member"),
    AffiliationType.PERMANENT_OBSERVER: _l("Permanent Observer"),
}
ROLE_LABELS = {
    ParticipantRole.MP: _l("Member of parliament"),
    ParticipantRole.STAFF: _l("Parliamentary staff"),
    ParticipantRole.OTHER: _l("Other representative"),
}
SALUTATIONS = ("", "Mr.", "Ms.", "Mx.", "Dr.", "Hon.", "Prof.")
#: Stored values stay in English; readers see them in their language.
SALUTATION_LABELS = {
    "Mr.": _l("Mr."), "Ms.": _l("Ms."), "Mx.": _l("Mx."), "Dr.": _l("Dr."), "Hon.": _l("Hon."), "Prof.": _l("Prof."),
}


def _message_for(error: validation.InvalidInput) -> str:
    from flask_babel import gettext as _

    if error.code == "too_long":
        return _("Please keep this under %(limit)d characters.", limit=error.limit or 0)
    if error.code == "control_character":
        return _("This contains characters that cannot be used here (such as control codes).")
    if error.code == "bidi_control":
        return _("This contains invisible characters that change the direction of the text. Please type it again "
                 "without copying it from elsewhere.")
    if error.code == "invalid_email":
        return _("Enter an email address like name@parliament.example.")
    return _("This value cannot be accepted.")


@lru_cache(maxsize=8)
def _country_select_choices(locale: str) -> tuple[SelectChoice, ...]:
    # ~250 choices per form: built once per language (wtforms never mutates them).
    return tuple(SelectChoice(code, name) for code, name in country_choices(locale))


class CleanText:
    """Validator: trims and normalises the value in place, refusing control characters."""

    def __init__(self, max_length: int, multiline: bool = False):
        self.max_length = max_length
        self.multiline = multiline

    def __call__(self, form, field):
        try:
            field.data = validation.clean_text(field.data, max_length=self.max_length, multiline=self.multiline)
        except validation.InvalidInput as exc:
            raise ValidationError(_message_for(exc)) from exc


class RequiredText(InputRequired):
    """Required after trimming: a name of only spaces is no name."""

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.errors[:] = []
            raise StopValidation(self.message)


class DetailsFields(FlaskForm):
    """Who the person is: asked when registering, correctable on their private page."""

    salutation = SelectField(_l("Title"), choices=[SelectChoice(s, SALUTATION_LABELS.get(s, s)) for s in SALUTATIONS],
                             default="", validate_choice=True)
    first_name = StringField(
        _l("First name"),
        validators=[RequiredText(message=_l("Enter your first name.")), CleanText(validation.NAME_MAX)],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[RequiredText(message=_l("Enter your last name.")), CleanText(validation.NAME_MAX)],
    )
    email = StringField(_l("Email address"), validators=[RequiredText(message=_l("Enter your email address."))])
    country = SelectField(_l("Country"), validate_choice=False, widget=CachedSelect())  # ~250 options: see core.widgets
    organisation = StringField(
        _l("Parliament or organisation"),
        # Optional: the public contract's field list does not include it, and people from
        # bodies not on the list must still be able to register.
        validators=[CleanText(validation.TEXT_MAX)],
    )
    affiliation_type = RadioField(
        _l("You are attending on behalf of"),
        choices=[SelectChoice(k.value, v) for k, v in AFFILIATION_LABELS.items()],
        validate_choice=False,
    )
    role = RadioField(_l("Your role"), choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()],
                      validate_choice=False)
    committees = StringField(_l("Committees you sit on"), validators=[CleanText(500)])
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"), validators=[CleanText(validation.LONG_TEXT_MAX, multiline=True)]
    )

    def __init__(self, *args, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice("", _l("Choose a country")), *_country_select_choices(locale)]

    def validate_email(self, field):
        try:
            field.data, self.email_normalized = validation.normalise_email(field.data)
        except validation.InvalidInput as exc:
            raise ValidationError(_message_for(exc)) from exc

    def validate_country(self, field):
        if field.data not in country_codes():
            raise ValidationError(_l("Choose your country from the list."))

    def validate_affiliation_type(self, field):
        if field.data not in {a.value for a in AffiliationType}:
            raise ValidationError(_l("Choose who you are attending on behalf of."))

    def validate_role(self, field):
        if field.data not in {r.value for r in ParticipantRole}:
            raise ValidationError(_l("Choose your role."))

    def details(self) -> dict:
        """The cleaned answers `services.update_details` takes."""
        return {
            "salutation": self.salutation.data or "", "first_name": self.first_name.data,
            "last_name": self.last_name.data, "country": self.country.data,
            "organisation": self.organisation.data or "", "affiliation_type": self.affiliation_type.data,
            "role": self.role.data, "committees": self.committees.data or "",
            "accessibility_needs": self.accessibility_needs.data or "",
        }


class RegistrationForm(DetailsFields):
    # No interpretation language is chosen for the person: the interpreters' headcount
    # depends on a real choice.
    language = RadioField(_l("Interpretation language"), validate_choice=False)
    # Radio buttons rather than a list: four short choices that fit a 320 px screen.
    email_language = RadioField(_l("Language of your emails and calendar invitation"), validate_choice=False,
                                default="")
    consent = BooleanField(
        _l("I agree that my details are used to organise this event, as described in the privacy notice."),
        false_values=(False, "false", "", "n", "no", "0"),
    )

    def __init__(self, *args, event_languages: list[str], locale: str, **kwargs):
        super().__init__(*args, locale=locale, **kwargs)
        self.language.choices = [SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in event_languages]
        self.email_language.choices = email_language_choices()
        self._event_languages = event_languages

    def validate_language(self, field):
        if field.data not in self._event_languages:
            raise ValidationError(_l("Choose one of the interpretation languages offered."))

    def validate_email_language(self, field):
        check_email_language(field)

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(_l("Please agree to the use of your details so we can register you."))

    def to_input(self) -> RegistrationInput:
        details = self.details()
        return RegistrationInput(
            email=self.email.data,
            email_normalized=self.email_normalized,
            language=self.language.data,
            email_language=self.email_language.data or None,
            **details,
        )


class DetailsForm(DetailsFields):
    """The registrant's correction of their answers on the private page."""


def email_language_choices() -> list[SelectChoice]:
    """'Same as the interpretation language' first, then every language the site speaks."""
    return [SelectChoice("", _l("Same as my interpretation language"))] + [
        SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()
    ]


def check_email_language(field) -> None:
    if field.data and field.data not in LANGUAGE_NAMES:
        raise ValidationError(_l("Choose a language from the list."))


class LanguageForm(FlaskForm):
    """The registrant's later change of interpretation channel and email language."""

    language = RadioField(_l("Interpretation language"), validate_choice=False)
    email_language = RadioField(_l("Language of your emails and calendar invitation"), validate_choice=False,
                                default="")

    def __init__(self, *args, event_languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in event_languages]
        self.email_language.choices = email_language_choices()
        self._event_languages = event_languages

    def validate_language(self, field):
        if field.data not in self._event_languages:
            raise ValidationError(_l("Choose one of the interpretation languages offered."))

    def validate_email_language(self, field):
        check_email_language(field)


class CancelForm(FlaskForm):
    """Only the CSRF token: cancelling is a POST with no other input."""
