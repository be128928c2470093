"""The events overview, an event's texts in every language, and the event form's helpers."""

from __future__ import annotations

import email
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.mail import services as mail_services
from panel_app.models import Event, utcnow
from tests.admin.events.test_views import FORM
from tests.factories import registration_form_data


def _section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_events_overview_shows_upcoming_drafts_and_past_with_seats_fill_rate_and_next_step(organiser, populated):
    html = organiser.get("/admin/events").get_data(as_text=True)
    upcoming, drafts, past = (_section(html, name) for name in ("upcoming-title", "drafts-title", "past-title"))
    assert "Parliamentary solidarity" in upcoming and "5</a>&nbsp;/&nbsp;5" in upcoming and "100&nbsp;%" in upcoming
    assert "Review 3 registrations awaiting approval" in upcoming
    assert "Climate and parliaments (draft)" in drafts and "Check it and publish it" in drafts
    assert "Women in parliaments" in past and "badge-ended" in past and ">Ended<" in past
    assert "Match 2 walk-ins to registrations" in past
    assert "Published" not in past


def test_an_ended_event_shows_as_ended_and_cannot_be_cancelled(organiser, post, db, populated):
    url = f"/admin/events/{populated.past.slug}"
    html = organiser.get(url).get_data(as_text=True)
    assert ">Ended<" in html and "Cancel this event" not in html
    response = post(organiser, url + "/cancel", {"confirm": "yes"}, form_url=url, follow_redirects=True)
    assert "can no longer be cancelled" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, populated.past.id).status == "published"


def test_a_draft_whose_dates_are_past_is_not_published(organiser, post, db, make_event, future):
    event = make_event(status="draft", starts_at=future(days=-3), ends_at=future(days=-3, hours=1))
    url = f"/admin/events/{event.slug}"
    html = post(organiser, url + "/publish", {}, form_url=url, follow_redirects=True).get_data(as_text=True)
    assert "already over" in html
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "draft"


@pytest.mark.usefixtures("empty_queue")
def test_event_texts_in_each_language_reach_the_pages_and_the_emails(organiser, post, db, app, client, outbox,
                                                                     submit_form, future):
    start = future(days=20).astimezone(ZoneInfo("Europe/Zurich"))
    data = {**FORM, "slug": "solidaridad", "start": f"{start:%Y-%m-%d} 15:00", "end": f"{start:%Y-%m-%d} 16:30",
            "title_es": "Solidaridad parlamentaria: apoyo a los parlamentarios amenazados",
            "description_es": "Un panel con interpretación.", "audience_fr": "Parlementaires et personnel"}
    assert post(organiser, "/admin/events/new", data, form_url="/admin/events/new").status_code == 303
    event = db.session.scalar(sa.select(Event).where(Event.slug == "solidaridad"))
    assert event.translations == {"es": {"title": data["title_es"], "description": "Un panel con interpretación."},
                                  "fr": {"audience": "Parlementaires et personnel"}}
    edit = organiser.get("/admin/events/solidaridad/edit").get_data(as_text=True)
    assert data["title_es"] in edit  # shown again for editing
    event.status = "published"
    db.session.commit()

    spanish = client.get("/events/solidaridad", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert data["title_es"] in spanish
    english = client.get("/events/solidaridad", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Parliamentary solidarity" in english  # no English text of its own: the default one
    submit_form(client, "/events/solidaridad/register", registration_form_data(language="es"))
    with app.app_context():
        mail_services.deliver_until_done(_db.session, now_fn=utcnow)
    [mail] = [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in outbox.glob("*.eml")]
    assert data["title_es"] in mail["Subject"]


def test_the_time_zone_is_chosen_from_a_searchable_list_and_a_city_is_enough(organiser, post, db):
    page = organiser.get("/admin/events/new").get_data(as_text=True)
    assert 'list="timezones"' in page and '<option value="America/Argentina/Buenos_Aires">' in page
    assert '<option value="US/Eastern">' not in page  # old aliases stay out of the list
    data = {**FORM, "slug": "new-york-panel", "timezone": "new york"}
    assert post(organiser, "/admin/events/new", data, form_url="/admin/events/new").status_code == 303
    assert db.session.scalar(sa.select(Event.timezone).where(Event.slug == "new-york-panel")) == "America/New_York"
    response = post(organiser, "/admin/events/new", {**FORM, "slug": "nowhere", "timezone": "Atlantis"},
                    form_url="/admin/events/new")
    assert response.status_code == 422 and "choose one from the list" in response.get_data(as_text=True)


def test_the_address_hint_shows_the_real_public_url(organiser, make_event):
    page = organiser.get("/admin/events/new").get_data(as_text=True)
    assert "http://panel.test/events/" in page and 'id="slug-preview"' in page
    event = make_event(slug="parliamentary-solidarity-2027")
    edit = organiser.get(f"/admin/events/{event.slug}/edit").get_data(as_text=True)
    preview = 'http://panel.test/events/<strong id="slug-preview" data-empty="your-address">'
    assert preview + "parliamentary-solidarity-2027" in edit
