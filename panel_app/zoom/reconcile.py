"""Comparing our registrations with Zoom's list and repairing both (the `zoom sync` command).

Zoom's list has every registrant in one of three statuses ("List meeting registrants",
`status=approved|pending|denied`; cancelled people are listed as denied). A row is linked to
Zoom's registrant by id, else by email (an add whose answer was lost); what Zoom holds is
recorded as the registrant's known status; what differs from what the row calls for is queued
and pushed. People who registered on Zoom directly are recorded through the registration
service, so our lists and exports include them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import (
    AffiliationType,
    Event,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    SyncState,
    utcnow,
)
from panel_app.registration.services import RegistrationInput, record_external_registration
from panel_app.zoom import questions, registrants, sync
from panel_app.zoom.client import ZoomClient


@dataclass
class ReconcileReport:
    event_slug: str
    in_zoom: int = 0
    ours: int = 0
    linked: int = 0  # had no registrant id, found in Zoom by email
    imported: int = 0  # registered directly on Zoom
    pushed: int = 0
    done: int = 0
    failed: list[str] = field(default_factory=list)  # "email: reason"
    still_pending: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _question(registrant: dict, title: str) -> str:
    for question in registrant.get("custom_questions") or []:
        if isinstance(question, dict) and question.get("title") == title:
            return _text(question.get("value"))
    return ""


#: Zoom's status of a registrant -> ours, for people who registered on Zoom directly.
FROM_ZOOM_STATUS = {registrants.APPROVED: RegistrationStatus.CONFIRMED, registrants.PENDING: RegistrationStatus.PENDING,
                    registrants.DENIED: RegistrationStatus.DECLINED}


def import_zoom_registrant(session: Session, event: Event, registrant: dict, *, now: datetime,
                           secret_key: str) -> Registration | None:
    """Record someone who registered directly on Zoom (None when Zoom's record is unusable)."""
    email = _text(registrant.get("email")).strip()
    registrant_id = _text(registrant.get("id"))
    if not email or "@" not in email or not registrant_id:
        return None
    zoom_status = _text(registrant.get("status")) or registrants.APPROVED
    if zoom_status not in FROM_ZOOM_STATUS:
        return None
    languages = event.languages or ["en"]
    language = _text(registrant.get("language"))[:2].lower()
    if language not in languages:
        language = _question(registrant, questions.QUESTION_LANGUAGE)
    if language not in languages:
        language = languages[0]
    affiliation = _question(registrant, questions.QUESTION_AFFILIATION)
    role = _question(registrant, questions.QUESTION_ROLE)
    data = RegistrationInput(
        first_name=_text(registrant.get("first_name"))[:200] or "-", last_name=_text(registrant.get("last_name"))[:200],
        email=email[:320], email_normalized=email.casefold()[:320],
        country=_text(registrant.get("country"))[:2].upper(), organisation=_text(registrant.get("org"))[:300],
        affiliation_type=affiliation if affiliation in set(AffiliationType) else "",
        role=role if role in set(ParticipantRole) else ParticipantRole.OTHER, language=language,
    )
    registration = record_external_registration(session, event, data, status=FROM_ZOOM_STATUS[zoom_status], now=now,
                                                secret_key=secret_key, source="zoom")
    if registration.zoom_registrant_id is None:
        registration.zoom_registrant_id = registrant_id[:64]
        registrants.record_zoom_status(registration, zoom_status)
        if zoom_status == registrants.APPROVED:
            registration.zoom_join_url = _text(registrant.get("join_url"))[:1000] or None
        registration.zoom_state = SyncState.DONE
        registration.zoom_changed_at = now
    return registration


def reconcile_event(session: Session, client: ZoomClient, event: Event, *, now: datetime | None = None,
                    secret_key: str, progress: Callable[[list[int]], object] | None = None) -> ReconcileReport:
    """Compare our list with Zoom's (all statuses, every page) and repair the differences.

    Links rows Zoom already knows (by email) instead of adding them again, records Zoom's
    status, queues what is missing or out of date (failed rows included: the operator asked
    for a retry), imports people who registered directly on Zoom, then pushes the queue. Commits.
    """
    now = now or utcnow()
    report = ReconcileReport(event_slug=event.slug)
    zoom_people: dict[str, dict] = {}
    for status in registrants.ZOOM_STATUSES:
        for person in client.iter_registrants(event.zoom_kind, event.zoom_id, status):
            if _text(person.get("id")):
                zoom_people[person["id"]] = {**person, "status": status}
    report.in_zoom = len(zoom_people)
    by_email = {_text(p.get("email")).casefold(): p for p in zoom_people.values() if _text(p.get("email"))}
    ours = list(session.scalars(sa.select(Registration).where(Registration.event_id == event.id)
                                .order_by(Registration.id)))
    report.ours = len(ours)
    seen: set[str] = set()
    to_push: list[int] = []
    for registration in ours:
        person = zoom_people.get(registration.zoom_registrant_id or "") or by_email.get(registration.email_normalized)
        if person is not None:
            seen.add(person["id"])
            if registration.zoom_registrant_id != person["id"]:
                registration.zoom_registrant_id = person["id"][:64]
                report.linked += 1
            if registration.zoom_synced_status not in (None, person["status"]):
                report.mismatches.append(f"{registration.email or registration.id}: Zoom has {person['status']}, "
                                         f"we knew {registration.zoom_synced_status}")
            registrants.record_zoom_status(registration, person["status"])
            if person["status"] == registrants.APPROVED:
                registrants.record_join_url(session, registration, _text(person.get("join_url")), now)
        elif registration.zoom_registrant_id:
            report.mismatches.append(f"{registration.email or registration.id}: not in Zoom's lists any more")
            registrants.forget_registrant(registration)
        if registrants.needs_zoom_work(registration):
            registrants.mark_pending(session, registration, now)
            to_push.append(registration.id)
        else:
            registrants.settle(registration)
    for rid, person in zoom_people.items():
        if rid not in seen and import_zoom_registrant(session, event, person, now=now,
                                                      secret_key=secret_key) is not None:
            report.imported += 1
    session.commit()

    items = progress(to_push) if progress else to_push
    for registration_id in items:
        report.pushed += 1
        outcome = sync.sync_registration(session, client, registration_id, now=now)
        registration = session.get(Registration, registration_id)
        label = registration.email or f"registration {registration.id}"
        if outcome == "done":
            report.done += 1
        elif outcome == "failed":
            report.failed.append(f"{label}: {registration.zoom_last_error}")
        else:
            report.still_pending.append(f"{label}: {registration.zoom_last_error or outcome}")
    return report
