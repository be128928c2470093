"""Input no database can store (NUL, surrogate halves) answers 400 with a message saying
where, on every path: the console's sign-in, URLs with a slug, query strings and forms.
Nothing is half-written, and what was valid stays as it was."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.admin.events.forms import event_form_data
from panel_app.models import Event, Registration
from tests.conftest import csrf_from
from tests.factories import registration_form_data

NAME = "María-José Ñúñez-Öztürk"


def test_a_nul_in_the_sign_in_email_answers_400_naming_the_field(client, db):
    token = csrf_from(client, "/admin/login")
    response = client.post("/admin/login", data={"email": "maria\x00@ipu.example.org", "password": "x" * 12,
                                                 "csrf_token": token})
    assert response.status_code == 400
    assert "“email” contains a character that cannot be accepted" in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", [
    "/events/parliamentary%00solidarity/event.ics",
    "/events/parliamentary%00solidarity",
    "/events/parliamentary%00solidarity/register",
    "/registrations/abc%00def",
    "/admin/events/parliamentary%00solidarity",
    "/admin/events/parliamentary%00solidarity/registrations.csv",
])
def test_a_nul_in_the_path_answers_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "address of this page contains a character" in response.get_data(as_text=True)


def test_a_nul_in_a_query_parameter_answers_400(signed_in, make_event):
    client, _ = signed_in("organiser")
    event = make_event(title="Solidarité parlementaire")
    for query in ("q=Diallo%00", "status=confirmed&status=%00", "page=1%00", "lang=fr%00", "sort%00=name"):
        response = client.get(f"/admin/events/{event.slug}/registrations?{query}")
        assert response.status_code == 400, query
    assert client.get(f"/events/{event.slug}?lang=%00").status_code == 400
    assert client.get(f"/admin/events/{event.slug}/registrations?q=Ñúñez-Öztürk").status_code == 200


def test_a_nul_in_an_events_join_link_is_refused_and_the_event_is_unchanged(signed_in, make_event, db):
    client, _ = signed_in("organiser")
    event = make_event(title="Solidarité parlementaire", join_url="https://zoom.us/j/85012345678")
    data = {k: v for k, v in event_form_data(event).items() if v is not None}
    data.update(join_url="https://zoom.us/j/850\x0012345678", title="Changed title",
                csrf_token=csrf_from(client, f"/admin/events/{event.slug}/edit"))
    response = client.post(f"/admin/events/{event.slug}/edit", data=data)
    assert response.status_code == 400
    assert "“join_url” contains a character" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.join_url, stored.title) == ("https://zoom.us/j/85012345678", "Solidarité parlementaire")


def test_a_nul_in_the_registration_form_stores_nothing(client, make_event, db):
    event = make_event()
    url = f"/events/{event.slug}/register"
    data = registration_form_data(first_name="María-José\x00", last_name="Ñúñez-Öztürk",
                                  csrf_token=csrf_from(client, url))
    response = client.post(url, data=data)
    assert response.status_code == 400 and "“first_name”" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    data["first_name"] = "María-José"
    assert client.post(url, data=data).status_code == 303  # the same form, corrected, goes through


def test_a_badly_formed_slug_never_reaches_the_database_for_the_calendar_file(client, make_event):
    event = make_event()
    assert client.get(f"/events/{event.slug}/event.ics").status_code == 200
    for slug in (event.slug.upper(), f"{event.slug}--x", "x" * 101, "a b"):
        assert client.get(f"/events/{slug}/event.ics").status_code == 404, slug


def test_the_zoom_webhook_keeps_its_own_input_rules(client):
    """The guard leaves /webhooks/ alone: Zoom's signed JSON answers in its own format."""
    response = client.post("/webhooks/zoom?x=%00", data=b'{"event": "x\\u0000"}', content_type="application/json")
    assert response.status_code != 400 or response.is_json


def test_accents_and_every_script_pass_the_guard(client, make_event, db):
    event = make_event()
    url = f"/events/{event.slug}/register"
    data = registration_form_data(first_name="María-José", last_name="Ñúñez-Öztürk 张伟 Διαλλο",
                                  email="maria-jose@parliament.example", csrf_token=csrf_from(client, url))
    assert client.post(url, data=data).status_code == 303
    assert db.session.scalar(sa.select(Registration.last_name)) == "Ñúñez-Öztürk 张伟 Διαλλο"


def test_a_signed_in_organiser_gets_the_same_400_for_a_nul_in_a_console_form(signed_in, make_event, post):
    client, _ = signed_in("organiser")
    event = make_event()
    response = post(client, f"/admin/events/{event.slug}/messages", {"subject": "Hello\x00", "body": NAME})
    assert response.status_code == 400


def test_the_message_is_in_the_visitors_language(client, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    data = registration_form_data(last_name="Ñúñez\x00", csrf_token=csrf_from(client, url))
    response = client.post(url, data=data, headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    assert response.status_code == 400
    assert "Le champ « last_name » contient un caractère qui ne peut pas être accepté" in response.get_data(
        as_text=True)
