"""An organiser corrects a confirmed registrant's address in the console. Zoom cannot change a
registrant's email, and an address identifies a registrant everywhere, so the correction does what
the registrant's own does: the registration under the old address is cancelled (its invite is
withdrawn there, its Zoom registrant cancelled) and one under the new address takes its seat (a new
Zoom registrant, whose personal link goes to the new address)."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.mail import services as mail_services
from panel_app.models import Registration, SyncState, User, utcnow
from tests.admin.conftest import PASSWORD, sign_in
from tests.clients import new_browser
from tests.conftest import csrf_from
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


def _calendar_method(message) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method")
    return None


def test_a_corrected_address_moves_the_seat_the_invite_and_the_zoom_registrant(
        zoom_event, sim, drain_jobs, organiser_browser, outbox, app):
    event = zoom_event(capacity=1)
    registration = register(event, 0)  # María-José Ñúñez-Öztürk, confirmed, the only seat
    drain_jobs()
    with app.app_context():
        mail_services.deliver_until_done(db.session, now_fn=utcnow)  # her invite, to the old address
    before = reload(registration.id)
    old_address, old_link = before.email, before.zoom_join_url
    assert old_link

    response = _edit(organiser_browser, before, email=NEW_ADDRESS)
    assert response.status_code == 303
    db.session.expire_all()
    current = db.session.scalar(sa.select(Registration).where(
        Registration.email_normalized == NEW_ADDRESS.casefold()))
    assert response.headers["Location"].endswith(f"/registrations/{current.id}")
    assert (reload(registration.id).status, current.status) == ("cancelled", "confirmed")  # the seat moved
    drain_jobs()

    people = {p.email.casefold(): p for p in sim.registrants(MEETING_ID)}
    assert people[old_address.casefold()].status == "denied"  # Zoom lists cancelled registrants as denied
    assert people[NEW_ADDRESS.casefold()].status == "approved"
    after = reload(current.id)
    assert after.zoom_state == SyncState.DONE and after.zoom_join_url and after.zoom_join_url != old_link

    with app.app_context():
        mail_services.deliver_until_done(db.session, now_fn=utcnow)
    sent = _mails(outbox)
    to_old = [m for m in sent if old_address.casefold() in m["To"].casefold()]
    to_new = [m for m in sent if "cortes-generales.example" in m["To"].casefold()]
    assert _calendar_method(to_old[-1]) == "CANCEL"  # the invite in the old calendar is withdrawn
    assert _calendar_method(to_new[-1]) == "REQUEST"
    assert after.zoom_join_url in to_new[-1].get_body(("plain",)).get_content()
