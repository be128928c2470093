"""The cached country select renders exactly what WTForms' own widget renders."""

from __future__ import annotations

import pytest
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from panel_app.core.widgets import CachedSelect

CHOICES = [
    SelectChoice(v, label)
    for v, label in [("", "Choose a country"), ("CH", "Switzerland"), ("FR", "France"), ("CI", "Côte d’Ivoire <&>")]
]


class Plain(Form):
    country = SelectField("Country", choices=CHOICES, validate_choice=False, widget=Select())


class Cached(Form):
    country = SelectField("Country", choices=CHOICES, validate_choice=False, widget=CachedSelect())


@pytest.mark.parametrize("data", [None, "", "FR", "CI", "ZZ"])
def test_cached_select_matches_the_wtforms_widget(data):
    plain, cached = Plain(data={"country": data}), Cached(data={"country": data})
    for _ in range(2):  # first render fills the cache, second uses it
        assert str(cached.country(autocomplete="country", required=True)) == str(
            plain.country(autocomplete="country", required=True)
        )


def test_cached_select_follows_changed_choices():
    form = Cached(data={"country": "CH"})
    first = str(form.country())
    form.country.choices = [SelectChoice("CH", "Suisse"), SelectChoice("FR", "France")]
    second = str(form.country())
    assert "Suisse" in second and "Suisse" not in first
    assert (
        '<option selected value="CH">Suisse</option>' in second
        or '<option value="CH" selected>Suisse</option>' in second
    )
