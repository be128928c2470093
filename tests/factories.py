"""Test data factories (factory_boy). Valid by default; override what a test is about."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import factory

from panel_app.models import Contact, Event, Organisation, Registration, RegistrationStatus, SyncState
from panel_app.registration.services import new_token


def _in_days(days: int, hour: int = 13) -> datetime:
    base = datetime.now(timezone.utc).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


class EventFactory(factory.Factory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"panel-{n}")
    title = factory.Sequence(lambda n: f"Panel discussion {n}")
    description = "A panel discussion."
    audience = "Members of parliament and parliamentary staff."
    translations = factory.LazyFunction(dict)
    starts_at = factory.LazyFunction(lambda: _in_days(30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=90))
    timezone = "Europe/Zurich"
    languages = factory.LazyFunction(lambda: ["en", "fr", "es"])
    capacity = None
    approval_mode = "auto"
    status = "published"
    join_url = "https://zoom.example/j/123456789"
    organiser_name = "Inter-Parliamentary Union"
    organiser_email = "events@ipu.example.org"
    calendar_sequence = 0
    seats_version = 0


class RegistrationFactory(factory.Factory):
    class Meta:
        model = Registration

    salutation = ""
    first_name = factory.Sequence(lambda n: f"Amina{n}")
    last_name = "Diallo"
    email = factory.Sequence(lambda n: f"person{n}@parliament.example")
    email_normalized = factory.LazyAttribute(lambda o: o.email.casefold())
    country = "SN"
    organisation = "Parliament of Senegal"
    affiliation_type = "member_parliament"
    role = "mp"
    committees = ""
    language = "fr"
    accessibility_needs = ""
    consent_at = factory.LazyFunction(lambda: datetime.now(timezone.utc))
    privacy_notice_version = "test"
    status = RegistrationStatus.CONFIRMED
    invite_state = SyncState.PENDING
    invite_attempts = 0
    zoom_state = SyncState.NONE
    zoom_attempts = 0
    created_at = factory.LazyFunction(lambda: datetime.now(timezone.utc))
    status_changed_at = factory.LazyFunction(lambda: datetime.now(timezone.utc))


class OrganisationFactory(factory.Factory):
    """A directory entry: a member parliament unless told otherwise."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Parliament of Testland {n}")
    translations = factory.LazyAttribute(lambda o: {"fr": o.name.replace("Parliament of", "Parlement de"),
                                                    "es": o.name.replace("Parliament of", "Parlamento de")})
    country = "SN"
    affiliation_type = "member_parliament"
    region = "Africa"
    active = True


class ContactFactory(factory.Factory):
    """A contact at a directory entry (pass `organisation_id`)."""

    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Awa Ndiaye-Sène {n}")
    email = factory.Sequence(lambda n: f"contact{n}@parliament.example.org")
    email_normalized = factory.LazyAttribute(lambda o: o.email.casefold())
    function = "Secrétaire du Groupe de l'UIP"
    language = "fr"
    active = True


TEST_SECRET_KEY = "test-secret-key"  # matches the `app` fixture's SECRET_KEY


def build_registration(event: Event, **overrides) -> tuple[Registration, str]:
    """An unsaved registration for `event` with a fresh private token; returns (row, token)."""
    token, token_hash, nonce = new_token(TEST_SECRET_KEY)
    registration = RegistrationFactory.build(event_id=event.id, token_hash=token_hash, token_nonce=nonce, **overrides)
    return registration, token


def registration_form_data(**overrides) -> dict:
    """A complete, valid POST body for the public form (contract field names)."""
    data = {
        "salutation": "Hon.",
        "first_name": "Amina",
        "last_name": "Diallo",
        "email": "amina.diallo@parliament.example",
        "country": "SN",
        "organisation": "Parliament of Senegal",
        "affiliation_type": "member_parliament",
        "role": "mp",
        "committees": "Human rights",
        "language": "fr",
        "accessibility_needs": "",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
