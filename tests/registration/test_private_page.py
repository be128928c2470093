"""The registrant's side after the form: the redirect, the private page with every answer,
corrections, cancelling with confirmation, and what the session cookie holds."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from panel_app.models import Notification, Registration, RegistrationStatus
from tests.conftest import csrf_from
from tests.factories import registration_form_data

NAME = {"first_name": "María-José", "last_name": "Ñúñez-Öztürk"}


def _register(client, event, **overrides):
    url = f"/events/{event.slug}/register"
    response = client.post(url, data={"csrf_token": csrf_from(client, url),
                                      **registration_form_data(**NAME, **overrides)})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response


def _kinds(db, registration_id):
    db.session.expire_all()
    return sorted(
        db.session.scalars(sa.select(Notification.kind).where(Notification.registration_id == registration_id))
    )


def test_the_303_after_registering_is_the_bare_private_path_and_thanks_once(client, make_event):
    event = make_event()
    response = _register(client, event)
    location = response.headers["Location"]
    assert re.fullmatch(r"/registrations/[A-Za-z0-9_-]+", location)  # no ?new=1, nothing added
    first = client.get(location).get_data(as_text=True)
    assert "we have received your registration" in first
    assert "we have received your registration" not in client.get(location).get_data(as_text=True)


def test_the_session_cookie_holds_neither_the_private_token_nor_the_email(client, app, make_event):
    event = make_event()
    token = _register(client, event, email="maria-jose.nunez@parlamento.example").headers["Location"].split("/")[-1]
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    flat = repr(data)
    assert token not in flat and "maria-jose" not in flat.lower() and "parlamento" not in flat
    # A double click still lands on the same private page.
    again = client.post(
        f"/events/{event.slug}/register",
        data={
            "csrf_token": csrf_from(client, f"/events/{event.slug}/register"),
            **registration_form_data(**NAME, email="Maria-Jose.Nunez@parlamento.example"),
        },
    )
    assert again.status_code == 303 and again.headers["Location"] == f"/registrations/{token}"


@pytest.mark.parametrize(
    ("lang", "country", "affiliation", "role"),
    [
        ("en", "State of Palestine", "Member Parliament of the IPU", "Member of parliament"),
        ("fr", "État de Palestine", None, None),
        ("es", "Estado de Palestina", None, None),
    ],
)
def test_private_page_shows_every_answer_in_the_page_language(
    client, make_event, make_registration, lang, country, affiliation, role
):
    event = make_event()
    _, token = make_registration(
        event,
        **NAME,
        country="PS",
        organisation="Palestinian Legislative Council",
        affiliation_type="member_parliament",
        role="mp",
        committees="Commission des droits de l'homme des parlementaires",
        accessibility_needs="Sous-titrage en direct\nInterprétation en langue des signes",
        language="es",
    )
    html = client.get(f"/registrations/{token}?lang={lang}").get_data(as_text=True)
    for text in (
        "María-José Ñúñez-Öztürk",
        country,
        "Palestinian Legislative Council",
        "Commission des droits de l&#39;homme des parlementaires",
        "Sous-titrage en direct",
    ):
        assert text in html, text
    if affiliation:
        assert affiliation in html and role in html
    assert f'href="/registrations/{token}/details"' in html and f'href="/registrations/{token}/cancel"' in html


def test_registrant_corrects_their_answers_and_nothing_else_changes(client, make_event, make_registration, db):
    event = make_event()
    registration, token = make_registration(event, **NAME, organisation="Parlement du Sénégal")
    url = f"/registrations/{token}/details"
    form = client.get(url)
    assert form.status_code == 200 and 'value="María-José"' in form.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(client, url),
            "salutation": "Hon.",
            **NAME,
            "email": registration.email,
            "country": "SN",
            "organisation": "Assemblée nationale du Sénégal",
            "affiliation_type": "member_parliament",
            "role": "staff",
            "committees": "Affaires étrangères",
            "accessibility_needs": "",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/registrations/{token}"
    db.session.expire_all()
    stored = db.session.get(Registration, registration.id)
    assert (stored.organisation, stored.role, stored.committees, stored.salutation) == (
        "Assemblée nationale du Sénégal",
        "staff",
        "Affaires étrangères",
        "Hon.",
    )
    assert stored.status == RegistrationStatus.CONFIRMED and stored.email == registration.email
    assert "Your details are saved." in client.get(f"/registrations/{token}").get_data(as_text=True)


def test_a_corrected_email_moves_the_registration_with_its_seat_invite_and_zoom_follow(
    client, make_event, make_registration, db
):
    event = make_event(capacity=1)
    registration, token = make_registration(event, **NAME, email="typo@parlement.example", committees="Budget")
    waiting, _ = make_registration(event, status=RegistrationStatus.WAITLISTED)
    url = f"/registrations/{token}/details"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(client, url),
            **NAME,
            "email": "maria-jose@parlement.example",
            "country": "SN",
            "organisation": "",
            "affiliation_type": "member_parliament",
            "role": "mp",
            "committees": "Budget",
        },
    )
    assert response.status_code == 303
    new_token = response.headers["Location"].rsplit("/", 1)[-1]
    assert new_token != token
    db.session.expire_all()
    old = db.session.get(Registration, registration.id)
    moved = db.session.scalar(sa.select(Registration).where(Registration.email == "maria-jose@parlement.example"))
    assert old.status == RegistrationStatus.CANCELLED
    assert moved.status == RegistrationStatus.CONFIRMED and moved.committees == "Budget"
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.WAITLISTED  # the seat moved with it
    assert "cancelled" in _kinds(db, old.id)  # the invite at the wrong address is withdrawn
    assert _kinds(db, moved.id) == ["confirmed"]  # invite (and Zoom registrant) for the new one
    page = client.get(f"/registrations/{new_token}").get_data(as_text=True)
    assert "maria-jose@parlement.example" in page and "a new private link has been sent there" in page


def test_an_email_another_registrant_uses_is_refused_on_correction(client, make_event, make_registration, db):
    event = make_event()
    registration, token = make_registration(event, **NAME)
    other, _ = make_registration(event, email="amina.diallo@parliament.example")
    url = f"/registrations/{token}/details"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(client, url),
            **NAME,
            "email": "Amina.Diallo@parliament.example",
            "country": "SN",
            "affiliation_type": "member_parliament",
            "role": "mp",
        },
    )
    assert response.status_code == 422
    assert "already uses this email address" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize("bad", ["\u202eevil", "Amina\u2066", "\x00", "x" * 5000])
def test_bad_input_in_corrections_is_explained_never_a_500(client, make_event, make_registration, db, bad):
    event = make_event()
    registration, token = make_registration(event, **NAME)
    url = f"/registrations/{token}/details"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(client, url),
            "first_name": bad,
            "last_name": bad,
            "email": bad,
            "country": bad,
            "organisation": bad,
            "affiliation_type": bad,
            "role": bad,
            "committees": bad,
            "accessibility_needs": bad,
        },
    )
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).first_name == "María-José"


@pytest.mark.parametrize(
    ("lang", "question", "yes", "again"),
    [
        ("en", "Cancel your registration?", "Yes, cancel my registration", "Register again"),
        ("fr", "Annuler votre inscription ?", "Oui, annuler mon inscription", "S’inscrire à nouveau"),
        ("es", "¿Cancelar su inscripción?", "Sí, cancelar mi inscripción", "Volver a inscribirse"),
    ],
)
def test_cancelling_asks_to_confirm_confirms_and_offers_to_register_again(
    client, make_event, make_registration, db, lang, question, yes, again
):
    event = make_event()
    registration, token = make_registration(event, **NAME)
    confirm = client.get(f"/registrations/{token}/cancel?lang={lang}")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and question in html and yes in html
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED  # a GET changes nothing
    response = client.post(
        f"/registrations/{token}/cancel", data={"csrf_token": csrf_from(client, f"/registrations/{token}/cancel")}
    )
    assert response.status_code == 303
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    assert again in page and f'href="/events/{event.slug}/register"' in page
    assert f'href="/registrations/{token}/cancel"' not in page
