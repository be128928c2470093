"""Forms of the Zoom set-up page: interpreters, creating a meeting, and the action buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice

from panel_app.core.templating import LANGUAGE_NAMES
from panel_app.registration import validation
from panel_app.zoom.interpreters import NAME_MAX, language_pairs

INTERPRETER_MESSAGES = {
    "invalid_email": _l("Enter an email address like interpreter@example.org."),
    "email_too_long": _l("Please keep this under %(limit)d characters.", limit=320),
    "control_character": _l("This contains characters that cannot be used here (such as control codes)."),
    "name_too_long": _l("Please keep this under %(limit)d characters.", limit=NAME_MAX),
    "language_not_in_event": _l("Choose two languages this event offers."),
    "same_language": _l("Choose two different languages."),
    "duplicate": _l("This interpreter is already entered for this event."),
}


def pair_value(a: str, b: str) -> str:
    return f"{a}-{b}"


def pair_label(a: str, b: str) -> str:
    return f"{LANGUAGE_NAMES.get(a, a)} ↔ {LANGUAGE_NAMES.get(b, b)}"


class InterpreterForm(FlaskForm):
    email = StringField(_l("Interpreter's email address"),
                        description=_l("The address they sign in to Zoom with: Zoom recognises interpreters by it."))
    name = StringField(_l("Name"))
    languages = SelectField(_l("Interprets between"), validate_choice=False)

    def __init__(self, *args, event_languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = [SelectChoice(pair_value(a, b), pair_label(a, b))
                                  for a, b in language_pairs(event_languages)]

    def validate_email(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Enter the interpreter's email address."))
        try:
            field.data, _key = validation.normalise_email(field.data)
        except validation.InvalidInput as exc:
            raise ValidationError(INTERPRETER_MESSAGES["email_too_long" if exc.code == "too_long"
                                                       else "invalid_email"]) from exc

    def validate_name(self, field):
        try:
            field.data = validation.clean_text(field.data, max_length=NAME_MAX)
        except validation.InvalidInput as exc:
            raise ValidationError(INTERPRETER_MESSAGES["name_too_long" if exc.code == "too_long"
                                                       else "control_character"]) from exc

    def validate_languages(self, field):
        offered = {choice.value for choice in self.languages.choices}
        if field.data not in offered:
            raise ValidationError(INTERPRETER_MESSAGES["language_not_in_event"])

    def language_codes(self) -> tuple[str, str]:
        first, _, second = (self.languages.data or "").partition("-")
        return first, second


class CreateMeetingForm(FlaskForm):
    kind = SelectField(_l("Create"), choices=[SelectChoice("meetings", _l("a Zoom meeting")),
                                              SelectChoice("webinars", _l("a Zoom webinar"))])
    host = StringField(_l("Host (Zoom user's email address)"),
                       description=_l("Leave empty for the Zoom account user this server acts as."))

    def validate_host(self, field):
        if not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data, _key = validation.normalise_email(field.data)
        except validation.InvalidInput as exc:
            raise ValidationError(_l("Enter the host's Zoom email address, or leave the field empty.")) from exc
