"""Creating, editing, publishing, cancelling and duplicating events in the console."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from panel_app.models import AuditEntry, Event, Notification, Registration

FORM = {
    "slug": "parliamentary-solidarity", "title": "Parliamentary solidarity", "description": "", "audience": "",
    "timezone": "Europe/Zurich", "start": "2026-09-26 15:00", "end": "2026-09-26 16:30",
    "languages": ["en", "fr", "es"], "capacity": "", "approval_mode": "auto", "registration_opens": "",
    "registration_closes": "", "zoom_meeting_id": "", "zoom_webinar_id": "", "join_url": "https://zoom.example/j/1",
    "organiser_name": "IPU", "organiser_email": "events@ipu.example.org",
}


def test_create_event_as_draft_in_its_local_time(organiser, post, db):
    response = post(organiser, "/admin/events/new", FORM, form_url="/admin/events/new")
    assert response.status_code == 303
    event = db.session.scalar(sa.select(Event).where(Event.slug == FORM["slug"]))
    assert event.status == "draft"
    assert event.starts_at == datetime(2026, 9, 26, 13, 0, tzinfo=UTC)  # 15:00 CEST
    assert event.languages == ["en", "fr", "es"]
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.event_id == event.id)) == "event.create"
    html = organiser.get("/admin/events").get_data(as_text=True)
    assert "Parliamentary solidarity" in html


def test_invalid_event_input_is_explained(organiser, post, make_event):
    cases = [
        ({"start": "2026-03-29 02:30", "end": "2026-03-29 04:00"}, "does not exist"),
        ({"start": "2026-10-25 02:30", "end": "2026-10-25 04:00"}, "happens twice"),
        ({"end": "2026-09-26 14:00"}, "end must be after the start"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"start": "26/09/2026 3pm"}, "YYYY-MM-DD HH:MM"),
        ({"languages": ["de"]}, "valid choice"),
        ({"slug": "Not A Slug!"}, "slug must be"),
        ({"join_url": "javascript:alert(1)"}, "must start with https"),
    ]
    for overrides, message in cases:
        response = post(organiser, "/admin/events/new", {**FORM, **overrides}, form_url="/admin/events/new")
        assert response.status_code == 422, overrides
        assert message in response.get_data(as_text=True), overrides
    existing = make_event()
    response = post(organiser, "/admin/events/new", {**FORM, "slug": existing.slug}, form_url="/admin/events/new")
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)


def test_editing_the_title_sends_no_invites(organiser, post, db, make_event, make_registration):
    event = make_event()
    make_registration(event)
    url = f"/admin/events/{event.slug}/edit"
    form = organiser.get(url).get_data(as_text=True)
    assert 'value="Europe/Zurich"' in form
    data = {**FORM, "slug": event.slug, "title": "New title",
            "start": event.starts_at.astimezone(event.zone).strftime("%Y-%m-%d %H:%M"),
            "end": event.ends_at.astimezone(event.zone).strftime("%Y-%m-%d %H:%M"), "join_url": event.join_url}
    response = post(organiser, url, data, form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Event, event.id)
    assert saved.title == "New title" and saved.calendar_sequence == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_moving_a_published_event_sends_updated_invites(organiser, post, db, make_event, make_registration):
    event = make_event()
    registration, _ = make_registration(event, status="confirmed")
    url = f"/admin/events/{event.slug}/edit"
    start = event.starts_at.astimezone(event.zone)
    data = {**FORM, "slug": event.slug, "title": event.title, "start": f"{start:%Y-%m-%d} 16:00",
            "end": f"{start:%Y-%m-%d} 17:30", "join_url": event.join_url}
    response = post(organiser, url, data, form_url=url, follow_redirects=True)
    assert "updated calendar invites" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).calendar_sequence == 1
    assert db.session.scalar(sa.select(Notification.registration_id)) == registration.id


def test_published_slug_cannot_change(organiser, post, db, make_event):
    event = make_event()
    url = f"/admin/events/{event.slug}/edit"
    start = event.starts_at.astimezone(event.zone)
    data = {**FORM, "slug": "another-address", "start": f"{start:%Y-%m-%d %H:%M}",
            "end": f"{event.ends_at.astimezone(event.zone):%Y-%m-%d %H:%M}"}
    response = post(organiser, url, data, form_url=url)
    assert response.status_code == 422 and "cannot change once the event is published" in response.get_data(
        as_text=True
    )


def test_more_capacity_moves_people_off_the_waiting_list(organiser, post, db, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event, status="confirmed")
    waiting, _ = make_registration(event, status="waitlisted")
    url = f"/admin/events/{event.slug}/edit"
    data = {
        **FORM,
        "slug": event.slug,
        "title": event.title,
        "capacity": "2",
        "join_url": event.join_url,
        "start": f"{event.starts_at.astimezone(event.zone):%Y-%m-%d %H:%M}",
        "end": f"{event.ends_at.astimezone(event.zone):%Y-%m-%d %H:%M}",
    }
    assert post(organiser, url, data, form_url=url).status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "confirmed"


def test_publish_cancel_and_duplicate(organiser, post, db, make_event, make_registration):
    event = make_event(status="draft")
    dashboard = f"/admin/events/{event.slug}"
    post(organiser, dashboard + "/publish", form_url=dashboard)
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"

    registration, _ = make_registration(event, status="confirmed")
    html = post(organiser, dashboard + "/cancel", form_url=dashboard, follow_redirects=True).get_data(as_text=True)
    assert "Tick the confirmation box" in html
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"
    post(organiser, dashboard + "/cancel", {"confirm": "yes"}, form_url=dashboard)
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "cancelled"
    assert db.session.get(Event, event.id).calendar_sequence == 1
    assert db.session.scalar(sa.select(Notification.registration_id)) == registration.id

    response = post(organiser, dashboard + "/duplicate", form_url=dashboard)
    assert response.status_code == 303
    copy = db.session.scalar(sa.select(Event).where(Event.slug == f"{event.slug}-copy"))
    assert copy.status == "draft" and copy.title == event.title and copy.languages == event.languages
    post(organiser, dashboard + "/duplicate", form_url=dashboard)
    assert db.session.scalar(sa.select(Event.id).where(Event.slug == f"{event.slug}-copy-2")) is not None
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"event.publish", "event.cancel", "event.duplicate"} <= actions


def test_the_event_form_sets_who_may_register_and_shows_it_again(organiser, post, db):
    data = {**FORM, "eligible_affiliations": ["member_parliament", "associate_member"], "eligible_roles": ["mp"],
            "directory_only": "y", "invitation_only": "y"}
    assert post(organiser, "/admin/events/new", data, form_url="/admin/events/new").status_code == 303
    event = db.session.scalar(sa.select(Event).where(Event.slug == FORM["slug"]))
    assert event.eligible_affiliations == ["member_parliament", "associate_member"]
    assert event.eligible_roles == ["mp"] and event.directory_only and event.invitation_only
    html = organiser.get(f"/admin/events/{event.slug}/edit").get_data(as_text=True)
    assert html.count("checked") >= 5 and "Who may register" in html

    url = f"/admin/events/{event.slug}/edit"
    assert post(organiser, url, FORM, form_url=url).status_code == 303  # nothing ticked: open to all again
    db.session.expire_all()
    assert (event.eligible_affiliations, event.eligible_roles, event.directory_only, event.invitation_only) == (
        [], [], False, False)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.edit")).one()
    assert entry.details["invitation_only"] == {"from": True, "to": False}


def test_an_unknown_eligible_affiliation_is_refused(organiser, post):
    response = post(organiser, "/admin/events/new", {**FORM, "eligible_affiliations": ["senate"]},
                    form_url="/admin/events/new")
    assert response.status_code == 422 and "valid choice" in response.get_data(as_text=True)
