"""What a seat decision reports (`registration.services.StatusChange`) and the one rule for
"the event is full" (`free_seats`, `capacity_reached`), used by every caller."""

from __future__ import annotations

import pytest

from panel_app.models import RegistrationStatus
from panel_app.registration import services

S = RegistrationStatus


@pytest.fixture
def now(future):
    return future()


def _status(db, registration) -> str:
    db.session.refresh(registration)
    return registration.status



def test_cancelling_a_seat_reports_who_moved_up_into_it(make_event, make_registration, db, now, future):
    event = make_event(capacity=1)
    seated, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk")
    first, _ = make_registration(event, status=S.WAITLISTED, created_at=future(minutes=-9))
    make_registration(event, status=S.WAITLISTED, created_at=future(minutes=-1))
    change = services.cancel(db.session, seated, now=now, actor="registrant")
    db.session.commit()
    assert (change.registration.id, change.status, change.changed, change.reason) == (
        seated.id,
        S.CANCELLED,
        True,
        None,
    )
    assert [r.id for r in change.promoted] == [first.id]
    assert _status(db, first) == S.CONFIRMED


@pytest.mark.parametrize(
    "call, status",
    [("approve", S.CONFIRMED), ("decline", S.CONFIRMED), ("cancel", S.DECLINED), ("decline", S.CANCELLED)],
)
def test_a_decision_that_does_not_apply_says_why_and_promotes_nobody(
    make_event, make_registration, db, now, call, status
):
    event = make_event(capacity=1, approval_mode="manual")
    registration, _ = make_registration(event, status=status)
    make_registration(event, status=S.WAITLISTED)
    change = getattr(services, call)(db.session, registration, now=now)
    assert (change.status, change.changed, change.promoted, change.reason) == (status, False, (), f"status_{status}")


def test_approving_into_a_full_event_reports_the_waiting_list(make_event, make_registration, db, now):
    event = make_event(capacity=1, approval_mode="manual")
    make_registration(event, status=S.CONFIRMED)
    pending, _ = make_registration(event, status=S.PENDING, last_name="Ñúñez-Öztürk")
    change = services.approve(db.session, pending, now=now)
    assert (change.status, change.changed, change.reason) == (S.WAITLISTED, True, None)


@pytest.mark.parametrize(
    "capacity, taken, free, full",
    [(None, 10_000, None, False), (0, 0, 0, True), (50, 49, 1, False), (50, 50, 0, True), (50, 53, 0, True)],
)
def test_one_rule_says_how_many_seats_are_free_and_when_the_event_is_full(capacity, taken, free, full):
    assert services.free_seats(capacity, taken) == free
    assert services.capacity_reached(capacity, taken) is full


def test_an_event_over_capacity_is_full_everywhere(make_event, make_registration, db, client, now):
    """Capacity lowered under the confirmed count: full for the form, the page and approvals."""
    event = make_event(capacity=3, approval_mode="manual")
    for _ in range(3):
        make_registration(event, status=S.CONFIRMED)
    pending, _ = make_registration(event, status=S.PENDING)
    event.capacity = 2
    db.session.commit()
    assert services.is_full(db.session, event)
    assert "status-full" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert services.approve(db.session, pending, now=now).status == S.WAITLISTED
    assert services.promote_from_waitlist(db.session, event, now) == []
