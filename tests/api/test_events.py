"""/api/v1/events: list with a cursor, read, create, update, publish, cancel; times in UTC with the zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from panel_app.models import AuditEntry, Event, Notification
from tests.api.conftest import problem

NEW_EVENT = {
    "slug": "solidarite-parlementaire-2027",
    "title": "Solidarité parlementaire : soutenir les députés menacés — Ñúñez-Öztürk et al.",
    "starts_at": "2027-01-14T14:00:00Z",
    "ends_at": "2027-01-14T15:30:00Z",
    "timezone": "Europe/Zurich",
    "languages": ["en", "fr", "es"],
    "capacity": 180,
    "approval_mode": "manual",
    "translations": {"fr": {"title": "Solidarité parlementaire"}, "es": {"title": "Solidaridad parlamentaria"}},
}


def test_events_are_listed_a_page_at_a_time_with_a_cursor_and_none_repeats(api, make_event):
    base = datetime(2027, 3, 1, 13, tzinfo=timezone.utc)
    for n in range(57):
        make_event(title=f"Panel n°{n} — Parlement de Côte d’Ivoire", starts_at=base + timedelta(days=n % 20),
                   ends_at=base + timedelta(days=n % 20, hours=2))
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get("/api/v1/events", query_string={"limit": 10, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        page = response.get_json()
        seen += [(e["starts_at"], e["slug"]) for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        if pages == 2:  # a new event while paging neither repeats nor hides the others
            make_event(title="Added while paging", starts_at=base + timedelta(days=30),
                       ends_at=base + timedelta(days=30, hours=1))
    assert pages == 6 and len(seen) == 57 == len({slug for _, slug in seen})
    assert [s for s, _ in seen] == sorted((s for s, _ in seen), reverse=True)


def test_an_event_gives_utc_instants_with_its_zone_and_local_times(api, make_event):
    # Geneva: CET (UTC+1) in winter, CEST (UTC+2) in summer.
    winter = make_event(starts_at=datetime(2027, 1, 14, 14, tzinfo=timezone.utc),
                        ends_at=datetime(2027, 1, 14, 15, 30, tzinfo=timezone.utc))
    summer = make_event(starts_at=datetime(2027, 9, 26, 13, tzinfo=timezone.utc),
                        ends_at=datetime(2027, 9, 26, 14, 30, tzinfo=timezone.utc), capacity=3)
    body = api.get(f"/api/v1/events/{winter.slug}").get_json()
    assert body["starts_at"] == "2027-01-14T14:00:00Z" and body["timezone"] == "Europe/Zurich"
    assert body["starts_at_local"] == "2027-01-14T15:00:00+01:00"
    body = api.get(f"/api/v1/events/{summer.slug}").get_json()
    assert body["starts_at_local"] == "2027-09-26T15:00:00+02:00"
    assert body["registrations"]["confirmed"] == 0 and body["free_seats"] == 3


def test_an_event_is_created_as_a_draft_and_audited_under_the_token(api, db):
    response = api.post("/api/v1/events", json=NEW_EVENT)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"].endswith("/api/v1/events/solidarite-parlementaire-2027")
    assert body["status"] == "draft" and body["title"] == NEW_EVENT["title"]
    assert body["translations"]["es"]["title"] == "Solidaridad parlamentaria"
    event = db.session.scalar(sa.select(Event).where(Event.slug == NEW_EVENT["slug"]))
    assert event.starts_at == datetime(2027, 1, 14, 14, tzinfo=timezone.utc)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.create"))
    assert "Parliaments CRM" in entry.actor


def test_an_offset_other_than_utc_means_the_same_instant(api):
    response = api.post("/api/v1/events", json={**NEW_EVENT, "starts_at": "2027-01-14T15:00:00+01:00",
                                                "ends_at": "2027-01-14T16:30:00+01:00"})
    assert response.get_json()["starts_at"] == "2027-01-14T14:00:00Z"


def test_a_time_without_offset_is_refused_field_by_field(api):
    response = api.post("/api/v1/events", json={**NEW_EVENT, "starts_at": "2027-01-14T15:00:00"})
    assert response.status_code == 422
    errors = problem(response)["errors"]
    assert errors == [{"location": "body", "field": "starts_at", "code": "needs_offset", "detail": errors[0]["detail"]}]


def test_unknown_fields_and_wrong_types_are_named_in_the_problem(api):
    response = api.post("/api/v1/events", json={**NEW_EVENT, "colour": "red", "capacity": "180",
                                                "languages": ["en", "de"]})
    assert response.status_code == 422
    codes = {(e["field"], e["code"]) for e in problem(response)["errors"]}
    assert ("colour", "unknown_field") in codes
    assert ("capacity", "wrong_type") in codes
    assert ("languages.1", "not_allowed") in codes


def test_a_body_that_is_not_an_object_or_not_json_is_a_problem_not_a_crash(api):
    for body, status in ((b"[1, 2]", 422), (b"\"text\"", 422), (b"{not json", 400), (b"\xff\xfe", 400)):
        response = api.post("/api/v1/events", data=body, content_type="application/json")
        assert response.status_code == status, body
        problem(response)
    response = api.post("/api/v1/events", data="slug=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert problem(response)["type"] == "/api/v1/problems/unsupported-media-type"


def test_a_taken_slug_or_an_end_before_the_start_is_refused_by_the_event_rules(api, make_event):
    make_event(slug="taken-slug")
    response = api.post("/api/v1/events", json={**NEW_EVENT, "slug": "taken-slug"})
    assert response.status_code == 422 and "taken-slug" in problem(response)["detail"]
    response = api.post("/api/v1/events", json={**NEW_EVENT, "ends_at": "2027-01-14T13:00:00Z"})
    assert response.status_code == 422 and "end" in problem(response)["detail"]


def test_a_change_of_time_to_a_published_event_sends_updated_invites(api, db, make_event, make_registration):
    event = make_event()
    make_registration(event, invite_state="done", invite_sequence=0)
    response = api.patch(f"/api/v1/events/{event.slug}", json={"starts_at": "2030-01-01T10:00:00Z",
                                                                "ends_at": "2030-01-01T11:00:00Z"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["starts_at"] == "2030-01-01T10:00:00Z"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.edit"))
    assert "starts_at" in entry.details and entry.actor.startswith("API token")


def test_publishing_and_cancelling_are_actions_that_can_be_repeated(api, make_event):
    event = make_event(status="draft")
    assert api.patch(f"/api/v1/events/{event.slug}", json={"status": "published"}).status_code == 422
    for _ in range(2):
        response = api.post(f"/api/v1/events/{event.slug}/publish")
        assert response.status_code == 200 and response.get_json()["status"] == "published"
    for _ in range(2):
        response = api.post(f"/api/v1/events/{event.slug}/cancel")
        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    response = api.post(f"/api/v1/events/{event.slug}/publish")
    assert response.status_code == 409 and problem(response)["status"] == 409


def test_an_unknown_event_is_a_404_problem_in_the_callers_language(api):
    response = api.get("/api/v1/events/no-such-panel", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    document = problem(response)
    assert document["title"] == "Introuvable" and response.headers["Content-Language"] == "fr"
    response = api.get("/api/v1/events/" + "x" * 300, headers={"Accept-Language": "es"})
    assert response.status_code == 404 and problem(response)["title"] == "No encontrado"


def test_an_events_audience_is_set_and_read_through_the_api(api, db):
    response = api.post("/api/v1/events", json={**NEW_EVENT, "eligible_affiliations": ["member_parliament"],
                                                "eligible_roles": ["mp", "staff"], "invitation_only": True})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["eligible_affiliations"] == ["member_parliament"] and body["eligible_roles"] == ["mp", "staff"]
    assert body["invitation_only"] is True and body["directory_only"] is False
    body = api.patch(f"/api/v1/events/{NEW_EVENT['slug']}", json={"directory_only": True,
                                                                  "eligible_roles": []}).get_json()
    assert body["directory_only"] is True and body["eligible_roles"] == []
    response = api.patch(f"/api/v1/events/{NEW_EVENT['slug']}", json={"eligible_roles": ["senator"]})
    assert response.status_code == 422 and "eligible_roles" in response.get_data(as_text=True)
