"""The registration questions a Zoom meeting or webinar needs for our registrant sync.

Zoom has no field for affiliation, role or interpretation channel, so the sync answers three
custom questions by title, and fills the standard fields last name, country and organisation.
The meeting's registration form must hold those questions, or the answers have nowhere to go:
"Add a meeting registrant" takes only the fields the registration form is set up to collect
(https://developers.zoom.us/docs/api/meetings/#tag/meetings/post/meetings/{meetingId}/registrants,
which sends the reader to "Customizing webinar registration" for how to set those fields).

Question shapes follow "List registration questions" / "Update registration questions"
(GET|PATCH /meetings/{meetingId}/registrants/questions and /webinars/{webinarId}/registrants/questions,
https://developers.zoom.us/docs/api/meetings/#tag/meetings/patch/meetings/{meetingId}/registrants/questions):
- `questions`: [{"field_name": one of Zoom's standard fields, "required": bool}]
- `custom_questions`: [{"title", "type", "required", "answers"}], where `type` is "short" or
  "single" for meetings, and "short", "single_radio", "single_dropdown" or "multiple" for
  webinars; `answers` are the choices of a choice question (not allowed for "short").

The answers are the codes our sync sends (e.g. "member_parliament"), so every value we send is
one of the offered choices whatever language the registrant used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from panel_app.models.registration import AffiliationType, ParticipantRole

#: Titles of the custom questions carrying what Zoom has no field for (matched exactly by Zoom).
QUESTION_AFFILIATION = "Affiliation type"
QUESTION_ROLE = "Role"
QUESTION_LANGUAGE = "Interpretation language"

AFFILIATION_ANSWERS: tuple[str, ...] = tuple(member.value for member in AffiliationType)
ROLE_ANSWERS: tuple[str, ...] = tuple(member.value for member in ParticipantRole)

#: Zoom's single-choice question type for each API path segment (see the module docstring).
SINGLE_CHOICE_TYPE = {"meetings": "single", "webinars": "single_radio"}
#: Question types whose `answers` restrict what a registrant may answer.
CHOICE_TYPES = frozenset({"single", "single_radio", "single_dropdown", "multiple"})

#: Standard fields the add-registrant body fills: field name -> whether we always have a value.
#: Country comes from our form's required country list; the organisation is optional there, so
#: Zoom must not require it (the documents do not say whether a required field missing from an
#: API add is refused; we take the stricter reading).
STANDARD_FIELDS: dict[str, bool] = {"last_name": True, "country": True, "org": False}


@dataclass(frozen=True)
class CustomQuestion:
    title: str
    answers: tuple[str, ...]

    def as_zoom(self, kind: str) -> dict:
        """The question as "Update registration questions" takes it, for `kind` (meetings|webinars)."""
        # Not required: people register through our form, and the sync always sends an answer.
        return {"title": self.title, "type": SINGLE_CHOICE_TYPE[kind], "required": False,
                "answers": list(self.answers)}


def custom_questions(languages: Iterable[str]) -> list[CustomQuestion]:
    """Our custom questions for an event offering interpretation in `languages`."""
    return [
        CustomQuestion(QUESTION_AFFILIATION, AFFILIATION_ANSWERS),
        CustomQuestion(QUESTION_ROLE, ROLE_ANSWERS),
        CustomQuestion(QUESTION_LANGUAGE, tuple(languages)),
    ]


def missing_answers(question: CustomQuestion, zoom_question: dict) -> list[str]:
    """Our answers that Zoom's question of the same title would not accept ([] for free text)."""
    if zoom_question.get("type") not in CHOICE_TYPES:
        return []  # "short": any text is accepted
    offered = {str(answer) for answer in zoom_question.get("answers") or []}
    return [answer for answer in question.answers if answer not in offered]


def merged_questions(kind: str, languages: Iterable[str], current: dict) -> dict:
    """The registration questions with ours added or completed, keeping every other question.

    Zoom's update call takes the whole lists, so what the organiser set up at Zoom is sent
    back unchanged next to our additions.
    """
    standard = [dict(q) for q in current.get("questions") or [] if isinstance(q, dict)]
    by_field = {q.get("field_name"): q for q in standard}
    for field_name, always_sent in STANDARD_FIELDS.items():
        existing = by_field.get(field_name)
        if existing is None:
            standard.append({"field_name": field_name, "required": False})
        elif not always_sent and existing.get("required"):
            existing["required"] = False
    custom = [dict(q) for q in current.get("custom_questions") or [] if isinstance(q, dict)]
    by_title = {q.get("title"): q for q in custom}
    for question in custom_questions(languages):
        existing = by_title.get(question.title)
        if existing is None:
            custom.append(question.as_zoom(kind))
            continue
        missing = missing_answers(question, existing)
        if missing:
            existing["answers"] = [*list(existing.get("answers") or []), *missing]
    return {"questions": standard, "custom_questions": custom}
