"""An organiser signs in to the console in a real browser and exports the attendee list."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from panel_app.extensions import db
from panel_app.models import AttendanceSession, Contact, Event, Notification, Organisation, User, WalkIn
from tests import factories
from tests.browser.conftest import console_available, in_days, screenshot_dir
from tests.browser.test_accessibility import HEADINGS_JS, _heading_problems, _log_in

pytestmark = pytest.mark.browser


def test_organiser_signs_in_and_exports_registrations(browser_app, new_page, organiser, make_event, make_registration):
    if not console_available(browser_app):
        pytest.skip("the organiser console is not built yet")
    email, password = organiser
    slug = make_event(title="Export panel")
    make_registration(slug, first_name="Ngozi", last_name="Okafor", language="fr")
    make_registration(slug, first_name="Mateo", last_name="Rojas", language="es")

    page = new_page(locale="en-GB")
    page.goto(f"/admin/events/{slug}/registrations")
    expect(page).to_have_url(re.compile(r"/admin/login\b"))  # the console asks who you are first
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Back where the organiser was going, with the registrations listed.
    expect(page).to_have_url(re.compile(rf"/admin/events/{slug}/registrations"))
    expect(page.get_by_role("main").get_by_text("Okafor").first).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert any("Okafor" in cell for cell in rows[1] + rows[2]) and any("Rojas" in cell for cell in rows[1] + rows[2])
    assert len(rows) == 3  # header + two registrants

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export Excel").click()
    workbook = download_info.value
    assert workbook.suggested_filename.endswith(".xlsx")
    with open(workbook.path(), "rb") as f:
        assert f.read(2) == b"PK"  # an Office Open XML zip


# -- every console page at laptop widths, on realistic data ----------------------------------------

ADMIN_EMAIL, ADMIN_PASSWORD = "browser-admin@example.org", "browser-admin-password"
LONG_PEOPLE = [
    ("María-José", "Ñúñez-Öztürk de la Santísima Trinidad",
     "maria-jose.nunez-ozturk.comision-de-derechos-humanos@congreso-de-los-diputados.example",
     "Cortes Generales de España, Comisión de Derechos Humanos y Asuntos Exteriores", "ES", "es", "confirmed"),
    ("Jean-Baptiste Emmanuel", "de La Rochefoucauld-Montmorency-Laval", "jb.rochefoucauld@assemblee-nationale.example",
     "Assemblée nationale, Commission des affaires étrangères et de la défense", "FR", "fr", "confirmed"),
    ("Nguyễn Thị", "Minh Khai", "minh.khai@quochoi.example", "Quốc hội Việt Nam", "VN", "en", "pending"),
    ("محمد", "عبد الله", "m.abdallah@shura.example", "مجلس الشورى", "EG", "fr", "waitlisted"),
    ("Søren", "Kierkegaard-Łukasiewicz", "soren@ft.example", "Folketinget", "DK", "en", "declined"),
    ("Amina", "Diallo", "amina.diallo@assemblee.sn.example", "Assemblée nationale du Sénégal", "SN", "fr",
     "confirmed"),
]


@pytest.fixture(scope="module")
def console_world(browser_app):
    """An upcoming panel full of long names in several scripts, one that ended with walk-ins, and a draft."""
    with browser_app.app_context():
        if db.session.scalar(sa.select(User).where(User.email == ADMIN_EMAIL)) is None:
            admin = User(email=ADMIN_EMAIL, role="admin")
            admin.set_password(ADMIN_PASSWORD)
            db.session.add(admin)
        upcoming = factories.EventFactory.build(
            slug="solidarity-console", title="Parliamentary solidarity: Supporting MPs under threat — "
            "a panel of the Committee on the Human Rights of Parliamentarians", capacity=3, approval_mode="manual")
        past = factories.EventFactory.build(slug="women-in-parliaments-console",
                                            title="Women in parliaments: progress and setbacks",
                                            starts_at=in_days(-2), ends_at=in_days(-2) + timedelta(minutes=90))
        draft = factories.EventFactory.build(slug="climate-draft-console", title="Climate and parliaments",
                                             status="draft")
        db.session.add_all([upcoming, past, draft])
        db.session.flush()
        ids = {}
        for event in (upcoming, past):
            for first, last, email, organisation, country, language, status in LONG_PEOPLE:
                registration, _ = factories.build_registration(
                    event, first_name=first, last_name=last, email=email, email_normalized=email.casefold(),
                    organisation=organisation, country=country, language=language,
                    status="confirmed" if event is past else status,
                    attended=(status == "confirmed") if event is past else None,
                    attended_minutes=80 if event is past and status == "confirmed" else None,
                    attendance_source="zoom" if event is past else None)
                db.session.add(registration)
                db.session.flush()
                ids.setdefault(event.slug, registration.id)
        first = ids[upcoming.slug]
        db.session.add_all([
            Notification(registration_id=first, kind="confirmed", calendar_method="REQUEST", state="sent", attempts=1,
                         sequence_sent=0, sent_at=in_days(-1), created_at=in_days(-1)),
            Notification(registration_id=first, kind="reminder", state="failed", attempts=10,
                         last_error="550 5.1.1 <maria-jose.nunez-ozturk@congreso.example>: mailbox unavailable",
                         created_at=in_days(0)),
        ])
        walk_in = WalkIn(event_id=past.id, participant_key="n:+41 22 919 41 50", name="+41 22 919 41 50 (téléphone)",
                         email="", first_joined_at=past.starts_at, attended_minutes=75)
        db.session.add(walk_in)
        db.session.flush()
        db.session.add(AttendanceSession(event_id=past.id, walk_in_id=walk_in.id,
                                         participant_key=walk_in.participant_key, name=walk_in.name,
                                         joined_at=past.starts_at, left_at=past.starts_at + timedelta(minutes=75),
                                         source="report"))
        # Directory entries reached by the upcoming panel, and the past panel's follow-up answers.
        from panel_app.directory import follow_up, links
        organisations = []
        for index, (_first, _last, _email, organisation, country, _language, _status) in enumerate(LONG_PEOPLE):
            organisations.append(Organisation(
                name=organisation, country=country, affiliation_type="member_parliament",
                region=("Twelve Plus", "Africa", "Asia-Pacific", "Arab Group")[index % 4]))
        db.session.add_all(organisations)
        db.session.flush()
        links.invitation_for(db.session, upcoming, organisations[0])
        for index, organisation in enumerate(organisations):
            report = links.follow_up_report_for(db.session, past, organisation, factories.TEST_SECRET_KEY)
            if index % 2 == 0:
                follow_up.save_answers(db.session, report, {
                    "debate_or_resolution": follow_up.Answer(True, "Résolution adoptée à l’unanimité le 12 octobre, "
                                                                   "après un débat en séance plénière. " * 3),
                    "informed_media": follow_up.Answer(True, "Communiqué de presse"),
                }, name="Hon. María-José Ñúñez-Öztürk de la Santísima Trinidad",
                    function="Secretaria General del Congreso de los Diputados", language="es", now=in_days(-1))
        from tests.admin.conftest import _letter

        letter = _letter(db, upcoming, in_days(0))
        entries = []
        for first_name, last, email, organisation, country, language, _status in LONG_PEOPLE:
            entry = factories.OrganisationFactory.build(
                name=f"{organisation} (console)", country=country, region="Latin America and the Caribbean",
                translations={"fr": f"{organisation} — nom français", "es": f"{organisation} — nombre español"})
            db.session.add(entry)
            db.session.flush()
            db.session.add(factories.ContactFactory.build(
                organisation_id=entry.id, name=f"{first_name} {last}", email=f"directory.{email}", language=language,
                function="Secretary General of the National Assembly and Head of International Relations"))
            entries.append(entry.id)
        db.session.commit()
        contact = db.session.scalar(sa.select(Contact.id).where(Contact.organisation_id == entries[0]))
        world = {"upcoming": upcoming.slug, "past": past.slug, "draft": draft.slug, "person": first,
                 "past_person": ids[past.slug], "walk_in": walk_in.id, "letter": letter.id,
                 "organisations": entries, "contact": contact}
        db.session.remove()
    yield world
    with browser_app.app_context():
        for slug in (world["upcoming"], world["past"], world["draft"]):
            db.session.execute(sa.delete(Event).where(Event.slug == slug))
        db.session.execute(sa.delete(Organisation).where(Organisation.name.in_([p[3] for p in LONG_PEOPLE])))
        db.session.execute(sa.delete(Organisation).where(Organisation.name.endswith(" (console)")))
        db.session.execute(sa.delete(Organisation).where(Organisation.id.in_(world["organisations"])))
        db.session.commit()
        db.session.remove()


def console_pages(world) -> list[tuple[str, str]]:
    up, past = world["upcoming"], world["past"]
    return [
        ("events", "/admin/events"),
        ("dashboard", f"/admin/events/{up}"),
        ("registrations", f"/admin/events/{up}/registrations?per_page=25"),
        ("registration", f"/admin/events/{up}/registrations/{world['person']}"),
        ("registration-edit", f"/admin/events/{up}/registrations/{world['person']}/edit"),
        ("registration-new", f"/admin/events/{up}/registrations/new"),
        ("messages", f"/admin/events/{up}/messages"),
        ("letters", f"/admin/events/{up}/letters"),
        ("letter-new", f"/admin/events/{up}/letters/new?kind=coverage_reminder"),
        ("letter", f"/admin/events/{up}/letters/{world['letter']}"),
        ("participants", f"/admin/events/{up}/participants"),
        ("event-edit", f"/admin/events/{up}/edit"),
        ("event-new", "/admin/events/new"),
        ("zoom", f"/admin/events/{up}/zoom"),
        ("past-dashboard", f"/admin/events/{past}"),
        ("attendance", f"/admin/events/{past}/attendance"),
        ("walk-in-match", f"/admin/events/{past}/attendance/walk-ins/{world['walk_in']}?q=diallo"),
        ("past-registrations", f"/admin/events/{past}/registrations"),
        ("audit", "/admin/audit"),
        ("accounts", "/admin/users"),
        ("personal-data", "/admin/privacy"),
        ("speakers", f"/admin/events/{up}/speakers"),
        ("organisation", "/admin/settings"),
        ("integrations", "/admin/integrations"),
        ("coverage", f"/admin/events/{up}/coverage"),
        ("follow-up", f"/admin/events/{past}/follow-up"),
        ("directory", "/admin/directory"),
        ("directory-entry", f"/admin/directory/{world['organisations'][0]}"),
        ("directory-contact", f"/admin/directory/{world['organisations'][0]}/contacts/{world['contact']}"),
        ("directory-import", "/admin/directory/import"),
        ("directory-new", "/admin/directory/new"),
    ]


#: Columns (or anything else) that stick out of the page or of their table's scrolling box.
OVERFLOW_JS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) problems.push('page scrolls sideways: ' +
      document.documentElement.scrollWidth + ' > ' + width);
  for (const box of document.querySelectorAll('.table-scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) problems.push('table wider than its box: ' +
        (box.getAttribute('aria-labelledby') || box.querySelector('caption, th')?.textContent.trim()) +
        ' ' + box.scrollWidth + ' > ' + box.clientWidth);
  }
  for (const th of document.querySelectorAll('th')) {
    const r = th.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) problems.push('column out of view: ' + th.textContent.trim().slice(0, 40));
  }
  return problems;
}"""


@pytest.mark.parametrize(("width", "locale"), [(1280, "en-GB"), (1366, "en-GB"), (1280, "fr-FR"), (1280, "es-ES")])
def test_console_pages_keep_every_column_in_view_and_pass_axe_at_laptop_widths(
        browser_app, new_page, axe_violations, console_world, width, locale):
    page = new_page(locale=locale, viewport={"width": width, "height": 900}, bypass_csp=True)
    _log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    problems = []
    folder = screenshot_dir()
    for label, url in console_pages(console_world):
        response = page.goto(url)
        assert response.status == 200, (label, response.status)
        if folder:  # for a human to look at: BROWSER_SCREENSHOTS=/tmp/shots
            page.screenshot(path=str(folder / f"console-{locale[:2]}-{width}-{label}.png"), full_page=True)
        problems += [f"{label}: {p}" for p in page.evaluate(OVERFLOW_JS)]
        problems += [f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
                     for v in axe_violations(page)]
        problems += [f"{label}: {p}" for p in _heading_problems(page.evaluate(HEADINGS_JS))]
    assert not problems, "\n".join(problems)


def test_every_field_of_the_event_form_is_styled_the_same(new_page, console_world):
    page = new_page(locale="en-GB")
    _log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/admin/events/{console_world['upcoming']}/edit")
    style = ("el => { const s = getComputedStyle(el); return [s.borderTopWidth, s.borderTopStyle, s.paddingTop, "
             "s.fontSize, s.borderRadius]; }")
    reference = page.eval_on_selector("#title", style)
    for selector in ("#join_url", "#organiser_email", "#capacity", "#timezone", "#start", "#zoom_meeting_id"):
        assert page.eval_on_selector(selector, style) == reference, selector


def test_the_slug_hint_shows_the_public_address_as_it_is_typed(new_page, console_world):
    page = new_page(locale="en-GB")
    _log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/admin/events/new")
    page.locator("#slug").fill("parliamentary-solidarity-2027")
    expect(page.locator(".slug-preview")).to_have_text(re.compile(r"/events/parliamentary-solidarity-2027$"))


def test_an_organiser_matches_a_walk_in_in_the_browser(new_page, console_world, organiser):
    email, password = organiser
    page = new_page(locale="fr-FR")
    _log_in(page, email, password)
    page.goto(f"/admin/events/{console_world['past']}/attendance")
    page.get_by_role("link", name=re.compile("Rattacher à une inscription")).click()
    page.get_by_label(re.compile("Chercher parmi les inscriptions confirmées")).fill("diallo")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name=re.compile("C’est cette personne")).first.click()
    expect(page.get_by_role("status").first).to_contain_text("Amina Diallo")
