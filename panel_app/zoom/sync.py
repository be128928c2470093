"""Keeping Zoom's registrant list in step with ours.

The registration row is the source of truth for the Zoom side effect: `zoom_state`
(`none` / `pending` / `done` / `failed`), attempts, next attempt, last error (shown to
organisers), registrant id, join URL and the Zoom status last pushed. Jobs and the
`zoom sync` command only move rows from pending to done.

Never adding a person twice: once `zoom_registrant_id` is stored we never POST again
(status changes go through `PUT .../registrants/status`), and a row is *claimed* with a
lease (a conditional UPDATE of `zoom_next_attempt_at`) before any call, so two workers
cannot both POST. If a worker dies after Zoom answered but before we stored the id, the
lease runs out, the row is retried, and Zoom answers the same registrant for the same
email (it costs one of the 3 daily adds Zoom allows per person, nothing more).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, object_session

from panel_app.core.after_commit import after_commit
from panel_app.models import ApprovalMode, Event, Registration, RegistrationStatus, SyncState, utcnow
from panel_app.registration import signals
from panel_app.zoom.client import ZoomClient, zoom_enabled
from panel_app.zoom.errors import ZoomError, ZoomRateLimited

log = logging.getLogger(__name__)

#: How long a claimed row is reserved for the worker that claimed it.
LEASE = timedelta(minutes=5)
#: Retry budget: about 12 hours of backoff (30 s doubling, capped at an hour) before `failed`.
MAX_ATTEMPTS = 18
#: Zoom's `language` values for our interpretation languages (Zoom's own emails follow it).
ZOOM_LANGUAGES = {"en": "en-US", "fr": "fr-FR", "es": "es-ES"}
#: Titles of the custom questions carrying what Zoom has no field for.
QUESTION_AFFILIATION = "Affiliation type"
QUESTION_ROLE = "Role"
QUESTION_LANGUAGE = "Interpretation language"
#: Status we want at Zoom -> the registrant status action that gets it there.
ACTIONS = {"approved": "approve", "cancel": "cancel", "deny": "deny"}
#: Zoom's list statuses -> our `zoom_synced_status` vocabulary.
FROM_ZOOM_STATUS = {"approved": "approved", "pending": "pending", "denied": "deny"}


# -- what Zoom should hold -------------------------------------------------------------------

def desired_zoom_status(registration: Registration) -> str | None:
    """The Zoom status this registration calls for, or None when Zoom should not know them."""
    status = registration.status
    if status == RegistrationStatus.CONFIRMED:
        return "approved"
    if status == RegistrationStatus.PENDING and registration.event.approval_mode == ApprovalMode.MANUAL:
        return "pending"
    if status == RegistrationStatus.CANCELLED:
        return "cancel"
    if status == RegistrationStatus.DECLINED:
        return "deny"
    return None  # waitlisted: added when promoted


def needs_zoom_work(registration: Registration) -> bool:
    """True when a call to Zoom is due for this registration."""
    if not registration.event.zoom_id:
        return False
    desired = desired_zoom_status(registration)
    if registration.zoom_registrant_id is None:
        return desired in ("approved", "pending")
    if desired in ACTIONS and desired != registration.zoom_synced_status:
        return True
    return desired == "approved" and not registration.zoom_join_url


def registrant_body(registration: Registration) -> dict:
    """POST body for Zoom's "add a registrant", within Zoom's field limits."""
    body = {
        "email": registration.email,
        "first_name": registration.first_name.strip()[:64] or "-",
        "last_name": registration.last_name.strip()[:64] or "-",
        "custom_questions": [
            {"title": QUESTION_AFFILIATION, "value": registration.affiliation_type[:128]},
            {"title": QUESTION_ROLE, "value": registration.role[:128]},
            {"title": QUESTION_LANGUAGE, "value": registration.language[:128]},
        ],
    }
    if registration.country and len(registration.country) == 2:
        body["country"] = registration.country.upper()
    if registration.organisation.strip():
        body["org"] = registration.organisation.strip()[:128]
    if registration.communication_language in ZOOM_LANGUAGES:  # the language of Zoom's own emails
        body["language"] = ZOOM_LANGUAGES[registration.communication_language]
    return body


def mark_pending(registration: Registration, now: datetime, *, reset_attempts: bool = True) -> None:
    """Queue the registration for a Zoom call, without breaking a lease a worker holds."""
    leased = (registration.zoom_state == SyncState.PENDING and registration.zoom_next_attempt_at is not None
              and registration.zoom_next_attempt_at > now and registration.zoom_attempts > 0)
    registration.zoom_state = SyncState.PENDING
    if not leased:
        registration.zoom_next_attempt_at = now
    if reset_attempts and not leased:
        registration.zoom_attempts = 0
    registration.zoom_last_error = None


def _sync_enabled_for(registration: Registration) -> bool:
    try:
        config = current_app.config
    except RuntimeError:  # no app context: nothing configured
        return False
    return zoom_enabled(config) and bool(registration.event.zoom_id)


def _schedule(registration: Registration, now: datetime) -> None:
    from panel_app.zoom.jobs import sync_registration_job

    mark_pending(registration, now)
    session = object_session(registration)
    if session is not None:
        after_commit(session, sync_registration_job.enqueue, registration.id)


# -- signal receivers (run inside the registration's transaction) ----------------------------

@signals.registration_created.connect
def on_registration_created(registration: Registration, **_kwargs) -> None:
    """New or re-opened registration: add it to Zoom once committed (if sync is on)."""
    if not _sync_enabled_for(registration):
        return
    if needs_zoom_work(registration):
        _schedule(registration, utcnow())
    elif registration.zoom_registrant_id is None:
        registration.zoom_state = SyncState.NONE  # waitlisted: nothing to do yet


@signals.registration_status_changed.connect
def on_registration_status_changed(registration: Registration, previous=None, actor=None, **_kwargs) -> None:
    """Approve / cancel / decline / promotion: push the change to Zoom after commit."""
    if not _sync_enabled_for(registration):
        return
    if needs_zoom_work(registration):
        _schedule(registration, utcnow())


# -- the worker side -------------------------------------------------------------------------

def claim(session: Session, registration_id: int, now: datetime, lease: timedelta = LEASE) -> bool:
    """Reserve a due, pending row for this worker (commits). False when not due or taken."""
    result = session.execute(
        sa.update(Registration)
        .where(Registration.id == registration_id, Registration.zoom_state == SyncState.PENDING,
               sa.or_(Registration.zoom_next_attempt_at.is_(None), Registration.zoom_next_attempt_at <= now))
        .values(zoom_next_attempt_at=now + lease, zoom_attempts=Registration.zoom_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def retry_delay(attempts: int) -> timedelta:
    """Backoff before attempt `attempts + 1`: 30 s doubling to an hour, with jitter."""
    seconds = min(30 * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def _request_invite(session: Session, registration: Registration, now: datetime) -> None:
    """Ask the mail feature to re-send the invite so it carries the personal join link."""
    try:
        from panel_app.mail.services import request_invite
    except ImportError:
        log.info("mail.services.request_invite not available; registration %s keeps its earlier invite",
                 registration.id)
        return
    if registration.status != RegistrationStatus.CONFIRMED:
        return  # the invite goes out with the personal link once they are confirmed
    try:
        request_invite(session, registration, now=now)
    except ValueError as exc:  # e.g. the event was cancelled meanwhile: no invite to refresh
        log.info("no new invite for registration %s: %s", registration.id, exc)


def _store_join_url(session: Session, registration: Registration, join_url: str | None, now: datetime) -> None:
    if not join_url or join_url == registration.zoom_join_url:
        return
    had_link = registration.zoom_join_url
    registration.zoom_join_url = join_url
    if registration.invite_state == SyncState.DONE and not had_link:
        _request_invite(session, registration, now)


def _step(session: Session, client: ZoomClient, registration: Registration, now: datetime) -> bool:
    """Do the next Zoom call this row needs; False when nothing is left to do."""
    event = registration.event
    kind, zoom_id = event.zoom_kind, event.zoom_id
    desired = desired_zoom_status(registration)
    if registration.zoom_registrant_id is None:
        if desired not in ("approved", "pending"):
            return False
        data = client.add_registrant(kind, zoom_id, registrant_body(registration))
        registration.zoom_registrant_id = str(data["registrant_id"])
        registration.zoom_synced_status = "approved" if data.get("join_url") else "pending"
        _store_join_url(session, registration, data.get("join_url"), now)
        return True
    action = ACTIONS.get(desired or "")
    if action and desired != registration.zoom_synced_status:
        client.update_registrant_status(kind, zoom_id, action,
                                        [{"id": registration.zoom_registrant_id, "email": registration.email}])
        registration.zoom_synced_status = desired
        return True
    if desired == "approved" and not registration.zoom_join_url:
        data = client.get_registrant(kind, zoom_id, registration.zoom_registrant_id)
        if not data.get("join_url"):
            raise ZoomError("Zoom has not issued a join link for this registrant yet")
        _store_join_url(session, registration, data["join_url"], now)
        return True
    return False


def _finish(session: Session, registration: Registration, observed_status: str) -> bool:
    """Mark done only if the registration's status did not change while we talked to Zoom."""
    result = session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.status == observed_status,
               Registration.zoom_state == SyncState.PENDING)
        .values(zoom_state=SyncState.DONE if registration.zoom_registrant_id else SyncState.NONE,
                zoom_next_attempt_at=None, zoom_last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _record_failure(session: Session, registration: Registration, exc: ZoomError, now: datetime) -> None:
    registration.zoom_last_error = str(exc)[:2000]
    if isinstance(exc, ZoomRateLimited) and exc.daily and exc.retry_at:
        # Not the row's fault: do not spend its retry budget; come back when Zoom allows.
        registration.zoom_attempts = max(registration.zoom_attempts - 1, 0)
        registration.zoom_next_attempt_at = exc.retry_at + timedelta(seconds=random.uniform(0, 60))
    elif exc.retryable and registration.zoom_attempts < MAX_ATTEMPTS:
        registration.zoom_next_attempt_at = now + retry_delay(registration.zoom_attempts)
    else:
        registration.zoom_state = SyncState.FAILED
        registration.zoom_next_attempt_at = None
    session.commit()


def sync_registration(session: Session, client: ZoomClient, registration_id: int, *,
                      now: datetime | None = None, lease: timedelta = LEASE) -> str:
    """Bring one registration's Zoom registrant up to date. Commits. Returns the outcome:
    'skipped' (not due or claimed elsewhere), 'done', 'retry' or 'failed'.
    """
    now = now or utcnow()
    if not claim(session, registration_id, now, lease):
        return "skipped"
    registration = session.get(Registration, registration_id, populate_existing=True)
    try:
        for _ in range(6):  # add, approve, fetch link... then settle; bounded in case of churn
            observed = registration.status
            while _step(session, client, registration, now):
                session.commit()  # keep what Zoom gave us even if a later step fails
            if _finish(session, registration, observed):
                return "done"
            session.refresh(registration)  # status changed meanwhile: go again
        raise ZoomError("the registration kept changing while it was being synced")
    except ZoomError as exc:
        session.rollback()
        registration = session.get(Registration, registration_id, populate_existing=True)
        log.warning("zoom sync of registration %s: %s", registration_id, exc)
        _record_failure(session, registration, exc, now)
        return "failed" if registration.zoom_state == SyncState.FAILED else "retry"


def due_registration_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Pending rows whose next attempt (or expired lease) has come."""
    return list(session.scalars(
        sa.select(Registration.id)
        .where(Registration.zoom_state == SyncState.PENDING,
               sa.or_(Registration.zoom_next_attempt_at.is_(None), Registration.zoom_next_attempt_at <= now))
        .order_by(Registration.zoom_next_attempt_at, Registration.id)
        .limit(limit)
    ))


# -- reconcile with Zoom's list (the `zoom sync` command) -----------------------------------

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


def _question(registrant: dict, title: str) -> str:
    for question in registrant.get("custom_questions") or []:
        if isinstance(question, dict) and question.get("title") == title:
            return str(question.get("value") or "")
    return ""


def import_zoom_registrant(session: Session, event: Event, registrant: dict, *, now: datetime,
                           secret_key: str) -> Registration | None:
    """Record someone who registered directly on Zoom, so our list and exports include them."""
    from panel_app.models import AffiliationType, ParticipantRole
    from panel_app.registration.services import new_token

    email = str(registrant.get("email") or "").strip()
    if not email or not registrant.get("id"):
        return None
    zoom_status = FROM_ZOOM_STATUS.get(str(registrant.get("status") or "approved"), "approved")
    status = {"approved": RegistrationStatus.CONFIRMED, "pending": RegistrationStatus.PENDING,
              "deny": RegistrationStatus.DECLINED}[zoom_status]
    language = str(registrant.get("language") or "")[:2].lower()
    if language not in (event.languages or []):
        language = _question(registrant, QUESTION_LANGUAGE) or ""
    if language not in (event.languages or []):
        language = (event.languages or ["en"])[0]
    affiliation = _question(registrant, QUESTION_AFFILIATION)
    role = _question(registrant, QUESTION_ROLE)
    _token, token_hash, nonce = new_token(secret_key)
    registration = Registration(
        event_id=event.id, first_name=str(registrant.get("first_name") or "")[:200] or "-",
        last_name=str(registrant.get("last_name") or "")[:200], email=email[:320], email_normalized=email.casefold(),
        country=str(registrant.get("country") or "")[:2].upper(), organisation=str(registrant.get("org") or "")[:300],
        affiliation_type=affiliation if affiliation in set(AffiliationType) else "",
        role=role if role in set(ParticipantRole) else ParticipantRole.OTHER, language=language,
        consent_at=now, privacy_notice_version="zoom", status=status, token_hash=token_hash, token_nonce=nonce,
        created_at=now, status_changed_at=now,
        # Zoom already sent them its own confirmation; our invite flow is for our registrants.
        invite_state=SyncState.NONE, zoom_state=SyncState.DONE, zoom_registrant_id=str(registrant["id"]),
        zoom_join_url=registrant.get("join_url"), zoom_synced_status=zoom_status,
    )
    session.add(registration)
    session.flush()
    return registration


def reconcile_event(session: Session, client: ZoomClient, event: Event, *, now: datetime | None = None,
                    secret_key: str, progress: Callable[[list[int]], object] | None = None) -> ReconcileReport:
    """Compare our list with Zoom's (all statuses, every page) and repair the differences.

    Links rows Zoom already knows (by email) instead of adding them again, queues what is
    missing or out of date (failed rows included: the operator asked for a retry), imports
    people who registered directly on Zoom, then pushes the queue. Commits.
    """
    now = now or utcnow()
    report = ReconcileReport(event_slug=event.slug)
    zoom_people: dict[str, dict] = {}
    for status in ("approved", "pending", "denied"):
        for person in client.iter_registrants(event.zoom_kind, event.zoom_id, status):
            zoom_people[str(person["id"])] = person
    report.in_zoom = len(zoom_people)
    by_email = {str(p.get("email") or "").casefold(): p for p in zoom_people.values()}
    ours = list(session.scalars(sa.select(Registration).where(Registration.event_id == event.id)
                                .order_by(Registration.id)))
    report.ours = len(ours)
    seen: set[str] = set()
    to_push: list[int] = []
    for registration in ours:
        person = None
        if registration.zoom_registrant_id:
            person = zoom_people.get(registration.zoom_registrant_id)
        if person is None:
            person = by_email.get(registration.email_normalized)
            if person is not None and registration.zoom_registrant_id != str(person["id"]):
                registration.zoom_registrant_id = str(person["id"])
                report.linked += 1
        desired = desired_zoom_status(registration)
        if person is not None:
            seen.add(str(person["id"]))
            zoom_status = FROM_ZOOM_STATUS.get(person.get("status"), registration.zoom_synced_status)
            if zoom_status != registration.zoom_synced_status:
                report.mismatches.append(
                    f"{registration.email}: Zoom has {person.get('status')}, we last pushed "
                    f"{registration.zoom_synced_status or 'nothing'}")
                registration.zoom_synced_status = zoom_status
            if person.get("join_url") and person.get("status") == "approved":
                _store_join_url(session, registration, person["join_url"], now)
        elif registration.zoom_registrant_id and desired in ("approved", "pending") \
                and registration.zoom_synced_status not in ("cancel", "deny"):
            report.mismatches.append(f"{registration.email}: not in Zoom's lists; asking Zoom to approve again")
            registration.zoom_synced_status = None
        elif registration.zoom_registrant_id and desired in ("approved", "pending"):
            registration.zoom_synced_status = None  # re-opened after cancel/decline: approve again
        if needs_zoom_work(registration):
            mark_pending(registration, now)
            to_push.append(registration.id)
        elif registration.zoom_state in (SyncState.PENDING, SyncState.FAILED):
            registration.zoom_state = SyncState.DONE if registration.zoom_registrant_id else SyncState.NONE
            registration.zoom_next_attempt_at = None
            registration.zoom_last_error = None
    for rid, person in zoom_people.items():
        if rid in seen:
            continue
        if import_zoom_registrant(session, event, person, now=now, secret_key=secret_key) is not None:
            report.imported += 1
    session.commit()

    items = progress(to_push) if progress else to_push
    for registration_id in items:
        report.pushed += 1
        outcome = sync_registration(session, client, registration_id, now=now)
        registration = session.get(Registration, registration_id)
        if outcome == "done":
            report.done += 1
        elif outcome == "failed":
            report.failed.append(f"{registration.email}: {registration.zoom_last_error}")
        else:
            report.still_pending.append(f"{registration.email}: {registration.zoom_last_error or outcome}")
    return report
