"""The letter form: a subject and a text per event language, and who receives it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Regexp

from panel_app.core import languages
from panel_app.directory import letters
from panel_app.registration.forms import AFFILIATION_LABELS, CleanText, RequiredText

EXPIRED = _l("This form expired: open the page again, then send.")


class _LetterForm(FlaskForm):
    kind = HiddenField()
    scope = SelectField(_l("Recipients"), choices=[])
    # Optional filters: left out of a post, they mean "any".
    affiliation = SelectField(_l("Affiliation"), choices=[], default="")
    region = SelectField(_l("Region"), choices=[], default="")
    country = SelectField(_l("Country"), choices=[], default="")
    interval_days = SelectField(_l("Leave out contacts reminded within"), choices=[])
    #: A fresh random key per form shown: the same form posted twice sends one letter.
    submission_key = HiddenField(validators=[InputRequired(message=EXPIRED),
                                             Regexp(r"^[A-Za-z0-9_-]{16,64}$", message=EXPIRED)])


def letter_form(kind: str, event_languages: list[str], *, regions: list[str], countries: list[tuple[str, str]]):
    """The form for a letter of `kind` to an event in `event_languages`; `regions` and
    `countries` (code, name) are those the directory holds."""

    class LetterForm(_LetterForm):
        pass

    if kind != letters.K.COVERAGE_REMINDER:
        LetterForm.interval_days = None  # WTForms: a field set to None is not part of the form

    for code in event_languages:
        name = languages.NAMES.get(code, code)
        setattr(LetterForm, f"subject_{code}", StringField(
            _l("Subject (%(language)s)", language=name),
            validators=[RequiredText(message=_l("Write the subject in %(language)s.", language=name)),
                        CleanText(letters.SUBJECT_MAX)]))
        setattr(LetterForm, f"body_{code}", TextAreaField(
            _l("Letter (%(language)s)", language=name),
            validators=[RequiredText(message=_l("Write the letter in %(language)s.", language=name)),
                        CleanText(letters.BODY_MAX, multiline=True)]))
    form = LetterForm()
    form.scope.choices = [SelectChoice(s, letters.SCOPE_LABELS[s]) for s in letters.SCOPES[kind]]
    form.affiliation.choices = [SelectChoice("", _l("Any affiliation"))] + [
        SelectChoice(k.value, v) for k, v in AFFILIATION_LABELS.items()]
    form.region.choices = [SelectChoice("", _l("Any region"))] + [SelectChoice(r, r) for r in regions]
    form.country.choices = [SelectChoice("", _l("Any country"))] + [SelectChoice(c, n) for c, n in countries]
    if "interval_days" in form:
        form.interval_days.choices = [SelectChoice(str(d), _l("%(n)d days", n=d)) for d in letters.INTERVALS]
    form.language_codes = list(event_languages)
    return form


def texts_of(form) -> dict[str, dict[str, str]]:
    return {code: {"subject": getattr(form, f"subject_{code}").data or "",
                   "body": getattr(form, f"body_{code}").data or ""} for code in form.language_codes}


def filters_of(form) -> letters.LetterFilters:
    interval = form.interval_days.data if "interval_days" in form else None
    return letters.LetterFilters(scope=form.scope.data or "", affiliation=form.affiliation.data or "",
                                 region=form.region.data or "", country=form.country.data or "",
                                 interval_days=int(interval) if interval and interval.isdigit() else None)
