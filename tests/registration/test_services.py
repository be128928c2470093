"""Registration services: seat decisions, waiting list, approval, cancellation, tokens."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from panel_app.models import RegistrationStatus
from panel_app.registration import services, signals
from panel_app.registration.services import (
    RegistrationClosed,
    RegistrationInput,
    WindowState,
)
from tests.factories import TEST_SECRET_KEY

S = RegistrationStatus


@contextmanager
def recorded(signal):
    """Collect (sender, kwargs) of every `signal` sent inside the block."""
    calls = []

    def receiver(sender, **kwargs):
        calls.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def _input(email="amina@parliament.example", **overrides) -> RegistrationInput:
    values = dict(
        first_name="Amina",
        last_name="Diallo",
        email=email,
        email_normalized=email.casefold(),
        country="SN",
        affiliation_type="member_parliament",
        role="mp",
        language="fr",
    )
    values.update(overrides)
    return RegistrationInput(**values)


@pytest.fixture
def now(future):
    return future()


@pytest.fixture
def reg(db, now):
    """`reg(event, email)` registers through the service and commits."""

    def make(event, email="amina@parliament.example", **overrides):
        outcome = services.register(
            db.session,
            event,
            _input(email, **overrides),
            now=now,
            privacy_notice_version="test",
            secret_key=TEST_SECRET_KEY,
        )
        db.session.commit()
        return outcome

    return make


def _status(db, registration) -> str:
    db.session.refresh(registration)
    return registration.status


# --- register -------------------------------------------------------------------------


def test_register_confirms_while_seats_remain_then_waitlists(make_event, reg):
    event = make_event(capacity=2)
    outcomes = [reg(event, f"p{i}@parliament.example") for i in range(3)]
    assert [o.registration.status for o in outcomes] == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED]
    assert all(o.created and o.token for o in outcomes)


def test_register_without_capacity_confirms_everyone(make_event, reg):
    event = make_event(capacity=None)
    assert {reg(event, f"p{i}@parliament.example").registration.status for i in range(5)} == {S.CONFIRMED}


def test_register_manual_approval_is_pending_even_with_free_seats(make_event, reg):
    assert reg(make_event(approval_mode="manual", capacity=10)).registration.status == S.PENDING


def test_register_duplicate_returns_existing_without_token_and_signals(make_event, reg):
    event = make_event()
    first = reg(event)
    with (
        recorded(signals.duplicate_registration_attempted) as duplicates,
        recorded(signals.registration_created) as created,
    ):
        again = reg(event, "AMINA@parliament.example", first_name="Other")
    assert not again.created and again.token is None
    assert again.registration.id == first.registration.id
    assert again.registration.first_name == "Amina"
    assert [sender.id for sender, _ in duplicates] == [first.registration.id]
    assert created == []


def test_register_announces_new_registration(make_event, reg):
    with recorded(signals.registration_created) as created:
        outcome = reg(make_event())
    assert [sender.id for sender, _ in created] == [outcome.registration.id]


def test_register_refuses_language_not_offered(make_event, reg, db):
    event = make_event(languages=["en"])
    with pytest.raises(ValueError, match="not offered"):
        reg(event, language="fr")
    db.session.rollback()


@pytest.mark.parametrize(
    "settings, state",
    [
        ({"status": "draft"}, WindowState.DRAFT),
        ({"status": "cancelled"}, WindowState.CANCELLED),
        ({"registration_opens_at": +1}, WindowState.NOT_YET_OPEN),
        ({"registration_closes_at": -1}, WindowState.CLOSED),
        ({"starts_at": -1}, WindowState.CLOSED),
        ({"starts_at": -200, "ends_at": -100}, WindowState.EVENT_OVER),
    ],
)
def test_register_refuses_outside_the_window(make_event, reg, future, db, settings, state):
    values = {k: (future(hours=v) if isinstance(v, int) else v) for k, v in settings.items()}
    if "starts_at" in values and "ends_at" not in values:
        values["ends_at"] = future(hours=2)
    event = make_event(**values)
    with pytest.raises(RegistrationClosed) as info:
        reg(event)
    assert info.value.state == state
    db.session.rollback()


def test_window_boundaries(make_event, future):
    event = make_event(registration_opens_at=future(days=1), registration_closes_at=future(days=2))
    assert (
        services.registration_window(event, event.registration_opens_at - timedelta(seconds=1))
        == WindowState.NOT_YET_OPEN
    )
    assert services.registration_window(event, event.registration_opens_at) == WindowState.OPEN
    assert services.registration_window(event, event.registration_closes_at) == WindowState.CLOSED
    assert services.registration_window(event, event.starts_at) == WindowState.CLOSED
    assert services.registration_window(event, event.ends_at) == WindowState.EVENT_OVER


def test_cancelled_registration_reopens_with_new_token(make_event, reg, db, now):
    event = make_event()
    first = reg(event)
    services.cancel(db.session, first.registration, now=now, actor="registrant")
    db.session.commit()
    again = reg(event)
    assert again.created and again.registration.id == first.registration.id
    assert again.registration.status == S.CONFIRMED
    assert again.token != first.token
    assert services.find_by_token(db.session, first.token) is None
    assert services.find_by_token(db.session, again.token).id == first.registration.id


# --- cancel and promote ---------------------------------------------------------------


def test_cancel_confirmed_promotes_first_waitlisted(make_event, make_registration, db, now, future):
    event = make_event(capacity=1)
    seated, _ = make_registration(event, status=S.CONFIRMED)
    later, _ = make_registration(event, status=S.WAITLISTED, created_at=future(minutes=-1))
    earlier, _ = make_registration(event, status=S.WAITLISTED, created_at=future(minutes=-9))

    with recorded(signals.registration_status_changed) as changes:
        assert services.cancel(db.session, seated, now=now, actor="registrant").changed is True
    db.session.commit()

    assert (_status(db, seated), _status(db, earlier), _status(db, later)) == (S.CANCELLED, S.CONFIRMED, S.WAITLISTED)
    assert seated.cancelled_at == now
    assert [(s.id, k["previous"], k["actor"]) for s, k in changes] == [
        (seated.id, S.CONFIRMED, "registrant"),
        (earlier.id, S.WAITLISTED, "registrant"),
    ]


def test_waitlist_ties_are_broken_by_id(make_event, make_registration, db, now, future):
    event = make_event(capacity=1)
    seated, _ = make_registration(event)
    same_time = future(minutes=-5)
    first, _ = make_registration(event, status=S.WAITLISTED, created_at=same_time)
    second, _ = make_registration(event, status=S.WAITLISTED, created_at=same_time)
    services.cancel(db.session, seated, now=now)
    db.session.commit()
    assert (_status(db, first), _status(db, second)) == (S.CONFIRMED, S.WAITLISTED)


def test_cancel_twice_changes_nothing_the_second_time(make_event, make_registration, db, now):
    event = make_event(capacity=1)
    seated, _ = make_registration(event)
    waiting, _ = make_registration(event, status=S.WAITLISTED)
    assert services.cancel(db.session, seated, now=now).changed is True
    db.session.commit()
    with recorded(signals.registration_status_changed) as changes:
        assert services.cancel(db.session, seated, now=now + timedelta(minutes=1)).changed is False
    db.session.commit()
    assert changes == []
    assert seated.cancelled_at == now
    assert _status(db, waiting) == S.CONFIRMED


def test_cancel_of_stale_object_sees_the_committed_state(make_event, make_registration, db, app, now):
    """Two tabs: the row was cancelled elsewhere after this object was loaded."""
    from panel_app.extensions import db as _db

    event = make_event(capacity=1)
    seated, _ = make_registration(event)
    waiting, _ = make_registration(event, status=S.WAITLISTED)
    with app.app_context():  # another request, own session
        other = _db.session.get(type(seated), seated.id)
        services.cancel(_db.session, other, now=now)
        _db.session.commit()
        _db.session.remove()
    assert seated.status == S.CONFIRMED  # this session still holds the old state
    with recorded(signals.registration_status_changed) as changes:
        assert services.cancel(db.session, seated, now=now).changed is False
    db.session.commit()
    assert changes == []
    assert _status(db, waiting) == S.CONFIRMED


@pytest.mark.parametrize("status", [S.WAITLISTED, S.PENDING])
def test_cancel_without_a_seat_promotes_nobody(make_event, make_registration, db, now, status):
    event = make_event(capacity=1)
    make_registration(event, status=S.CONFIRMED)
    leaving, _ = make_registration(event, status=status)
    waiting, _ = make_registration(event, status=S.WAITLISTED)
    assert services.cancel(db.session, leaving, now=now).changed is True
    db.session.commit()
    assert (_status(db, leaving), _status(db, waiting)) == (S.CANCELLED, S.WAITLISTED)


def test_cancel_declined_is_refused(make_event, make_registration, db, now):
    declined, _ = make_registration(make_event(), status=S.DECLINED)
    assert services.cancel(db.session, declined, now=now).changed is False
    assert _status(db, declined) == S.DECLINED


def test_promote_fills_every_free_seat_in_order(make_event, make_registration, db, now, future):
    event = make_event(capacity=1)
    make_registration(event)
    waiting = [make_registration(event, status=S.WAITLISTED, created_at=future(minutes=-10 + i))[0] for i in range(4)]
    event.capacity = 3  # the organiser found a bigger room
    db.session.commit()
    promoted = services.promote_from_waitlist(db.session, event, now, actor="organiser@example.org")
    db.session.commit()
    assert [r.id for r in promoted] == [waiting[0].id, waiting[1].id]
    assert [_status(db, r) for r in waiting] == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]


def test_promote_without_capacity_confirms_everyone_waiting(make_event, make_registration, db, now):
    event = make_event(capacity=None)
    waiting = [make_registration(event, status=S.WAITLISTED)[0] for _ in range(3)]
    assert len(services.promote_from_waitlist(db.session, event, now)) == 3
    db.session.commit()
    assert {_status(db, r) for r in waiting} == {S.CONFIRMED}


def test_promote_when_full_does_nothing(make_event, make_registration, db, now):
    event = make_event(capacity=1)
    make_registration(event)
    waiting, _ = make_registration(event, status=S.WAITLISTED)
    assert services.promote_from_waitlist(db.session, event, now) == []
    assert _status(db, waiting) == S.WAITLISTED


# --- approve and decline --------------------------------------------------------------


def test_approve_confirms_when_a_seat_is_free(make_event, make_registration, db, now):
    pending, _ = make_registration(make_event(approval_mode="manual", capacity=2), status=S.PENDING)
    with recorded(signals.registration_status_changed) as changes:
        assert services.approve(db.session, pending, now=now, actor="organiser@example.org").status == S.CONFIRMED
    db.session.commit()
    assert _status(db, pending) == S.CONFIRMED
    assert [(k["previous"], k["actor"]) for _, k in changes] == [(S.PENDING, "organiser@example.org")]


def test_approve_waitlists_when_full(make_event, make_registration, db, now):
    event = make_event(approval_mode="manual", capacity=1)
    make_registration(event, status=S.CONFIRMED)
    pending, _ = make_registration(event, status=S.PENDING)
    assert services.approve(db.session, pending, now=now).status == S.WAITLISTED
    db.session.commit()
    assert _status(db, pending) == S.WAITLISTED


def test_approve_twice_is_a_no_op(make_event, make_registration, db, now):
    pending, _ = make_registration(make_event(approval_mode="manual"), status=S.PENDING)
    services.approve(db.session, pending, now=now)
    db.session.commit()
    with recorded(signals.registration_status_changed) as changes:
        assert services.approve(db.session, pending, now=now).status == S.CONFIRMED
    assert changes == []


@pytest.mark.parametrize("status", [S.CANCELLED, S.DECLINED, S.WAITLISTED])
def test_approve_leaves_other_statuses_alone(make_event, make_registration, db, now, status):
    registration, _ = make_registration(make_event(approval_mode="manual"), status=status)
    assert services.approve(db.session, registration, now=now).status == status
    assert _status(db, registration) == status


@pytest.mark.parametrize("status", [S.PENDING, S.WAITLISTED])
def test_decline_pending_or_waitlisted(make_event, make_registration, db, now, status):
    registration, _ = make_registration(make_event(approval_mode="manual"), status=status)
    with recorded(signals.registration_status_changed) as changes:
        assert services.decline(db.session, registration, now=now, actor="organiser@example.org").changed is True
    db.session.commit()
    assert _status(db, registration) == S.DECLINED
    assert [k["previous"] for _, k in changes] == [status]
    # Clicked again (two organisers, or a double click): nothing more happens.
    with recorded(signals.registration_status_changed) as again:
        assert services.decline(db.session, registration, now=now).changed is False
    assert again == []


@pytest.mark.parametrize("status", [S.CONFIRMED, S.CANCELLED])
def test_decline_refuses_confirmed_and_cancelled(make_event, make_registration, db, now, status):
    registration, _ = make_registration(make_event(), status=status)
    assert services.decline(db.session, registration, now=now).changed is False
    assert _status(db, registration) == status


def test_declined_person_cannot_register_again(make_event, make_registration, reg):
    event = make_event()
    declined, _ = make_registration(event, email="amina@parliament.example", status=S.DECLINED)
    outcome = reg(event, "amina@parliament.example")
    assert not outcome.created and outcome.registration.id == declined.id
    assert outcome.registration.status == S.DECLINED


@pytest.mark.parametrize("status", [S.PENDING, S.WAITLISTED])
def test_a_repeat_submission_while_pending_or_waitlisted_keeps_the_registration_its_link_and_its_place(
        make_event, make_registration, reg, db, now, status):
    event = make_event(capacity=1, approval_mode="manual" if status == S.PENDING else "auto")
    make_registration(event, email="seat.holder@parliament.example", status=S.CONFIRMED)
    earlier = now - timedelta(days=2)
    waiting, token = make_registration(event, email="amina@parliament.example", first_name="Amina", language="fr",
                                       status=status, status_changed_at=earlier)
    place = waiting.created_at  # the waiting list and the approval queue are in this order
    with recorded(signals.registration_status_changed) as changes:
        outcome = reg(event, "Amina@Parliament.example", first_name="Amína", language="en")
    assert not outcome.created and outcome.token is None and outcome.registration.id == waiting.id
    assert changes == []
    db.session.refresh(waiting)
    assert waiting.status == status and waiting.status_changed_at == earlier and waiting.created_at == place
    assert waiting.first_name == "Amina" and waiting.language == "fr"
    assert services.find_by_token(db.session, token).id == waiting.id  # the private link still works


# --- tokens ---------------------------------------------------------------------------


def test_private_token_is_rederived_from_secret_and_nonce(make_event, make_registration, db):
    registration, token = make_registration(make_event())
    assert services.private_token(registration, TEST_SECRET_KEY) == token
    assert services.private_token(registration, "another-secret") is None
    assert token not in (registration.token_hash, registration.token_nonce)


@pytest.mark.parametrize("junk", ["", "x", "t" * 129, "\x00", "ä" * 20])
def test_find_by_token_rejects_junk(db, junk):
    assert services.find_by_token(db.session, junk) is None


def test_new_tokens_are_unique_and_url_safe():
    tokens = {services.new_token(TEST_SECRET_KEY)[0] for _ in range(200)}
    assert len(tokens) == 200
    assert all(t.replace("-", "").replace("_", "").isalnum() and len(t) >= 40 for t in tokens)

