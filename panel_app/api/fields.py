"""marshmallow fields with the app's own input rules (the ones the forms apply) and time format.

Each refusal carries a stable code (`problems.CodedMessage`) and a message in the caller's
language, so a problem document says which field is wrong, why, and in words people read.
"""

from __future__ import annotations

from datetime import datetime, timezone

import marshmallow as ma
from flask_babel import gettext as _

from panel_app.api.problems import CodedMessage
from panel_app.registration import validation


def _message_for(error: validation.InvalidInput) -> CodedMessage:
    if error.code == "too_long":
        return CodedMessage("too_long", _("Use at most %(limit)d characters.", limit=error.limit or 0))
    if error.code == "control_character":
        return CodedMessage("control_character", _("Control characters (such as NUL) cannot be used here."))
    if error.code == "bidi_control":
        return CodedMessage("bidi_control", _("Characters that change the direction of text cannot be used here."))
    if error.code == "invalid_email":
        return CodedMessage("invalid_email", _("Enter an email address like name@parliament.example."))
    return CodedMessage("invalid", _("This value cannot be accepted."))


class CleanText(ma.fields.String):
    """Text cleaned like the forms' (NFC, trimmed, no control or bidi-override characters).

    `required_text` refuses a value that is empty once trimmed.
    """

    def __init__(self, *, max_length: int, multiline: bool = False, required_text: bool = False, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("maxLength", max_length)
        if required_text:
            metadata.setdefault("minLength", 1)
        super().__init__(metadata=metadata, **kwargs)
        self.max_length = max_length
        self.multiline = multiline
        self.required_text = required_text

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            cleaned = validation.clean_text(text, max_length=self.max_length, multiline=self.multiline)
        except validation.InvalidInput as exc:
            raise ma.ValidationError(_message_for(exc)) from exc
        if self.required_text and not cleaned:
            raise ma.ValidationError(CodedMessage("required", _("This field cannot be empty.")))
        return cleaned


class Email(ma.fields.String):
    """An email address, checked and normalised like the form's; loads (email, case-folded key)."""

    def __init__(self, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("format", "email")
        metadata.setdefault("maxLength", 320)
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError(_message_for(validation.InvalidInput("control_character")))
        try:
            return validation.normalise_email(text)
        except validation.InvalidInput as exc:
            raise ma.ValidationError(_message_for(exc)) from exc


class Instant(ma.fields.DateTime):
    """A moment in time: ISO 8601 with an offset on the way in, UTC ("...Z") on the way out.

    A time without an offset is refused: it would mean a different moment in every zone.
    """

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40 or "\x00" in value:
            raise ma.ValidationError(CodedMessage("wrong_type", _("Give a date and time in ISO 8601.")))
        try:
            parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError as exc:
            raise ma.ValidationError(CodedMessage(
                "invalid_datetime", _("Give a date and time in ISO 8601, e.g. 2026-09-26T13:00:00Z."))) from exc
        if parsed.tzinfo is None:
            raise ma.ValidationError(CodedMessage(
                "needs_offset", _("Add a UTC offset (Z or +02:00): a time alone means a different moment in "
                                  "every zone.")))
        if not 1900 <= parsed.year <= 2999:
            raise ma.ValidationError(CodedMessage("out_of_range", _("Give a year from 1900 to 2999.")))
        return parsed.astimezone(timezone.utc)


class Choice(ma.fields.String):
    """One of a closed set of strings (documented as an enum)."""

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        metadata = dict(kwargs.pop("metadata", {}))
        # JSON Schema checks `enum` as well as `type`: a nullable choice lists null too.
        metadata.setdefault("enum", [*self.choices, *([None] if kwargs.get("allow_none") else [])])
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.choices:
            raise ma.ValidationError(CodedMessage(
                "not_allowed", _("Use one of: %(choices)s.", choices=", ".join(self.choices))))
        return text
