"""Registration rules with several panels populated: each event counts, queues and locks only its
own seats (`seats_taken`, `promote_from_waitlist`, `lock_seats`); the window's end at the panel's
start, repeats of a registration, an invitation's parliament, and who a decision is logged under."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.audit.services import history_for_registration
from panel_app.directory.links import invitation_for
from panel_app.models import Event, Registration, RegistrationStatus
from panel_app.registration import services, signals
from panel_app.registration.services import RegistrationClosed, RegistrationInput, WindowState
from tests.factories import TEST_SECRET_KEY, OrganisationFactory

S = RegistrationStatus


def _person(person: tuple[str, str, str], **overrides) -> RegistrationInput:
    first_name, last_name, email = person
    values = dict(first_name=first_name, last_name=last_name, email=email, country="SN",
                  affiliation_type="member_parliament", role="mp", language="fr",
                  organisation="Assemblée nationale du Sénégal")
    values.update(overrides)
    return RegistrationInput(email_normalized=values["email"].strip().casefold(), **values)


MARIA = ("María-José", "Ñúñez-Öztürk de la Peña y Villalobos", "maria-jose.nunez@congreso.example")
NGUYEN = ("Nguyễn Thị Minh", "Khai-Trần Hoàng Phương", "nguyen.minhkhai@quochoi.example")
SOREN = ("Søren Åge", "Kierkegaard-Bjørnstjerne-Løvenskiold", "soren.kierkegaard@folketinget.example")


@pytest.fixture
def now(future):
    return future()


@pytest.fixture
def register(db, now):
    """`register(event, person, at=now)` registers through the service, without committing."""

    def call(event, person, *, at=None, **overrides):
        return services.register(db.session, event, _person(person, **overrides), now=at or now,
                                 privacy_notice_version="2026-01", secret_key=TEST_SECRET_KEY)

    return call


@dataclass
class Panel:
    event: Event
    seated: list[Registration]
    waiting: Registration
    pending: Registration | None = None


@pytest.fixture
def panels(make_event, make_registration, future) -> list[Panel]:
    """Three published panels of two seats, each full with one person waiting, as on a busy week;
    the first panel's waiting list is the oldest."""
    titles = ["Parlements et climat : la voix des jeunes", "Women in parliaments: the road to parity",
              "Parlamentos abiertos: transparencia y participación ciudadana"]
    made = []
    for number, title in enumerate(titles):
        event = make_event(title=title, capacity=2)
        seated = [make_registration(event, first_name=f"Aïssatou {number}{seat}", last_name="Ndiaye-Sène",
                                    created_at=future(days=-30 + seat))[0] for seat in range(2)]
        waiting, _ = make_registration(event, status=S.WAITLISTED, first_name=f"Zoë {number}",
                                       last_name="Ørsted-Żółkiewska", created_at=future(days=-20 + number))
        made.append(Panel(event, seated, waiting))
    return made


def _status(db, registration) -> str:
    db.session.refresh(registration)
    return registration.status


# --- each event its own seats and waiting list --------------------------------------------


def test_a_seat_freed_on_one_panel_goes_to_that_panels_waiting_list(panels, db, now):
    climate, parity, _ = panels
    change = services.cancel(db.session, parity.seated[0], now=now, actor="registrant")
    db.session.commit()
    assert [r.id for r in change.promoted] == [parity.waiting.id]
    assert (_status(db, parity.waiting), _status(db, climate.waiting)) == (S.CONFIRMED, S.WAITLISTED)


def test_seats_held_on_other_panels_do_not_fill_this_one(panels, make_event, register, db):
    """Six people hold seats on the other panels; this one has two seats, none taken yet."""
    budget = make_event(title="Le contrôle parlementaire du budget : méthodes et outils", capacity=2)
    first = register(budget, MARIA)
    second = register(budget, NGUYEN)
    third = register(budget, SOREN)
    db.session.commit()
    assert [o.registration.status for o in (first, second, third)] == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED]


def test_the_same_address_registers_separately_for_two_panels(panels, register, db):
    climate, parity, _ = panels
    on_climate = register(climate.event, MARIA)
    db.session.commit()
    on_parity = register(parity.event, MARIA, email=MARIA[2].upper())
    db.session.commit()
    assert on_parity.created is True and on_parity.token not in (None, on_climate.token)
    assert on_parity.registration.id != on_climate.registration.id
    assert (on_climate.registration.event_id, on_parity.registration.event_id) == (climate.event.id, parity.event.id)


def test_people_queued_at_the_same_instant_move_up_in_the_order_they_registered(panels, make_registration, db, now,
                                                                                future):
    """Two people the organiser put on the waiting list in one go share their queue time; the
    one registered first moves up first, even after correcting their name (which rewrites the
    row, so the database no longer returns it first by itself)."""
    _, parity, _ = panels
    services.cancel(db.session, parity.seated[0], now=now, actor="registrant")  # parity.waiting moves up
    db.session.commit()
    same_time = future(days=-3)
    first, _ = make_registration(parity.event, status=S.WAITLISTED, first_name="Maria-Jose", last_name="Nunez-Ozturk",
                                 created_at=same_time)
    second, _ = make_registration(parity.event, status=S.WAITLISTED, first_name="Nguyễn Thị Minh",
                                  last_name="Khai-Trần", created_at=same_time)
    services.update_details(db.session, first, {"first_name": "María-José", "last_name": "Ñúñez-Öztürk"}, now=now)
    db.session.commit()

    change = services.cancel(db.session, parity.seated[1], now=now, actor="registrant")
    db.session.commit()

    assert [r.id for r in change.promoted] == [first.id]
    assert (_status(db, first), _status(db, second)) == (S.CONFIRMED, S.WAITLISTED)


# --- the registration window -----------------------------------------------------------------


def test_registration_closes_when_the_panel_begins(make_event, register, future):
    """Without a closing date of its own, registering ends as the panel starts (an invite for a
    meeting already under way would be useless)."""
    event = make_event(title="Parlamentos abiertos: transparencia y participación ciudadana",
                       registration_opens_at=future(days=-10), registration_closes_at=None)
    assert services.registration_window(event, event.starts_at - timedelta(seconds=1)) == WindowState.OPEN
    assert services.registration_window(event, event.starts_at) == WindowState.CLOSED
    with pytest.raises(RegistrationClosed) as refused:
        register(event, SOREN, at=event.starts_at)
    assert refused.value.state == WindowState.CLOSED


# --- repeats -----------------------------------------------------------------------------------


def test_a_repeat_one_resend_interval_after_the_last_resend_gets_the_details_again(panels, register, db, now):
    """Repeats 10 minutes after registering (details sent again), 59 min 59 s after that (not yet),
    and exactly an hour after it (sent again); none of them creates anything."""
    climate = panels[0].event
    first = register(climate, MARIA)
    db.session.commit()
    resends = []
    receiver = lambda sender, **_: resends.append(sender.id)  # noqa: E731
    signals.duplicate_registration_attempted.connect(receiver)
    try:
        repeats = [register(climate, MARIA, at=now + delta)
                   for delta in (timedelta(minutes=10), timedelta(minutes=69, seconds=59), timedelta(minutes=70))]
        db.session.commit()
    finally:
        signals.duplicate_registration_attempted.disconnect(receiver)
    assert all(r.created is False and r.token is None for r in repeats)
    assert resends == [first.registration.id, first.registration.id]
    assert first.registration.details_resent_at == now + timedelta(minutes=70)


# --- whose invitation ----------------------------------------------------------------------------


def test_a_parliaments_invitation_link_decides_the_registrations_parliament_whatever_name_is_typed(
        make_event, register, db):
    """Invited through the Parliament of Kenya's link, a delegate who also sits for the African
    Union types that body's name: the registration stays linked to the parliament that invited
    them (the name they typed is kept as typed)."""
    kenya = OrganisationFactory.build(name="Parliament of Kenya", country="KE",
                                      translations={"fr": "Parlement du Kenya", "es": "Parlamento de Kenia"})
    union = OrganisationFactory.build(name="African Union", country="", affiliation_type="permanent_observer",
                                      translations={"fr": "Union africaine", "es": "Unión Africana"})
    db.session.add_all([kenya, union])
    event = make_event(title="Parlements et climat : la voix des jeunes", invitation_only=True)
    invitation = invitation_for(db.session, event, kenya)
    db.session.commit()
    outcome = register(event, ("Wanjirũ Nyambura", "Kamau-Odhiambo", "w.kamau@parliament.go.ke.example"),
                       organisation="Union africaine", organisation_id=kenya.id, invitation_id=invitation.id)
    db.session.commit()
    assert (outcome.registration.organisation_id, outcome.registration.invitation_id) == (kenya.id, invitation.id)
    assert outcome.registration.organisation == "Union africaine"


# --- who decided -------------------------------------------------------------------------------


def test_a_decline_is_logged_under_the_organiser_who_declined(make_event, make_registration, db, now):
    event = make_event(title="Women in parliaments: the road to parity", approval_mode="manual", capacity=40)
    make_registration(event, first_name="Aïssatou", last_name="Ndiaye-Sène")
    pending, _ = make_registration(event, status=S.PENDING, first_name=MARIA[0], last_name=MARIA[1])
    services.decline(db.session, pending, now=now, actor="secretariat.genève@ipu.example.org")
    db.session.commit()
    entries = history_for_registration(db.session, pending.id)
    assert [(e.actor, e.details["from"], e.details["to"]) for e in entries] == [
        ("secretariat.genève@ipu.example.org", S.PENDING, S.DECLINED)]


def test_an_email_correction_by_the_registrant_is_logged_under_the_registrant(panels, db, now):
    """The private page corrects a typo without naming an actor: the old address's registration
    is cancelled in the registrant's name, and the seat passes to the new one."""
    parity = panels[1]
    seated = parity.seated[0]
    moved = services.change_email(db.session, seated, email="Aissatou.Ndiaye-Sene@assemblee.sn.example",
                                  email_normalized="aissatou.ndiaye-sene@assemblee.sn.example", now=now,
                                  secret_key=TEST_SECRET_KEY)
    db.session.commit()
    entries = history_for_registration(db.session, seated.id)
    assert [(e.actor, e.details["from"], e.details["to"]) for e in entries] == [
        ("registrant", S.CONFIRMED, S.CANCELLED)]
    assert (moved.registration.status, _status(db, parity.waiting)) == (S.CONFIRMED, S.WAITLISTED)


def test_an_organiser_adding_someone_to_a_full_panel_puts_them_on_the_waiting_list_unless_told_otherwise(
        panels, db, now):
    parity = panels[1].event
    added = services.add_by_organiser(db.session, parity, _person(NGUYEN), now=now, secret_key=TEST_SECRET_KEY,
                                      actor="secretariat.genève@ipu.example.org", notify=False)
    speaker = services.add_by_organiser(db.session, parity, _person(SOREN), now=now, secret_key=TEST_SECRET_KEY,
                                        actor="secretariat.genève@ipu.example.org", notify=False, over_capacity=True)
    db.session.commit()
    assert (added.status, speaker.status) == (S.WAITLISTED, S.CONFIRMED)


# --- the seat lock -------------------------------------------------------------------------------


def _row_locked(db, event_id: int) -> bool:
    """Whether another connection is kept from taking this event's seat lock right now.

    PostgreSQL: the row itself (FOR NO KEY UPDATE is what the lock's UPDATE takes; a plain FOR
    UPDATE would also wait for the key-share lock any new registration's foreign key takes).
    SQLite locks the whole file: a second writer cannot begin at all.
    """
    if db.engine.dialect.name == "sqlite":
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            assert "locked" in str(error)
            return True
        else:
            other.execute("ROLLBACK")
            return False
        finally:
            other.close()
    with db.engine.connect() as other:
        try:
            other.execute(sa.text("SELECT id FROM events WHERE id = :id FOR NO KEY UPDATE NOWAIT"), {"id": event_id})
        except sa.exc.OperationalError as error:
            assert "could not obtain lock" in str(error)
            return True
        finally:
            other.rollback()
        return False


DECISIONS = {
    "register": lambda db, panel, now: services.register(
        db.session, panel.event, _person(SOREN), now=now, privacy_notice_version="2026-01",
        secret_key=TEST_SECRET_KEY),
    "approve": lambda db, panel, now: services.approve(db.session, panel.pending, now=now, actor="organiser"),
    "decline": lambda db, panel, now: services.decline(db.session, panel.pending, now=now, actor="organiser"),
    "cancel": lambda db, panel, now: services.cancel(db.session, panel.seated[0], now=now, actor="registrant"),
}


@pytest.mark.parametrize("decision", DECISIONS)
def test_each_seat_decision_holds_its_events_seat_lock_until_commit(panels, make_registration, db, now, decision):
    climate, parity, _ = panels
    parity.pending, _ = make_registration(parity.event, status=S.PENDING, first_name=MARIA[0], last_name=MARIA[1])
    assert not _row_locked(db, parity.event.id)

    DECISIONS[decision](db, parity, now)

    assert _row_locked(db, parity.event.id)
    if db.engine.dialect.name != "sqlite":
        assert not _row_locked(db, climate.event.id), "another panel's seats must stay free to decide on"
    db.session.commit()
    assert not _row_locked(db, parity.event.id)
