"""The follow-up questionnaire in a real browser: on a 320 px phone and a desktop, in three
languages, the form, its error summary and the thank-you page pass axe and never scroll sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from panel_app.directory import links
from panel_app.extensions import db
from panel_app.models import Event, Organisation
from tests.browser.conftest import in_days, screenshot_dir
from tests.factories import TEST_SECRET_KEY

pytestmark = pytest.mark.browser

SMALLEST_PHONE = {"width": 320, "height": 640}
TEXTS = {
    "en": ("Follow-up questionnaire", "Send our answers", "Thank you"),
    "fr": ("Questionnaire de suivi", "Envoyer nos réponses", "Merci"),
    "es": ("Cuestionario de seguimiento", "Enviar nuestras respuestas", "Gracias"),
}


@pytest.fixture
def follow_up_url(browser_app, make_event):
    """A fresh parliament's private follow-up link for an event that ended three weeks ago."""
    slug = make_event(title="Parliamentary solidarity: Supporting MPs under threat — a panel of the Committee on "
                      "the Human Rights of Parliamentarians", starts_at=in_days(-21),
                      ends_at=in_days(-21) + timedelta(minutes=90))
    with browser_app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        organisation = Organisation(
            name=f"Cortes Generales de España, Congreso de los Diputados y Senado ({slug})",
            translations={"fr": f"Cortès générales d’Espagne ({slug})"}, country="ES",
            affiliation_type="member_parliament", region="Twelve Plus")
        db.session.add(organisation)
        db.session.flush()
        report = links.follow_up_report_for(db.session, event, organisation, TEST_SECRET_KEY)
        db.session.commit()
        token = links.follow_up_token(report, TEST_SECRET_KEY)
        db.session.remove()
    return f"/follow-up/{token}"


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("viewport", [SMALLEST_PHONE, {"width": 1280, "height": 900}], ids=["320", "1280"])
def test_the_questionnaire_and_thank_you_page_fit_and_pass_axe(new_page, axe_violations, follow_up_url, lang,
                                                                 viewport):
    heading, send, thanks = TEXTS[lang]
    page = new_page(locale={"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}[lang], viewport=viewport, bypass_csp=True)
    problems = []
    folder = screenshot_dir()

    def check(label: str) -> None:
        if folder:
            page.screenshot(path=str(folder / f"follow-up-{label}-{lang}-{viewport['width']}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            problems.append(f"{label}: {overflow}px of sideways scrolling")
        problems.extend(f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
                        for v in axe_violations(page))

    page.goto(follow_up_url)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check("form")
    page.get_by_role("button", name=send).click()  # no name: the error summary
    expect(page.locator("#error-summary")).to_be_visible()
    check("errors")
    page.locator("#taken_debate_or_resolution").check()
    page.locator("#text_debate_or_resolution").fill("Résolution adoptée à l’unanimité le 12 octobre 2026 " * 3)
    page.locator("#taken_informed_media").check()
    page.locator("#name").fill("Hon. María-José Ñúñez-Öztürk de la Santísima Trinidad")
    page.locator("#function").fill("Secretaria General del Congreso de los Diputados")
    page.get_by_role("button", name=send).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
    expect(page.get_by_text("Ñúñez-Öztürk de la Santísima Trinidad", exact=False)).to_be_visible()
    check("thanks")
    assert problems == []
