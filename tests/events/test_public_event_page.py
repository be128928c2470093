"""The public event page as an MP's office reads it: who organises it and how to reach them,
speakers, the Zoom and interpretation line, the deadline, the audience, the waiting list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from panel_app.models import EventSpeaker, RegistrationStatus

TITLE = "Parliamentary solidarity: Supporting MPs under threat"


@pytest.fixture
def panel(make_event, db, future):
    event = make_event(title=TITLE, organiser_name="Comité des droits de l'homme des parlementaires, UIP",
                       organiser_email="hr-committee@ipu.example.org", audience="Members of parliament and staff.",
                       translations={"fr": {"audience": "Parlementaires et personnel parlementaire."}},
                       registration_closes_at=future(days=20))
    db.session.add_all([
        EventSpeaker(event_id=event.id, role="speaker", position=1, name="María-José Ñúñez-Öztürk",
                     function="Member of the Congress of Deputies, Spain",
                     translations={"fr": "Membre du Congrès des députés, Espagne",
                                   "es": "Diputada del Congreso de los Diputados, España"}),
        EventSpeaker(event_id=event.id, role="moderator", position=5, name="Amina Diallo",
                     function="Secretary of the Committee", translations={}),
    ])
    db.session.commit()
    return event


@pytest.mark.parametrize(("lang", "online", "function", "audience"), [
    ("en", "Online on Zoom with interpretation in English, French and Spanish",
     "Member of the Congress of Deputies, Spain", "Members of parliament and staff."),
    ("fr", "En ligne sur Zoom, avec interprétation en anglais, français et espagnol",
     "Membre du Congrès des députés, Espagne", "Parlementaires et personnel parlementaire."),
    ("es", "En línea en Zoom, con interpretación en inglés, francés y español",
     "Diputada del Congreso de los Diputados, España", "Members of parliament and staff."),
])
def test_event_page_says_who_organises_who_speaks_where_and_until_when(client, panel, lang, online, function,
                                                                      audience):
    html = client.get(f"/events/{panel.slug}?lang={lang}").get_data(as_text=True)
    assert online in html
    assert "Comité des droits de l&#39;homme des parlementaires, UIP" in html
    assert 'href="mailto:hr-committee@ipu.example.org"' in html
    assert "María-José Ñúñez-Öztürk" in html and function in html
    assert "Secretary of the Committee" in html  # no translation: the default text
    assert html.index("Amina Diallo") < html.index("María-José")  # the moderator first
    assert audience in html
    deadline = panel.registration_closes_at.astimezone(panel.zone)
    assert str(deadline.year) in html and ("Until" in html or "Jusqu’au" in html or "Hasta el" in html)


def test_a_single_language_event_says_so_without_interpretation(client, make_event):
    event = make_event(languages=["fr"])
    html = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    assert "Online on Zoom, in French" in html and "interpretation in" not in html


@pytest.mark.parametrize(("lang", "label"), [
    ("en", "Join the waiting list"), ("fr", "S’inscrire sur la liste d’attente"),
    ("es", "Inscribirse en la lista de espera"),
])
def test_a_full_event_offers_the_waiting_list_on_the_page_and_the_button(client, make_event, make_registration, lang,
                                                                         label):
    event = make_event(capacity=1)
    make_registration(event, status=RegistrationStatus.CONFIRMED)
    page = client.get(f"/events/{event.slug}?lang={lang}").get_data(as_text=True)
    assert f'href="/events/{event.slug}/register">{label}</a>' in page
    form = client.get(f"/events/{event.slug}/register?lang={lang}").get_data(as_text=True)
    assert f">{label}</button>" in form and f"<h1>{label}</h1>" in form


def test_the_event_organiser_falls_back_to_the_organisation(client, make_event, app, monkeypatch):
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Inter-Parliamentary Union")
    monkeypatch.setitem(app.config, "ORGANISATION_CONTACT_EMAIL", "events@ipu.example.org")
    event = make_event(organiser_name=None, organiser_email=None)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert '<p class="organiser-name">Inter-Parliamentary Union</p>' in html
    assert "Questions about this panel:" in html and "mailto:events@ipu.example.org" in html


def test_speaker_changes_show_at_once_on_the_memoised_page(client, panel, db):
    assert "María-José" in client.get(f"/events/{panel.slug}").get_data(as_text=True)
    speaker = db.session.query(EventSpeaker).filter_by(name="María-José Ñúñez-Öztürk").one()
    db.session.delete(speaker)
    db.session.commit()
    assert "María-José" not in client.get(f"/events/{panel.slug}").get_data(as_text=True)


def test_closed_and_past_events_show_no_register_button(client, make_event, future):
    closed = make_event(registration_closes_at=future(days=-1))
    past = make_event(starts_at=future(days=-3), ends_at=future(days=-3) + timedelta(hours=1))
    for event, text in ((closed, "Registration is closed."), (past, "This panel has taken place.")):
        html = client.get(f"/events/{event.slug}").get_data(as_text=True)
        assert text in html and f'href="/events/{event.slug}/register"' not in html
