"""The public registration rules, driven through HTTP with real CSRF tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.models import Notification, Registration, RegistrationStatus
from tests.conftest import csrf_from as _csrf
from tests.factories import registration_form_data

#: The public contract: the 303 after registering adds nothing to the private page's path.
TOKEN_LOCATION = re.compile(r"^/registrations/([A-Za-z0-9_-]+)$")


def _token_from(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = TOKEN_LOCATION.match(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def test_successful_registration_redirects_303_to_private_page(
    client, make_event, submit_form, registrations, register_url
):
    event = make_event()
    response = submit_form(client, register_url(event), registration_form_data())
    token = _token_from(response)

    [row] = registrations()
    assert row.status == RegistrationStatus.CONFIRMED
    assert row.email == "amina.diallo@parliament.example"
    assert row.language == "fr"
    assert row.consent_at is not None and row.privacy_notice_version
    # Only the hash of the private token is stored.
    assert token not in (row.token_hash, row.token_nonce)


def test_private_page_shows_status_event_time_and_join_link(client, make_event, submit_form, register_url):
    event = make_event(title="Parliamentary solidarity", join_url="https://zoom.example/j/987")
    token = _token_from(submit_form(client, register_url(event), registration_form_data()))

    page = client.get(f"/registrations/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Parliamentary solidarity" in html
    assert "Confirmed" in html
    assert "https://zoom.example/j/987" in html
    assert f'datetime="{event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in html
    assert "we have received your registration" in html  # said once, after the redirect
    # The private page must not leak its address to other sites or search engines.
    assert 'name="referrer" content="no-referrer"' in html
    assert 'name="robots" content="noindex"' in html


def test_waitlisted_and_pending_pages_show_no_join_link(client, make_event, make_registration):
    event = make_event(join_url="https://zoom.example/j/555")
    _, waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    _, pending = make_registration(event, status=RegistrationStatus.PENDING)
    for token, label in ((waiting, "On the waiting list"), (pending, "Awaiting approval")):
        html = client.get(f"/registrations/{token}").get_data(as_text=True)
        assert label in html
        assert "https://zoom.example/j/555" not in html


def test_cancel_with_csrf_cancels_and_promotes_first_waitlisted(
    client, make_event, make_registration, submit_form, registrations, future
):
    event = make_event(capacity=1)
    seated, token = make_registration(event, status=RegistrationStatus.CONFIRMED)
    first, _ = make_registration(event, status=RegistrationStatus.WAITLISTED, created_at=future(minutes=-10))
    second, _ = make_registration(event, status=RegistrationStatus.WAITLISTED, created_at=future(minutes=-5))

    csrf = _csrf(client, f"/registrations/{token}")
    response = client.post(f"/registrations/{token}/cancel", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/registrations/{token}"

    by_id = {r.id: r.status for r in registrations()}
    assert by_id == {
        seated.id: RegistrationStatus.CANCELLED,
        first.id: RegistrationStatus.CONFIRMED,
        second.id: RegistrationStatus.WAITLISTED,
    }
    html = client.get(f"/registrations/{token}").get_data(as_text=True)
    assert "Cancelled" in html
    assert "Cancel my registration" not in html


def test_cancel_without_csrf_changes_nothing(client, make_event, make_registration, registrations):
    event = make_event()
    _, token = make_registration(event)
    client.get(f"/registrations/{token}")  # a session exists, the token is just missing
    response = client.post(f"/registrations/{token}/cancel", data={})
    assert response.status_code == 400
    assert "This form expired" in response.get_data(as_text=True)
    assert registrations()[0].status == RegistrationStatus.CONFIRMED


def test_cancel_twice_is_harmless(client, make_event, make_registration, registrations):
    event = make_event()
    _, token = make_registration(event)
    csrf = _csrf(client, f"/registrations/{token}")
    for _ in range(2):  # e.g. the second tab still showing the button
        assert client.post(f"/registrations/{token}/cancel", data={"csrf_token": csrf}).status_code == 303
    [row] = registrations()
    assert row.status == RegistrationStatus.CANCELLED


@pytest.mark.parametrize(
    "second_email",
    ["amina.diallo@parliament.example", "AMINA.Diallo@Parliament.Example", "  amina.diallo@parliament.example  "],
)
def test_second_submission_creates_nothing_and_shows_neutral_message(
    browser, make_event, submit_form, registrations, register_url, second_email
):
    event = make_event()
    first_browser, second_browser = browser(), browser()
    token = _token_from(submit_form(first_browser, register_url(event), registration_form_data()))

    response = submit_form(
        second_browser, register_url(event), registration_form_data(email=second_email, first_name="Someone")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We have sent the registration details" in html
    assert token not in html and "/registrations/" not in html
    assert "Amina" not in html and "amina.diallo" not in html.lower()  # nothing about the person
    [row] = registrations()
    assert row.first_name == "Amina"  # the original is untouched


def test_double_submit_from_same_browser_lands_on_same_private_page(
    client, make_event, submit_form, registrations, register_url
):
    event = make_event()
    token = _token_from(submit_form(client, register_url(event), registration_form_data()))
    again = submit_form(client, register_url(event), registration_form_data(email="AMINA.DIALLO@parliament.example"))
    assert again.status_code == 303
    assert again.headers["Location"] == f"/registrations/{token}"
    assert len(registrations()) == 1


def test_same_browser_other_email_duplicate_does_not_reveal_remembered_link(
    client, make_event, make_registration, submit_form, register_url
):
    event = make_event()
    make_registration(event, email="other@parliament.example")
    token = _token_from(submit_form(client, register_url(event), registration_form_data()))
    response = submit_form(client, register_url(event), registration_form_data(email="other@parliament.example"))
    assert response.status_code == 200
    assert token not in response.get_data(as_text=True)


def test_full_event_waitlists_new_registrations(
    client, make_event, make_registration, submit_form, registrations, register_url
):
    event = make_event(capacity=1)
    make_registration(event)
    assert "All seats are taken" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    token = _token_from(submit_form(client, register_url(event), registration_form_data()))
    assert registrations(email="amina.diallo@parliament.example")[0].status == RegistrationStatus.WAITLISTED
    assert "On the waiting list" in client.get(f"/registrations/{token}").get_data(as_text=True)


def test_zero_capacity_waitlists_everyone(client, make_event, submit_form, registrations, register_url):
    event = make_event(capacity=0)
    _token_from(submit_form(client, register_url(event), registration_form_data()))
    assert registrations()[0].status == RegistrationStatus.WAITLISTED


def test_manual_approval_event_creates_pending_registration(
    client, make_event, submit_form, registrations, register_url
):
    event = make_event(approval_mode="manual", capacity=10)
    token = _token_from(submit_form(client, register_url(event), registration_form_data()))
    assert registrations()[0].status == RegistrationStatus.PENDING
    assert "Awaiting approval" in client.get(f"/registrations/{token}").get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ("not_yet_open", "Registration opens on"),
        ("closed", "Registration is closed."),
        ("started", "Registration is closed."),
        ("over", "This panel has taken place."),
        ("cancelled", "This panel has been cancelled."),
    ],
)
def test_no_registration_outside_the_window(
    client, make_event, submit_form, registrations, register_url, future, overrides, message
):
    settings = {
        "not_yet_open": {"registration_opens_at": future(days=2)},
        "closed": {"registration_closes_at": future(hours=-1)},
        "started": {"starts_at": future(minutes=-10), "ends_at": future(minutes=80)},
        "over": {"starts_at": future(days=-2), "ends_at": future(days=-2) + timedelta(minutes=90)},
        "cancelled": {"status": "cancelled"},
    }[overrides]
    event = make_event(**settings)

    form_page = client.get(register_url(event))
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    assert message in html and "Registration is not possible at the moment" in html
    assert 'name="first_name"' not in html

    # A POST (e.g. from a form opened earlier) is refused the same way and writes nothing.
    response = client.post(register_url(event), data=registration_form_data())
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert registrations() == []


def test_event_page_shows_register_button_only_when_open(client, make_event, future):
    open_event = make_event()
    closed_event = make_event(registration_closes_at=future(hours=-1))
    assert f"/events/{open_event.slug}/register" in client.get(f"/events/{open_event.slug}").get_data(as_text=True)
    assert f"/events/{closed_event.slug}/register" not in client.get(f"/events/{closed_event.slug}").get_data(
        as_text=True
    )


def test_registration_closing_while_form_open_is_refused(client, make_event, registrations, register_url, future, db):
    event = make_event()
    csrf = _csrf(client, register_url(event))
    event.registration_closes_at = future(minutes=-1)
    db.session.commit()
    response = client.post(register_url(event), data={"csrf_token": csrf, **registration_form_data()})
    assert response.status_code == 200
    assert "Registration is closed." in response.get_data(as_text=True)
    assert registrations() == []


def test_draft_event_is_a_404_page(client, make_event, submit_form, registrations):
    event = make_event(status="draft")
    for url in (f"/events/{event.slug}", f"/events/{event.slug}/register"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)
    assert client.post(f"/events/{event.slug}/register", data=registration_form_data()).status_code == 404
    assert registrations() == []


def test_cancelled_registration_can_register_again(
    client, make_event, make_registration, submit_form, registrations, register_url
):
    event = make_event(capacity=5)
    old, old_token = make_registration(
        event, email="amina.diallo@parliament.example", status=RegistrationStatus.CANCELLED
    )

    token = _token_from(submit_form(client, register_url(event), registration_form_data()))
    [row] = registrations()
    assert row.id == old.id  # the same row is re-opened: still one per email
    assert row.status == RegistrationStatus.CONFIRMED
    assert row.cancelled_at is None
    assert token != old_token
    assert client.get(f"/registrations/{token}").status_code == 200
    # The link of the cancelled registration no longer opens the new one.
    assert client.get(f"/registrations/{old_token}").status_code == 404


def test_reregistration_after_cancel_joins_the_back_of_the_queue(
    client, make_event, make_registration, submit_form, registrations, register_url, future
):
    event = make_event(capacity=1)
    make_registration(event, status=RegistrationStatus.CONFIRMED)
    waiting, _ = make_registration(event, status=RegistrationStatus.WAITLISTED, created_at=future(minutes=-5))
    make_registration(
        event, email="amina.diallo@parliament.example", status=RegistrationStatus.CANCELLED, created_at=future(days=-3)
    )

    _token_from(submit_form(client, register_url(event), registration_form_data()))
    again = registrations(email="amina.diallo@parliament.example")[0]
    assert again.status == RegistrationStatus.WAITLISTED
    assert again.created_at > waiting.created_at


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_no_interpretation_language_is_chosen_for_the_person(client, make_event, register_url, lang):
    """The interpreters' headcount depends on a real choice, whatever the page language."""
    event = make_event(languages=["en", "fr", "es"])
    html = client.get(register_url(event) + f"?lang={lang}").get_data(as_text=True)
    language_inputs = re.findall(r'<input[^>]*name="language"[^>]*>', html)
    assert len(language_inputs) == 3 and not any("checked" in tag for tag in language_inputs)
    # The email language offers "same as my interpretation language" as its (checked) default.
    assert re.search(r'<input[^>]*checked[^>]*name="email_language"[^>]*value=""|'
                     r'<input[^>]*name="email_language"[^>]*value=""[^>]*checked', html)


def test_form_offers_only_the_event_languages(client, make_event, register_url):
    event = make_event(languages=["en", "es"])
    html = client.get(register_url(event)).get_data(as_text=True)
    assert 'name="language" type="radio" value="es"' in html
    assert 'name="language" type="radio" value="fr"' not in html


def test_form_page_sets_only_the_session_cookie(client, make_event, register_url, app):
    event = make_event()
    response = client.get(register_url(event))
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "the form needs the session cookie for its CSRF token"
    names = {c.split("=", 1)[0] for c in cookies}
    assert names == {app.config.get("SESSION_COOKIE_NAME", "session")}
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


def test_registrant_changes_channel_and_email_language_and_gets_the_invite_again(
    client, make_event, make_registration, db
):
    event = make_event(languages=["en", "fr", "es"])
    registration, token = make_registration(event, language="fr")
    url = f"/registrations/{token}"
    page = client.get(url).get_data(as_text=True)
    assert f'action="/registrations/{token}/languages"' in page
    response = client.post(
        f"{url}/languages", data={"csrf_token": _csrf(client, url), "language": "es", "email_language": "en"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Registration, registration.id)
    assert (stored.language, stored.email_language, stored.communication_language) == ("es", "en", "en")
    kinds = list(
        db.session.scalars(sa.select(Notification.kind).where(Notification.registration_id == registration.id))
    )
    assert "changed" in kinds  # the invite again, saying what changed

    # The same choice again changes nothing and queues nothing more.
    client.post(f"{url}/languages", data={"csrf_token": _csrf(client, url), "language": "es", "email_language": "en"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == len(kinds)


def test_a_channel_the_event_does_not_offer_is_refused_and_nothing_changes(client, make_event, make_registration, db):
    event = make_event(languages=["en", "fr"])
    registration, token = make_registration(event, language="fr")
    url = f"/registrations/{token}"
    response = client.post(f"{url}/languages", data={"csrf_token": _csrf(client, url), "language": "es"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).language == "fr"
