"""The public follow-up questionnaire: for each action, "taken" and what was done; who answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from panel_app.directory.follow_up import ACTIONS, FUNCTION_MAX, NAME_MAX, TEXT_MAX, Answer
from panel_app.registration.forms import CleanText, RequiredText


class FollowUpForm(FlaskForm):
    """Fields `taken_<code>` and `text_<code>` per action (added below), then name and function."""

    name = StringField(_l("Your name"), validators=[RequiredText(message=_l("Enter your name.")),
                                                     CleanText(NAME_MAX)])
    function = StringField(_l("Your function"), validators=[CleanText(FUNCTION_MAX)])

    def action_fields(self) -> list[tuple[str, object, BooleanField, TextAreaField]]:
        """(code, label, taken field, text field) in questionnaire order, for the template."""
        return [(code, label, self[f"taken_{code}"], self[f"text_{code}"]) for code, label in ACTIONS.items()]

    def answers(self) -> dict[str, Answer]:
        return {code: Answer(taken=bool(self[f"taken_{code}"].data), text=self[f"text_{code}"].data or "")
                for code in ACTIONS}

    @classmethod
    def data_from(cls, answers: dict[str, Answer], *, name: str, function: str) -> dict:
        """Form data showing stored answers (for a parliament coming back to change them)."""
        data = {"name": name, "function": function}
        for code, answer in answers.items():
            if code in ACTIONS:
                data[f"taken_{code}"] = answer.taken
                data[f"text_{code}"] = answer.text
        return data


for _code in ACTIONS:
    setattr(FollowUpForm, f"taken_{_code}", BooleanField(_l("Yes, we took this action")))
    setattr(FollowUpForm, f"text_{_code}", TextAreaField(
        _l("What was done"), validators=[CleanText(TEXT_MAX, multiline=True)]))
del _code
