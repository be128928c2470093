"""Subjects and opening paragraphs of registrant emails, per notification kind.

Called inside `force_locale`, so the texts come out in the registrant's email language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from panel_app.models import NotificationKind as K


def subject_and_intro(kind: str, title: str, when: str, changes: list[tuple[str, str, str]] = ()
                      ) -> tuple[str, list[str]]:
    """(subject, introduction paragraphs) for a kind, in the current locale.

    `changes` (kind "changed"): (field, new label, previous label) for each field that
    changed, "language" (the interpretation channel) or "email_language".
    """
    if kind == K.CONFIRMED:
        return _("Registration confirmed: %(title)s", title=title), [
            _("Your registration is confirmed."),
            _("The calendar invitation is attached: accept it to add the panel to your calendar."),
        ]
    if kind == K.APPROVED:
        return _("Registration approved: %(title)s", title=title), [
            _("The organisers have approved your registration. Your seat is confirmed."),
            _("The calendar invitation is attached: accept it to add the panel to your calendar."),
        ]
    if kind == K.PROMOTED:
        return _("A seat is now available: %(title)s", title=title), [
            _("A seat has become free and you have moved up from the waiting list. Your seat is confirmed."),
            _("The calendar invitation is attached: accept it to add the panel to your calendar."),
        ]
    if kind == K.PENDING:
        return _("Registration received: %(title)s", title=title), [
            _("We have received your registration. The organisers will review it."),
            _("Once it is approved, you will receive another email with your join link and calendar invitation."),
        ]
    if kind == K.WAITLISTED:
        return _("You are on the waiting list: %(title)s", title=title), [
            _("The panel is full, so you are on the waiting list."),
            _("If a seat becomes free, you will move up automatically and receive an email with your join link."),
        ]
    if kind == K.DECLINED:
        return _("Registration not accepted: %(title)s", title=title), [
            _("We are sorry: the organisers could not accept your registration for this panel."),
        ]
    if kind == K.CANCELLED:
        return _("Registration cancelled: %(title)s", title=title), [
            _("Your registration is cancelled. If your calendar shows the panel, this message removes it."),
        ]
    if kind == K.EVENT_UPDATED:
        return _("Updated: %(title)s", title=title), [
            _("The details of the panel have changed. Please see the new details below; "
              "the updated calendar invitation is attached."),
        ]
    if kind == K.EVENT_CANCELLED:
        return _("Cancelled: %(title)s", title=title), [
            _("The organisers have cancelled this panel. We apologise for the inconvenience."),
        ]
    if kind == K.CHANGED:
        lines = [_("Your registration has been updated as you asked:")]
        for field, new, old in changes:
            if field == "language":
                lines.append(_("Interpretation language: now %(new)s (before: %(old)s).", new=new, old=old))
            else:
                lines.append(_("Language of your emails and invitation: now %(new)s (before: %(old)s).",
                               new=new, old=old))
        lines.append(_("The updated calendar invitation is attached: accept it to update the panel in your "
                       "calendar."))
        return _("Registration updated: %(title)s", title=title), lines
    if kind == K.INVITE:
        return _("Your invitation: %(title)s", title=title), [
            _("Here is your calendar invitation with your personal join link."),
        ]
    if kind == K.DETAILS:
        return _("Your registration details: %(title)s", title=title), [
            _("Someone, probably you, tried to register again with this email address. "
              "You are already registered: here are your details."),
        ]
    if kind == K.REMINDER:
        return _("Reminder: %(title)s, %(when)s", title=title, when=when), [
            _("This is a reminder: the panel starts on %(when)s.", when=when),
        ]
    raise ValueError(f"unknown notification kind {kind!r}")
