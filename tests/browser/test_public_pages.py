"""Every public page as an institution shows it: in English, French and Spanish, on a phone
(375 px) and a desktop (1280 px), with the organisation's name, its contact and the privacy
link in view, nothing sideways, and no serious accessibility problem (axe-core).

Screenshots go to BROWSER_SCREENSHOTS when set, else to a temporary folder (printed), for a
person to look at; docs/screenshots/ keeps two of them for the README.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from panel_app.extensions import db
from panel_app.models import EventSpeaker, RegistrationStatus
from tests.browser.conftest import PHONE, in_days, screenshot_dir

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}
WIDTHS = {"phone": PHONE, "desktop": {"width": 1280, "height": 900}}
NAMES = {"en": "Inter-Parliamentary Union", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"}
PRIVACY = {"en": "Privacy notice", "fr": "Politique de confidentialité", "es": "Aviso de privacidad"}
CONTACT = "events@ipu.example.org"
IDENTITY = {
    "ORGANISATION_NAME": NAMES["en"],
    "ORGANISATION_NAMES": {"en": "", "fr": NAMES["fr"], "es": NAMES["es"]},
    "ORGANISATION_SHORT_NAME": "IPU",
    "ORGANISATION_CONTACT_EMAIL": CONTACT,
    "ORGANISATION_WEBSITE": "https://www.ipu.example.org",
    "DATA_CONTROLLER_NAME": "Secretariat of the Inter-Parliamentary Union",
    "DATA_CONTROLLER_ADDRESS": "Chemin du Pommier 5\n1218 Le Grand-Saconnex, Geneva, Switzerland",
    "MAIL_SERVER": "smtp.relay.example",
    "PRIVACY_MAIL_PROCESSOR": "Relay Mail SA, Zurich",
}
DESCRIPTION = (
    "Members of parliament who defend human rights are themselves increasingly under threat. This panel "
    "brings together parliamentarians and experts to discuss how parliaments can protect their members.\n\n"
    "The discussion is followed by questions from participants."
)


def _logo_png() -> bytes:
    """A small two-colour mark, as an organisation's logo would be."""
    width, height = 48, 48
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside = 8 <= x < 40 and 8 <= y < 40 and not (14 <= x < 34 and 20 <= y < 28)
            row += bytes((11, 79, 138) if inside else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


@pytest.fixture
def identity(browser_app, tmp_path):
    """The browser app configured as the IPU's deployment for this test (restored afterwards)."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(_logo_png())
    saved = {name: browser_app.config.get(name) for name in [*IDENTITY, "ORGANISATION_LOGO"]}
    browser_app.config.update(IDENTITY, ORGANISATION_LOGO=str(logo))
    browser_app.extensions.get("public_page_cache") and browser_app.extensions["public_page_cache"].clear()
    yield
    browser_app.config.update(saved)
    browser_app.extensions.get("public_page_cache") and browser_app.extensions["public_page_cache"].clear()


@pytest.fixture
def pages(identity, browser_app, make_event, make_registration):
    """(label, path) of every public page, on realistic data."""
    translations = {
        "fr": {"title": "Solidarité parlementaire : soutenir les parlementaires menacés",
               "audience": "Parlementaires et personnel des Parlements membres de l’UIP."},
        "es": {"title": "Solidaridad parlamentaria: apoyar a los parlamentarios amenazados",
               "audience": "Parlamentarios y personal de los Parlamentos Miembros de la UIP."},
    }
    common = dict(title="Parliamentary solidarity: Supporting MPs under threat", description=DESCRIPTION,
                  audience="MPs and parliamentary staff of IPU Member Parliaments, Associate Members and "
                           "Permanent Observers.", translations=translations,
                  organiser_name=None, organiser_email=None)
    open_slug = make_event(capacity=120, registration_closes_at=in_days(27), **common)
    full_slug = make_event(capacity=1, **common)
    closed_slug = make_event(registration_closes_at=in_days(-1), **common)
    make_registration(full_slug, status=RegistrationStatus.CONFIRMED)
    token = make_registration(open_slug, first_name="María-José", last_name="Ñúñez-Öztürk", salutation="Hon.",
                              country="ES", organisation="Congreso de los Diputados", role="mp",
                              committees="Comisión de Derechos Humanos", language="es",
                              accessibility_needs="Subtítulos en directo")
    with browser_app.app_context():
        import sqlalchemy as sa

        from panel_app.models import Event

        event = db.session.scalar(sa.select(Event).where(Event.slug == open_slug))
        db.session.add_all([
            EventSpeaker(event_id=event.id, role="moderator", name="Amina Diallo", function="Secretary of the "
                         "Committee on the Human Rights of Parliamentarians", translations={
                             "fr": "Secrétaire du Comité des droits de l’homme des parlementaires",
                             "es": "Secretaria del Comité de Derechos Humanos de los Parlamentarios"}),
            EventSpeaker(event_id=event.id, role="speaker", position=1, name="María-José Ñúñez-Öztürk",
                         function="Member of the Congress of Deputies, Spain", translations={
                             "fr": "Membre du Congrès des députés, Espagne",
                             "es": "Diputada del Congreso de los Diputados, España"}),
            EventSpeaker(event_id=event.id, role="speaker", position=2, name="Kofi Mensah",
                         function="Member of Parliament, Ghana", translations={
                             "fr": "Membre du Parlement, Ghana", "es": "Miembro del Parlamento, Ghana"}),
        ])
        db.session.commit()
        db.session.remove()
    return [
        ("event-open", f"/events/{open_slug}"),
        ("event-full", f"/events/{full_slug}"),
        ("event-closed", f"/events/{closed_slug}"),
        ("form-errors", f"/events/{open_slug}/register"),
        ("private-page", f"/registrations/{token}"),
        ("cancel-confirm", f"/registrations/{token}/cancel"),
        ("privacy-notice", "/privacy"),
    ]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = screenshot_dir() or tmp_path_factory.mktemp("public-page-screenshots")
    print(f"\nscreenshots of the public pages: {folder}")
    return folder


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_public_page_names_the_organisation_and_passes_axe(new_page, axe_violations, pages, shots, lang, width):
    page = new_page(locale=LOCALES[lang], viewport=WIDTHS[width], bypass_csp=True)  # CSP bypassed to inject axe
    problems = []
    for label, path in pages:
        page.goto(path)
        if label == "form-errors":
            page.locator("form.registration-form button[type=submit]").click()
            expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        header, footer = page.locator("header.site-header"), page.locator("footer.site-footer")
        expect(header.locator(".brand-name")).to_have_text(NAMES[lang])
        expect(header.locator("img.brand-logo")).to_be_visible()
        expect(footer).to_contain_text(NAMES[lang])
        expect(footer.get_by_role("link", name=CONTACT)).to_have_attribute("href", f"mailto:{CONTACT}")
        expect(footer.get_by_role("link", name=PRIVACY[lang])).to_have_attribute("href", "/privacy")
        page.screenshot(path=str(shots / f"{label}-{lang}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            problems.append(f"{label}: {overflow}px of sideways scrolling")
        problems += [f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
                     for v in axe_violations(page)]
    assert problems == []


def test_the_event_page_shows_organiser_speakers_languages_deadline_and_local_time(new_page, pages):
    page = new_page(locale="es-ES", viewport=WIDTHS["desktop"])
    page.goto(dict(pages)["event-open"])
    expect(page.get_by_text("En línea en Zoom, con interpretación en inglés, francés y español")).to_be_visible()
    expect(page.locator(".speaker").first).to_contain_text("Amina Diallo")
    expect(page.locator(".organiser")).to_contain_text(NAMES["es"])
    expect(page.locator(".organiser").get_by_role("link", name=CONTACT)).to_be_visible()
    expect(page.locator(".event-time")).to_contain_text("hora de Zúrich")
    expect(page.get_by_role("link", name="Inscribirse")).to_be_visible()


def test_the_local_time_line_shows_only_where_the_visitors_clock_differs(browser, base_url, pages):
    for zone, shown in (("Europe/Paris", False), ("America/New_York", True)):
        context = browser.new_context(base_url=base_url, locale="en-GB", timezone_id=zone)
        page = context.new_page()
        page.goto(dict(pages)["event-open"])
        local = page.locator(".facts .local-time")
        if shown:
            expect(local).to_be_visible()
            expect(local).to_contain_text("New York")
        else:
            expect(local).to_be_hidden()
        context.close()


def test_the_waiting_list_is_offered_on_a_full_event(new_page, pages):
    page = new_page(locale="fr-FR", viewport=PHONE)
    page.goto(dict(pages)["event-full"])
    page.get_by_role("link", name="S’inscrire sur la liste d’attente").click()
    expect(page.get_by_role("button", name="S’inscrire sur la liste d’attente")).to_be_visible()
    assert re.search(r"/register$", page.url)
