"""Console fixtures: accounts per role, signed-in browsers, a SQL query counter."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from panel_app.models import User
from tests.clients import new_browser
from tests.conftest import csrf_from

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db):
    """`make_user(role="viewer", email=...)` commits and returns a console account."""
    counter = {"n": 0}

    def make(role: str = "organiser", email: str | None = None, password: str = PASSWORD, **overrides) -> User:
        counter["n"] += 1
        user = User(email=email or f"{role}{counter['n']}@ipu.example.org", role=role, **overrides)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def sign_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf_from(client, "/admin/login")
    url = "/admin/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def browser(app):
    """`browser()` returns a fresh, signed-out client (own cookies, own app context per request)."""
    return lambda: new_browser(app)


@pytest.fixture
def signed_in(app, make_user):
    """`signed_in("viewer")` returns (client, user) for a new account with that role."""

    def make(role: str = "organiser"):
        user = make_user(role)
        client = new_browser(app)
        response = sign_in(client, user.email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client, user

    return make


@pytest.fixture
def organiser(signed_in):
    return signed_in("organiser")[0]


@pytest.fixture
def post(app):
    """`post(client, url, data, form_url=...)`: POST with the session's CSRF token."""

    def send(client, url, data=None, *, form_url="/admin/events", **kwargs):
        token = csrf_from(client, form_url)
        return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    return send


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` collects every SQL statement the app runs."""
    from panel_app.extensions import db as _db

    @contextmanager
    def counting():
        statements: list[str] = []

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)

    return counting


LONG_NAMES = [
    ("María-José", "Ñúñez-Öztürk", "Cortes Generales de España, Comisión de Derechos Humanos y Asuntos Exteriores"),
    ("Nguyễn Thị", "Minh Khai", "Quốc hội Việt Nam"),
    ("محمد", "عبد الله", "مجلس الشورى"),
    ("Jean-Baptiste Emmanuel", "de La Rochefoucauld-Montmorency-Laval", "Assemblée nationale, Commission des affaires"
     " étrangères et de la défense"),
    ("Søren", "Kierkegaard-Łukasiewicz", "Folketinget"),
    ("Amina", "Diallo", "Assemblée nationale du Sénégal"),
    ("Zoë", "Okafor-Abernathy", "National Assembly of Nigeria"),
    ("Олена", "Шевченко", "Verkhovna Rada of Ukraine"),
    ("Ana", "Lima", "Câmara dos Deputados"),
    ("Kenji", "Watanabe", "House of Representatives of Japan"),
    ("Priya", "Raghunathan-Subramanian", "Lok Sabha"),
    ("Lars", "Østergaard", "Storting"),
]
LONG_EMAIL = "maria-jose.nunez-ozturk.comision-derechos-humanos@congreso-de-los-diputados.example"


@pytest.fixture
def populated(db, make_event, make_registration):
    """A console as it looks in real use: an upcoming panel (full, people pending, waiting,
    declined, cancelled; texts in three languages), one that ended with attendance and walk-ins,
    a draft, emails in every state, a group message and over a hundred audit entries."""
    from datetime import timedelta
    from types import SimpleNamespace

    from panel_app.models import (
        AttendanceSession,
        AuditEntry,
        GroupMessage,
        Notification,
        WalkIn,
        ZoomMeetingInstance,
        utcnow,
    )
    from panel_app.models.api import WebhookEndpoint
    from panel_app.models.speaker import EventSpeaker

    now = utcnow()
    upcoming = make_event(
        slug="parliamentary-solidarity", title="Parliamentary solidarity: Supporting MPs under threat",
        capacity=5, approval_mode="manual", zoom_meeting_id="85012345678",
        translations={"fr": {"title": "Solidarité parlementaire : soutenir les parlementaires menacés"},
                      "es": {"title": "Solidaridad parlamentaria: apoyo a los parlamentarios amenazados"}},
    )
    past = make_event(slug="past-panel", title="Women in parliaments: progress and setbacks",
                      starts_at=now - timedelta(days=2, hours=2), ends_at=now - timedelta(days=2), capacity=None)
    draft = make_event(slug="draft-panel", title="Climate and parliaments (draft)", status="draft")
    statuses = ["confirmed"] * 5 + ["pending"] * 3 + ["waitlisted"] * 2 + ["declined", "cancelled"]
    people = []
    for index, (status, (first, last, organisation)) in enumerate(zip(statuses, LONG_NAMES, strict=True)):
        email = LONG_EMAIL if index == 0 else f"person{index}@parliament{index}.example"
        registration, _ = make_registration(upcoming, first_name=first, last_name=last, organisation=organisation,
                                            email=email, status=status, language=("en", "fr", "es")[index % 3],
                                            country=("ES", "VN", "EG", "FR", "DK", "SN", "NG", "UA", "BR", "JP",
                                                     "IN", "NO")[index],
                                            created_at=now - timedelta(days=10 - index / 2))
        people.append(registration)
    attendees = []
    for index, (first, last, organisation) in enumerate(LONG_NAMES[:6]):
        registration, _ = make_registration(
            past, first_name=first, last_name=last, organisation=organisation, email=f"past{index}@parl.example",
            language=("en", "fr", "es")[index % 3], attended=(True, True, True, True, None, False)[index],
            attended_minutes=(85, 60, 30, 5, None, 0)[index], attendance_source="zoom" if index != 4 else None,
            first_joined_at=past.starts_at + timedelta(minutes=index) if index < 4 else None,
        )
        attendees.append(registration)
    db.session.add(ZoomMeetingInstance(event_id=past.id, uuid="abc==", started_at=past.starts_at,
                                       ended_at=past.ends_at))
    moderator = EventSpeaker(event_id=upcoming.id, role="moderator", name="Hon. Aisha Bello-Ogunleye",
                             function="Chair of the Committee on the Human Rights of Parliamentarians",
                             translations={"fr": "Présidente du Comité des droits de l'homme des parlementaires"})
    db.session.add(moderator)
    endpoint = WebhookEndpoint(url="https://crm.parliament.example/hooks/panel", description="Parliaments' CRM",
                               event_types=["registration.created"], secret_nonce="0" * 32, secret_hash="0" * 64)
    db.session.add(endpoint)
    walk_ins = []
    for key, name, email, minutes in (("n:+41 22 919 41 50", "+41 22 919 41 50", "", 75),
                                      ("e:guest@un.example", "Invité spécial de l'ONU", "guest@un.example", 40)):
        walk_in = WalkIn(event_id=past.id, participant_key=key, name=name, email=email,
                         first_joined_at=past.starts_at + timedelta(minutes=3), attended_minutes=minutes)
        db.session.add(walk_in)
        db.session.flush()
        db.session.add(AttendanceSession(
            event_id=past.id, walk_in_id=walk_in.id, meeting_uuid="abc==", participant_key=key, name=name,
            email=email, joined_at=past.starts_at + timedelta(minutes=3),
            left_at=past.starts_at + timedelta(minutes=3 + minutes), source="report"))
        walk_ins.append(walk_in)
    message = GroupMessage(event_id=upcoming.id, created_by="organiser@ipu.example.org", subject="Programme",
                           body="Le programme est en ligne.", filters={"language": "fr", "status": "confirmed"},
                           recipient_count=2, state="sent", created_at=now - timedelta(days=1))
    db.session.add(message)
    db.session.flush()
    first = people[0]
    db.session.add_all([
        Notification(registration_id=first.id, kind="confirmed", calendar_method="REQUEST", state="sent",
                     attempts=1, sequence_sent=0, sent_at=now - timedelta(days=9), created_at=now - timedelta(days=9)),
        Notification(registration_id=first.id, kind="reminder", state="failed", attempts=10,
                     last_error="550 5.1.1 mailbox unavailable", created_at=now - timedelta(days=1)),
        Notification(registration_id=first.id, kind="group_message", group_message_id=message.id, state="sent",
                     attempts=1, sent_at=now - timedelta(days=1), created_at=now - timedelta(days=1)),
        Notification(registration_id=people[1].id, kind="group_message", group_message_id=message.id,
                     state="pending", attempts=0, created_at=now - timedelta(days=1)),
    ])
    entries = []
    for index in range(130):
        registration = people[(index // 4) % len(people)]
        action, details = [
            ("registration.status", {"from": "pending", "to": "confirmed"}),
            ("registration.edit", {"email": {"from": "old@parl.example", "to": registration.email},
                                   "language": {"from": "en", "to": registration.language}}),
            ("export.csv", {"filters": {"status": "confirmed", "language": "es"}}),
            ("login", {}),
        ][index % 4]
        entries.append(AuditEntry(
            action=action, actor="organiser@ipu.example.org", details=details,
            event_id=None if action == "login" else upcoming.id,
            registration_id=registration.id if action.startswith("registration") else None,
            created_at=now - timedelta(minutes=index)))
    db.session.add_all(entries)
    from tests.factories import ContactFactory, OrganisationFactory

    entries = []
    for index, (first, last, organisation) in enumerate(LONG_NAMES):
        entry = OrganisationFactory.build(
            name=organisation, country=("ES", "VN", "EG", "FR", "DK", "SN", "NG", "UA", "BR", "JP", "IN", "NO")[index],
            translations={"fr": f"{organisation} (version française du nom, parfois bien plus longue)"},
            region=("Twelve Plus", "Asia-Pacific", "Arab", "Latin America and the Caribbean")[index % 4],
            active=index != 11)
        db.session.add(entry)
        db.session.flush()
        db.session.add(ContactFactory.build(organisation_id=entry.id, name=f"{first} {last}",
                                            email=f"secretariat{index}@{LONG_EMAIL.split('@')[1]}",
                                            function="Secretary General of the National Assembly and Head of the "
                                                     "Department of International Relations"))
        entries.append(entry)
    # The upcoming panel reaches these parliaments (one with its registration link); the past
    # panel's follow-up reports, three answered.
    from panel_app.directory import follow_up, links
    from tests.factories import TEST_SECRET_KEY

    links.invitation_for(db.session, upcoming, entries[0])
    for index, parliament in enumerate(entries[:6]):
        report = links.follow_up_report_for(db.session, past, parliament, TEST_SECRET_KEY)
        if index < 3:
            follow_up.save_answers(db.session, report, {"informed_media": follow_up.Answer(True, "Communiqué")},
                                   name="Amina Diallo", function="Secrétaire générale", language="fr", now=now)
    letter = _letter(db, upcoming, now)
    db.session.commit()
    return SimpleNamespace(upcoming=upcoming, past=past, draft=draft, people=people, attendees=attendees,
                           walk_ins=walk_ins, message=message, moderator=moderator, endpoint=endpoint, letter=letter,
                           organisation=entries[0], contact=entries[0].contacts[0])


def _letter(db, event, now):
    """An invitation to three parliaments' contacts: one sent, one failed, one waiting."""
    from datetime import timedelta

    from panel_app.models import Contact, Notification, Organisation, Outreach

    letter = Outreach(event_id=event.id, kind="invitation", created_by="organiser@ipu.example.org",
                      texts={"en": {"subject": "Invitation: {event_title}", "body": "Dear {contact_name},\n\n…"},
                             "fr": {"subject": "Invitation : {event_title}", "body": "Madame, Monsieur,\n\n…"}},
                      filters={"scope": "all", "region": "Africa"}, recipient_count=3, state="pending",
                      created_at=now - timedelta(days=3))
    db.session.add(letter)
    for n, (name, country, person, state) in enumerate([
            ("Assemblée nationale de la République démocratique du Congo", "CD", "S.E. Jean-Marc Kabund-a-Kabund",
             "sent"),
            ("Parliament of the Federal Democratic Republic of Ethiopia", "ET", "Hon. Tagesse Chafo Dullo", "failed"),
            ("Congreso de los Diputados — Comisión de Asuntos Exteriores", "ES", "Dña. María-José Ñúñez", "pending")]):
        organisation = Organisation(name=f"{name} (console)", country=country, affiliation_type="member_parliament",
                                    region="Africa")
        db.session.add(organisation)
        db.session.flush()
        email = f"secretariat{n}@parliament-{country.lower()}.example"
        contact = Contact(organisation_id=organisation.id, name=person, email=email,
                          email_normalized=email, language=("fr", "en", "es")[n])
        db.session.add(contact)
        db.session.flush()
        db.session.add(Notification(contact_id=contact.id, outreach_id=letter.id, kind="outreach", state=state,
                                    attempts=10 if state == "failed" else 1 if state == "sent" else 0,
                                    last_error="550 5.1.1 mailbox unavailable" if state == "failed" else None,
                                    created_at=now - timedelta(days=3)))
    db.session.flush()
    return letter
