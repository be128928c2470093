"""The memo of public pages (panel_app/core/pagecache.py) never shows anything stale or personal."""

from __future__ import annotations

from datetime import timedelta

from flask import g

from panel_app.models import Event
from panel_app.registration.views import page_cache
from tests.conftest import csrf_token_from
from tests.factories import registration_form_data


def _memo_size(app) -> int:
    with app.app_context():
        return len(page_cache())


def _without_token(html: str) -> str:
    return html.replace(csrf_token_from(html), "TOKEN")


def test_a_memoised_event_page_is_the_page_a_fresh_render_gives(app, make_event):
    event = make_event()
    url = f"/events/{event.slug}?lang=fr"
    with app.app_context():
        page_cache().clear()
    first = app.test_client().get(url)
    assert _memo_size(app) == 1
    second = app.test_client().get(url)  # a new visitor, so the same cookies are set
    assert first.status_code == second.status_code == 200
    assert second.get_data(as_text=True) == first.get_data(as_text=True)
    ignore = {"X-Request-ID"}
    assert [h for h in second.headers if h[0] not in ignore] == [h for h in first.headers if h[0] not in ignore]


def test_the_event_page_says_full_as_soon_as_the_last_seat_is_taken(client, make_event, make_registration):
    event = make_event(capacity=1)
    register = f'href="/events/{event.slug}/register">Register</a>'
    assert register in client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert register in client.get(f"/events/{event.slug}").get_data(as_text=True)
    make_registration(event, status="confirmed")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "status-full" in html and register not in html and "Join the waiting list</a>" in html


def test_an_edit_of_the_event_shows_at_once(db, client, make_event):
    event = make_event(title="Before the edit")
    assert "Before the edit" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    db.session.get(Event, event.id).title = "After the edit"
    db.session.commit()
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "After the edit" in html and "Before the edit" not in html


def test_the_page_closes_when_the_registration_window_ends(client, make_event, clock):
    closes = clock.now + timedelta(minutes=5)
    event = make_event(registration_closes_at=closes)
    register = f'href="/events/{event.slug}/register">Register</a>'
    assert register in client.get(f"/events/{event.slug}").get_data(as_text=True)
    clock.advance(minutes=4, seconds=59)
    assert register in client.get(f"/events/{event.slug}").get_data(as_text=True)  # served from the memo
    clock.advance(seconds=1)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "status-closed" in html and register not in html
    assert client.get(f"/events/{event.slug}/register").get_data(as_text=True).count('name="csrf_token"') == 0


def test_each_visitor_gets_a_token_of_their_own_from_the_memoised_form(app, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    alice, bob = app.test_client(), app.test_client()
    alice_page = alice.get(url).get_data(as_text=True)
    # Tests share one app context, where Flask-WTF keeps the request's signed token; in
    # production each request has its own.
    g.pop("csrf_token", None)
    bob_page = bob.get(url).get_data(as_text=True)
    assert csrf_token_from(alice_page) != csrf_token_from(bob_page)
    assert _without_token(alice_page) == _without_token(bob_page)
    for visitor, page, email in (
        (alice, alice_page, "alice@parliament.example"),
        (bob, bob_page, "bob@parliament.example"),
    ):
        g.pop("csrf_token", None)
        answer = visitor.post(url, data={**registration_form_data(email=email), "csrf_token": csrf_token_from(page)})
        assert answer.status_code == 303


def test_flashed_messages_are_shown_once_and_never_shared(app, make_event):
    event = make_event()
    url = f"/events/{event.slug}"
    other = app.test_client()
    other.get(url)  # the page is in the memo
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor only")]
    assert "A message for this visitor only" in visitor.get(url).get_data(as_text=True)
    assert "A message for this visitor only" not in visitor.get(url).get_data(as_text=True)
    assert "A message for this visitor only" not in other.get(url).get_data(as_text=True)
