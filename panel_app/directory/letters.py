"""Letters to the directory's contacts: compose, choose recipients, queue, follow progress.

An organiser writes a letter (`Outreach`) once per event language; each contact gets it in
their language (the event's first language when theirs is not among the event's). The
copies are notification rows delivered by the one mail pipeline (see `mail.outreach` and
`mail.letters`), one per contact and letter, so a send that is restarted or posted twice
mails each contact once.

Four kinds: the invitation (to all contacts or those of parliaments not yet represented), the
coverage reminder (to parliaments not yet represented, leaving out contacts reminded within
the organiser's interval), the follow-up request (creates each parliament's report and its
private link) and its one reminder (to parliaments that have not answered, once).

Functions take a session and plain values, flush, and leave the commit to the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.core import languages
from panel_app.directory import links
from panel_app.directory.coverage import coverage
from panel_app.mail import letters as mail_letters
from panel_app.mail import services as mail_services
from panel_app.mail.letters import placeholders_for, unknown_placeholders
from panel_app.models import (
    Contact,
    Event,
    FollowUpReport,
    Notification,
    NotificationState,
    Organisation,
    Outreach,
    OutreachKind,
    User,
)

K = OutreachKind
KIND_LABELS = {
    K.INVITATION: _l("Invitation"),
    K.COVERAGE_REMINDER: _l("Reminder to parliaments not yet represented"),
    K.FOLLOW_UP: _l("Follow-up questionnaire"),
    K.FOLLOW_UP_REMINDER: _l("Reminder of the follow-up questionnaire"),
}
#: Who a letter of each kind may go to (the first is the default).
SCOPES = {
    K.INVITATION: ("all", "unrepresented"),
    K.COVERAGE_REMINDER: ("unrepresented",),
    K.FOLLOW_UP: ("registered", "attended", "all"),
    K.FOLLOW_UP_REMINDER: ("not_answered",),
}
SCOPE_LABELS = {
    "all": _l("All active contacts"),
    "unrepresented": _l("Parliaments with nobody registered yet"),
    "registered": _l("Parliaments with at least one registrant"),
    "attended": _l("Parliaments with at least one participant who attended"),
    "not_answered": _l("Parliaments asked for a follow-up that have not answered and were not reminded"),
}
#: The coverage reminder's intervals on offer, in days.
INTERVALS = (3, 7, 14)
SUBJECT_MAX = 300
BODY_MAX = 20_000


@dataclass(frozen=True)
class LetterFilters:
    """Who a letter goes to, as the organiser chose it."""

    scope: str = ""
    affiliation: str = ""
    region: str = ""
    country: str = ""
    #: Coverage reminder: contacts reminded for this event within so many days are left out.
    interval_days: int | None = None

    def selection(self) -> dict:
        return {k: v for k, v in (("scope", self.scope), ("affiliation", self.affiliation), ("region", self.region),
                                  ("country", self.country), ("interval_days", self.interval_days)) if v}


@dataclass
class Selection:
    """The contacts a letter would go to now."""

    contact_ids: list[int] = field(default_factory=list)
    organisation_ids: list[int] = field(default_factory=list)
    #: Coverage reminder: contacts left out because they were reminded within the interval.
    recently_reminded: int = 0

    @property
    def count(self) -> int:
        return len(self.contact_ids)


class LetterError(ValueError):
    """The letter cannot be sent as it is; `messages` say why, in the reader's language."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# --- Texts ------------------------------------------------------------------------------

def _default_text(kind: str) -> dict[str, str]:
    """The default letter of `kind` in the current locale, as the Secretary General writes it."""
    signature = _("Yours sincerely,\n\nThe Secretary General\n{organisation}")
    if kind == K.INVITATION:
        return {"subject": _("Invitation: {event_title}"), "body": _(
            "Dear {contact_name},\n\n"
            "I have the pleasure of inviting {parliament} to take part in the online panel discussion "
            "“{event_title}”, to be held on {event_date}.\n\n"
            "I would be grateful if you could ensure that at least one representative from your Parliament "
            "can attend. Members of parliament and parliamentary staff can register through your Parliament's "
            "own link:\n{registration_link}\n\n"
            "I look forward to your Parliament's participation.") + "\n\n" + signature}
    if kind == K.COVERAGE_REMINDER:
        return {"subject": _("Reminder: {event_title}"), "body": _(
            "Dear {contact_name},\n\n"
            "May I remind you of the online panel discussion “{event_title}”, to be held on {event_date}. "
            "As yet, nobody from {parliament} has registered.\n\n"
            "I would be grateful if you could ensure that at least one representative from your Parliament "
            "can attend. Registration takes a few minutes through your Parliament's own link:\n"
            "{registration_link}") + "\n\n" + signature}
    if kind == K.FOLLOW_UP:
        return {"subject": _("Follow-up to “{event_title}”: action taken by your Parliament"), "body": _(
            "Dear {contact_name},\n\n"
            "Following the panel discussion “{event_title}”, held on {event_date}, we would be grateful if "
            "{parliament} could let us know what action it has taken in support of the members of parliament "
            "whose cases were discussed.\n\n"
            "The questionnaire takes a few minutes and can be completed through your Parliament's private "
            "link:\n{follow_up_link}\n\n"
            "Your replies will help us report on parliamentary action and plan our future work.")
            + "\n\n" + signature}
    return {"subject": _("Reminder: follow-up to “{event_title}”"), "body": _(
        "Dear {contact_name},\n\n"
        "We recently asked {parliament} what action it had taken following the panel discussion "
        "“{event_title}”, held on {event_date}. We have not yet received your reply.\n\n"
        "We would be grateful if you could complete the short questionnaire through your Parliament's private "
        "link:\n{follow_up_link}") + "\n\n" + signature}


def default_texts(kind: str, event_languages: list[str]) -> dict[str, dict[str, str]]:
    """The default letter of `kind` in each of the event's languages."""
    texts = {}
    for code in event_languages:
        with force_locale(code):
            texts[code] = _default_text(kind)
    return texts


def validate(kind: str, texts: dict, event: Event) -> list[str]:
    """What is wrong with the letter (empty when it can be sent), in the current locale."""
    errors = []
    if kind not in SCOPES:
        return [_("Choose a kind of letter.")]
    allowed = ", ".join("{" + name + "}" for name in placeholders_for(kind))
    for code in event.languages or []:
        text = texts.get(code) or {}
        language = languages.name(code)
        subject, body = (text.get("subject") or "").strip(), (text.get("body") or "").strip()
        if not subject:
            errors.append(_("Write the subject in %(language)s.", language=language))
        elif len(subject) > SUBJECT_MAX:
            errors.append(_("The subject in %(language)s is longer than %(n)d characters.", language=language,
                            n=SUBJECT_MAX))
        if not body:
            errors.append(_("Write the letter in %(language)s.", language=language))
        elif len(body) > BODY_MAX:
            errors.append(_("The letter in %(language)s is longer than %(n)d characters.", language=language,
                            n=BODY_MAX))
        unknown = unknown_placeholders(subject + "\n" + body, kind)
        if unknown:
            errors.append(_("The %(language)s text uses %(names)s, which this letter cannot fill in. "
                            "You can use: %(allowed)s.", language=language, names=", ".join(unknown),
                            allowed=allowed))
    return errors


def clean_texts(texts: dict, event: Event) -> dict[str, dict[str, str]]:
    """The texts for the event's languages only, trimmed, line ends as \\n."""
    return {code: {"subject": " ".join((texts.get(code) or {}).get("subject", "").split()),
                   "body": (texts.get(code) or {}).get("body", "").replace("\r\n", "\n").strip()}
            for code in event.languages or []}


# --- Recipients -------------------------------------------------------------------------

def default_filters(kind: str) -> LetterFilters:
    return LetterFilters(scope=SCOPES[kind][0], interval_days=7 if kind == K.COVERAGE_REMINDER else None)


def select_recipients(session: Session, event: Event, kind: str, filters: LetterFilters, *,
                      now: datetime) -> Selection:
    """The active contacts of active directory entries that the letter goes to now."""
    scope = filters.scope if filters.scope in SCOPES[kind] else SCOPES[kind][0]
    query = (sa.select(Contact.id, Contact.organisation_id)
             .join(Organisation, Contact.organisation_id == Organisation.id)
             .where(Contact.active.is_(True), Contact.email != "", Organisation.active.is_(True)))
    if filters.affiliation:
        query = query.where(Organisation.affiliation_type == filters.affiliation)
    if filters.region:
        query = query.where(Organisation.region == filters.region)
    if filters.country:
        query = query.where(Organisation.country == filters.country.upper())
    if scope in ("unrepresented", "registered", "attended"):
        rows = coverage(session, event)
        if scope == "unrepresented":
            chosen = [r.organisation.id for r in rows if not r.registered]
        elif scope == "registered":
            chosen = [r.organisation.id for r in rows if r.registered or r.attended]
        else:
            chosen = [r.organisation.id for r in rows if r.attended]
        query = query.where(Organisation.id.in_(chosen))
    elif scope == "not_answered":
        query = query.where(Organisation.id.in_(
            sa.select(FollowUpReport.organisation_id).where(
                FollowUpReport.event_id == event.id, FollowUpReport.requested_at.is_not(None),
                FollowUpReport.submitted_at.is_(None), FollowUpReport.reminded_at.is_(None))))
    rows = session.execute(query.order_by(Organisation.name, Contact.id)).all()
    selection = Selection()
    recent: set[int] = set()
    if kind == K.COVERAGE_REMINDER and filters.interval_days:
        recent = _reminded_since(session, event, now - timedelta(days=filters.interval_days))
    organisations: dict[int, None] = {}
    for contact_id, organisation_id in rows:
        if contact_id in recent:
            selection.recently_reminded += 1
            continue
        selection.contact_ids.append(contact_id)
        organisations[organisation_id] = None
    selection.organisation_ids = list(organisations)
    return selection


def _reminded_since(session: Session, event: Event, since: datetime) -> set[int]:
    """Contacts with a coverage reminder for `event` queued since `since` (not skipped)."""
    return set(session.scalars(
        sa.select(Notification.contact_id).join(Outreach, Notification.outreach_id == Outreach.id).where(
            Outreach.event_id == event.id, Outreach.kind == K.COVERAGE_REMINDER,
            Notification.created_at >= since,
            Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING, NotificationState.SENT]))))


def sample_contacts(session: Session, event: Event, selection: Selection) -> dict[str, Contact]:
    """One recipient per event language to preview the letter with (their own language when
    some recipient has it, else the first recipient)."""
    if not selection.contact_ids:
        return {}
    samples: dict[str, Contact] = {}
    first = session.get(Contact, selection.contact_ids[0])
    for code in event.languages or []:
        contact = session.scalar(sa.select(Contact).where(Contact.id.in_(selection.contact_ids),
                                                          Contact.language == code).order_by(Contact.id).limit(1))
        samples[code] = contact or first
    return samples


@dataclass(frozen=True)
class Preview:
    """The letter as one sample recipient will read it in `language`."""

    language: str
    contact: Contact
    subject: str
    text: str
    html: str


def preview(session: Session, event: Event, kind: str, texts: dict, selection: Selection, *, config
            ) -> list[Preview]:
    """The letter for a sample recipient in each event language (links shown as samples:
    nothing is created). Call with valid texts (see `validate`)."""
    draft = Outreach(event_id=event.id, kind=str(kind), texts=clean_texts(texts, event))
    result = []
    for code, contact in sample_contacts(session, event, selection).items():
        language, subject, text, html = mail_letters.bodies(session, draft, contact, config=config,
                                                            create_links=False, language=code)
        result.append(Preview(language, contact, subject, text, html))
    return result


# --- Sending ----------------------------------------------------------------------------

def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def letter_for_submission(session: Session, submission_key: str) -> Outreach | None:
    return session.scalar(sa.select(Outreach).where(Outreach.submission_key == submission_key))


def send_letter(session: Session, event: Event, kind: str, texts: dict, filters: LetterFilters, *, now: datetime,
                user: User, secret_key: str, ip: str | None = None, submission_key: str | None = None
                ) -> tuple[Outreach, bool]:
    """Record the letter and queue one copy per recipient; mail goes out after the caller
    commits. Returns (letter, created).

    Raises LetterError when the texts are incomplete or use unknown placeholders, or when
    nobody would receive it. A form posted twice carries the same `submission_key` and gets
    the letter it already created (created False), also when both posts race.
    """
    if submission_key:
        existing = letter_for_submission(session, submission_key)
        if existing is not None:
            return existing, False
    texts = clean_texts(texts, event)
    errors = validate(kind, texts, event)
    if errors:
        raise LetterError(errors)
    selection = select_recipients(session, event, kind, filters, now=now)
    if not selection.count:
        raise LetterError([_("Nobody matches these recipients: nothing was sent.")])
    letter = Outreach(event_id=event.id, kind=str(kind), texts=texts, filters=filters.selection(), state="pending",
                      created_by_id=user.id, created_by=user.email, submission_key=submission_key, created_at=now)
    try:
        with session.begin_nested():
            session.add(letter)
            session.flush()
    except sa.exc.IntegrityError:
        existing = letter_for_submission(session, submission_key) if submission_key else None
        if existing is None:
            raise
        return existing, False
    _prepare_links(session, event, kind, selection, now=now, secret_key=secret_key)
    count = mail_services.queue_outreach(session, letter, selection.contact_ids, now=now)
    record(session, "letter.send", actor=user, event_id=event.id, ip=ip, now=now,
           details={"letter_id": letter.id, "kind": str(kind), "recipients": count,
                    "parliaments": len(selection.organisation_ids), "filters": filters.selection(),
                    "recently_reminded": selection.recently_reminded})
    session.flush()
    return letter, True


def _prepare_links(session: Session, event: Event, kind: str, selection: Selection, *, now: datetime,
                   secret_key: str) -> None:
    """Each parliament's registration link (every letter may carry it) and, for follow-up
    letters, its report: requested now, or reminded now (at most once)."""
    organisations = session.scalars(sa.select(Organisation).where(Organisation.id.in_(selection.organisation_ids)))
    for organisation in organisations:
        links.invitation_for(session, event, organisation)
        if kind == K.FOLLOW_UP:
            report = links.follow_up_report_for(session, event, organisation, secret_key)
            if report.requested_at is None:
                report.requested_at = now
        elif kind == K.FOLLOW_UP_REMINDER:
            report = links.follow_up_report_for(session, event, organisation, secret_key)
            report.reminded_at = now
    session.flush()


def letters_for(session: Session, event: Event) -> list[Outreach]:
    return list(session.scalars(sa.select(Outreach).where(Outreach.event_id == event.id)
                                .order_by(Outreach.created_at.desc(), Outreach.id.desc()).limit(200)))


def progress(session: Session, letters: list[Outreach]) -> dict[int, mail_services.Progress]:
    """Sent, failed, skipped and waiting copies per letter."""
    return mail_services.outreach_progress(session, [letter.id for letter in letters])
