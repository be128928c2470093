"""The follow-up questionnaire: which actions a parliament took after an event, and what it says
about each; the organisers' view of the answers, per parliament and per action.

A parliament answers through its private link (`directory.links`); it may come back and change
its answers at any time: `submitted_at` keeps the first time it sent them, `answered_at` the
latest. Answers are stored as `{"<action code>": {"taken": bool, "text": str}}` for every action
on the list, so a later change of the list never makes an old answer unreadable (an unknown code
is kept and shown as it was recorded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from panel_app.models import Contact, Event, FollowUpReport, Organisation

#: The actions asked about, in the order of the questionnaire (codes are stored; labels are shown).
ACTIONS: dict[str, object] = {
    "informed_members": _l("Brought the decisions to the attention of members"),
    "debate_or_resolution": _l("Held a debate or adopted a resolution or declaration"),
    "follow_up_mechanism": _l("Set up a follow-up mechanism"),
    "approached_authorities": _l("Approached national or foreign authorities"),
    "contacted_parliamentarians": _l("Contacted parliamentarians in the countries concerned"),
    "met_ambassadors": _l("Met the ambassadors concerned"),
    "parliamentary_visits": _l("Organised or mandated parliamentary visits"),
    "visiting_delegations": _l("Raised the cases with visiting delegations"),
    "foreign_minister": _l("Asked the Minister of Foreign Affairs to intervene"),
    "neighbouring_parliaments": _l("Acted jointly with neighbouring parliaments"),
    "regional_organisations": _l("Conveyed the cases to regional organisations"),
    "informed_media": _l("Informed the media"),
}

#: Characters kept per action's free text: a few paragraphs, enough to name a resolution, a
#: date and the people met, and still readable in one spreadsheet cell.
TEXT_MAX = 4000
NAME_MAX = 200
FUNCTION_MAX = 300


def action_label(code: str) -> str:
    """The action in the page's language (an unknown code as it was recorded)."""
    return str(ACTIONS.get(code, code))


@dataclass(frozen=True)
class Answer:
    taken: bool = False
    text: str = ""


class InvalidAnswers(ValueError):
    """The answers cannot be stored as given (unknown action, text too long, no name)."""


def answers_of(report: FollowUpReport) -> dict[str, Answer]:
    """The report's answers, one per action on the list (unanswered ones not taken, no text)."""
    stored = report.answers or {}
    result = {}
    for code in (*ACTIONS, *(c for c in stored if c not in ACTIONS)):
        value = stored.get(code) or {}
        result[code] = Answer(taken=bool(value.get("taken")), text=str(value.get("text") or ""))
    return result


def _clean(text: str | None) -> str:
    # Line ends as typed on any system become "\n"; surrounding blanks go.
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def save_answers(session: Session, report: FollowUpReport, answers: Mapping[str, Answer], *, name: str,
                 function: str, language: str, now: datetime) -> bool:
    """Store the parliament's answers and who gave them (flushes); True on the first submission.

    Every action on the list is recorded (missing ones as not taken). Raises `InvalidAnswers`
    for an unknown action code, a text over `TEXT_MAX`, or a missing or over-long name or
    function (the form says so first; this keeps the rule for any other caller).
    """
    unknown = set(answers) - set(ACTIONS)
    if unknown:
        raise InvalidAnswers(f"unknown actions: {sorted(unknown)}")
    name, function = _clean(name), _clean(function)
    if not name or len(name) > NAME_MAX or len(function) > FUNCTION_MAX:
        raise InvalidAnswers("name missing or too long, or function too long")
    stored = {}
    for code in ACTIONS:
        answer = answers.get(code) or Answer()
        text = _clean(answer.text)
        if len(text) > TEXT_MAX:
            raise InvalidAnswers(f"text of {code} is longer than {TEXT_MAX} characters")
        stored[code] = {"taken": bool(answer.taken), "text": text}
    first = report.submitted_at is None
    report.answers = stored
    report.submitted_by = name
    report.submitted_function = function
    report.language = language
    report.answered_at = now
    if first:
        report.submitted_at = now
    session.flush()
    return first


def reader_language(session: Session, report: FollowUpReport) -> str | None:
    """The language the questionnaire most likely should open in: the one it was last answered
    in, else the one most of the parliament's active contacts read (their letters' language)."""
    if report.language:
        return report.language
    counts = session.execute(
        sa.select(Contact.language, sa.func.count()).where(
            Contact.organisation_id == report.organisation_id, Contact.active.is_(True))
        .group_by(Contact.language).order_by(sa.func.count().desc(), Contact.language)).first()
    return counts[0] if counts else None


# -- the organisers' view ---------------------------------------------------------------------


@dataclass
class ActionSummary:
    code: str
    #: (organisation, text) of every parliament that took the action, by name.
    taken_by: list[tuple[Organisation, str]] = field(default_factory=list)
    #: Texts given without the action being ticked (plans, reasons): shown, not counted.
    notes: list[tuple[Organisation, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return action_label(self.code)


@dataclass
class FollowUpOverview:
    reports: list[FollowUpReport]
    actions: list[ActionSummary]

    @property
    def answered(self) -> list[FollowUpReport]:
        return [r for r in self.reports if r.submitted_at is not None]


def reports_for(session: Session, event: Event, *, answered: bool | None = None) -> list[FollowUpReport]:
    """The event's follow-up reports (with their parliament), by parliament name (one query).

    `answered` True keeps those that sent answers, False those still waiting for them.
    """
    stmt = (sa.select(FollowUpReport).join(Organisation, Organisation.id == FollowUpReport.organisation_id)
            .options(joinedload(FollowUpReport.organisation))
            .where(FollowUpReport.event_id == event.id).order_by(Organisation.name, FollowUpReport.id))
    if answered is True:
        stmt = stmt.where(FollowUpReport.submitted_at.is_not(None))
    elif answered is False:
        stmt = stmt.where(FollowUpReport.submitted_at.is_(None))
    return list(session.scalars(stmt))


def taken_actions(report: FollowUpReport) -> list[str]:
    """Codes of the actions the report says were taken, in questionnaire order."""
    return [code for code, answer in answers_of(report).items() if answer.taken]


def overview(session: Session, event: Event) -> FollowUpOverview:
    """Every report of the event, and per action the parliaments that took it with their texts."""
    reports = reports_for(session, event)
    summaries = {code: ActionSummary(code) for code in ACTIONS}
    for report in reports:
        if report.submitted_at is None:
            continue
        for code, answer in answers_of(report).items():
            summary = summaries.setdefault(code, ActionSummary(code))
            if answer.taken:
                summary.taken_by.append((report.organisation, answer.text))
            elif answer.text:
                summary.notes.append((report.organisation, answer.text))
    return FollowUpOverview(reports=reports, actions=list(summaries.values()))
