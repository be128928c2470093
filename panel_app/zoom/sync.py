"""Keeping one registration's Zoom registrant in step with ours (the worker side).

The registration row is the source of truth for the Zoom side effect: `zoom_state`
(`none` / `pending` / `done` / `failed`), attempts, next attempt, last error (shown to
organisers), registrant id, join URL, the registrant's status at Zoom as last known, and the
instant of our last change there. Jobs and the `zoom sync` command only move rows from
pending to done; signal listeners (`receivers.py`) put them back to pending.

What Zoom should hold is decided in `registrants.py` (Zoom's three statuses, no "cancelled").
The calls: "Add a registrant" answers an id and a join_url but no status (the join_url comes
even for a registrant waiting for approval), so the status is read with "Get a registrant";
a cancelled or declined registration is moved to "denied" with `cancel` or `deny`; one re-opened
after a cancellation is approved again, never re-added (Zoom refuses a denied email); erasure
deletes the registrant ("Delete a meeting registrant"), a 404 meaning already gone.

Never adding a person twice: once `zoom_registrant_id` is stored we never POST again, and a
row is *claimed* with a lease (a conditional UPDATE of `zoom_next_attempt_at`) before any call,
so two workers cannot both POST. If a worker dies after Zoom answered but before we stored the
id, the lease runs out, the row is retried, and Zoom answers the same registrant for the same
email (it costs one of the three adds a day Zoom allows per registrant, nothing more).
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.core.text import error_text
from panel_app.models import Registration, SyncState, utcnow
from panel_app.zoom.client import ZoomClient
from panel_app.zoom.errors import (
    MEETING_NOT_FOUND_CODE,
    ZoomError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestRejected,
    ZoomUnavailable,
    registrant_gone,
)
from panel_app.zoom.registrants import (  # noqa: F401  (the rules, re-exported for callers of the worker side)
    APPROVED,
    DELETED,
    DENIED,
    PENDING,
    ZOOM_STATUSES,
    action_for,
    desired_zoom_status,
    forget_registrant,
    mark_pending,
    needs_zoom_work,
    record_join_url,
    record_zoom_status,
    registrant_body,
)

log = logging.getLogger(__name__)

#: How long a claimed row is reserved for the worker that claimed it.
LEASE = timedelta(minutes=5)
#: Retry budget: about 12 hours of backoff (30 s doubling, capped at an hour) before `failed`.
MAX_ATTEMPTS = 18
#: Rows parked until a daily limit resets come back spread over this many seconds after midnight.
DAILY_RESET_JITTER_SECONDS = 300


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


def _changed(registration: Registration, client: ZoomClient) -> None:
    registration.zoom_changed_at = client.clock()


def _step(session: Session, client: ZoomClient, registration: Registration, desired: str | None,
          now: datetime) -> bool:
    """Do the next Zoom call this row needs to reach `desired`; False when nothing is left."""
    kind, zoom_id = registration.event.zoom_kind, registration.event.zoom_id
    registrant_id = registration.zoom_registrant_id
    if desired == DELETED:
        if registrant_id is None:
            return False
        try:
            client.delete_registrant(kind, zoom_id, registrant_id)
        except (ZoomNotFound, ZoomRequestRejected) as exc:
            # Already gone, or the whole meeting is: nothing of theirs is left at Zoom.
            if not (registrant_gone(exc) or (isinstance(exc, ZoomNotFound) and exc.code == MEETING_NOT_FOUND_CODE)):
                raise
        forget_registrant(registration)
        _changed(registration, client)
        return True
    if registrant_id is None:
        if desired not in (APPROVED, PENDING):
            return False
        _add(client, registration)
        _changed(registration, client)
        return True
    current = registration.zoom_synced_status
    if current is None or (desired == current == APPROVED and not registration.zoom_join_url):
        return _read_registrant(session, client, registration, desired, now)
    action = action_for(current, desired)
    if action is None:
        return False
    try:
        client.update_registrant_status(kind, zoom_id, action, [{"id": registrant_id, "email": registration.email}])
    except (ZoomNotFound, ZoomRequestRejected) as exc:
        if registrant_gone(exc):
            forget_registrant(registration)  # Zoom does not know this id any more: add again if wanted
            return True
        if action != "approve" or current != DENIED or isinstance(exc, ZoomNotFound):
            raise
        # Zoom would not approve a cancelled registrant: delete them and add them afresh.
        try:
            client.delete_registrant(kind, zoom_id, registrant_id)
        except (ZoomNotFound, ZoomRequestRejected) as gone:
            if not registrant_gone(gone):
                raise
        forget_registrant(registration)
        return True
    # Zoom answers 204 even for an id it does not know: an approval is read back (status, join link).
    record_zoom_status(registration, None if action == "approve" else DENIED)
    _changed(registration, client)
    return True


def _add(client: ZoomClient, registration: Registration) -> None:
    kind, zoom_id = registration.event.zoom_kind, registration.event.zoom_id
    body = registrant_body(registration)
    try:
        data = client.add_registrant(kind, zoom_id, body)
    except ZoomRequestRejected as exc:
        text = exc.message.casefold()
        if "denied" in text or "blocked" in text or "cancel" in text:
            # Zoom keeps cancelled and denied people and refuses their email: find them, approve later.
            person = _find_listed(client, registration, DENIED)
            if person is None:
                raise
            registration.zoom_registrant_id = person["id"][:64]
            record_zoom_status(registration, DENIED)
            return
        if "custom_questions" not in text or not body.get("custom_questions"):
            raise
        # The meeting lacks our registration questions (`flask zoom setup` fixes that): register the
        # person anyway; the answers stay here.
        log.warning("zoom meeting %s refuses our custom questions; registration %s added without them",
                    zoom_id, registration.id)
        del body["custom_questions"]
        data = client.add_registrant(kind, zoom_id, body)
    registration.zoom_registrant_id = str(data["registrant_id"])[:64]
    record_zoom_status(registration, None)  # the answer carries no status: read it next


def _find_listed(client: ZoomClient, registration: Registration, status: str) -> dict | None:
    event = registration.event
    for person in client.iter_registrants(event.zoom_kind, event.zoom_id, status):
        if isinstance(person.get("id"), str) and str(person.get("email") or "").casefold() == \
                registration.email_normalized:
            return person
    return None


def _read_registrant(session: Session, client: ZoomClient, registration: Registration, desired: str | None,
                     now: datetime) -> bool:
    event = registration.event
    try:
        data = client.get_registrant(event.zoom_kind, event.zoom_id, registration.zoom_registrant_id)
    except (ZoomNotFound, ZoomRequestRejected) as exc:
        if not registrant_gone(exc):
            raise
        forget_registrant(registration)  # unknown to Zoom: add again if still wanted
        return True
    status = data.get("status")
    if status not in ZOOM_STATUSES:
        raise ZoomUnavailable(f"Zoom gave no usable status for registrant {registration.zoom_registrant_id}: "
                              f"{str(status)[:40]!r}")
    record_zoom_status(registration, status)
    if status == APPROVED:
        record_join_url(session, registration, data.get("join_url"), now)
        if desired == APPROVED and not registration.zoom_join_url:
            raise ZoomUnavailable("Zoom has not issued a join link for this registrant yet")
    return True


def _finish(session: Session, registration: Registration, observed: tuple[str, bool]) -> bool:
    """Mark done only if what we acted on (status, erasure) did not change during the calls."""
    status, erased = observed
    has_registrant = registration.zoom_registrant_id is not None or erased
    result = session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.status == status,
               Registration.zoom_erase_requested_at.isnot(None) if erased
               else Registration.zoom_erase_requested_at.is_(None),
               Registration.zoom_state == SyncState.PENDING)
        .values(zoom_state=SyncState.DONE if has_registrant else SyncState.NONE,
                zoom_next_attempt_at=None, zoom_last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _record_failure(session: Session, registration: Registration, exc: ZoomError, now: datetime) -> None:
    registration.zoom_last_error = error_text(exc)
    if isinstance(exc, ZoomRateLimited) and exc.daily and exc.retry_at:
        # Not the row's fault: do not spend its retry budget; come back when Zoom allows,
        # spread out so a crowd of parked rows does not hit Zoom at the same second.
        registration.zoom_attempts = max(registration.zoom_attempts - 1, 0)
        registration.zoom_next_attempt_at = exc.retry_at + timedelta(
            seconds=random.uniform(1, DAILY_RESET_JITTER_SECONDS))
    elif exc.retryable and registration.zoom_attempts < MAX_ATTEMPTS:
        registration.zoom_next_attempt_at = now + retry_delay(registration.zoom_attempts)
    else:
        registration.zoom_state = SyncState.FAILED
        registration.zoom_next_attempt_at = None
    session.commit()


#: Passes over one row (each re-reads what it acts on), and calls per pass.
MAX_PASSES = 6
MAX_STEPS = 8


def sync_registration(session: Session, client: ZoomClient, registration_id: int, *,
                      now: datetime | None = None, lease: timedelta = LEASE) -> str:
    """Bring one registration's Zoom registrant up to date. Commits. Returns the outcome:
    'skipped' (not due or claimed elsewhere), 'done', 'retry' or 'failed'. Never raises for
    what Zoom (or a proxy in front of it) answers: the row records it for organisers.
    """
    now = now or utcnow()
    if not claim(session, registration_id, now, lease):
        return "skipped"
    registration = session.get(Registration, registration_id, populate_existing=True)
    try:
        for _ in range(MAX_PASSES):
            # Decide from one snapshot; `_finish` then checks the snapshot still holds, so a
            # change made while a call was in flight sends us round again instead of being lost.
            observed = (registration.status, registration.zoom_erase_requested_at is not None)
            desired = desired_zoom_status(registration)
            for _step_number in range(MAX_STEPS):
                if not _step(session, client, registration, desired, now):
                    break
                session.commit()  # keep what Zoom gave us even if a later step fails
            else:
                raise ZoomError("Zoom did not settle on this registrant after several calls")
            if _finish(session, registration, observed):
                return "done"
            session.refresh(registration)
        raise ZoomError("the registration kept changing while it was being synced")
    except Exception as exc:  # noqa: BLE001 - recorded on the row; the worker goes on
        session.rollback()
        if not isinstance(exc, ZoomError):
            log.exception("zoom sync of registration %s: unexpected error", registration_id)
            exc = ZoomUnavailable(f"Unexpected error: {type(exc).__name__}: {exc}")
        else:
            log.warning("zoom sync of registration %s: %s", registration_id, exc)
        registration = session.get(Registration, registration_id, populate_existing=True)
        if registration is None:
            return "skipped"
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
