"""An organiser corrects a registrant's address in the console: Zoom cannot change a registrant's
email, so the registrant added with the old address is deleted and one is added with the new one
(new personal link), and the invite to the new address carries that link."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest

from panel_app.extensions import db
from panel_app.mail import services as mail_services
from panel_app.models import SyncState, User, utcnow
from panel_app.zoom.reconcile import reconcile_event
from tests.admin.conftest import PASSWORD, sign_in
from tests.clients import new_browser
from tests.conftest import csrf_from
from tests.factories import TEST_SECRET_KEY
from tests.zoom.conftest import MEETING_ID
from tests.zoom.helpers import register, reload

NEW_ADDRESS = "María.Núñez-Öztürk@Cortes-Generales.example"


@pytest.fixture
def organiser_browser(app, db):
    user = User(email="organiser@ipu.example.org", role="organiser")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    client = new_browser(app)
    assert sign_in(client, user.email).status_code == 303
    return client


def _edit(client, registration, **changes):
    url = f"/admin/events/{registration.event.slug}/registrations/{registration.id}/edit"
    values = {name: getattr(registration, name) or "" for name in (
        "salutation", "first_name", "last_name", "email", "country", "organisation", "affiliation_type", "role",
        "committees", "language", "accessibility_needs")}
    values.update(changes)
    return client.post(url, data={"csrf_token": csrf_from(client, url), **values})


def _mails(folder):
    return [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(folder.glob("*.eml"))]


def test_a_corrected_address_replaces_the_zoom_registrant_and_the_new_address_gets_the_new_link(
        zoom_event, sim, drain_jobs, organiser_browser, outbox, app):
    event = zoom_event()
    registration = register(event, 0)  # María-José Ñúñez-Öztürk, confirmed
    drain_jobs()
    before = reload(registration.id)
    old_id, old_link = before.zoom_registrant_id, before.zoom_join_url
    assert old_link and before.zoom_registrant_email == before.email_normalized

    response = _edit(organiser_browser, before, email=NEW_ADDRESS)
    assert response.status_code == 303
    corrected = reload(registration.id)
    assert corrected.zoom_state == SyncState.PENDING
    assert corrected.zoom_join_url is None  # the old link is about to be retired: nothing may send it again
    drain_jobs()

    after = reload(registration.id)
    people = sim.registrants(MEETING_ID)
    assert [p.email.casefold() for p in people] == [NEW_ADDRESS.casefold()]  # the old registrant is gone
    assert after.zoom_state == SyncState.DONE and after.zoom_registrant_id not in (None, old_id)
    assert after.zoom_join_url and after.zoom_join_url != old_link
    assert after.zoom_registrant_email == NEW_ADDRESS.casefold()

    with app.app_context():
        mail_services.deliver_until_done(db.session, now_fn=utcnow)
    to_new = [m for m in _mails(outbox) if "cortes-generales.example" in m["To"].casefold()]
    assert to_new, "the new address gets the invite"
    last = to_new[-1]
    assert after.zoom_join_url in last.get_body(("plain",)).get_content()
    calendars = [part for part in last.walk() if part.get_content_type() == "text/calendar"]
    assert calendars and "METHOD:REQUEST" in calendars[0].get_content()


def test_zoom_sync_after_a_correction_made_elsewhere_replaces_the_registrant_once(zoom_event, sim, drain_jobs,
                                                                                   zoom_client):
    event = zoom_event()
    registration = register(event, 1)
    drain_jobs()
    row = reload(registration.id)
    # Corrected by a path that bypassed the listeners (e.g. an import): `zoom sync` still notices.
    row.email, row.email_normalized = "jb.lefevre@assemblee-nationale.example", "jb.lefevre@assemblee-nationale.example"
    db.session.commit()
    report = reconcile_event(db.session, zoom_client, reload(registration.id).event, secret_key=TEST_SECRET_KEY)
    assert report.done == 1
    assert [p.email for p in sim.registrants(MEETING_ID)] == ["jb.lefevre@assemblee-nationale.example"]
    again = reconcile_event(db.session, zoom_client, reload(registration.id).event, secret_key=TEST_SECRET_KEY)
    assert again.pushed == 0 and len(sim.registrants(MEETING_ID)) == 1
