"""Repeat registrations: no inbox flooding, no answer that tells a stranger about the person,
limits per email as well as per address, bidirectional overrides refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.models import Notification, Registration
from tests.conftest import csrf_from
from tests.factories import EventFactory, registration_form_data
from tests.security.conftest import make_isolated_app  # noqa: F401  (a fixture)


def _details_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "details"))


def test_repeats_send_the_details_at_most_once_an_hour_whatever_the_number_of_posts(browser, make_event, db):
    event = make_event()
    url = f"/events/{event.slug}/register"
    data = registration_form_data(first_name="María-José", last_name="Ñúñez-Öztürk")
    first = browser()
    assert first.post(url, data={"csrf_token": csrf_from(first, url), **data}).status_code == 303
    prober = browser()
    token = csrf_from(prober, url)
    for _ in range(25):
        assert prober.post(url, data={"csrf_token": token, **data}).status_code == 200
    assert _details_count(db) == 1
    # An hour later (moving the recorded time back, rather than sleeping), one more is allowed.
    registration = db.session.scalars(sa.select(Registration)).one()
    registration.details_resent_at -= timedelta(minutes=61)
    db.session.commit()
    for _ in range(3):
        prober.post(url, data={"csrf_token": token, **data})
    assert _details_count(db) == 2


def test_the_repeat_answer_is_the_same_whoever_is_registered(browser, make_event, make_registration):
    event = make_event()
    make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk", email="mj@congreso.example")
    make_registration(event, first_name="Amina", last_name="Diallo", email="amina@assemblee.example")
    url = f"/events/{event.slug}/register"
    pages = []
    for email in ("mj@congreso.example", "amina@assemblee.example"):
        prober = browser()
        response = prober.post(url, data={"csrf_token": csrf_from(prober, url),
                                          **registration_form_data(first_name="X", last_name="Y", email=email)})
        assert response.status_code == 200
        pages.append(response.get_data(as_text=True))
    assert pages[0] == pages[1]
    for secret in ("María", "Ñúñez", "Amina", "mj@", "amina@", "/registrations/"):
        assert secret not in pages[0]


def test_repeats_are_limited_per_email_even_from_many_addresses(make_isolated_app):  # noqa: F811
    from panel_app.extensions import db

    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_REGISTER="100 per minute",
                            RATELIMIT_REGISTER_EMAIL="3 per hour")
    with app.app_context():
        event = EventFactory.build()
        db.session.add(event)
        db.session.commit()
        url = f"/events/{event.slug}/register"
    statuses = []
    for n in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"  # a different address each time
        token = csrf_from(client, url)
        statuses.append(client.post(url, data={"csrf_token": token, **registration_form_data(
            first_name="María-José", last_name="Ñúñez-Öztürk", email="mj@congreso.example")}).status_code)
    assert statuses == [303, 200, 200, 429, 429]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    response = other.post(url, data={"csrf_token": csrf_from(other, url), **registration_form_data(
        email="another.person@congreso.example")})
    assert response.status_code == 303  # another address is not affected


@pytest.mark.parametrize(("lang", "message"), [
    ("en", "invisible characters that change the direction of the text"),
    ("fr", "caractères invisibles qui changent le sens de l’écriture"),
    ("es", "caracteres invisibles que cambian la dirección de la escritura"),
])
@pytest.mark.parametrize("override", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                      "\u2069"])
def test_bidirectional_overrides_in_names_are_refused_with_a_clear_message(
        client, make_event, registrations, lang, message, override):
    event = make_event()
    url = f"/events/{event.slug}/register?lang={lang}"
    response = client.post(url, data={"csrf_token": csrf_from(client, url), **registration_form_data(
        first_name=f"Amina{override}gnp.exe", organisation=f"Parliament{override}")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.replace("&#39;", "'").replace("&#x27;", "'")
    assert registrations() == []


def test_arabic_names_with_right_to_left_marks_are_still_accepted(client, make_event, registrations):
    event = make_event()
    url = f"/events/{event.slug}/register"
    response = client.post(url, data={"csrf_token": csrf_from(client, url), **registration_form_data(
        first_name="\u0623\u0645\u064a\u0646\u0629\u200f", last_name="\u062f\u064a\u0627\u0644\u0648")})
    assert response.status_code == 303
    assert registrations()[0].first_name.startswith("\u0623")
