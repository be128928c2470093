"""The follow-up questionnaire through a parliament's private link: in the contact's language,
answers saved and shown back, changed later, bad input and forged links refused clearly."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from panel_app.directory.follow_up import ACTIONS, TEXT_MAX
from panel_app.extensions import db as _db
from panel_app.models import FollowUpReport
from tests.conftest import csrf_token_from

DEBATE = ("Le 12 octobre, l'Assemblée a adopté à l'unanimité une résolution sur la situation des "
          "parlementaires détenus (résolution n° 2026-114).")
MEDIA = "Communiqué de presse & conférence de presse du Président — « Solidarité » ; 3 quotidiens l'ont repris."


def _url(world, index: int = 0) -> str:
    return f"/follow-up/{world.tokens[world.organisations[index].id]}"


def _report(world, index: int = 0) -> FollowUpReport:
    _db.session.expire_all()
    return _db.session.get(FollowUpReport, world.reports[index].id)


def _answers(page_html: str, **fields) -> dict:
    data = {"csrf_token": csrf_token_from(page_html), "name": "Hon. María-José Ñúñez-Öztürk",
            "function": "Secrétaire du groupe de l'UIP"}
    data.update(fields)
    return data


@pytest.mark.parametrize(("index", "language", "heading", "action"), [
    (0, "en", "Follow-up questionnaire", "Held a debate or adopted a resolution or declaration"),
    (1, "fr", "Questionnaire de suivi", "A tenu un débat ou adopté une résolution ou une déclaration"),
    (2, "es", "Cuestionario de seguimiento", "Celebró un debate o aprobó una resolución o declaración"),
])
def test_the_form_opens_in_the_contacts_language_with_the_event_and_the_parliament(
        client, follow_up_world, index, language, heading, action):
    # build_directory gives parliament i a contact reading ("en", "fr", "es")[i % 3].
    response = client.get(_url(follow_up_world, index), headers={"Accept-Language": "de"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert heading in html and action in html
    organisation = follow_up_world.organisations[index]
    assert (organisation.translations.get(language) or organisation.name).replace("'", "&#39;") in html
    assert len(re.findall(r'type="checkbox"', html)) == len(ACTIONS) == 12
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"


def test_the_language_switcher_wins_over_the_contacts_language(client, follow_up_world):
    html = client.get(_url(follow_up_world, 1) + "?lang=es").get_data(as_text=True)  # a French contact
    assert '<html lang="es">' in html and "Cuestionario de seguimiento" in html


def test_answers_are_saved_shown_back_and_can_be_changed_later(client, follow_up_world):
    url = _url(follow_up_world, 1)
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=_answers(page, taken_debate_or_resolution="y", text_debate_or_resolution=DEBATE,
                                              taken_informed_media="y", text_informed_media=MEDIA,
                                              text_met_ambassadors="Prévu en janvier."))
    assert response.status_code == 303 and response.headers["Location"].endswith(url + "/thanks")
    report = _report(follow_up_world, 1)
    first = report.submitted_at
    assert first is not None and report.answered_at == first and report.language == "fr"
    assert report.submitted_by == "Hon. María-José Ñúñez-Öztürk"
    assert report.submitted_function == "Secrétaire du groupe de l'UIP"
    assert report.answers["debate_or_resolution"] == {"taken": True, "text": DEBATE}
    assert report.answers["met_ambassadors"] == {"taken": False, "text": "Prévu en janvier."}
    assert report.answers["foreign_minister"] == {"taken": False, "text": ""}
    assert set(report.answers) == set(ACTIONS)

    thanks = client.get(url + "/thanks").get_data(as_text=True)
    assert "Merci" in thanks and "A informé les médias" in thanks
    assert "Communiqué de presse &amp; conférence de presse du Président — « Solidarité »" in thanks
    assert "Prévu en janvier." in thanks  # a comment on an action not taken is shown too
    assert "A demandé au ministre des Affaires étrangères d&#39;intervenir" not in thanks

    # Coming back: the answers are in the form, and a change keeps the first submission time.
    page = client.get(url).get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*id="taken_debate_or_resolution"[^>]*>', page).group(0)
    assert "checked" in checkbox
    assert "checked" not in re.search(r'<input[^>]*id="taken_foreign_minister"[^>]*>', page).group(0)
    assert "résolution n° 2026-114" in page
    response = client.post(url, data=_answers(page, name="Jean-Baptiste de La Rochefoucauld",
                                              taken_foreign_minister="y", text_foreign_minister="Lettre au ministre."))
    assert response.status_code == 303
    report = _report(follow_up_world, 1)
    assert report.submitted_at == first and report.answered_at > first
    assert report.answers["foreign_minister"] == {"taken": True, "text": "Lettre au ministre."}
    assert report.answers["debate_or_resolution"] == {"taken": False, "text": ""}  # unticked and emptied
    assert report.submitted_by == "Jean-Baptiste de La Rochefoucauld"


def test_the_thank_you_page_sends_back_to_the_form_before_any_answer(client, follow_up_world):
    url = _url(follow_up_world, 0)
    response = client.get(url + "/thanks")
    assert response.status_code == 303 and response.headers["Location"].endswith(url)


@pytest.mark.parametrize("token", [
    "x" * 43, "not-a-token", "a" * 500, "%00", "Zm9sbG93LXVw", "é" * 40])
def test_forged_or_damaged_links_get_the_same_clear_not_found_page(client, follow_up_world, token):
    response = client.get(f"/follow-up/{token}", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Ce lien de suivi n’est pas valide" in html or "Ce lien de suivi n&#39;est pas valide" in html


def test_a_link_cut_short_or_from_another_report_opens_nothing_else(client, follow_up_world):
    token = follow_up_world.tokens[follow_up_world.organisations[0].id]
    assert client.get(f"/follow-up/{token[:-1]}").status_code == 404
    assert client.get(f"/follow-up/{token}X").status_code == 404
    def main(url: str) -> str:
        html = client.get(url).get_data(as_text=True)
        return html[html.index("<main"):html.index("</main>")]

    # No difference to learn anything from between a near miss and a made-up link.
    assert main(f"/follow-up/{token[:-1]}") == main("/follow-up/completely-made-up")


def test_missing_name_too_long_text_and_control_characters_are_explained_and_nothing_is_saved(
        client, follow_up_world):
    url = _url(follow_up_world, 2)  # a Spanish contact
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=_answers(page, name="   ", taken_informed_media="y",
                                              text_informed_media="x" * (TEXT_MAX + 1),
                                              text_met_ambassadors="Reunión\x00 con el embajador"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hay un problema" in html or "Se ha producido un problema" in html or 'id="error-summary"' in html
    assert html.count('aria-invalid="true"') == 3
    assert "x" * 100 in html  # what was typed is kept for correction
    assert _report(follow_up_world, 2).submitted_at is None


def test_an_expired_form_keeps_the_answers_and_says_so(client, follow_up_world):
    url = _url(follow_up_world, 0)
    client.get(url)
    response = client.post(url, data={"csrf_token": "expired", "name": "Amina Diallo", "taken_informed_media": "y",
                                      "text_informed_media": "Press release."})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This form expired before it was sent" in html and "Press release." in html
    assert _report(follow_up_world, 0).submitted_at is None


def test_a_huge_body_is_refused_without_an_error_page_of_the_server(client, follow_up_world, app):
    url = _url(follow_up_world, 0)
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=_answers(page, text_informed_media="é" * (app.config["MAX_CONTENT_LENGTH"])))
    assert response.status_code == 413
    assert _report(follow_up_world, 0).submitted_at is None


def test_only_the_parliament_whose_link_it_is_gets_the_answers(client, follow_up_world):
    page = client.get(_url(follow_up_world, 4)).get_data(as_text=True)
    client.post(_url(follow_up_world, 4), data=_answers(page, taken_informed_members="y"))
    answered = _db.session.scalars(sa.select(FollowUpReport).where(FollowUpReport.submitted_at.is_not(None))).all()
    assert [r.organisation_id for r in answered] == [follow_up_world.organisations[4].id]
