"""Text no database can store (a NUL, a UTF-16 surrogate half) never reaches one: forms
answer with their own error, an address that cannot exist is 404, and anything else that
would carry it to a query gets a 400 page saying what is wrong, in the visitor's language.
Nothing is half-written and what was valid stays as it was (panel_app/security.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.admin.events.forms import event_form_data
from panel_app.core.errors import UnstorableInput
from panel_app.models import AuditEntry, Event, Registration
from tests.conftest import csrf_from
from tests.factories import registration_form_data

NUL_MESSAGE = "contains a character that cannot be accepted (a null character"


def test_a_nul_in_the_sign_in_email_gets_the_forms_own_error(client, db):
    token = csrf_from(client, "/admin/login")
    response = client.post("/admin/login", data={"email": "maria\x00@ipu.example.org", "password": "x" * 12,
                                                 "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a valid email address." in page and 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("path", [
    "/events/parliamentary%00solidarity/event.ics",
    "/events/parliamentary%00solidarity",
    "/events/parliamentary%00solidarity/register",
    "/registrations/abc%00def",
    "/registrations/abc%00def/invite.ics",
])
def test_a_public_address_with_a_nul_is_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [
    "/admin/events/parliamentary%00solidarity",
    "/admin/events/parliamentary%00solidarity/registrations.csv",
    "/admin/events/parliamentary%00solidarity/zoom",
])
def test_a_console_address_with_a_nul_answers_400_with_a_message(organiser, path):
    response = organiser.get(path)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)


def test_a_nul_in_a_query_parameter_never_reaches_the_database(organiser, signed_in, make_event, make_registration):
    event = make_event(title="Solidarité parlementaire")
    make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk")
    base = f"/admin/events/{event.slug}/registrations"
    for query in ("q=Diallo%00", "country=C%00", "page=1%00", "language=%00fr", "affiliation_type=%00"):
        for url in (f"{base}?{query}", f"{base}.csv?{query}", f"/admin/events/{event.slug}/messages?{query}"):
            assert organiser.get(url).status_code in (400, 404), url
    for query in ("status=confirmed&status=%00", "sort%00=name", "lang=fr%00"):  # ignored: the rest is kept
        assert organiser.get(f"{base}?{query}").status_code == 200, query
    assert "Ñúñez-Öztürk" in organiser.get(f"{base}?q=Ñúñez-Öztürk").get_data(as_text=True)
    admin, _ = signed_in("admin")
    assert admin.get("/admin/audit?action=login%00").status_code == 400


def test_a_nul_in_an_events_join_link_is_refused_and_the_event_is_unchanged(organiser, make_event, db):
    event = make_event(title="Solidarité parlementaire", join_url="https://zoom.us/j/85012345678")
    data = {k: v for k, v in event_form_data(event).items() if v is not None}
    data.update(join_url="https://zoom.us/j/850\x0012345678", title="Solidarité parlementaire (mise à jour)",
                csrf_token=csrf_from(organiser, f"/admin/events/{event.slug}/edit"))
    response = organiser.post(f"/admin/events/{event.slug}/edit", data=data)
    assert response.status_code in (400, 422)
    assert response.status_code == 422 or NUL_MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.join_url, stored.title) == ("https://zoom.us/j/85012345678", "Solidarité parlementaire")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "event.edit")) == 0


def test_a_nul_in_the_registration_form_gets_the_forms_error_and_stores_nothing(client, make_event, db):
    event = make_event()
    url = f"/events/{event.slug}/register"
    data = registration_form_data(first_name="María-José\x00", last_name="Ñúñez-Öztürk",
                                  csrf_token=csrf_from(client, url))
    response = client.post(url, data=data)
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    data["first_name"] = "María-José"
    assert client.post(url, data=data).status_code == 303  # the same form, corrected, goes through


def test_a_badly_formed_slug_never_reaches_the_database_for_the_calendar_file(client, make_event, count_queries):
    event = make_event()
    assert client.get(f"/events/{event.slug}/event.ics").status_code == 200
    for slug in (event.slug.upper(), f"{event.slug}--x", "x" * 101, "a b", "a\x00b"):
        with count_queries() as queries:
            assert client.get(f"/events/{slug}/event.ics").status_code == 404, slug
        assert not [q for q in queries if "events" in q], slug


def _query(db, text):
    return db.session.scalars(sa.select(AuditEntry.id).where(AuditEntry.actor == text)).all()


def _insert(db, text):
    db.session.add(AuditEntry(action="odd.input", actor=text))
    db.session.flush()


def _insert_many(db, text):
    db.session.execute(sa.insert(AuditEntry), [{"action": "odd.input", "actor": "María-José"},
                                               {"action": "odd.input", "actor": text}])


@pytest.mark.parametrize("send", [_query, _insert, _insert_many])
@pytest.mark.parametrize("text", ["Ñúñez\x00Öztürk", "Ñúñez\ud800Öztürk"])
def test_no_statement_is_sent_with_a_nul_or_a_surrogate_half(db, send, text):
    db.session.add(AuditEntry(action="odd.input", actor="María-José Ñúñez-Öztürk"))
    db.session.commit()
    with pytest.raises(UnstorableInput):
        send(db, text)
    db.session.rollback()
    assert db.session.scalars(sa.select(AuditEntry.actor)).all() == ["María-José Ñúñez-Öztürk"]


def test_the_message_is_in_the_visitors_language(organiser):
    response = organiser.get("/admin/events/solidarite%00parlementaire", headers={"Accept-Language": "fr-CH, fr"})
    assert response.status_code == 400
    assert "contient un caractère qui ne peut pas être accepté" in response.get_data(as_text=True)


def test_accents_and_every_script_are_kept(client, make_event, db):
    event = make_event()
    url = f"/events/{event.slug}/register"
    data = registration_form_data(first_name="María-José", last_name="Ñúñez-Öztürk 张伟 Διαλλο",
                                  email="maria-jose@parliament.example", csrf_token=csrf_from(client, url))
    assert client.post(url, data=data).status_code == 303
    assert db.session.scalar(sa.select(Registration.last_name)) == "Ñúñez-Öztürk 张伟 Διαλλο"
