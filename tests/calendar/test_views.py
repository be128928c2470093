"""Calendar downloads and the add-to-calendar links on the registrant page."""

from __future__ import annotations

from icalendar import Calendar


def test_personal_invite_download_is_the_registrants_request_with_same_uid_as_email(
    client, make_event, make_registration
):
    event = make_event()
    registration, token = make_registration(event, email="amina@parl.example")

    response = client.get(f"/registrations/{token}/invite.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"]
    cal = Calendar.from_ical(response.data)
    vevent = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(vevent["ATTENDEE"]) == "mailto:amina@parl.example"
    assert str(vevent["UID"]) == f"{registration.calendar_uid}@panel.test"
    assert vevent.decoded("DTSTART") == event.starts_at
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Zurich"


def test_no_invite_download_for_pending_registrations_or_unknown_tokens(client, make_event, make_registration):
    event = make_event(approval_mode="manual")
    _, token = make_registration(event, status="pending")
    assert client.get(f"/registrations/{token}/invite.ics").status_code == 404
    assert client.get("/registrations/not-a-token/invite.ics").status_code == 404


def test_public_event_ics_carries_no_personal_data(client, make_event, make_registration):
    event = make_event()
    make_registration(event, email="amina@parl.example")

    response = client.get(f"/events/{event.slug}/event.ics")

    assert response.status_code == 200
    body = response.data.decode()
    assert "ATTENDEE" not in body and "amina" not in body and event.join_url not in body
    cal = Calendar.from_ical(response.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert cal.walk("VEVENT")[0].decoded("DTEND") == event.ends_at
    assert client.get("/events/no-such-event/event.ics").status_code == 404


def test_registrant_page_offers_add_to_calendar_links_in_utc_only_when_confirmed(client, make_event, make_registration):
    event = make_event()
    _, token = make_registration(event)
    _, pending_token = make_registration(event, status="pending")
    start = event.starts_at.strftime("%Y%m%dT%H%M%SZ")

    page = client.get(f"/registrations/{token}").get_data(as_text=True)

    assert f"/registrations/{token}/invite.ics" in page
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page and f"dates={start}" in page
    assert "https://outlook.live.com/calendar/0/action/compose" in page
    assert "https://outlook.office.com/calendar/0/action/compose" in page
    pending_page = client.get(f"/registrations/{pending_token}").get_data(as_text=True)
    assert "invite.ics" not in pending_page


def test_public_event_ics_names_its_organiser_in_the_page_language(client, make_event, app, monkeypatch):
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Inter-Parliamentary Union")
    monkeypatch.setitem(app.config, "ORGANISATION_NAMES", {"en": "", "fr": "Union interparlementaire",
                                                           "es": "Unión Interparlamentaria"})
    event = make_event(organiser_name="Inter-Parliamentary Union", organiser_email="events@ipu.example.org")
    partner = make_event(organiser_name='Committee on the Human Rights of Parliamentarians, "CHRP"',
                         organiser_email="chrp@ipu.example.org")

    for lang, name in (("en", "Inter-Parliamentary Union"), ("fr", "Union interparlementaire"),
                       ("es", "Unión Interparlamentaria")):
        vevent = Calendar.from_ical(client.get(f"/events/{event.slug}/event.ics?lang={lang}").data).walk("VEVENT")[0]
        assert str(vevent["ORGANIZER"]) == "mailto:events@ipu.example.org"
        assert vevent["ORGANIZER"].params["CN"] == name
    vevent = Calendar.from_ical(client.get(f"/events/{partner.slug}/event.ics").data).walk("VEVENT")[0]
    assert vevent["ORGANIZER"].params["CN"] == 'Committee on the Human Rights of Parliamentarians, "CHRP"'


def test_calendar_uids_are_random_keys_never_reused_after_a_restore(db, client, make_event, make_registration):
    """A database restored from a backup hands out row numbers again: UIDs must not follow them."""
    event = make_event()
    registration, token = make_registration(event)
    first_uid = Calendar.from_ical(client.get(f"/registrations/{token}/invite.ics").data).walk("VEVENT")[0]["UID"]
    public_uid = Calendar.from_ical(client.get(f"/events/{event.slug}/event.ics").data).walk("VEVENT")[0]["UID"]
    event_id, registration_id = event.id, registration.id
    # "Restore": the rows go, and new ones get the same numbers.
    db.session.delete(registration)
    db.session.delete(event)
    db.session.commit()
    again = make_event(id=event_id)
    registration, token = make_registration(again, id=registration_id)
    assert (again.id, registration.id) == (event_id, registration_id)

    second_uid = Calendar.from_ical(client.get(f"/registrations/{token}/invite.ics").data).walk("VEVENT")[0]["UID"]
    second_public = Calendar.from_ical(client.get(f"/events/{again.slug}/event.ics").data).walk("VEVENT")[0]["UID"]
    assert second_uid != first_uid and second_public != public_uid
    assert str(second_uid) == f"{registration.calendar_uid}@panel.test"
