"""The interpreters of an event, as organisers enter them: rules and changes (audited).

An interpreter is one email address per event with the two event languages they interpret
between; Zoom lists each interpreter once, by email ("Update a meeting",
settings.language_interpretation.interpreters, https://developers.zoom.us/docs/api/meetings/).
Pushing them to Zoom is panel_app/zoom/setup.py's job. Functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from itertools import combinations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.models import Event, EventInterpreter, User
from panel_app.registration import validation

NAME_MAX = 200


class InterpreterInputError(ValueError):
    """Refused input. `code`: invalid_email, email_too_long, control_character, name_too_long,
    language_not_in_event, same_language or duplicate; `field` names the form field."""

    def __init__(self, code: str, field: str):
        super().__init__(code)
        self.code = code
        self.field = field


def language_pairs(languages: list[str]) -> list[tuple[str, str]]:
    """Every pair of the event's languages, each in the stored order (a < b)."""
    return [tuple(sorted(pair)) for pair in combinations(list(dict.fromkeys(languages)), 2)]


def _clean(session: Session, event: Event, *, email: str, name: str, languages: tuple[str, str],
           exclude_id: int | None = None) -> tuple[str, str, str, str, str]:
    try:
        email_value, email_key = validation.normalise_email(email)
    except validation.InvalidInput as exc:
        raise InterpreterInputError("email_too_long" if exc.code == "too_long" else "invalid_email", "email") from exc
    try:
        name_value = validation.clean_text(name, max_length=NAME_MAX)
    except validation.InvalidInput as exc:
        raise InterpreterInputError("name_too_long" if exc.code == "too_long" else exc.code, "name") from exc
    first, second = (str(code) for code in languages)
    if first == second:
        raise InterpreterInputError("same_language", "languages")
    if first not in (event.languages or []) or second not in (event.languages or []):
        raise InterpreterInputError("language_not_in_event", "languages")
    language_a, language_b = sorted((first, second))
    taken = sa.select(EventInterpreter.id).where(EventInterpreter.event_id == event.id,
                                                 EventInterpreter.email_normalized == email_key)
    if exclude_id is not None:
        taken = taken.where(EventInterpreter.id != exclude_id)
    if session.scalar(taken) is not None:
        raise InterpreterInputError("duplicate", "email")
    return email_value, email_key, name_value, language_a, language_b


def _details(interpreter: EventInterpreter) -> dict:
    return {"email": interpreter.email, "languages": f"{interpreter.language_a}-{interpreter.language_b}"}


def add_interpreter(session: Session, event: Event, *, email: str, name: str, languages: tuple[str, str],
                    now: datetime, actor: User | str | None, ip: str | None = None) -> EventInterpreter:
    email_value, email_key, name_value, language_a, language_b = _clean(
        session, event, email=email, name=name, languages=languages)
    interpreter = EventInterpreter(event_id=event.id, email=email_value, email_normalized=email_key, name=name_value,
                                   language_a=language_a, language_b=language_b, created_at=now, updated_at=now)
    session.add(interpreter)
    session.flush()
    record(session, "zoom.interpreter.add", actor=actor, event_id=event.id, ip=ip, now=now,
           details=_details(interpreter))
    return interpreter


def update_interpreter(session: Session, event: Event, interpreter: EventInterpreter, *, email: str, name: str,
                       languages: tuple[str, str], now: datetime, actor: User | str | None,
                       ip: str | None = None) -> EventInterpreter:
    email_value, email_key, name_value, language_a, language_b = _clean(
        session, event, email=email, name=name, languages=languages, exclude_id=interpreter.id)
    before = _details(interpreter)
    interpreter.email, interpreter.email_normalized, interpreter.name = email_value, email_key, name_value
    interpreter.language_a, interpreter.language_b = language_a, language_b
    interpreter.updated_at = now
    session.flush()
    record(session, "zoom.interpreter.update", actor=actor, event_id=event.id, ip=ip, now=now,
           details={"from": before, "to": _details(interpreter)})
    return interpreter


def remove_interpreter(session: Session, event: Event, interpreter: EventInterpreter, *, now: datetime,
                       actor: User | str | None, ip: str | None = None) -> None:
    record(session, "zoom.interpreter.remove", actor=actor, event_id=event.id, ip=ip, now=now,
           details=_details(interpreter))
    session.delete(interpreter)
    session.flush()


def get_interpreter(session: Session, event: Event, interpreter_id: int) -> EventInterpreter | None:
    return session.scalar(sa.select(EventInterpreter).where(EventInterpreter.event_id == event.id,
                                                            EventInterpreter.id == interpreter_id))
