"""Every console page on a populated database: answers, and answers in the reader's language."""

from __future__ import annotations

import pytest
from flask import url_for

ADMIN_ONLY = ("admin.users", "admin.audit", "admin.privacy", "admin.settings", "admin.integrations",
              "admin.endpoint")
ORGANISER_ONLY = ("admin.event_new", "admin.event_edit", "admin.registration_edit", "admin.registration_new",
                  "admin.speaker_edit", "admin.letter_new", "admin.directory_new", "admin.directory_import",
                  "admin.directory_contact_edit")


def _pages(app, populated) -> list[tuple[str, str]]:
    values = {
        "slug": populated.upcoming.slug, "registration_id": populated.people[0].id, "user_id": 1,
        "interpreter_id": 1, "walk_in_id": populated.walk_ins[0].id, "speaker_id": populated.moderator.id,
        "endpoint_id": populated.endpoint.id, "letter_id": populated.letter.id,
        "organisation_id": populated.organisation.id, "contact_id": populated.contact.id,
    }
    past_values = {**values, "slug": populated.past.slug, "registration_id": populated.attendees[0].id}
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods or rule.endpoint in (
                    "admin.login", "admin.zoom_interpreter_edit"):
                continue
            variants = (values, past_values) if "slug" in rule.arguments else (values,)
            if "walk_in_id" in rule.arguments:
                variants = (past_values,)  # the walk-ins are the past event's
            if "speaker_id" in rule.arguments or "letter_id" in rule.arguments:
                variants = (values,)  # the moderator and the letter are the upcoming event's
            for chosen in variants:
                pages.append((rule.endpoint, url_for(rule.endpoint, **{k: chosen[k] for k in rule.arguments})))
    return sorted(set(pages))


@pytest.mark.parametrize("role", ["viewer", "organiser", "admin"])
def test_every_console_page_answers_on_a_populated_database(app, signed_in, populated, role):
    client, _ = signed_in(role)
    pages = _pages(app, populated)
    assert len(pages) >= 25
    for endpoint, url in pages:
        response = client.get(url)
        body = response.get_data()  # exports stream: read them to the end inside the request
        refused = (endpoint in ADMIN_ONLY and role != "admin") or (endpoint in ORGANISER_ONLY and role == "viewer")
        expected = 403 if refused else (302 if endpoint == "admin.index" else 200)
        assert response.status_code == expected, url
        if expected == 200 and response.mimetype == "text/html":
            assert b"Traceback" not in body, url


def test_console_pages_speak_french_to_a_french_organiser(signed_in, populated):
    client, _ = signed_in("organiser")
    client.set_cookie("lang", "fr")
    slug = populated.upcoming.slug
    html = client.get("/admin/events").get_data(as_text=True)
    assert "Événements" in html and "Prochainement" in html and "Brouillons" in html
    html = client.get(f"/admin/events/{slug}/registrations/{populated.people[0].id}").get_data(as_text=True)
    assert "Historique" in html and "Courriels" in html
    html = client.get(f"/admin/events/{populated.past.slug}/attendance").get_data(as_text=True)
    assert "Participants non inscrits" in html


def test_directory_pages_speak_the_organisers_language(signed_in, populated):
    client, _ = signed_in("organiser")
    for lang, title, column in (("fr", "Annuaire des parlements et organisations", "Région"),
                                ("es", "Directorio de parlamentos y organizaciones", "Región")):
        client.set_cookie("lang", lang)
        html = client.get("/admin/directory").get_data(as_text=True)
        assert title in html and column in html
        html = client.get(f"/admin/directory/{populated.organisation.id}").get_data(as_text=True)
        assert populated.contact.email in html
