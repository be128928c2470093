"""Helpers shared by the Zoom tests: realistic registrants, reloads, webhook payloads, a hooked HTTP session."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import requests
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models import Registration, SyncState, utcnow
from panel_app.registration import services as registration_services
from panel_app.registration.services import RegistrationInput
from tests.factories import TEST_SECRET_KEY

#: Registrants as they come to IPU panels: long, accented, hyphenated names in three languages.
PEOPLE = [
    ("María-José", "Ñúñez-Öztürk", "es", "ES", "Cortes Generales"),
    ("Jean-Baptiste", "Lefèvre-Dubois", "fr", "FR", "Assemblée nationale"),
    ("Amina", "Diallo", "fr", "SN", "Assemblée nationale du Sénégal"),
    ("Søren", "Kierkegaard-Åberg", "en", "DK", "Folketinget"),
    ("Nguyễn", "Thị Minh Khai", "en", "VN", "National Assembly of Viet Nam"),
    ("Zoë", "O'Connor-Þórsdóttir", "en", "IS", "Alþingi"),
]


def register(event, n: int, **overrides) -> Registration:
    """Register person `n` through the registration service (signals and all), committed."""
    first, last, language, country, organisation = PEOPLE[n % len(PEOPLE)]
    ascii_first = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().casefold()
    email = f"{ascii_first}.{n}@Parliament.example"
    data = dict(first_name=first if n < len(PEOPLE) else f"{first} {n}", last_name=last, email=email,
                email_normalized=email.casefold(), country=country, affiliation_type="member_parliament",
                role="mp", language=language, organisation=organisation)
    data.update(overrides)
    outcome = registration_services.register(db.session, event, RegistrationInput(**data), now=utcnow(),
                                             privacy_notice_version="test", secret_key=TEST_SECRET_KEY)
    db.session.commit()
    return outcome.registration


def reload(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def assert_exactly_once(sim, registrations, meeting_id):
    """Everyone in Zoom exactly once, each row done and linked to its registrant."""
    people = sim.registrants(meeting_id)
    emails = sorted(p.email.casefold() for p in people)
    assert emails == sorted({r.email_normalized for r in registrations}), "everyone in Zoom exactly once"
    by_email = {p.email.casefold(): p.id for p in people}
    for registration in registrations:
        fresh = reload(registration.id)
        assert fresh.zoom_state == SyncState.DONE, (fresh.email, fresh.zoom_last_error)
        assert fresh.zoom_registrant_id == by_email[fresh.email_normalized]


def zoom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def participant(*, registrant_id="", email="", name="Guest", at: datetime, leave=False, user_id="16778240",
                participant_uuid="pu-1") -> dict:
    """A `participant` object of meeting.participant_joined/_left as Zoom sends it for someone outside the
    host's account: `id` and `participant_user_id` blank (MeetingParticipantJoinedEvent)."""
    data = {"user_id": user_id, "user_name": name, "id": "", "participant_uuid": participant_uuid,
            "email": email, "registrant_id": registrant_id, "participant_user_id": ""}
    if leave:
        data.update(leave_time=zoom_time(at), leave_reason="left the meeting")
    else:
        data["join_time"] = zoom_time(at)
    return data


def participant_event(sim, meeting_id: str, uuid: str, started: datetime, person: dict) -> dict:
    payload = sim.participant_payload(meeting_id, uuid, person)
    payload["object"]["start_time"] = zoom_time(started)
    return payload


def event_ts(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def deliveries_processed() -> int:
    from panel_app.models.zoom import ZoomWebhookDelivery

    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ZoomWebhookDelivery)
                             .where(ZoomWebhookDelivery.processed_at.isnot(None)))


class HookedSession(requests.Session):
    """A real HTTP session that runs `hook(method, url)` just before each request leaves: lets a test
    change the database while a Zoom call is in flight, deterministically."""

    def __init__(self, hook):
        super().__init__()
        self.hook = hook

    def request(self, method, url, *args, **kwargs):
        self.hook(method, url)
        return super().request(method, url, *args, **kwargs)


def an_hour_from(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(hours=1)
