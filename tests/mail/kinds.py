"""One rendered email of every kind, for a registrant writing in a given language.

Shared by the MIME and iMIP checks (tests/mail/test_every_kind.py) and the browser checks
(tests/browser/test_emails.py). Realistic data: long accented names, an organiser whose name
carries a comma and quotes for events it runs itself, the IPU's identity.
"""

from __future__ import annotations

import uuid
from email import message_from_bytes
from email.policy import default as default_policy

import sqlalchemy as sa

from panel_app.mail import messages, services
from panel_app.models import GroupMessage, Notification, User, utcnow
from tests import factories

IPU = {
    "ORGANISATION_NAME": "Inter-Parliamentary Union",
    "ORGANISATION_NAMES": {"en": "", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"},
    "ORGANISATION_SHORT_NAME": "IPU",
    "ORGANISATION_CONTACT_EMAIL": "events@ipu.example.org",
    "ORGANISATION_WEBSITE": "https://www.ipu.example.org",
}
TITLES = {
    "en": "Parliamentary solidarity: Supporting MPs under threat, and what parliaments can do together",
    "fr": "Solidarité parlementaire : soutenir les parlementaires menacés, et ce que les parlements peuvent faire",
    "es": "Solidaridad parlamentaria: apoyo a los parlamentarios amenazados y lo que pueden hacer los parlamentos",
}
DESCRIPTION = ("Around the world, members of parliament face threats, harassment, arbitrary detention and violence "
               "because of the work they do. " * 12).strip()
FIRST, LAST = "María-José", "Ñúñez-Öztürk de la Fuente-Bäckström"
#: The organiser of the partner event: a name with a comma and quotes, kept as given.
PARTNER = 'Committee on the Human Rights of Parliamentarians, "CHRP"'
GENERAL_LINK = "https://zoom.example/j/81234567890?pwd=ZXhhbXBsZQ"
PERSONAL_LINK = "https://zoom.example/w/81234567890?tk=" + "Ab3_" * 30 + "&uuid=WN_personal"

#: kind -> (registration status, event cancelled?, invite sent before?)
KINDS = {
    "confirmed": ("confirmed", False, False),
    "approved": ("confirmed", False, False),
    "promoted": ("confirmed", False, False),
    "invite": ("confirmed", False, True),
    "changed": ("confirmed", False, True),
    "event_updated": ("confirmed", False, True),
    "reminder": ("confirmed", False, True),
    "details": ("confirmed", False, True),
    "pending": ("pending", False, False),
    "waitlisted": ("waitlisted", False, False),
    "declined": ("declined", False, False),
    "cancelled": ("cancelled", False, True),
    "event_cancelled": ("confirmed", True, True),
    "group_message": ("confirmed", False, True),
}
INVITE_KINDS = {"confirmed", "approved", "promoted", "invite", "changed", "event_updated"}
CANCEL_KINDS = {"cancelled", "event_cancelled"}
GROUP_BODY = ("Dear colleagues,\n\nThe Spanish interpretation channel moves to a new link.\n"
              "Please use the button in your invitation.\n\n— The IPU Secretariat")


def make_every_kind(db, language: str) -> dict[str, Notification]:
    """A registration and a queued notification of every kind, committed; kind -> notification."""
    event = factories.EventFactory.build(
        title=TITLES["en"], description=DESCRIPTION, join_url=GENERAL_LINK, organiser_name="Inter-Parliamentary Union",
        translations={code: {"title": TITLES[code]} for code in ("fr", "es")})
    cancelled_event = factories.EventFactory.build(title=TITLES["en"], status="cancelled", organiser_name=PARTNER,
                                                   calendar_sequence=1)
    db.session.add_all([event, cancelled_event])
    db.session.flush()
    author = User(email=f"organiser-{language}-{uuid.uuid4().hex[:8]}@ipu.example.org", role="organiser")
    author.set_password("correct horse battery staple")
    db.session.add(author)
    db.session.flush()
    group = GroupMessage(event_id=event.id, created_by_id=author.id, created_by=author.email,
                         subject="Nuevo enlace – canal español", body=GROUP_BODY, filters={}, created_at=utcnow())
    db.session.add(group)
    db.session.flush()
    made = {}
    for index, (kind, (status, on_cancelled, sent_before)) in enumerate(KINDS.items()):
        registration, _ = factories.build_registration(
            cancelled_event if on_cancelled else event, first_name=FIRST, last_name=LAST, language=language,
            email=f"maria.jose.{kind}.{index}@parlamento.example", status=status,
            zoom_join_url=PERSONAL_LINK if kind == "invite" else None,
            invite_sequence=0 if sent_before else None, invite_state="done" if sent_before else "none")
        db.session.add(registration)
        db.session.flush()
        if kind == "group_message":
            services.queue_group_message(db.session, group, [registration], now=utcnow())
            notification = db.session.scalar(sa.select(Notification).where(
                Notification.registration_id == registration.id))
        else:
            details = None
            if kind == "changed":
                other = "en" if language != "en" else "fr"
                details = {"changed": ["language", "email_language"],
                           "previous": {"language": other, "email_language": other}}
            notification = services.queue_message(db.session, registration, kind, now=utcnow(), deliver=False,
                                                  details=details)
        made[kind] = notification
    db.session.commit()
    return made


def render_every_kind(db, app, language: str) -> dict[str, tuple[Notification, object]]:
    """kind -> (notification, the message parsed with the default policy)."""
    made = make_every_kind(db, language)
    notifications = list(made.values())
    results = messages.render_batch(db.session, notifications, now=utcnow(), config=app.config)
    parsed = {}
    for (kind, notification), result in zip(made.items(), results, strict=True):
        assert result is not None, f"{kind} was not rendered"
        parsed[kind] = (notification, message_from_bytes(bytes(result.message), policy=default_policy))
    return parsed
