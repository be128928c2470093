"""Country names in UN/ISO usage, organisation suggestions in the page language, and one way of
marking required and optional fields."""

from __future__ import annotations

import io
import re

import pytest

from panel_app.directory.importer import import_csv
from panel_app.registration.countries import country_choices, country_name


@pytest.mark.parametrize(("code", "en", "fr", "es"), [
    ("PS", "State of Palestine", "État de Palestine", "Estado de Palestina"),
    ("RU", "Russian Federation", "Fédération de Russie", "Federación Rusa"),
    ("KP", "Democratic People's Republic of Korea", "République démocratique populaire de Corée",
     "República Popular Democrática de Corea"),
    ("KR", "Republic of Korea", "République de Corée", "República de Corea"),
    ("SY", "Syrian Arab Republic", "République arabe syrienne", "República árabe de Siria"),
    ("CD", "Democratic Republic of the Congo", "République démocratique du Congo",
     "República Democrática del Congo"),
    ("TZ", "United Republic of Tanzania", "République unie de Tanzanie", "República Unida de Tanzania"),
    ("SB", "Solomon Islands", "Îles Salomon", "Islas Salomón"),
])
def test_countries_are_named_in_un_and_iso_usage_in_three_languages(code, en, fr, es):
    assert (country_name(code, "en"), country_name(code, "fr"), country_name(code, "es")) == (en, fr, es)


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_no_country_is_left_in_isos_inverted_form_and_the_list_is_sorted(locale):
    names = [name for _, name in country_choices(locale)]
    inverted = [n for n in names if re.search(r", (Republic|République|República|State|État|Estado)", n)]
    assert inverted == []
    assert len(names) == 249
    assert names.index("État de Palestine" if locale == "fr" else names[0]) >= 0


@pytest.mark.parametrize(("lang", "first", "palestine"), [
    ("en", "Afghanistan", "State of Palestine"), ("fr", "Afghanistan", "État de Palestine"),
    ("es", "Afganistán", "Estado de Palestina"),
])
def test_the_form_lists_countries_in_the_page_language_sorted_for_it(client, make_event, lang, first, palestine):
    html = client.get(f"/events/{make_event().slug}/register?lang={lang}").get_data(as_text=True)
    options = re.findall(r'<option value="([A-Z]{2})">([^<]+)</option>', html)
    assert options[0][1] == first and ("PS", palestine) in options


def test_organisation_suggestions_follow_the_page_language(client, db, make_event):
    import_csv(
        db.session,
        io.StringIO(
            "name,country,affiliation_type,name_fr,name_es\n"
            "National Assembly of Senegal,SN,member_parliament,"
            "Assemblée nationale du Sénégal,Asamblea Nacional de Senegal\n"
            "Parliament of Chile,CL,member_parliament,,Congreso Nacional de Chile\n"
        ),
    )
    db.session.commit()
    event = make_event()

    def suggestions(lang):
        html = client.get(f"/events/{event.slug}/register?lang={lang}").get_data(as_text=True)
        datalist = re.search(r'<datalist id="organisation-options">(.*?)</datalist>', html, re.S).group(1)
        return re.findall(r'<option value="([^"]+)">', datalist)

    assert suggestions("en") == ["National Assembly of Senegal", "Parliament of Chile"]
    assert suggestions("fr") == ["Assemblée nationale du Sénégal", "Parliament of Chile"]
    assert suggestions("es") == ["Asamblea Nacional de Senegal", "Congreso Nacional de Chile"]


@pytest.mark.parametrize(
    ("lang", "required", "optional"),
    [
        ("en", "(required)", "(optional)"),
        ("fr", "(obligatoire)", "(facultatif)"),
        ("es", "(obligatorio)", "(opcional)"),
    ],
)
def test_every_question_is_marked_required_or_optional_the_same_way(client, make_event, lang, required, optional):
    html = client.get(f"/events/{make_event().slug}/register?lang={lang}").get_data(as_text=True)
    form = html[html.index("<form") : html.index("</form>")]
    labels = re.findall(r"<(?:label for=\"[^\"]+\"|legend)>(.*?)</(?:label|legend)>", form, re.S)
    questions = [text for text in labels if 'class="required"' in text or 'class="optional"' in text]
    option_labels = [text for text in labels if text not in questions]
    assert len(questions) == 13  # title ... consent: every question says which it is
    marks = {"required" if required in q else "optional" for q in questions}
    assert marks == {"required", "optional"}
    assert all(required in q or optional in q for q in questions)
    assert not any(optional in o or required in o for o in option_labels)
    assert "(optional)" not in html.replace(optional, "") or lang == "en"


def test_the_consent_sentence_links_the_privacy_notice(client, make_event):
    html = client.get(f"/events/{make_event().slug}/register").get_data(as_text=True)
    label = re.search(r'<label for="consent">(.*?)</label>', html, re.S).group(1)
    assert '<a href="/privacy" target="_blank" rel="noopener">privacy notice</a>' in label
