"""Registrants in a real browser: French on a phone, Spanish with mistakes, cancelling,
and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, screenshot_dir

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:
    folder = screenshot_dir()
    if folder:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_french_visitor_on_a_phone_registers_end_to_end(new_page, make_event):
    slug = make_event(translations={"fr": {"title": "Solidarité parlementaire"}})
    page = new_page(locale="fr-FR", viewport=PHONE)
    page.goto(f"/events/{slug}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Solidarité parlementaire")
    _shot(page, "fr-event-phone")
    page.get_by_role("link", name="S’inscrire").click()

    expect(page).to_have_url(re.compile(rf"/events/{slug}/register$"))
    page.get_by_label("Prénom").fill("Amélie")
    page.get_by_label(re.compile(r"^Nom\b")).fill("Dupont")
    page.get_by_label("Adresse électronique").fill("amelie.dupont@assemblee.example")
    page.get_by_label("Pays").select_option("FR")
    page.get_by_role("group", name=re.compile("Vous participez au titre de")).get_by_label(
        "Parlement membre de l’UIP"
    ).check()
    page.get_by_label("Parlement ou organisation").fill("Assemblée nationale")
    page.get_by_role("group", name=re.compile("Votre fonction")).get_by_label("Parlementaire", exact=True).check()
    language = page.get_by_role("group", name=re.compile("Langue d’interprétation"))
    expect(language.get_by_label("Français")).not_to_be_checked()  # a real choice: nothing preselected
    language.get_by_label("Français").check()
    page.get_by_label(re.compile("J’accepte que mes données")).check()
    _shot(page, "fr-form-phone")
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="S’inscrire").click()

    expect(page).to_have_url(re.compile(r"/registrations/[^/?]+$"))  # the bare private link
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre inscription")
    expect(page.get_by_text("Merci : nous avons bien reçu votre inscription.")).to_be_visible()
    expect(page.locator(".badge")).to_have_text("Confirmée")
    expect(page.locator(".event-time")).to_contain_text(re.compile(r"\d\d\sh\s\d\d"))
    _shot(page, "fr-registered-phone")
    # Only the session cookie: the visitor never used the language switcher.
    assert {c["name"] for c in page.context.cookies()} <= {"session"}


def test_spanish_visitor_fixes_mistakes_guided_by_the_error_summary(new_page, make_event):
    slug = make_event()
    page = new_page(locale="es-ES")
    page.goto(f"/events/{slug}/register")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_label("Correo electrónico").fill("no-es-un-correo")
    page.get_by_role("button", name="Inscribirse").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("El formulario contiene errores")
    expect(summary.get_by_role("link", name="Escriba su nombre.")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("correo electrónico del tipo"))).to_be_visible()
    _shot(page, "es-form-errors")

    first_name = page.get_by_label(re.compile(r"^Nombre\b"))
    expect(first_name).to_have_attribute("aria-invalid", "true")
    expect(first_name).to_have_attribute("aria-describedby", re.compile("first_name-error"))
    summary.get_by_role("link", name="Escriba su nombre.").click()
    expect(first_name).to_be_focused()

    first_name.fill("Lucía")
    page.get_by_label("Apellidos").fill("Fernández")
    page.get_by_label("Correo electrónico").fill("lucia.fernandez@congreso.example")
    page.get_by_label("País").select_option("ES")
    page.get_by_label("Parlamento Miembro de la UIP").check()
    page.get_by_label("Parlamento u organización").fill("Congreso de los Diputados")
    page.get_by_label("Personal parlamentario").check()
    page.get_by_role("group", name=re.compile("Idioma de interpretación")).get_by_label("Español").check()
    page.get_by_label(re.compile("Acepto que mis datos")).check()
    page.get_by_role("button", name="Inscribirse").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Su inscripción")
    expect(page.get_by_text("Gracias: hemos recibido su inscripción.")).to_be_visible()
    expect(page.locator("dd").filter(has_text="Español").first).to_be_visible()


def test_registrant_cancels_from_their_private_page(new_page, make_event, make_registration):
    slug = make_event()
    token = make_registration(slug, language="en", first_name="Kofi")
    page = new_page(locale="en-GB")
    page.goto(f"/registrations/{token}")
    expect(page.locator(".badge")).to_have_text("Confirmed")
    page.get_by_role("link", name="Cancel my registration").click()
    expect(page).to_have_url(re.compile(rf"/registrations/{token}/cancel$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your registration?")
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page).to_have_url(re.compile(rf"/registrations/{token}$"))
    expect(page.locator(".badge")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel my registration")).to_have_count(0)
    expect(page.get_by_role("link", name="Register again")).to_be_visible()


def test_a_visitor_without_javascript_can_register(new_page, make_event):
    slug = make_event()
    page = new_page(locale="en-GB", javascript=False)
    page.goto(f"/events/{slug}/register")
    page.get_by_role("button", name="Register").click()
    # Without the script the summary is still there, first, with links to each field.
    expect(page.locator("#error-summary")).to_be_visible()
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Email address").fill("ana.silva@parlamento.example")
    page.get_by_label("Country").select_option("PT")
    page.get_by_label("Associate Member").check()
    page.get_by_label("Parliament or organisation").fill("Parliamentary Assembly")
    page.get_by_label("Other representative").check()
    page.get_by_role("group", name=re.compile("Interpretation language")).get_by_label("Spanish").check()
    page.get_by_label(re.compile("I agree that my details")).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    expect(page.locator("dd").filter(has_text=re.compile(r"^Spanish$")).first).to_be_visible()


def test_the_language_switcher_changes_the_page_and_is_remembered(new_page, make_event):
    slug = make_event()
    page = new_page(locale="en-GB")
    page.goto(f"/events/{slug}")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto(f"/events/{slug}/register")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="S’inscrire")).to_be_visible()
    assert "lang" in {c["name"] for c in page.context.cookies()}


def test_the_double_submit_guard_disables_the_pressed_button_only_for_a_while(new_page, make_event):
    slug = make_event()
    page = new_page(locale="en-GB")
    page.goto(f"/events/{slug}/register")
    button = page.get_by_role("button", name="Register")
    # Stay on the page, as a download does (the guard's own listener still runs).
    page.evaluate(
        "document.querySelector('form.registration-form').addEventListener('submit', e => e.preventDefault())"
    )
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_be_enabled(timeout=8_000)  # not dead for good when no new page came
    button.click()
    expect(button).to_be_disabled()
    # A page restored from the back/forward cache gets its buttons back at once.
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    expect(button).to_be_enabled(timeout=1_000)
