"""Shared set-up for the meeting set-up tests: a linked event on realistic data and its meeting at Zoom."""

from __future__ import annotations

from panel_app.extensions import db
from panel_app.models import utcnow
from panel_app.zoom import interpreters as interpreter_services
from panel_app.zoom import questions as zq
from panel_app.zoom.setup_rules import zoom_interpreter

#: Meeting and webinar ids of their own, so the shared fixtures' meetings do not interfere.
SETUP_MEETING_ID = "86123456789"
SETUP_WEBINAR_ID = "96123456789"

INTERPRETERS = [
    ("maria-jose.nunez@interpretes.example", "María-José Ñúñez-Öztürk", ("en", "es")),
    ("francoise.lefevre@interpretes.example", "Françoise Lefèvre-Ångström", ("fr", "en")),
]


def linked_event(make_event, make_registration, sim, *, kind: str = "meetings", approval: str = "none",
                 zoom_type: int | None = None, settings: dict | None = None, questions: list | None = None,
                 custom_questions: list | None = None, interpreters=INTERPRETERS, **event_overrides):
    """An event with registrations and interpreters, linked to a meeting (or webinar) that Zoom has
    as given (default: as Zoom creates one, with no registration)."""
    zoom_id = SETUP_WEBINAR_ID if kind == "webinars" else SETUP_MEETING_ID
    event_overrides.setdefault("title", "Solidarité parlementaire : soutenir les députés menacés")
    event_overrides.setdefault("languages", ["en", "fr", "es"])
    event = make_event(zoom_meeting_id=None if kind == "webinars" else zoom_id,
                       zoom_webinar_id=zoom_id if kind == "webinars" else None, **event_overrides)
    people = [("María-José", "Ñúñez-Öztürk", "es"), ("Jean-François", "Dubois", "fr"), ("Aigerim", "Nurlanovna", "en")]
    for n, (first, last, language) in enumerate(people):
        make_registration(event, first_name=first, last_name=last, language=language,
                          email=f"person{n}@parlement.example")
    for email, name, languages in interpreters:
        interpreter_services.add_interpreter(db.session, event, email=email, name=name, languages=languages,
                                             now=utcnow(), actor="test")
    db.session.commit()
    meeting = sim.add_meeting(zoom_id, kind=kind, approval=approval, type=zoom_type, settings=settings,
                              topic=event.title, start_time=event.starts_at, duration=event.duration_minutes)
    if questions is not None:
        meeting.questions = questions
    if custom_questions is not None:
        meeting.custom_questions = custom_questions
    return event, meeting


def well_set_up(event, kind: str = "meetings") -> dict:
    """Settings and questions of a meeting that fits `event` (its interpreters included)."""
    interpreters = interpreter_services_list(event)
    settings = {
        "approval_type": 1 if event.approval_mode == "manual" else 0,
        "registrants_email_notification": False,
        "registrants_confirmation_email": False,
        "language_interpretation": {"enable": True, "interpreters": [zoom_interpreter(i) for i in interpreters]},
    }
    return {
        "settings": settings,
        "questions": [{"field_name": "last_name", "required": True}, {"field_name": "country", "required": True},
                      {"field_name": "org", "required": False}],
        "custom_questions": [q.as_zoom(kind) for q in zq.custom_questions(event.languages)],
    }


def interpreter_services_list(event):
    from panel_app.zoom.setup import list_interpreters

    return list_interpreters(db.session, event)


def patches(sim, since: float = 0.0) -> list[str]:
    """Paths of the PATCH requests Zoom received (what a fix changed)."""
    return [path for _, method, path, _ in sim.api_requests(since) if method == "PATCH"]
