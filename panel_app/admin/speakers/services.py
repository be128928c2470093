"""Speakers and moderators of an event: the console's rules. Functions flush; the view commits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.models import Event, EventSpeaker, SpeakerRole, User
from panel_app.organisation.services import logo_kind
from panel_app.registration import validation

#: A portrait shown at about 96 px: 1 MB is the request limit anyway, 512 kB is plenty.
PHOTO_MAX_BYTES = 512 * 1024


class SpeakerError(ValueError):
    """Values that cannot be saved; `errors` maps fields to codes (as `validation.InvalidInput`,
    plus "required", "role", "photo_type", "photo_size")."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SpeakerInput:
    name: str
    role: str = SpeakerRole.SPEAKER
    function: str = ""
    #: The function per language code.
    functions: dict | None = None
    position: int = 0


def _clean(errors: dict, field: str, value: str, limit: int) -> str:
    try:
        return validation.clean_text(value, max_length=limit)
    except validation.InvalidInput as exc:
        errors[field] = exc.code
        return ""


def _checked(data: SpeakerInput, photo: bytes | None) -> tuple[dict, tuple[str, str] | None]:
    errors: dict[str, str] = {}
    values = {"name": _clean(errors, "name", data.name, 200),
              "function": _clean(errors, "function", data.function, 300),
              "translations": {code: cleaned for code, text in (data.functions or {}).items()
                               if (cleaned := _clean(errors, f"function_{code}", text, 300))},
              "position": max(0, min(int(data.position or 0), 999)), "role": data.role}
    if not values["name"] and "name" not in errors:
        errors["name"] = "required"
    if data.role not in {r.value for r in SpeakerRole}:
        errors["role"] = "role"
    kind = None
    if photo:
        if len(photo) > PHOTO_MAX_BYTES:
            errors["photo"] = "photo_size"
        elif (kind := logo_kind(photo)) is None:
            errors["photo"] = "photo_type"
    if errors:
        raise SpeakerError(errors)
    return values, kind


def add_speaker(session: Session, event: Event, data: SpeakerInput, *, photo: bytes | None = None, actor: User,
                now: datetime) -> EventSpeaker:
    values, kind = _checked(data, photo)
    speaker = EventSpeaker(event_id=event.id, created_at=now, updated_at=now, photo_type="", photo_digest="",
                           **values)
    if photo and kind:
        speaker.photo, speaker.photo_type, speaker.photo_digest = photo, kind[0], hashlib.sha256(photo).hexdigest()
    session.add(speaker)
    session.flush()
    record(session, "speaker.add", actor=actor, event_id=event.id, details={"name": speaker.name}, now=now)
    return speaker


def update_speaker(session: Session, speaker: EventSpeaker, data: SpeakerInput, *, photo: bytes | None = None,
                   remove_photo: bool = False, actor: User, now: datetime) -> bool:
    values, kind = _checked(data, photo)
    changed = False
    for name, value in values.items():
        if getattr(speaker, name) != value:
            setattr(speaker, name, value)
            changed = True
    if photo and kind:
        digest = hashlib.sha256(photo).hexdigest()
        if digest != speaker.photo_digest:
            speaker.photo, speaker.photo_type, speaker.photo_digest = photo, kind[0], digest
            changed = True
    elif remove_photo and speaker.photo_digest:
        speaker.photo, speaker.photo_type, speaker.photo_digest = None, "", ""
        changed = True
    if changed:
        speaker.updated_at = now
        record(session, "speaker.edit", actor=actor, event_id=speaker.event_id, details={"name": speaker.name},
               now=now)
    session.flush()
    return changed


def remove_speaker(session: Session, speaker: EventSpeaker, *, actor: User, now: datetime) -> None:
    record(session, "speaker.remove", actor=actor, event_id=speaker.event_id, details={"name": speaker.name}, now=now)
    session.delete(speaker)
    session.flush()


def get_speaker(session: Session, event: Event, speaker_id: int) -> EventSpeaker | None:
    return session.scalar(sa.select(EventSpeaker).where(EventSpeaker.event_id == event.id,
                                                        EventSpeaker.id == speaker_id))
