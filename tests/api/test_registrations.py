"""/api/v1/events/<slug>/registrations: the console's filters with a cursor, registering on
someone's behalf, status and channel changes, cancelling; bad input of every kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.admin.registrations.services import filtered, ordered
from panel_app.models import AuditEntry, Notification, Registration, utcnow
from tests.api.conftest import problem

PERSON = {
    "first_name": "María-José", "last_name": "Ñúñez-Öztürk", "email": "maria-jose.nunez@congreso.example",
    "country": "ES", "affiliation_type": "member_parliament", "role": "mp", "language": "es",
    "organisation": "Cortes Generales", "salutation": "Hon.", "committees": "Derechos humanos",
}


def _walk(api, url, **params):
    """Every item of a paged list, following next_cursor; also the number of pages."""
    items, cursor, pages = [], None, 0
    while True:
        response = api.get(url, query_string={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.mark.parametrize("sort,direction", [("created", "desc"), ("name", "asc"), ("minutes", "desc"),
                                            ("country", "asc")])
def test_the_cursor_walks_the_console_order_exactly(api, db, make_event, populate, sort, direction):
    event = make_event()
    rows = populate(event, 95)
    for i, row in enumerate(rows):  # ties and NULLs: minutes repeat, a third are unknown
        row.attended_minutes = None if i % 3 == 0 else (i % 7) * 10
        row.country = ("SN", "ES", "FR")[i % 3]
    db.session.commit()
    items, pages = _walk(api, f"/api/v1/events/{event.slug}/registrations", sort=sort, dir=direction, limit=20)
    console = RegistrationFilters(sort=sort, dir=direction)
    expected = list(db.session.scalars(ordered(filtered(sa.select(Registration.id), event.id, console), console)))
    assert [item["id"] for item in items] == expected
    assert pages == 5


def test_filters_are_the_consoles_and_the_total_counts_what_matches(api, make_event, populate):
    event = make_event()
    populate(event, 30)
    populate(event, 6, status="pending", language="fr", affiliation_type="permanent_observer")
    body = api.get(f"/api/v1/events/{event.slug}/registrations",
                   query_string={"status": "pending", "language": "fr", "q": "ñúñez"}).get_json()
    assert body["total"] == 1 and body["items"][0]["last_name"].startswith("Ñúñez-Öztürk")
    body = api.get(f"/api/v1/events/{event.slug}/registrations",
                   query_string={"affiliation_type": "permanent_observer", "limit": 4}).get_json()
    assert body["total"] == 6 and len(body["items"]) == 4 and body["next_cursor"]


def test_rows_added_while_paging_neither_repeat_nor_hide_others(api, make_event, populate):
    event = make_event()
    populate(event, 40)
    url = f"/api/v1/events/{event.slug}/registrations"
    first = api.get(url, query_string={"sort": "created", "dir": "asc", "limit": 15}).get_json()
    populate(event, 5)  # newer: they come at the end of this order
    rest, _ = _walk(api, url, sort="created", dir="asc", limit=15, cursor=first["next_cursor"])
    ids = [i["id"] for i in first["items"] + rest]
    assert len(ids) == len(set(ids)) == 45


def test_a_cursor_from_other_filters_or_tampered_with_is_a_400_problem(api, make_event, populate):
    event = make_event()
    populate(event, 5)
    url = f"/api/v1/events/{event.slug}/registrations"
    cursor = api.get(url, query_string={"limit": 2}).get_json()["next_cursor"]
    response = api.get(url, query_string={"limit": 2, "status": "pending", "cursor": cursor})
    assert response.status_code == 400 and problem(response)["errors"][0]["code"] == "invalid_cursor"
    for junk in (cursor[:-3] + "abc", "x", "é" * 50, "\x00"):
        response = api.get(url, query_string={"cursor": junk})
        assert response.status_code in (400, 422), junk
        problem(response)


def test_unknown_filters_and_values_are_refused_not_ignored(api, make_event):
    event = make_event(languages=["en", "fr"])
    url = f"/api/v1/events/{event.slug}/registrations"
    response = api.get(url, query_string={"stauts": "pending"})
    assert response.status_code == 422
    assert problem(response)["errors"][0] == {"location": "query", "field": "stauts", "code": "unknown_field",
                                              "detail": problem(response)["errors"][0]["detail"]}
    response = api.get(url, query_string={"language": "es"})  # not offered by this event
    assert response.status_code == 422 and problem(response)["errors"][0]["code"] == "not_offered"
    response = api.get(url, query_string={"limit": "lots"})
    assert response.status_code == 422 and problem(response)["errors"][0]["field"] == "limit"


def test_someone_is_registered_on_their_behalf_with_the_events_rules(api, db, make_event):
    event = make_event(capacity=1)
    response = api.post(f"/api/v1/events/{event.slug}/registrations", json=PERSON)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "confirmed" and body["last_name"] == "Ñúñez-Öztürk"
    assert body["event"] == event.slug and body["timezone"] == "Europe/Zurich"
    assert response.headers["Location"].endswith(f"/registrations/{body['id']}")
    # The next one waits: same seat rule as the public form.
    second = api.post(f"/api/v1/events/{event.slug}/registrations",
                      json={**PERSON, "email": "zoe.hernandez@senado.example", "first_name": "Zoë"})
    assert second.get_json()["status"] == "waitlisted"
    # Their invite is queued as for anyone else, with its private link.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.registration_id == body["id"])) == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.create"))
    assert entry.registration_id == body["id"] and entry.actor.startswith("API token")
    row = db.session.get(Registration, body["id"])
    assert row.privacy_notice_version == "api"


def test_an_address_already_registered_is_a_conflict_naming_the_registration(api, db, make_event,
                                                                              make_registration):
    event = make_event()
    existing, _ = make_registration(event, email="Maria-Jose.Nunez@Congreso.example")
    response = api.post(f"/api/v1/events/{event.slug}/registrations", json=PERSON)
    assert response.status_code == 409
    assert problem(response)["registration_id"] == existing.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0  # no email either


def test_registering_outside_the_window_or_in_a_language_not_offered_is_refused(api, make_event):
    closed = make_event(registration_closes_at=utcnow() - timedelta(hours=1))
    response = api.post(f"/api/v1/events/{closed.slug}/registrations", json=PERSON)
    assert response.status_code == 409
    document = problem(response)
    assert document["type"] == "/api/v1/problems/registration-closed" and document["reason"] == "closed"
    english_only = make_event(languages=["en"])
    response = api.post(f"/api/v1/events/{english_only.slug}/registrations", json=PERSON)
    assert response.status_code == 422 and problem(response)["errors"][0]["field"] == "language"


@pytest.mark.parametrize("field,value,code", [
    ("first_name", "Amina\x00", "control_character"),
    ("last_name", "Diallo\u202e", "bidi_control"),
    ("last_name", "x" * 201, "too_long"),
    ("first_name", "   ", "required"),
    ("email", "not-an-address", "invalid_email"),
    ("country", "XX", "not_allowed"),
    ("role", "minister", "not_allowed"),
    ("language", 7, "wrong_type"),
    ("email_language", ["fr"], "wrong_type"),
])
def test_bad_values_are_refused_field_by_field(api, db, make_event, field, value, code):
    event = make_event()
    response = api.post(f"/api/v1/events/{event.slug}/registrations", json={**PERSON, field: value})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in problem(response)["errors"]] == [(field, code)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_a_huge_body_is_a_413_problem(api, make_event):
    event = make_event()
    response = api.post(f"/api/v1/events/{event.slug}/registrations",
                        json={**PERSON, "accessibility_needs": "é" * 300_000})
    assert response.status_code == 413
    assert problem(response)["type"] == "/api/v1/problems/too-large"


def test_another_events_registration_is_not_found_here(api, make_event, make_registration):
    mine, other = make_event(), make_event()
    registration, _ = make_registration(other)
    for url in (f"/api/v1/events/{mine.slug}/registrations/{registration.id}",
                f"/api/v1/events/{mine.slug}/registrations/{registration.id}/attendance",
                f"/api/v1/events/{mine.slug}/registrations/99999999999"):
        response = api.get(url)
        assert response.status_code == 404
        problem(response)
    response = api.post(f"/api/v1/events/{mine.slug}/registrations/{registration.id}/cancel")
    assert response.status_code == 404
    assert api.get(f"/api/v1/events/{other.slug}/registrations/{registration.id}").status_code == 200


def test_approving_confirms_while_seats_last_then_waitlists(api, make_event, make_registration):
    event = make_event(capacity=1, approval_mode="manual")
    first, _ = make_registration(event, status="pending")
    second, _ = make_registration(event, status="pending")
    url = f"/api/v1/events/{event.slug}/registrations/"
    assert api.patch(url + str(first.id), json={"status": "confirmed"}).get_json()["status"] == "confirmed"
    assert api.patch(url + str(second.id), json={"status": "confirmed"}).get_json()["status"] == "waitlisted"
    # A confirmed registration is cancelled, not declined.
    response = api.patch(url + str(first.id), json={"status": "declined"})
    assert response.status_code == 409 and problem(response)["current_status"] == "confirmed"
    # Confirming a waiting person while the event is full is refused.
    response = api.patch(url + str(second.id), json={"status": "confirmed"})
    assert response.status_code == 409
    # Cancelling frees the seat: the waiting person moves up.
    assert api.post(url + f"{first.id}/cancel").get_json()["status"] == "cancelled"
    assert api.get(url + str(second.id)).get_json()["status"] == "confirmed"
    assert api.post(url + f"{first.id}/cancel").status_code == 200  # repeating changes nothing


def test_a_change_of_channel_goes_through_the_registrants_own_rule(api, db, make_event, make_registration):
    event = make_event(languages=["en", "fr"])
    registration, _ = make_registration(event, language="en", invite_state="done", invite_sequence=0)
    url = f"/api/v1/events/{event.slug}/registrations/{registration.id}"
    response = api.patch(url, json={"language": "fr", "email_language": "en"})
    assert response.status_code == 200 and response.get_json()["language"] == "fr"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1  # invite again
    response = api.patch(url, json={"language": "es"})
    assert response.status_code == 422
    # A refused part leaves the rest unchanged too.
    response = api.patch(url, json={"language": "en", "status": "declined"})
    assert response.status_code == 409
    assert api.get(url).get_json()["language"] == "fr"


def test_attendance_is_read_and_marked_by_hand(api, db, make_event, make_registration):
    event = make_event()
    registration, _ = make_registration(event)
    url = f"/api/v1/events/{event.slug}/registrations/{registration.id}/attendance"
    body = api.get(url).get_json()
    assert body["attended"] is None and body["stays"] == [] and body["timezone"] == "Europe/Zurich"
    response = api.put(url, json={"attended": True})
    assert response.status_code == 200 and response.get_json()["source"] == "manual"
    response = api.put(url, json={"attended": "yes"})
    assert response.status_code == 422 and problem(response)["errors"][0]["code"] == "wrong_type"
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.mark_attended"))


def test_confirming_follows_the_consoles_rules_for_waiting_and_declined_people(api, db, make_event,
                                                                               make_registration):
    """The API and the console share one rule: a waiting person gets a free seat when asked for by
    name, and a declined person is reinstated (confirmed, or waitlisted in turn when full)."""
    event = make_event(capacity=2, approval_mode="manual")
    seated, _ = make_registration(event, status="confirmed", last_name="Ñúñez-Öztürk")
    first_in_line, _ = make_registration(event, status="waitlisted", last_name="Abdullahi")
    chosen, _ = make_registration(event, status="waitlisted", last_name="Østergaard-Lévesque")
    declined, _ = make_registration(event, status="declined", last_name="Bäckström de la Fuente")
    url = f"/api/v1/events/{event.slug}/registrations/"
    # A seat is free: the organiser's integration confirms the second person in line by name.
    assert api.patch(url + str(chosen.id), json={"status": "confirmed"}).get_json()["status"] == "confirmed"
    db.session.expire_all()
    assert db.session.get(type(first_in_line), first_in_line.id).status == "waitlisted"
    # Now full: confirming the first in line is refused and changes nothing.
    response = api.patch(url + str(first_in_line.id), json={"status": "confirmed"})
    assert response.status_code == 409 and problem(response)["current_status"] == "waitlisted"
    # Undoing the decline while full puts the person back on the waiting list.
    assert api.patch(url + str(declined.id), json={"status": "confirmed"}).get_json()["status"] == "waitlisted"
    # A cancellation frees a seat: the waiting list moves up in its order.
    api.post(url + f"{seated.id}/cancel")
    db.session.expire_all()
    assert db.session.get(type(first_in_line), first_in_line.id).status == "confirmed"


def test_registering_on_behalf_links_the_organisation_to_its_directory_entry_by_any_of_its_names(api, db,
                                                                                                 make_event):
    from tests.factories import OrganisationFactory

    entry = OrganisationFactory.build(name="Cortes Generales de España",
                                      translations={"es": "Cortes Generales", "fr": "Cortès générales d'Espagne"})
    db.session.add(entry)
    db.session.commit()
    event = make_event()
    response = api.post(f"/api/v1/events/{event.slug}/registrations", json=PERSON)  # "Cortes Generales"
    assert response.status_code == 201, response.get_data(as_text=True)
    registration = db.session.get(Registration, response.get_json()["id"])
    assert registration.organisation_id == entry.id and registration.organisation == "Cortes Generales"


def test_an_invitation_only_event_refuses_registration_on_behalf_with_a_problem_and_creates_nothing(api, db,
                                                                                                    make_event):
    event = make_event(invitation_only=True)
    response = api.post(f"/api/v1/events/{event.slug}/registrations", json=PERSON)
    assert response.status_code == 409
    assert problem(response)["type"] == "/api/v1/problems/invitation-required"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
