"""The public event page and list: time in the event's zone, status, languages, audience."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_event_page_shows_cest_for_a_september_geneva_event(client, make_event):
    event = make_event(
        title="Parliamentary solidarity: Supporting MPs under threat",
        starts_at=utc(2023, 9, 26, 13, 0),
        ends_at=utc(2023, 9, 26, 14, 30),
        timezone="Europe/Zurich",
    )
    response = client.get(f"/events/{event.slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Parliamentary solidarity: Supporting MPs under threat" in html
    assert '<time datetime="2023-09-26T13:00:00Z">Tuesday, 26 September 2023, 15:00</time>' in html
    assert '<time datetime="2023-09-26T14:30:00Z">16:30</time>' in html
    assert ">CEST</abbr>" in html and "UTC+02:00" in html and "Europe/Zurich" in html
    assert "This panel has taken place." in html
    # The reader's own local time is added by app.js from these attributes.
    assert 'data-local-time data-start="2023-09-26T13:00:00Z" data-end="2023-09-26T14:30:00Z"' in html


def test_event_page_shows_cet_for_a_january_geneva_event(client, make_event):
    event = make_event(starts_at=utc(2099, 1, 13, 14, 0), ends_at=utc(2099, 1, 13, 15, 30))
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert '<time datetime="2099-01-13T14:00:00Z">Tuesday, 13 January 2099, 15:00</time>' in html
    assert ">CET</abbr>" in html and "UTC+01:00" in html and "CEST" not in html


def test_zone_without_letters_shows_offset_once(client, make_event):
    event = make_event(starts_at=utc(2099, 1, 13, 10, 0), ends_at=utc(2099, 1, 13, 11, 0), timezone="Asia/Dubai")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "14:00" in html and ">UTC+04:00</abbr>" in html
    assert "(UTC+04:00, Asia/Dubai)" not in html  # no "UTC+04:00 (UTC+04:00 ...)" stutter
    assert "Asia/Dubai" in html


def test_event_crossing_midnight_shows_end_date(client, make_event):
    event = make_event(starts_at=utc(2099, 6, 10, 21, 30), ends_at=utc(2099, 6, 10, 23, 0))
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert re.search(r'<time datetime="2099-06-10T23:00:00Z">Thursday, 11 June 2099, 01:00</time>', html)


def test_event_page_in_french(client, make_event):
    event = make_event(
        starts_at=utc(2099, 9, 29, 13, 0),
        ends_at=utc(2099, 9, 29, 14, 30),
        translations={"fr": {"title": "Solidarité parlementaire"}},
    )
    html = client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert "Solidarité parlementaire" in html
    assert "15\u00a0h\u00a000" in html and "CEST" in html


def test_event_page_shows_languages_audience_and_register_button(client, make_event):
    event = make_event(languages=["en", "fr", "es"], audience="Open to MPs and parliamentary staff.")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "English, French, Spanish" in html
    assert "Online on Zoom with interpretation in English, French and Spanish" in html
    assert "Open to MPs and parliamentary staff." in html
    assert "Until " in html and ">Register</a>" in html
    assert f'href="/events/{event.slug}/register"' in html


def test_event_page_says_full(client, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "All seats are taken" in html
    assert f'href="/events/{event.slug}/register"' in html  # the waiting list is still open


def test_event_page_says_when_registration_opens(client, make_event):
    opens = utc(2099, 3, 2, 8, 0)  # 09:00 CET
    event = make_event(starts_at=utc(2099, 4, 1, 13), ends_at=utc(2099, 4, 1, 14), registration_opens_at=opens)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Registration opens on" in html and "09:00 CET" in html
    assert f'href="/events/{event.slug}/register"' not in html


def test_cancelled_event_page_says_cancelled(client, make_event):
    event = make_event(status="cancelled")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "This panel has been cancelled." in html
    assert f'href="/events/{event.slug}/register"' not in html


def test_event_list_shows_upcoming_published_events_only(client, make_event, future):
    upcoming = make_event(title="Upcoming panel")
    make_event(title="Draft panel", status="draft")
    make_event(title="Past panel", starts_at=future(days=-3), ends_at=future(days=-3) + timedelta(hours=1))
    html = client.get("/").get_data(as_text=True)
    assert "Upcoming panel" in html and f"/events/{upcoming.slug}" in html
    assert "Draft panel" not in html and "Past panel" not in html


def test_description_is_escaped(client, make_event):
    event = make_event(description="<img src=x onerror=alert(1)>")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_page_shows_the_time_line_with_the_zones_city_and_the_offsets_for_the_local_time_script(client, make_event):
    from datetime import datetime, timezone

    event = make_event(starts_at=datetime(2030, 3, 31, 0, 0, tzinfo=timezone.utc),
                       ends_at=datetime(2030, 3, 31, 2, 0, tzinfo=timezone.utc))  # across Geneva's spring change
    html = client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert "heure de Zurich" in html
    assert ">CET</abbr> <span class=\"offset\">(UTC+01:00)</span>" in html
    assert ">CEST</abbr> <span class=\"offset\">(UTC+02:00)</span>" in html
    assert 'data-offset-start="60" data-offset-end="120"' in html
